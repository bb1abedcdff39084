using System.Globalization;
using Cognite.Files.Diagnostics;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Auth;

/// <summary>Settings of <see cref="ClientCredentialsAccessTokenProvider"/>.</summary>
public sealed class ClientCredentialsOptions
{
    /// <summary>The OAuth2 token endpoint, e.g. <c>https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token</c>.</summary>
    public Uri? TokenUrl { get; set; }

    /// <summary>The client (application) id.</summary>
    public string ClientId { get; set; } = string.Empty;

    /// <summary>The client secret. Never logged nor put in an exception message.</summary>
    public string ClientSecret { get; set; } = string.Empty;

    /// <summary>The scopes to ask for, e.g. <c>https://api.cognitedata.com/.default</c>.</summary>
    public IList<string> Scopes { get; } = new List<string>();

    /// <summary>An optional <c>audience</c> form field (some identity providers need it).</summary>
    public string? Audience { get; set; }

    /// <summary>Refresh this long before the token expires (at most half its lifetime). Default 5 minutes.</summary>
    public TimeSpan RefreshMargin { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Lifetime assumed when the endpoint sends no <c>expires_in</c>. Default 10 minutes.</summary>
    public TimeSpan DefaultLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Hosts the token may be sent to (host names only). Empty: the API host of the client it is given to.</summary>
    public IList<string> AllowedHosts { get; } = new List<string>();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (TokenUrl is null || !TokenUrl.IsAbsoluteUri)
        {
            throw new ArgumentException("TokenUrl is required and must be absolute.", nameof(TokenUrl));
        }

        if (TokenUrl.Scheme != Uri.UriSchemeHttps && !TokenUrl.IsLoopback)
        {
            throw new ArgumentException($"TokenUrl must use https (http only for a loopback host), not {TokenUrl.Scheme}.", nameof(TokenUrl));
        }

        if (string.IsNullOrWhiteSpace(ClientId))
        {
            throw new ArgumentException("ClientId is required.", nameof(ClientId));
        }

        if (string.IsNullOrEmpty(ClientSecret))
        {
            throw new ArgumentException("ClientSecret is required.", nameof(ClientSecret));
        }

        if (RefreshMargin < TimeSpan.Zero || DefaultLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(RefreshMargin), "RefreshMargin must be >= 0 and DefaultLifetime positive.");
        }
    }
}

/// <summary>
/// OAuth2 client credentials: form-POSTs <c>grant_type=client_credentials</c> to the token endpoint, caches the
/// token, refreshes it <see cref="ClientCredentialsOptions.RefreshMargin"/> before expiry (time from the given
/// <see cref="TimeProvider"/>), and lets concurrent callers share one refresh. A failed refresh throws
/// <see cref="CogniteAuthenticationException"/>, whose message never holds the secret.
/// </summary>
public sealed partial class ClientCredentialsAccessTokenProvider : AccessTokenProviderBase, IDisposable
{
    private const int MaxErrorChars = 512;
    private const double MaxLifetimeSeconds = 366 * 24 * 3600;
    private readonly ClientCredentialsOptions _options;
    private readonly HttpClient _httpClient;
    private readonly bool _ownsHttpClient;
    private readonly TimeProvider _timeProvider;
    private readonly CachedToken _cache;

