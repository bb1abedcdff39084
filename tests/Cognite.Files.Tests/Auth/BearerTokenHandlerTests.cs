using System.Net;
using Cognite.Files.Auth;
using Cognite.Files.Models;
using Cognite.Files.Tests.Client;
using Microsoft.Extensions.Time.Testing;
using RichardSzalay.MockHttp;

namespace Cognite.Files.Tests.Auth;

/// <summary>
/// <see cref="BearerTokenHandler"/> through the real client pipeline: where the token goes when one provider serves
/// clients of two hosts, and the one resend with a fresh token after a 401.
/// </summary>
public class BearerTokenHandlerTests
{
    private const string TokenUrl = "https://login.example.com/tenant/oauth2/v2.0/token";

    /// <summary>A token endpoint answering tok-1, tok-2, … (one per request).</summary>
    private static (ClientCredentialsAccessTokenProvider Provider, Func<int> Fetches, MockHttpMessageHandler Endpoint) TokenEndpoint()
    {
        var endpoint = new MockHttpMessageHandler();
        var fetches = 0;
        endpoint.When(HttpMethod.Post, TokenUrl).Respond(_ =>
            new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent($$"""{"access_token":"tok-{{Interlocked.Increment(ref fetches)}}","expires_in":3600}""") });
        var options = new ClientCredentialsOptions { TokenUrl = new Uri(TokenUrl), ClientId = "cid", ClientSecret = "secret" };
        return (new ClientCredentialsAccessTokenProvider(options, endpoint.ToHttpClient(), new FakeTimeProvider()), () => Volatile.Read(ref fetches), endpoint);
    }

    [Test]
    public async Task A_401_drops_the_cached_token_and_the_request_is_sent_once_more_with_a_fresh_one()
    {
        var (provider, fetches, endpoint) = TokenEndpoint();
        using var _ = endpoint;
        using var __ = provider;
        using var api = new MockHttpMessageHandler();
        var seen = new List<(string? Token, string Body)>();
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/byids").Respond(req =>
        {
            var token = req.Headers.Authorization?.Parameter;
            seen.Add((token, req.Content!.ReadAsStringAsync().GetAwaiter().GetResult()));
            return token == "tok-1"
                ? ClientFixture.Json(HttpStatusCode.Unauthorized, """{"error":{"code":401,"message":"token revoked"}}""")
                : ClientFixture.Json(HttpStatusCode.OK, $$"""{"items":[{{ClientFixture.FileJson(1)}}]}""");
        });
        using var client = ClientFixture.Client(api, tokenProvider: provider);

        var file = await client.RetrieveAsync(Identifier.FromId(1));

        Assert.That(file.Id, Is.EqualTo(1));
        Assert.That(seen.Select(s => s.Token), Is.EqualTo(new[] { "tok-1", "tok-2" }));
        Assert.That(seen[1].Body, Is.EqualTo(seen[0].Body).And.Contain("\"id\":1"), "the same request, body included, was resent");
        Assert.That(fetches(), Is.EqualTo(2));

        await client.RetrieveAsync(Identifier.FromId(1));
        Assert.That(seen[^1].Token, Is.EqualTo("tok-2"), "the fresh token is cached for the next call");
        Assert.That(fetches(), Is.EqualTo(2));
    }

    [Test]
    public async Task A_second_401_is_the_callers_error()
    {
        var (provider, fetches, endpoint) = TokenEndpoint();
        using var _ = endpoint;
        using var __ = provider;
        using var api = new MockHttpMessageHandler();
        var tokens = new List<string?>();
        api.When(HttpMethod.Get, ClientFixture.ApiBase + "/files/1").Respond(req =>
        {
            tokens.Add(req.Headers.Authorization?.Parameter);
            return ClientFixture.Json(HttpStatusCode.Unauthorized, """{"error":{"code":401,"message":"no access"}}""");
        });
        using var client = ClientFixture.Client(api, tokenProvider: provider);

        var ex = await Assert.ThrowsAsync<CogniteUnauthorizedException>(() => client.RetrieveAsync(1));

        Assert.That(ex!.ErrorMessage, Is.EqualTo("no access"));
        Assert.That(ex.Message, Does.Not.Contain("tok-"));
        Assert.That(tokens, Is.EqualTo(new[] { "tok-1", "tok-2" }), "one resend, not a loop");
        Assert.That(fetches(), Is.EqualTo(2));
    }

    [Test]
    public async Task A_fixed_token_is_not_resent_after_a_401()
    {
        using var api = new MockHttpMessageHandler();
        var calls = 0;
        api.When(HttpMethod.Get, ClientFixture.ApiBase + "/files/1").Respond(_ =>
        {
            calls++;
            return ClientFixture.Json(HttpStatusCode.Unauthorized, """{"error":{"code":401,"message":"expired"}}""");
        });
        var provider = new StaticAccessTokenProvider("fixed");
        using var client = ClientFixture.Client(api, tokenProvider: provider);

        await Assert.ThrowsAsync<CogniteUnauthorizedException>(() => client.RetrieveAsync(1));

        Assert.That(provider.InvalidateCachedToken(), Is.False);
        Assert.That(calls, Is.EqualTo(1));
    }

    [Test]
    public async Task One_provider_serves_clients_of_two_hosts_each_getting_the_token_on_its_own_host_only()
    {
        var (provider, fetches, endpoint) = TokenEndpoint();
        using var _ = endpoint;
        using var __ = provider;
        using var apiA = new MockHttpMessageHandler();
        using var apiB = new MockHttpMessageHandler();
        using var presignedA = new MockHttpMessageHandler();
        var seen = new List<string>();
        void Record(HttpRequestMessage req)
        {
            lock (seen)
            {
                seen.Add($"{req.RequestUri!.GetLeftPart(UriPartial.Path)} {req.Headers.Authorization?.Parameter ?? "-"}");
            }
        }

        apiA.Fallback.Respond(req => { Record(req); return ClientFixture.Json(HttpStatusCode.OK, ClientFixture.FileJson(1)); });
        apiB.Fallback.Respond(req => { Record(req); return ClientFixture.Json(HttpStatusCode.OK, ClientFixture.FileJson(2)); });
        presignedA.Fallback.Respond(req => { Record(req); return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([1]) }; });
        using var a = new CogniteFilesClient(
            new CogniteFilesClientOptions { BaseUrl = new Uri("https://a.example.com"), Project = "pa", AppName = "t" }, provider, null, new FakeTimeProvider(), apiA, presignedA);
        using var b = new CogniteFilesClient(
            new CogniteFilesClientOptions { Cluster = "westeurope-1", Project = "pb", AppName = "t" }, provider, null, new FakeTimeProvider(), apiB, new MockHttpMessageHandler());

        await a.RetrieveAsync(1);
        await b.RetrieveAsync(2);
        (await a.PresignedUrls.GetAsync(new Uri("https://b.example.com/download?sig=x"), default)).Dispose();

        Assert.That(seen, Is.EqualTo(new[]
        {
            "https://a.example.com/api/v1/projects/pa/files/1 tok-1",
            "https://westeurope-1.cognitedata.com/api/v1/projects/pb/files/2 tok-1",
            "https://b.example.com/download -",
        }));
        Assert.That(fetches(), Is.EqualTo(1), "one cached token for both clients");
        Assert.That(provider.AllowedHostsValidator.AllowedHosts, Is.Empty, "neither client bound the provider to its host");
    }

    [Test]
    public async Task Handlers_sharing_a_provider_send_the_token_only_to_their_own_origin()
    {
        var provider = new StaticAccessTokenProvider("t");
        using var inner = new MockHttpMessageHandler();
        var seen = new List<string?>();
        inner.Fallback.Respond(req => { seen.Add(req.Headers.Authorization?.Parameter); return new HttpResponseMessage(HttpStatusCode.OK); });
        using var http = new HttpClient(new BearerTokenHandler(provider, new Uri("https://a.example.com/api/v1/projects/pa/")) { InnerHandler = inner });
        using var other = new HttpClient(new BearerTokenHandler(provider, new Uri("https://b.example.com/api/v1/projects/pb/")) { InnerHandler = inner }, disposeHandler: true);

        await http.GetAsync(new Uri("https://a.example.com/api/v1/projects/pa/files"));
        await http.GetAsync(new Uri("https://b.example.com/api/v1/projects/pb/files"));
        await other.GetAsync(new Uri("https://b.example.com/api/v1/projects/pb/files"));
        await other.GetAsync(new Uri("https://a.example.com/api/v1/projects/pa/files"));

        Assert.That(seen, Is.EqualTo(new[] { "t", null, "t", null }));
    }
}
