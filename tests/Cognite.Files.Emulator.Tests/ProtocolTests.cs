using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Cognite.Files.Emulator.Tests.Support;
using Cognite.Files.Models;
using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json.Linq;
using Refit;

namespace Cognite.Files.Emulator.Tests;

/// <summary>Wire-level behaviour: content types, sizes, gzip, auth, signed URLs, Content-Length, x-request-id.</summary>
public sealed class ProtocolTests
{
    private EmulatorHarness _h = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _h = await EmulatorHarness.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _h.DisposeAsync();

    private static async Task AssertCdfErrorAsync(HttpResponseMessage response, int expectedStatus)
    {
        Assert.That((int)response.StatusCode, Is.EqualTo(expectedStatus));
        Assert.That(response.Headers.Contains("x-request-id"), Is.True, "x-request-id");
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        var body = JObject.Parse(await response.Content.ReadAsStringAsync());
        Assert.That((int)body["error"]!["code"]!, Is.EqualTo(expectedStatus));
        Assert.That(body["error"]!["message"]!.ToString(), Is.Not.Empty);
    }

    private Task<HttpResponseMessage> PostRawAsync(string path, HttpContent content) => _h.Http.PostAsync(path, content);

    [TestCase("{\"name\": ", 400)]
    [TestCase("not json at all", 400)]
    [TestCase("[1,2,3]", 400)]
    [TestCase("{\"name\":\"a\"} trailing", 400)]
    [TestCase("{\"name\":\"a\",\"unknownField\":1}", 400)]
    [TestCase("{}", 400)]
    [TestCase("{\"name\":5}", 400)]
    [TestCase("{\"name\":\"a\",\"assetIds\":[0]}", 400)]
    [TestCase("{\"name\":\"a\",\"geoLocation\":{\"type\":\"FeatureCollection\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[1,2]}}}", 400)]
    public async Task MalformedOrInvalidJson_Is4xxCdfError(string json, int status)
    {
        using var response = await PostRawAsync("files", new StringContent(json, Encoding.UTF8, "application/json"));
        await AssertCdfErrorAsync(response, status);
    }

    [Test]
    public async Task WrongContentType_Is415()
    {
        using var response = await PostRawAsync("files/list", new StringContent("{}", Encoding.UTF8, "text/plain"));
        await AssertCdfErrorAsync(response, 415);
        using var none = await PostRawAsync("files/list", new ByteArrayContent("{}"u8.ToArray()));
        await AssertCdfErrorAsync(none, 415);
    }

    [Test]
    public async Task OversizedBody_Is413()
    {
        var big = "{\"name\":\"" + new string('a', 300 * 1024) + "\"}";
        using var response = await PostRawAsync("files", new StringContent(big, Encoding.UTF8, "application/json"));
        await AssertCdfErrorAsync(response, 413);
    }