    /// <summary>
    /// Creates the provider. <paramref name="httpClient"/> (optional) talks to the token endpoint and must not be
    /// the API client; when omitted, one is created and disposed with this provider.
    /// </summary>
    public ClientCredentialsAccessTokenProvider(ClientCredentialsOptions options, HttpClient? httpClient = null, TimeProvider? timeProvider = null)
        : base(options?.AllowedHosts)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _ownsHttpClient = httpClient is null;
        _httpClient = httpClient ?? new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        _timeProvider = timeProvider ?? TimeProvider.System;
        _cache = new CachedToken(FetchAsync, _timeProvider, options.RefreshMargin);
    }

    /// <summary>Forgets the cached token, so the next request fetches a new one.</summary>
    public override bool InvalidateCachedToken()
    {
        _cache.Invalidate();
        return true;
    }

    /// <inheritdoc />
    protected override Task<string> GetTokenAsync(CancellationToken cancellationToken) => _cache.GetAsync(cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        _cache.Dispose();
        if (_ownsHttpClient)
        {
            _httpClient.Dispose();
        }
    }

    private async Task<(string Token, DateTimeOffset ExpiresOn)> FetchAsync(CancellationToken cancellationToken)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "client_credentials"),
            new("client_id", _options.ClientId),
            new("client_secret", _options.ClientSecret),
        };
        if (_options.Scopes.Count > 0)
        {
            form.Add(new("scope", string.Join(' ', _options.Scopes)));
        }

        if (!string.IsNullOrEmpty(_options.Audience))
        {
            form.Add(new("audience", _options.Audience));
        }

        var endpoint = UrlRedaction.Redact(_options.TokenUrl!);
        var requestedAt = _timeProvider.GetUtcNow();
        HttpResponseMessage response;
        using var content = new FormUrlEncodedContent(form);
        try
        {
            response = await _httpClient.PostAsync(_options.TokenUrl, content, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new CogniteAuthenticationException($"Could not reach the token endpoint {endpoint} for client id {_options.ClientId}: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CogniteAuthenticationException($"The token endpoint {endpoint} did not answer in time.", ex);
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            JObject? json = null;
            try
            {
                json = JObject.Parse(body);
            }
            catch (Newtonsoft.Json.JsonException)
            {
                // Reported below.
            }

            if (!response.IsSuccessStatusCode)
            {
                var (error, detail) = DescribeError(json, body, response);
                throw new CogniteAuthenticationException(
                    $"The token endpoint {endpoint} refused client id {_options.ClientId} with {(int)response.StatusCode} ({response.StatusCode}): {Truncate(Scrub(detail))}",
                    (int)response.StatusCode,
                    error);
            }

            var token = json?["access_token"] is JValue { Type: JTokenType.String } t ? t.Value<string>() : null;
            if (string.IsNullOrEmpty(token))
            {
                throw new CogniteAuthenticationException($"The token endpoint {endpoint} answered {(int)response.StatusCode} without an access_token.", (int)response.StatusCode, null);
            }

            var seconds = json!["expires_in"] switch
            {
                JValue { Type: JTokenType.Integer or JTokenType.Float } v => v.Value<double>(),
                JValue { Type: JTokenType.String } s when double.TryParse(s.Value<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
                _ => double.NaN,
            };
            // Absent, not a number, not positive or absurd (beyond a year): the configured default lifetime.
            var expiresIn = double.IsFinite(seconds) && seconds > 0 && seconds <= MaxLifetimeSeconds ? TimeSpan.FromSeconds(seconds) : _options.DefaultLifetime;
            return (token, requestedAt + expiresIn);
        }
    }

    /// <summary>
    /// The OAuth error code and a readable reason from a token endpoint's error body, whatever its shape: OAuth's
    /// <c>{"error": "invalid_client", "error_description": "…"}</c>, an API-style <c>{"error": {"code", "message"}}</c>,
    /// an HTML page (its title) or nothing (the status's reason phrase).
    /// </summary>
    internal static (string? Error, string Detail) DescribeError(JObject? json, string body, HttpResponseMessage response)
    {
        switch (json?["error"])
        {
            case JValue { Type: JTokenType.String } code:
                var error = code.Value<string>();
                var description = json["error_description"] is JValue { Type: JTokenType.String } d ? d.Value<string>() : null;
                return (error, string.IsNullOrWhiteSpace(description) ? error ?? string.Empty : $"{error}: {description}");
            case JObject nested:
                var nestedCode = nested["code"] is JValue { Value: { } c } ? Convert.ToString(c, CultureInfo.InvariantCulture) : null;
                var message = nested["message"] is JValue { Type: JTokenType.String } m ? m.Value<string>() : null;
                return (nestedCode, string.Join(": ", new[] { nestedCode, message }.Where(x => !string.IsNullOrWhiteSpace(x))) is { Length: > 0 } both ? both : nested.ToString(Newtonsoft.Json.Formatting.None));
        }

        if (json is null && HtmlTitle().Match(body) is { Success: true } title)
        {
            return (null, $"an HTML page titled \"{System.Net.WebUtility.HtmlDecode(title.Groups[1].Value).Trim()}\"");
        }

        if (string.IsNullOrWhiteSpace(body))
        {
            return (null, $"an empty body ({response.ReasonPhrase ?? response.StatusCode.ToString()})");
        }

        return (null, json is null && body.TrimStart().StartsWith('<') ? "an HTML or XML page without a title" : body);
    }

    [System.Text.RegularExpressions.GeneratedRegex("<title[^>]*>(.*?)</title>", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex HtmlTitle();

    private string Scrub(string text) =>
        string.IsNullOrEmpty(_options.ClientSecret) ? text : text.Replace(_options.ClientSecret, "***", StringComparison.Ordinal);

    private static string Truncate(string text) => text.Length <= MaxErrorChars ? text.Trim() : text[..MaxErrorChars].Trim() + "…";

    /// <inheritdoc />
    public override string ToString() => $"ClientCredentialsAccessTokenProvider (client id {_options.ClientId}, secret hidden)";
}
