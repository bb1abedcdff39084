using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Cognite.Files.Emulator.Tests.Support;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Emulator.Tests;

/// <summary>
/// Every operation of the document, sent the way the official SDKs send it (files-api.md sections 4 and 6): the JS SDK
/// (`@cognite/sdk`) with a trailing slash on the collection, its own headers and JSON; the Python SDK with gzip bodies,
/// lowercase query booleans and <c>cursor: null</c>. The emulator must serve them unchanged, with no SDK of ours between.
/// </summary>
public sealed class RealClientRequestTests
{
    private static readonly string[] Operations =
    [
        "CreateFile", "ListFiles", "GetUploadLink", "InitMultipartUpload", "GetMultipartUploadLink", "CompleteMultipartUpload",
        "FilterFiles", "GetFileById", "RetrieveFiles", "UpdateFiles", "DeleteFiles", "SearchFiles", "AggregateFiles",
        "GetDownloadLinks", "GetIcon",
    ];

    private EmulatorHarness _h = null!;
    private HttpClient _raw = null!;
    private string _base = null!;

    [SetUp]
    public async Task SetUp()
    {
        _h = await EmulatorHarness.StartAsync(o => o.MinPartSize = 1);
        // A plain client: no handler of ours, and a project name the emulator was never told about.
        _raw = new HttpClient();
        _base = _h.Emulator.ApiBaseUrl.GetLeftPart(UriPartial.Authority) + "/api/v1/projects/publicdata";
    }

    [TearDown]
    public async Task TearDown()
    {
        _raw.Dispose();
        await _h.DisposeAsync();
    }

    [Test]
    public async Task Every_operation_of_the_document_is_covered_here()
    {
        var schemas = await RequestSchemas.GetAsync();
        Assert.That(schemas.Operations.Select(o => o.OperationId), Is.EquivalentTo(Operations));
    }

    [Test]
    public async Task The_JS_SDK_request_shapes_work_for_every_operation()
    {
        async Task<JToken> Js(HttpMethod method, string path, string? json, HttpStatusCode expected)
        {
            using var request = new HttpRequestMessage(method, _base + path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "js-token");
            request.Headers.TryAddWithoutValidation("x-cdp-sdk", "CogniteJavaScriptSDK:10.5.0");
            request.Headers.TryAddWithoutValidation("x-cdp-app", "js-app");
            request.Headers.TryAddWithoutValidation("cdf-version", "20230101");
            request.Headers.Accept.ParseAdd("application/json, text/plain, */*");
            if (json is not null)
            {
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            }

            return await SendAsync(request, expected);
        }

        // POST files/ with a trailing slash, as the JS SDK creates files.
        var created = await Js(HttpMethod.Post, "/files/?overwrite=false", """{"name":"js.png","externalId":"js-1","mimeType":"image/png"}""", HttpStatusCode.Created);
        var id = (long)created["id"]!;
        (await EmulatorHarness.PutAsync((string)created["uploadUrl"]!, Png())).Dispose();
        await Js(HttpMethod.Get, "/files/?limit=10&uploaded=true", null, HttpStatusCode.OK);
        await Js(HttpMethod.Post, "/files/uploadlink", """{"items":[{"externalId":"js-1"}]}""", HttpStatusCode.Created);
        var init = await Js(HttpMethod.Post, "/files/initmultipartupload?overwrite=false&parts=2", """{"name":"js-mp.bin","externalId":"js-mp"}""", HttpStatusCode.Created);
        (await EmulatorHarness.PutAsync((string)init["uploadUrls"]![0]!, [1, 2, 3])).Dispose();
        (await EmulatorHarness.PutAsync((string)init["uploadUrls"]![1]!, [4])).Dispose();
        await Js(HttpMethod.Post, "/files/completemultipartupload", $$"""{"id":{{(long)init["id"]!}},"uploadId":"{{(string)init["uploadId"]!}}"}""", HttpStatusCode.OK);
        await Js(HttpMethod.Post, "/files/multiuploadlink?parts=1", """{"items":[{"externalId":"js-mp"}]}""", HttpStatusCode.Created);
        await Js(HttpMethod.Post, "/files/list", """{"filter":{"uploaded":true},"limit":100}""", HttpStatusCode.OK);
        await Js(HttpMethod.Get, $"/files/{id}", null, HttpStatusCode.OK);
        await Js(HttpMethod.Post, "/files/byids", $$"""{"items":[{"id":{{id}}}],"ignoreUnknownIds":false}""", HttpStatusCode.OK);
        await Js(HttpMethod.Post, "/files/update", """{"items":[{"id":""" + id + ""","update":{"source":{"set":"js"}}}]}""", HttpStatusCode.OK);
        await Js(HttpMethod.Post, "/files/search", """{"search":{"name":"js"},"filter":{},"limit":10}""", HttpStatusCode.OK);
        await Js(HttpMethod.Post, "/files/aggregate", """{"filter":{}}""", HttpStatusCode.OK);
        await Js(HttpMethod.Post, "/files/downloadlink", $$"""{"items":[{"id":{{id}}}]}""", HttpStatusCode.OK);
        await Js(HttpMethod.Get, $"/files/icon?id={id}", null, HttpStatusCode.OK);
        await Js(HttpMethod.Post, "/files/delete", $$"""{"items":[{"id":{{id}}}]}""", HttpStatusCode.OK);
    }

