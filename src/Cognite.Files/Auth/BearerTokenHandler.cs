using System.Net;
using System.Net.Http.Headers;
using Microsoft.Kiota.Abstractions.Authentication;

namespace Cognite.Files.Auth;

/// <summary>
/// Bridges a Kiota <see cref="IAccessTokenProvider"/> to an <see cref="HttpClient"/> pipeline: adds
/// <c>Authorization: Bearer …</c> to requests whose scheme, host and port are the API's, and to nothing else. The host
/// binding lives here, not on the provider, so one provider can serve clients of several clusters. It sits innermost,
/// so every retry asks the provider again; a 401 makes it drop the provider's cached token and send the request once
/// more with a fresh one (a second 401 is the caller's error).
/// </summary>
internal sealed class BearerTokenHandler : DelegatingHandler
{
    private readonly IAccessTokenProvider _tokenProvider;
    private readonly Uri _apiBase;

    /// <summary>Creates a handler sending tokens from <paramref name="tokenProvider"/> only to the origin of <paramref name="apiBase"/>.</summary>
    public BearerTokenHandler(IAccessTokenProvider tokenProvider, Uri apiBase)
    {
        ArgumentNullException.ThrowIfNull(tokenProvider);
        ArgumentNullException.ThrowIfNull(apiBase);
        EnsureProviderAllows(tokenProvider, apiBase);
        _tokenProvider = tokenProvider;
        _apiBase = apiBase;
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Headers.Authorization = null;
        if (request.RequestUri is not { IsAbsoluteUri: true } uri || !IsSameOrigin(uri, _apiBase))
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        await AuthorizeAsync(request, uri, cancellationToken).ConfigureAwait(false);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized || _tokenProvider is not AccessTokenProviderBase cached || !cached.InvalidateCachedToken())
        {
            return response;
        }

        // The token was refused (revoked, or expired earlier than announced): once more with a fresh one.
        response.Dispose();
        await AuthorizeAsync(request, uri, cancellationToken).ConfigureAwait(false);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task AuthorizeAsync(HttpRequestMessage request, Uri uri, CancellationToken cancellationToken)
    {
        var token = await _tokenProvider.GetAuthorizationTokenAsync(uri, null, cancellationToken).ConfigureAwait(false);
        request.Headers.Authorization = string.IsNullOrEmpty(token) ? null : new AuthenticationHeaderValue("Bearer", token);
    }

    internal static bool IsSameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;

    /// <summary>
    /// Refuses a provider whose own allow-list excludes the API host (it would hand out no token, and every call would
    /// be a 401). An empty list means "any host": the origin check of this handler is what keeps the token in place.
    /// Nothing on the provider is changed.
    /// </summary>
    internal static void EnsureProviderAllows(IAccessTokenProvider tokenProvider, Uri apiBase)
    {
        var validator = tokenProvider.AllowedHostsValidator;
        if (validator is not null && validator.AllowedHosts.Any() && !validator.IsUrlHostValid(apiBase))
        {
            throw new ArgumentException(
                $"The token provider's AllowedHostsValidator lists {string.Join(", ", validator.AllowedHosts)} but not the API host {apiBase.Host}; no request would be authorized. Add {apiBase.Host} or leave the list empty.",
                nameof(tokenProvider));
        }
    }
}