    [Test]
    public async Task GzipBody_IsInflated()
    {
        using var buffer = new MemoryStream();
        await using (var gz = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            await gz.WriteAsync("{\"name\":\"zipped\",\"externalId\":\"gz-1\"}"u8.ToArray());
        var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add("gzip");
        using var response = await PostRawAsync("files", content);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(JObject.Parse(await response.Content.ReadAsStringAsync())["name"]!.ToString(), Is.EqualTo("zipped"));

        var broken = new ByteArrayContent([1, 2, 3, 4]);
        broken.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        broken.Headers.ContentEncoding.Add("gzip");
        using var bad = await PostRawAsync("files", broken);
        await AssertCdfErrorAsync(bad, 400);
    }

    [Test]
    public async Task NullCursorAndNullSearchName_AreAccepted()
    {
        using var list = await PostRawAsync("files/list", new StringContent("{\"cursor\":null,\"filter\":{}}", Encoding.UTF8, "application/json"));
        Assert.That(list.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var search = await PostRawAsync("files/search", new StringContent("{\"search\":{\"name\":null},\"filter\":{},\"limit\":25}", Encoding.UTF8, "application/json"));
        Assert.That(search.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task UnknownEndpointAndMethod_AreCdfErrors()
    {
        using var notFound = await _h.Http.GetAsync("nothing/here");
        await AssertCdfErrorAsync(notFound, 404);
        using var method = await _h.Http.DeleteAsync("files/list");
        await AssertCdfErrorAsync(method, 405);
    }

    [Test]
    public async Task MissingToken_Is401_AndAnyTokenWorksInDevMode()
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(_h.Emulator.ApiBaseUrl + "/") };
        using var response = await anonymous.PostAsync("files/list", new StringContent("{}", Encoding.UTF8, "application/json"));
        await AssertCdfErrorAsync(response, 401);
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "dXNlcjpwdw==");
        using var basic = await anonymous.PostAsync("files/list", new StringContent("{}", Encoding.UTF8, "application/json"));
        await AssertCdfErrorAsync(basic, 401);
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "whatever");
        using var ok = await anonymous.PostAsync("files/list", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task AcceptedTokens_RejectOthersWith401()
    {
        await using var h = await EmulatorHarness.StartAsync(o => o.AcceptedTokens = ["test"]);
        await h.Api.FilterFilesAsync(new FileFilterRequest());
        using var other = new HttpClient { BaseAddress = new Uri(h.Emulator.ApiBaseUrl + "/") };
        other.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        using var response = await other.PostAsync("files/list", new StringContent("{}", Encoding.UTF8, "application/json"));
        await AssertCdfErrorAsync(response, EmulatorConventions.RejectedTokenStatus);
    }

    [Test]
    public async Task AnyProjectWorks_AndProjectsAreKeptApart()
    {
        var root = _h.Emulator.ApiBaseUrl.GetLeftPart(UriPartial.Authority);
        var mine = await _h.Api.CreateFileAsync(new FileCreate { Name = "mine.txt", ExternalId = "same-external-id" });

        using var other = await _h.Http.PostAsync(root + "/api/v1/projects/other-project/files/list", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a project name the emulator never heard of works, as on CDF");
        Assert.That(JObject.Parse(await other.Content.ReadAsStringAsync())["items"]!, Is.Empty, "another project's files are invisible");
        using var byId = await _h.Http.GetAsync(root + "/api/v1/projects/other-project/files/" + mine.Id);
        await AssertCdfErrorAsync(byId, 400);
        using var create = await _h.Http.PostAsync(root + "/api/v1/projects/other-project/files", new StringContent("""{"name":"theirs.txt","externalId":"same-external-id"}""", Encoding.UTF8, "application/json"));
        Assert.That(create.StatusCode, Is.EqualTo(HttpStatusCode.Created), "external ids are unique per project");
        Assert.That((await _h.Api.GetFileByIdAsync(mine.Id)).Name, Is.EqualTo("mine.txt"));
    }

    [Test]
    public async Task ProjectOutsideAllowedProjects_Is403()
    {
        await using var restricted = await EmulatorHarness.StartAsync(o => o.AllowedProjects = ["emulator"]);
        var url = restricted.Emulator.ApiBaseUrl.GetLeftPart(UriPartial.Authority) + "/api/v1/projects/other/files/list";
        using var response = await restricted.Http.PostAsync(url, new StringContent("{}", Encoding.UTF8, "application/json"));
        await AssertCdfErrorAsync(response, 403);
        using var allowed = await restricted.Http.PostAsync("files/list", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.That(allowed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCase("files/list", "POST")]
    [TestCase("files/byids", "POST")]
    [TestCase("files", "POST")]
    [TestCase("files", "GET")]
    public async Task A_trailing_slash_is_accepted_on_every_endpoint_as_the_JS_SDK_sends_it(string path, string method)
    {
        var body = path switch { "files" => """{"name":"slash.txt"}""", "files/byids" => """{"items":[{"id":1}],"ignoreUnknownIds":true}""", _ => "{}" };
        using var request = new HttpRequestMessage(new HttpMethod(method), path + "/") { Content = method == "GET" ? null : new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await _h.Http.SendAsync(request);
        Assert.That((int)response.StatusCode, Is.InRange(200, 201), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task UploadWithoutContentLength_Is411()
    {
        var f = await _h.Api.CreateFileAsync(new FileCreate { Name = "chunked" });
        using var request = new HttpRequestMessage(HttpMethod.Put, f.UploadUrl) { Content = new StreamContent(new UnseekableStream([1, 2, 3])) };
        request.Headers.TransferEncodingChunked = true;
        using var response = await EmulatorHarness.Plain.SendAsync(request);
        await AssertCdfErrorAsync(response, 411);
        Assert.That((await _h.Api.GetFileByIdAsync(f.Id)).Uploaded, Is.False);
    }

    [Test, Cognite.Files.Testing.ProbesAuthorizationOnSignedUrls]
    public async Task AuthorizationHeaderOnUploadOrDownloadUrl_IsRefusedAndCounted()
    {
        var f = await _h.Api.CreateFileAsync(new FileCreate { Name = "leak" });
        var before = _h.Emulator.Counters.AuthorizationHeaderOnUploadUrl;
        using var request = new HttpRequestMessage(HttpMethod.Put, f.UploadUrl) { Content = new ByteArrayContent([1]) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "test");
        using var response = await EmulatorHarness.Plain.SendAsync(request);
        await AssertCdfErrorAsync(response, EmulatorConventions.AuthorizationOnSignedUrlStatus);
        Assert.That(_h.Emulator.Counters.AuthorizationHeaderOnUploadUrl, Is.EqualTo(before + 1));
        Assert.That((await _h.Api.GetFileByIdAsync(f.Id)).Uploaded, Is.False);

        (await EmulatorHarness.PutAsync(f.UploadUrl, [1])).Dispose();
        var link = await _h.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { Id = f.Id }] });
        using var get = new HttpRequestMessage(HttpMethod.Get, link.Items[0].DownloadUrl);
        get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "test");
        using var getResponse = await EmulatorHarness.Plain.SendAsync(get);
        await AssertCdfErrorAsync(getResponse, EmulatorConventions.AuthorizationOnSignedUrlStatus);
        Assert.That(_h.Emulator.Counters.AuthorizationHeaderOnUploadUrl, Is.EqualTo(before + 2));
    }

    [Test]
    public async Task TamperedUrls_Are403()
    {
        var f = await _h.Api.CreateFileAsync(new FileCreate { Name = "tamper" });
        var url = f.UploadUrl;
        var sigAt = url.IndexOf("sig=", StringComparison.Ordinal) + 4;
        var flipped = url[..sigAt] + (url[sigAt] == 'A' ? 'B' : 'A') + url[(sigAt + 1)..];
        using (var r = await EmulatorHarness.PutAsync(flipped, [1])) await AssertCdfErrorAsync(r, 403);
        using (var r = await EmulatorHarness.PutAsync(url.Replace("expires=", "expires=9", StringComparison.Ordinal), [1])) await AssertCdfErrorAsync(r, 403);
        using (var r = await EmulatorHarness.PutAsync(url[..url.IndexOf('?', StringComparison.Ordinal)], [1])) await AssertCdfErrorAsync(r, 403);
        var otherFile = await _h.Api.CreateFileAsync(new FileCreate { Name = "other" });
        var otherPath = new Uri(otherFile.UploadUrl).AbsolutePath;
        using (var r = await EmulatorHarness.PutAsync(_h.Emulator.UploadBaseUrl + otherPath[1..] + new Uri(url).Query, [1])) await AssertCdfErrorAsync(r, 403);
        Assert.That(_h.Emulator.Counters.RejectedSignatures, Is.GreaterThanOrEqualTo(4));
    }

    [Test]
    public async Task ExpiredUrls_Are403_WithFakeTime()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var h = await EmulatorHarness.StartAsync(o => o.TimeProvider = time);
        var f = await h.Api.CreateFileAsync(new FileCreate { Name = "exp" });
        (await EmulatorHarness.PutAsync(f.UploadUrl, [1, 2])).Dispose();
        var shortLink = (await h.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { Id = f.Id }] })).Items[0].DownloadUrl;
        var longLink = (await h.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { Id = f.Id }] }, extendedExpiration: true)).Items[0].DownloadUrl;

        time.Advance(TimeSpan.FromSeconds(29));
        using (var r = await EmulatorHarness.Plain.GetAsync(shortLink)) Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        time.Advance(TimeSpan.FromSeconds(2));
        using (var r = await EmulatorHarness.Plain.GetAsync(shortLink)) await AssertCdfErrorAsync(r, 403);
        using (var r = await EmulatorHarness.Plain.GetAsync(longLink)) Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        time.Advance(TimeSpan.FromHours(1));
        using (var r = await EmulatorHarness.Plain.GetAsync(longLink)) await AssertCdfErrorAsync(r, 403);

        using (var r = await EmulatorHarness.PutAsync(f.UploadUrl, [3])) Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        time.Advance(TimeSpan.FromDays(7));
        using (var r = await EmulatorHarness.PutAsync(f.UploadUrl, [4])) await AssertCdfErrorAsync(r, 403);
    }

    [Test]
    public async Task UploadedFlagDelay_FollowsTheTimeProvider()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var h = await EmulatorHarness.StartAsync(o =>
        {
            o.TimeProvider = time;
            o.UploadedFlagDelay = TimeSpan.FromSeconds(2);
        });
        var init = await h.Api.InitMultipartUploadAsync(1, new FileCreate { Name = "slow" });
        (await EmulatorHarness.PutAsync(init.UploadUrls[0], [9])).Dispose();
        await h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = init.Id, UploadId = init.UploadId });
        Assert.That((await h.Api.GetFileByIdAsync(init.Id)).Uploaded, Is.False);
        time.Advance(TimeSpan.FromSeconds(2));
        var done = await h.Api.GetFileByIdAsync(init.Id);
        Assert.That(done.Uploaded, Is.True);
        Assert.That(done.UploadedTime, Is.EqualTo(time.GetUtcNow().ToUnixTimeMilliseconds()));
    }

    [Test]
    public async Task UploadListenerResponses_CarryRequestId()
    {
        var f = await _h.Api.CreateFileAsync(new FileCreate { Name = "rid" });
        using var ok = await EmulatorHarness.PutAsync(f.UploadUrl, [1]);
        Assert.That(ok.Headers.Contains("x-request-id"), Is.True);
        using var notFound = await EmulatorHarness.Plain.GetAsync(_h.Emulator.UploadBaseUrl + "nope");
        await AssertCdfErrorAsync(notFound, 404);
    }

    [Test]
    public async Task ValidatorItself_RejectsBadResponses()
    {
        var validator = await OpenApiResponseValidator.GetAsync();
        Assert.That(validator.Validate("GET", "/files/5", 200, "{\"id\":5,\"name\":\"x\",\"uploaded\":true,\"createdTime\":1,\"lastUpdatedTime\":1}"), Is.Empty);
        Assert.That(validator.Validate("GET", "/files/5", 200, "{\"id\":5,\"name\":\"x\",\"createdTime\":1,\"lastUpdatedTime\":1}"), Is.Not.Empty);
        Assert.That(validator.Validate("POST", "/files/list", 400, "{\"error\":{\"code\":400}}"), Is.Not.Empty);
    }

    /// <summary>A stream with no known length, so HttpClient sends it chunked.</summary>
    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
