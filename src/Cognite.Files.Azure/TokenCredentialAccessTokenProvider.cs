using Azure.Core;
using Cognite.Files.Auth;

namespace Cognite.Files.Azure;

/// <summary>
/// Bridges an <see cref="TokenCredential"/> (e.g. <c>DefaultAzureCredential</c>,
/// <c>ClientSecretCredential</c> from Azure.Identity) to the SDK. Tokens are cached and refreshed a margin before
/// their expiry; concurrent callers share one refresh. Failures become <see cref="CogniteAuthenticationException"/>.
/// </summary>
public sealed class TokenCredentialAccessTokenProvider : AccessTokenProviderBase, IDisposable
{
    private readonly CachedToken _cache;

    /// <summary>Creates a provider asking <paramref name="credential"/> for <paramref name="scopes"/> (e.g. <c>https://api.cognitedata.com/.default</c>).</summary>
    public TokenCredentialAccessTokenProvider(TokenCredential credential, IEnumerable<string> scopes, IEnumerable<string>? allowedHosts = null, TimeProvider? timeProvider = null, TimeSpan? refreshMargin = null)
        : base(allowedHosts)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(scopes);
        var scopeArray = scopes.ToArray();
        if (scopeArray.Length == 0)
        {
            throw new ArgumentException("At least one scope is required, e.g. https://api.cognitedata.com/.default.", nameof(scopes));
        }

        _cache = new CachedToken(
            async ct =>
            {
                try
                {
                    var token = await credential.GetTokenAsync(new TokenRequestContext(scopeArray), ct).ConfigureAwait(false);
                    return (token.Token, token.ExpiresOn);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    throw new CogniteAuthenticationException($"{credential.GetType().Name} could not get a token for scopes {string.Join(' ', scopeArray)}: {ex.GetType().Name}.", ex);
                }
            },
            timeProvider ?? TimeProvider.System,
            refreshMargin ?? TimeSpan.FromMinutes(5));
    }

    /// <inheritdoc />
    public override bool InvalidateCachedToken()
    {
        _cache.Invalidate();
        return true;
    }

    /// <inheritdoc />
    protected override Task<string> GetTokenAsync(CancellationToken cancellationToken) => _cache.GetAsync(cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _cache.Dispose();
}
