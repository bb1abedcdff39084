using System.Net;
using Cognite.Files.Auth;
using Cognite.Files.Models;
using Cognite.Files.Tests.Client;
using Cognite.Files.Tests.Transfer;
using Cognite.Files.Transfer;
using RichardSzalay.MockHttp;

namespace Cognite.Files.Tests.Auth;

public class BearerTokenPlacementTests
{
    [Test]
    public async Task Api_requests_carry_the_bearer_and_sdk_headers()
    {
        using var api = new MockHttpMessageHandler();
        HttpRequestMessage? seen = null;
        api.When(HttpMethod.Get, ClientFixture.ApiBase + "/files/42").Respond(req => { seen = req; return ClientFixture.Json(HttpStatusCode.OK, ClientFixture.FileJson(42)); });
        using var client = ClientFixture.Client(api);

        var file = await client.RetrieveAsync(42);

        Assert.That(file.Id, Is.EqualTo(42));
        Assert.That(seen!.Headers.Authorization?.ToString(), Is.EqualTo("Bearer " + ClientFixture.Token));
        Assert.That(seen.Headers.GetValues("x-cdp-app").Single(), Is.EqualTo("tests"));
        Assert.That(seen.Headers.GetValues("x-cdp-sdk").Single(), Does.StartWith("CogniteFilesDotNet:"));
        Assert.That(seen.Headers.GetValues("cdf-version").Single(), Is.EqualTo("20230101"));
        Assert.That(seen.Headers.UserAgent.ToString(), Does.StartWith("Cognite.Files/"));
    }

    [Test]
    public async Task Upload_url_on_the_same_host_but_another_port_gets_no_bearer()
    {
        using var api = new MockHttpMessageHandler();
        using var presigned = new MockHttpMessageHandler();
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files")
            .Respond(_ => ClientFixture.Json(HttpStatusCode.Created, ClientFixture.FileJson(7, extra: ",\"mimeType\":\"text/plain\",\"uploadUrl\":\"https://api.example.com:8443/upload/7?sig=abc\"")));
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/byids")
            .Respond(_ => ClientFixture.Json(HttpStatusCode.OK, $$"""{"items":[{{ClientFixture.FileJson(7, uploaded: true)}}]}"""));
        HttpRequestMessage? put = null;
        long? contentLength = null;
        byte[]? body = null;
        presigned.When(HttpMethod.Put, "https://api.example.com:8443/upload/7").Respond(req =>
        {
            put = req;
            contentLength = req.Content!.Headers.ContentLength;
            body = req.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        using var client = ClientFixture.Client(api, presigned);
        var progress = new RecordingProgress<UploadProgress>();

        await client.UploadAsync(new FileCreate { Name = "a.txt", MimeType = "text/plain" }, new MemoryStream([1, 2, 3, 4, 5]), new UploadOptions { Progress = progress });

        Assert.That(put, Is.Not.Null);
        Assert.That(put!.Headers.Authorization, Is.Null);
        Assert.That(put.Headers.Contains("x-cdp-app"), Is.False);
        Assert.That(contentLength, Is.EqualTo(5));
        Assert.That(put.Content!.Headers.ContentType!.MediaType, Is.EqualTo("text/plain"));
        Assert.That(body, Is.EqualTo(new byte[] { 1, 2, 3, 4, 5 }));
        Assert.That(progress.Values[^1].BytesTransferred, Is.EqualTo(5));
    }

    [Test]
    public async Task Handler_gives_no_token_to_another_port_or_host_even_when_the_provider_would()
    {
        using var inner = new MockHttpMessageHandler();
        var seen = new List<HttpRequestMessage>();
        inner.When("*").Respond(req => { seen.Add(req); return new HttpResponseMessage(HttpStatusCode.OK); });
        var provider = new StaticAccessTokenProvider("t", ["api.example.com"]);
        using var handler = new BearerTokenHandler(provider, new Uri(ClientFixture.ApiBase + "/")) { InnerHandler = inner };
        using var http = new HttpClient(handler);

        await http.GetAsync(new Uri(ClientFixture.ApiBase + "/files"));
        await http.GetAsync(new Uri("https://api.example.com:8443/upload"));
        await http.GetAsync(new Uri("http://api.example.com/files"));
        await http.GetAsync(new Uri("https://storage.example.net/upload"));

        Assert.That(seen.Select(r => r.Headers.Authorization?.Parameter), Is.EqualTo(new[] { "t", null, null, null }));
    }

    [Test]
    public async Task Providers_answer_empty_for_hosts_outside_a_non_empty_list_and_any_host_with_an_empty_one()
    {
        var provider = new StaticAccessTokenProvider("t", ["api.example.com"]);
        Assert.That(await provider.GetAuthorizationTokenAsync(new Uri("https://api.example.com/x")), Is.EqualTo("t"));
        Assert.That(await provider.GetAuthorizationTokenAsync(new Uri("https://evil.example.com/x")), Is.Empty);
        // Kiota's rule: an empty list allows any host; the client's handler is what keeps the token on the API origin.
        Assert.That(await new StaticAccessTokenProvider("t").GetAuthorizationTokenAsync(new Uri("https://any.example.com/x")), Is.EqualTo("t"));
    }

    [Test]
    public void Client_leaves_the_provider_unchanged_and_rejects_a_list_without_the_api_host()
    {
        var unbound = new StaticAccessTokenProvider("t");
        using (new CogniteFilesClient(ClientFixture.Options(), unbound))
        {
            Assert.That(unbound.AllowedHostsValidator.AllowedHosts, Is.Empty, "the host binding is the handler's, not written into the provider");
        }

        var wrong = new StaticAccessTokenProvider("t", ["other.example.com"]);
        var ex = Assert.Throws<ArgumentException>(() => new CogniteFilesClient(ClientFixture.Options(), wrong));
        Assert.That(ex!.Message, Does.Contain("api.example.com"));
    }
}