    [Test]
    public async Task The_Python_SDK_request_shapes_work_for_every_operation()
    {
        async Task<JToken> Py(HttpMethod method, string path, string? json, HttpStatusCode expected)
        {
            using var request = new HttpRequestMessage(method, _base + path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "py-token");
            request.Headers.TryAddWithoutValidation("x-cdp-sdk", "CognitePythonSDK:8.13.0");
            request.Headers.TryAddWithoutValidation("x-cdp-app", "py-app");
            request.Headers.TryAddWithoutValidation("cdf-version", "20230101");
            request.Headers.AcceptEncoding.ParseAdd("gzip, deflate");
            if (json is not null)
            {
                // The Python SDK gzips its JSON bodies.
                using var buffer = new MemoryStream();
                await using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
                {
                    await gzip.WriteAsync(Encoding.UTF8.GetBytes(json));
                }

                request.Content = new ByteArrayContent(buffer.ToArray());
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Content.Headers.ContentEncoding.Add("gzip");
            }

            return await SendAsync(request, expected);
        }

        var created = await Py(HttpMethod.Post, "/files?overwrite=true", """{"name":"py.png","externalId":"py-1","labels":[{"externalId":"a"}]}""", HttpStatusCode.Created);
        var id = (long)created["id"]!;
        (await EmulatorHarness.PutAsync((string)created["uploadUrl"]!, Png())).Dispose();
        await Py(HttpMethod.Get, "/files?limit=1000&uploaded=true&cursor=", null, HttpStatusCode.OK);
        await Py(HttpMethod.Post, "/files/uploadlink", """{"items":[{"externalId":"py-1"}]}""", HttpStatusCode.Created);
        var init = await Py(HttpMethod.Post, "/files/initmultipartupload?overwrite=false&parts=1", """{"name":"py-mp.bin","externalId":"py-mp"}""", HttpStatusCode.Created);
        (await EmulatorHarness.PutAsync((string)init["uploadUrls"]![0]!, [9, 9])).Dispose();
        await Py(HttpMethod.Post, "/files/completemultipartupload", $$"""{"externalId":"py-mp","uploadId":"{{(string)init["uploadId"]!}}"}""", HttpStatusCode.OK);
        await Py(HttpMethod.Post, "/files/multiuploadlink?parts=2", """{"items":[{"externalId":"py-mp"}]}""", HttpStatusCode.Created);
        await Py(HttpMethod.Post, "/files/list", """{"filter":{"uploaded":true},"limit":1000,"cursor":null}""", HttpStatusCode.OK);
        await Py(HttpMethod.Get, $"/files/{id}", null, HttpStatusCode.OK);
        await Py(HttpMethod.Post, "/files/byids", """{"items":[{"externalId":"py-1"}],"ignoreUnknownIds":true}""", HttpStatusCode.OK);
        // Replace mode: labels.set.
        await Py(HttpMethod.Post, "/files/update", """{"items":[{"externalId":"py-1","update":{"labels":{"set":[{"externalId":"b"}]},"metadata":{"set":{"k":"v"}}}}]}""", HttpStatusCode.OK);
        await Py(HttpMethod.Post, "/files/search", """{"search":{"name":"py"},"filter":{},"limit":25}""", HttpStatusCode.OK);
        await Py(HttpMethod.Post, "/files/aggregate", """{"filter":{"uploaded":true}}""", HttpStatusCode.OK);
        await Py(HttpMethod.Post, "/files/downloadlink?extendedExpiration=false", """{"items":[{"externalId":"py-1"}]}""", HttpStatusCode.OK);
        await Py(HttpMethod.Get, "/files/icon?externalId=py-1", null, HttpStatusCode.OK);
        await Py(HttpMethod.Post, "/files/delete", """{"items":[{"externalId":"py-1"}],"ignoreUnknownIds":false}""", HttpStatusCode.OK);
    }

    /// <summary>Sends <paramref name="request"/> with no handler of ours, checks the status and returns the JSON body (null for none).</summary>
    private async Task<JToken> SendAsync(HttpRequestMessage request, HttpStatusCode expected)
    {
        using var response = await _raw.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(expected), $"{request.Method} {request.RequestUri!.PathAndQuery}: {text}");
        return text.Length == 0 || !text.TrimStart().StartsWith('{') ? JValue.CreateNull() : JToken.Parse(text);
    }

    private static byte[] Png()
    {
        using var bitmap = new SkiaSharp.SKBitmap(32, 16);
        bitmap.Erase(SkiaSharp.SKColors.Teal);
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
