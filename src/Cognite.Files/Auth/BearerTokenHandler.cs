using System.Net.Http.Headers;
using Microsoft.Kiota.Abstractions.Authentication;

namespace Cognite.Files.Auth;

/// <summary>
/// Bridges a Kiota <see cref="IAccessTokenProvider"/> to an <see cref="HttpClient"/> pipeline: adds
/// <c>Authorization: Bearer …</c> to requests whose scheme, host and port are the API's, and to nothing else
/// (the provider's <see cref="AllowedHostsValidator"/> is a second, host-only guard). It sits innermost, so every
/// retry asks the provider again and gets a fresh token once the old one is due for refresh.
/// </summary>
public sealed class BearerTokenHandler : DelegatingHandler
{
    private readonly IAccessTokenProvider _tokenProvider;
    private readonly Uri _apiBase;

    /// <summary>Creates a handler sending tokens from <paramref name="tokenProvider"/> only to the origin of <paramref name="apiBase"/>.</summary>
    public BearerTokenHandler(IAccessTokenProvider tokenProvider, Uri apiBase)
    {
        ArgumentNullException.ThrowIfNull(tokenProvider);
        ArgumentNullException.ThrowIfNull(apiBase);
        _tokenProvider = tokenProvider;
        _apiBase = apiBase;
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Headers.Authorization = null;
        if (request.RequestUri is { IsAbsoluteUri: true } uri && IsSameOrigin(uri, _apiBase))
        {
            var token = await _tokenProvider.GetAuthorizationTokenAsync(uri, null, cancellationToken).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(token))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    internal static bool IsSameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;

    /// <summary>
    /// Makes sure <paramref name="tokenProvider"/> will hand out tokens for <paramref name="apiBase"/>: an empty
    /// allow-list is set to the API host; a list without it is an error (the client would otherwise send no token).
    /// </summary>
    internal static void BindAllowedHost(IAccessTokenProvider tokenProvider, Uri apiBase)
    {
        var validator = tokenProvider.AllowedHostsValidator;
        if (validator is null)
        {
            return;
        }

        if (!validator.AllowedHosts.Any())
        {
            validator.AllowedHosts = [apiBase.Host];
        }
        else if (!validator.IsUrlHostValid(apiBase))
        {
            throw new ArgumentException(
                $"The token provider's AllowedHostsValidator lists {string.Join(", ", validator.AllowedHosts)} but not the API host {apiBase.Host}; no request would be authorized. Add {apiBase.Host} or leave the list empty.",
                nameof(tokenProvider));
        }
    }
}
