using System.Net;
using Cognite.Files.Auth;
using Microsoft.Extensions.Time.Testing;
using RichardSzalay.MockHttp;

namespace Cognite.Files.Tests.Auth;

public class TokenProviderTests
{
    private const string TokenUrl = "https://login.example.com/tenant/oauth2/v2.0/token";
    private const string Secret = "very-secret-value";
    private static readonly Uri Api = new("https://api.example.com/api/v1/projects/p/files");

    private static ClientCredentialsOptions Options()
    {
        var o = new ClientCredentialsOptions { TokenUrl = new Uri(TokenUrl), ClientId = "cid", ClientSecret = Secret };
        o.Scopes.Add("https://api.example.com/.default");
        o.AllowedHosts.Add("api.example.com");
        return o;
    }

    [TestCase("1e300")]
    [TestCase("\"NaN\"")]
    [TestCase("-5")]
    [TestCase("\"soon\"")]
    public async Task An_absurd_expires_in_falls_back_to_the_default_lifetime(string expiresIn)
    {
        using var mock = new MockHttpMessageHandler();
        var n = 0;
        mock.When(HttpMethod.Post, TokenUrl).Respond(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent($$"""{"access_token":"tok-{{++n}}","expires_in":{{expiresIn}}}""") });
        var time = new FakeTimeProvider();
        using var provider = new ClientCredentialsAccessTokenProvider(Options(), mock.ToHttpClient(), time);

