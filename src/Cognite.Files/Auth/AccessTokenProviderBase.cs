using Microsoft.Kiota.Abstractions.Authentication;

namespace Cognite.Files.Auth;

/// <summary>
/// Shared behaviour of this SDK's token providers: a token is handed out only for a host in
/// <see cref="AllowedHostsValidator"/> (an empty list is filled with the API host when the provider is given to a
/// <see cref="CogniteFilesClient"/>); for any other host the answer is an empty string, so no header is sent.
/// </summary>
public abstract class AccessTokenProviderBase : IAccessTokenProvider
{
    /// <summary>Creates a provider allowed to send tokens to <paramref name="allowedHosts"/> (host names only, no scheme or port).</summary>
    protected AccessTokenProviderBase(IEnumerable<string>? allowedHosts)
    {
        AllowedHostsValidator = new AllowedHostsValidator(allowedHosts ?? []);
    }

    /// <inheritdoc />
    public AllowedHostsValidator AllowedHostsValidator { get; }

    /// <inheritdoc />
    public async Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!AllowedHostsValidator.AllowedHosts.Any() || !AllowedHostsValidator.IsUrlHostValid(uri))
        {
            // Fail closed: a provider not yet bound to a host gives no token to anyone.
            return string.Empty;
        }

        return await GetTokenAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Returns a valid access token (cached or fresh).</summary>
    protected abstract Task<string> GetTokenAsync(CancellationToken cancellationToken);
}
