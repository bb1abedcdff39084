using Microsoft.Kiota.Abstractions.Authentication;

namespace Cognite.Files.Auth;

/// <summary>
/// Shared behaviour of this SDK's token providers. A <see cref="CogniteFilesClient"/> sends the token only to its own
/// API origin, whatever the provider allows, so one provider can serve clients of several clusters. A non-empty
/// <see cref="AllowedHostsValidator"/> restricts the provider further (Kiota's rule: an empty list allows any host);
/// for a host outside it the answer is an empty string, so no header is sent.
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
        if (AllowedHostsValidator.AllowedHosts.Any() && !AllowedHostsValidator.IsUrlHostValid(uri))
        {
            return string.Empty;
        }

        return await GetTokenAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Drops a cached token, so that the next request fetches a new one; the client calls it after a 401 and retries
    /// once when it returns true. A provider that cannot get a different token (a fixed one) returns false.
    /// </summary>
    public virtual bool InvalidateCachedToken() => false;

    /// <summary>Returns a valid access token (cached or fresh).</summary>
    protected abstract Task<string> GetTokenAsync(CancellationToken cancellationToken);
}