        Assert.That(await provider.GetAuthorizationTokenAsync(Api), Is.EqualTo("tok-1"));
        time.Advance(TimeSpan.FromMinutes(4)); // the default 10 minutes, refreshed at half-life at the latest
        Assert.That(await provider.GetAuthorizationTokenAsync(Api), Is.EqualTo("tok-1"));
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.That(await provider.GetAuthorizationTokenAsync(Api), Is.EqualTo("tok-2"));
    }

    [Test]
    public async Task Client_credentials_posts_the_form_caches_and_refreshes_before_expiry()
    {
        using var mock = new MockHttpMessageHandler();
        var forms = new List<string>();
        mock.When(HttpMethod.Post, TokenUrl).Respond(req =>
        {
            forms.Add(req.Content!.ReadAsStringAsync().GetAwaiter().GetResult());
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent($$"""{"access_token":"tok-{{forms.Count}}","expires_in":3600,"token_type":"Bearer"}""") };
        });
        var time = new FakeTimeProvider();
        using var provider = new ClientCredentialsAccessTokenProvider(Options(), mock.ToHttpClient(), time);

        Assert.That(await provider.GetAuthorizationTokenAsync(Api), Is.EqualTo("tok-1"));
        time.Advance(TimeSpan.FromMinutes(54));
        Assert.That(await provider.GetAuthorizationTokenAsync(Api), Is.EqualTo("tok-1"), "cached until 5 min before expiry");
        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        Assert.That(await provider.GetAuthorizationTokenAsync(Api), Is.EqualTo("tok-2"), "refreshed inside the margin");

        Assert.That(forms, Has.Count.EqualTo(2));
        Assert.That(forms[0], Does.Contain("grant_type=client_credentials").And.Contain("client_id=cid").And.Contain("scope=https%3A%2F%2Fapi.example.com%2F.default"));
        Assert.That(await provider.GetAuthorizationTokenAsync(new Uri("https://storage.example.net/x")), Is.Empty);
    }

    [Test]
    public async Task Concurrent_callers_share_one_refresh()
    {
        var release = new TaskCompletionSource();
        var calls = 0;
        using var handler = new Cognite.Files.Tests.Client.LambdaHandler(async (_, ct) =>
        {
            Interlocked.Increment(ref calls);
            await release.Task.WaitAsync(ct);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""{"access_token":"shared","expires_in":3600}""") };
        });
        using var http = new HttpClient(handler);
        using var provider = new ClientCredentialsAccessTokenProvider(Options(), http, new FakeTimeProvider());

        // All 20 calls are made while the one fetch is held at the endpoint, so every one of them overlaps it.
        var callers = Enumerable.Range(0, 20).Select(_ => provider.GetAuthorizationTokenAsync(Api)).ToArray();
        Assert.That(callers.Select(c => c.IsCompleted), Is.All.False);
        release.SetResult();
        var tokens = await Task.WhenAll(callers);

        Assert.That(tokens, Is.All.EqualTo("shared"));
        Assert.That(calls, Is.EqualTo(1));
    }

    [Test]
    public async Task A_refused_refresh_throws_an_authentication_error_without_the_secret()
    {
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Post, TokenUrl).Respond(HttpStatusCode.Unauthorized, "application/json",
            $$"""{"error":"invalid_client","error_description":"secret {{Secret}} is wrong"}""");
        using var provider = new ClientCredentialsAccessTokenProvider(Options(), mock.ToHttpClient(), new FakeTimeProvider());

        var ex = await Assert.ThrowsAsync<CogniteAuthenticationException>(() => provider.GetAuthorizationTokenAsync(Api));

        Assert.That(ex!.StatusCode, Is.EqualTo(401));
        Assert.That(ex.OAuthError, Is.EqualTo("invalid_client"));
        Assert.That(ex.Message, Does.Contain("invalid_client").And.Contain("cid").And.Not.Contain(Secret));
    }

    private static IEnumerable<TestCaseData> ErrorBodies()
    {
        yield return new TestCaseData(HttpStatusCode.Unauthorized, "application/json", """{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}""", "invalid_client", "invalid_client: AADSTS7000215: Invalid client secret provided.")
            .SetName("OAuth error and description");
        yield return new TestCaseData(HttpStatusCode.BadRequest, "application/json", """{"error":"unauthorized_client"}""", "unauthorized_client", "unauthorized_client")
            .SetName("OAuth error without description");
        yield return new TestCaseData(HttpStatusCode.Forbidden, "application/json", """{"error":{"code":403,"message":"Client is disabled"}}""", "403", "403: Client is disabled")
            .SetName("API-style error object");
        yield return new TestCaseData(HttpStatusCode.BadGateway, "text/html", "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>", null, "an HTML page titled \"502 Bad Gateway\"")
            .SetName("HTML page");
        yield return new TestCaseData(HttpStatusCode.ServiceUnavailable, "text/plain", "", null, "an empty body (Service Unavailable)")
            .SetName("empty body");
    }

    [TestCaseSource(nameof(ErrorBodies))]
    public async Task Token_endpoint_error_bodies_of_any_shape_give_the_status_and_a_readable_reason(HttpStatusCode status, string mediaType, string body, string? oauthError, string reason)
    {
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Post, TokenUrl).Respond(status, mediaType, body);
        using var provider = new ClientCredentialsAccessTokenProvider(Options(), mock.ToHttpClient(), new FakeTimeProvider());

        var ex = await Assert.ThrowsAsync<CogniteAuthenticationException>(() => provider.GetAuthorizationTokenAsync(Api));

        Assert.That(ex!.StatusCode, Is.EqualTo((int)status));
        Assert.That(ex.OAuthError, Is.EqualTo(oauthError));
        Assert.That(ex.Message, Does.Contain($"{(int)status} ({status})").And.EndWith(reason));
        Assert.That(ex.InnerException, Is.Null);
    }

    [TestCase("""{"error":42}""")]
    [TestCase("""{"error":["a","b"]}""")]
    [TestCase("""{"error":{"code":{"nested":true}}}""")]
    [TestCase("[1,2]")]
    [TestCase("<Error><Code>Denied</Code></Error>")]
    public async Task An_unexpected_error_body_is_still_an_authentication_error(string body)
    {
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Post, TokenUrl).Respond(HttpStatusCode.BadRequest, "application/json", body);
        using var provider = new ClientCredentialsAccessTokenProvider(Options(), mock.ToHttpClient(), new FakeTimeProvider());

        var ex = await Assert.ThrowsAsync<CogniteAuthenticationException>(() => provider.GetAuthorizationTokenAsync(Api));

        Assert.That(ex!.StatusCode, Is.EqualTo(400));
        Assert.That(ex.Message, Does.Contain("400 (BadRequest)"));
    }

    [Test]
    public async Task An_unreachable_endpoint_is_an_authentication_error()
    {
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Post, TokenUrl).Throw(new HttpRequestException("connection refused"));
        using var provider = new ClientCredentialsAccessTokenProvider(Options(), mock.ToHttpClient(), new FakeTimeProvider());

        var ex = await Assert.ThrowsAsync<CogniteAuthenticationException>(() => provider.GetAuthorizationTokenAsync(Api));
        Assert.That(ex!.Message, Does.Contain("login.example.com").And.Not.Contain(Secret));
    }

    [Test]
    public void Client_credentials_options_are_validated()
    {
        var o = Options();
        o.ClientSecret = "";
        var ex = Assert.Throws<ArgumentException>(() => new ClientCredentialsAccessTokenProvider(o));
        Assert.That(ex!.Message, Does.Contain("ClientSecret is required"));
    }
}
