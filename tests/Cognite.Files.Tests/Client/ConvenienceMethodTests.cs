using System.Net;
using Cognite.Files.Models;
using Cognite.Files.Tests.Transfer;
using Cognite.Files.Transfer;
using Newtonsoft.Json.Linq;
using RichardSzalay.MockHttp;

namespace Cognite.Files.Tests.Client;

public class ConvenienceMethodTests
{
    [Test]
    public async Task ListAsync_follows_cursors_until_none()
    {
        using var api = new MockHttpMessageHandler();
        var bodies = new List<JObject>();
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/list").Respond(req =>
        {
            var body = JObject.Parse(req.Content!.ReadAsStringAsync().GetAwaiter().GetResult());
            bodies.Add(body);
            return body.Value<string>("cursor") switch
            {
                null => ClientFixture.Json(HttpStatusCode.OK, $$"""{"items":[{{ClientFixture.FileJson(1)}},{{ClientFixture.FileJson(2)}}],"nextCursor":"c2"}"""),
                "c2" => ClientFixture.Json(HttpStatusCode.OK, $$"""{"items":[{{ClientFixture.FileJson(3)}}],"nextCursor":"c3"}"""),
                _ => ClientFixture.Json(HttpStatusCode.OK, $$"""{"items":[{{ClientFixture.FileJson(4)}}],"nextCursor":null}"""),
            };
        });
        using var client = ClientFixture.Client(api);

        var ids = new List<long>();
        await foreach (var f in client.ListAsync(new FileFilter { Uploaded = true }, pageSize: 2))
        {
            ids.Add(f.Id);
        }

        Assert.That(ids, Is.EqualTo(new long[] { 1, 2, 3, 4 }));
        Assert.That(bodies.Select(b => b.Value<int>("limit")), Is.All.EqualTo(2));
        Assert.That(bodies[0]["filter"]!.Value<bool>("uploaded"), Is.True);
    }

    [Test]
    public async Task ListAsync_stops_requesting_when_the_consumer_stops()
    {
        using var api = new MockHttpMessageHandler();
        var calls = 0;
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/list").Respond(_ => { calls++; return ClientFixture.Json(HttpStatusCode.OK, $$"""{"items":[{{ClientFixture.FileJson(1)}}],"nextCursor":"more"}"""); });
        using var client = ClientFixture.Client(api);

        await foreach (var _ in client.ListAsync())
        {
            break;
        }

        Assert.That(calls, Is.EqualTo(1));
    }

    [Test]
    public async Task RetrieveManyAsync_chunks_by_1000_and_keeps_order()
    {
        using var api = new MockHttpMessageHandler();
        var sizes = new List<int>();
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/byids").Respond(req =>
        {
            var body = JObject.Parse(req.Content!.ReadAsStringAsync().GetAwaiter().GetResult());
            var items = (JArray)body["items"]!;
            sizes.Add(items.Count);
            Assert.That(body.Value<bool>("ignoreUnknownIds"), Is.True);
            return ClientFixture.Json(HttpStatusCode.OK, "{\"items\":[" + string.Join(',', items.Select(i => ClientFixture.FileJson(i.Value<long>("id")))) + "]}");
        });
        using var client = ClientFixture.Client(api);

        var files = await client.RetrieveManyAsync(Enumerable.Range(1, 2500).Select(i => (long)i), ignoreUnknownIds: true);

        Assert.That(sizes, Is.EqualTo(new[] { 1000, 1000, 500 }));
        Assert.That(files.Select(f => f.Id), Is.EqualTo(Enumerable.Range(1, 2500).Select(i => (long)i)));
    }

    [Test]
    public async Task Update_delete_aggregate_and_search_send_the_documented_bodies()
    {
        using var api = new MockHttpMessageHandler();
        var bodies = new Dictionary<string, JObject>();
        JObject Capture(HttpRequestMessage req)
        {
            var b = JObject.Parse(req.Content!.ReadAsStringAsync().GetAwaiter().GetResult());
            bodies[req.RequestUri!.AbsolutePath.Split('/').Last()] = b;
            return b;
        }

        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/update").Respond(req => { Capture(req); return ClientFixture.Json(HttpStatusCode.OK, $$"""{"items":[{{ClientFixture.FileJson(5, "renamed")}}]}"""); });
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/delete").Respond(req => { Capture(req); return ClientFixture.Json(HttpStatusCode.OK, "{}"); });
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/aggregate").Respond(req => { Capture(req); return ClientFixture.Json(HttpStatusCode.OK, """{"items":[{"count":42}]}"""); });
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/search").Respond(req => { Capture(req); return ClientFixture.Json(HttpStatusCode.OK, $$"""{"items":[{{ClientFixture.FileJson(6)}}]}"""); });
        using var client = ClientFixture.Client(api);

        var updated = await client.UpdateAsync(Identifier.FromExternalId("x"), new FileUpdate { Source = new SetNullableString { Set = "s" } });
        await client.DeleteAsync([IdEither.FromId(5)], ignoreUnknownIds: true);
        var count = await client.AggregateCountAsync(new FileFilter { Source = "s" });
        var found = await client.SearchAsync("rep", limit: 10);

        Assert.That(updated.Id, Is.EqualTo(5));
        Assert.That(bodies["update"]["items"]![0]!.Value<string>("externalId"), Is.EqualTo("x"));
        Assert.That(bodies["update"]["items"]![0]!["update"]!["source"]!.Value<string>("set"), Is.EqualTo("s"));
        Assert.That(bodies["delete"].Value<bool>("ignoreUnknownIds"), Is.True);
        Assert.That(count, Is.EqualTo(42));
        Assert.That(bodies["aggregate"]["filter"]!.Value<string>("source"), Is.EqualTo("s"));
        Assert.That(bodies["search"]["search"]!.Value<string>("name"), Is.EqualTo("rep"));
        Assert.That(bodies["search"].Value<int>("limit"), Is.EqualTo(10));
        Assert.That(found.Single().Id, Is.EqualTo(6));
    }

    [Test]
    public async Task Upload_to_an_existing_file_uses_uploadlink_and_a_relative_url_resolves_against_the_root()
    {
        using var api = new MockHttpMessageHandler();
        using var presigned = new MockHttpMessageHandler();
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/uploadlink").Respond(_ =>
            ClientFixture.Json(HttpStatusCode.Created, $$"""{"items":[{{ClientFixture.FileJson(8, extra: ",\"uploadUrl\":\"/api/v1/files/gcs_proxy/x?sig=1\"")}}]}"""));
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/byids").Respond(_ =>
            ClientFixture.Json(HttpStatusCode.OK, $$"""{"items":[{{ClientFixture.FileJson(8, uploaded: true)}}]}"""));
        HttpRequestMessage? put = null;
        presigned.When(HttpMethod.Put, ClientFixture.Root + "/api/v1/files/gcs_proxy/x").Respond(req => { put = req; return new HttpResponseMessage(HttpStatusCode.Created); });
        using var client = ClientFixture.Client(api, presigned);

        var result = await client.UploadAsync(Identifier.FromExternalId("x"), new MemoryStream(new byte[10]));
        var meta = result.File;

        Assert.That(meta.Id, Is.EqualTo(8));
        Assert.That(meta.Uploaded, Is.True);
        Assert.That(meta, Is.Not.InstanceOf<FileUploadResponse>(), "the pre-signed URL is a credential: it is not handed back");
        Assert.That(Cognite.Files.Serialization.CogniteJson.Serialize(meta), Does.Not.Contain("sig=1"));
        Assert.That(put, Is.Not.Null);
        Assert.That(put!.Headers.Authorization, Is.Null);
    }

    [Test]
    public async Task Non_seekable_upload_without_length_is_rejected_before_any_request()
    {
        using var api = new MockHttpMessageHandler();
        using var presigned = new MockHttpMessageHandler();
        var requests = 0;
        api.Fallback.Respond(_ => { requests++; return new HttpResponseMessage(HttpStatusCode.InternalServerError); });
        presigned.Fallback.Respond(_ => { requests++; return new HttpResponseMessage(HttpStatusCode.InternalServerError); });
        using var client = ClientFixture.Client(api, presigned);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => client.UploadAsync(new FileCreate { Name = "a" }, new NonSeekable()));
        var existing = await Assert.ThrowsAsync<ArgumentException>(() => client.UploadAsync(Identifier.FromId(1), new NonSeekable()));

        Assert.That(ex!.Message, Does.Contain("non-seekable").And.Contain(nameof(UploadOptions.ContentLength)));
        Assert.That(existing!.Message, Does.Contain("non-seekable"));
        Assert.That(requests, Is.Zero);
    }

    [Test]
    public async Task Download_to_file_is_byte_exact_and_a_failed_download_leaves_nothing()
    {
        using var api = new MockHttpMessageHandler();
        using var presigned = new MockHttpMessageHandler();
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/downloadlink").Respond(req =>
        {
            var id = JObject.Parse(req.Content!.ReadAsStringAsync().GetAwaiter().GetResult())["items"]![0]!.Value<long>("id");
            return ClientFixture.Json(HttpStatusCode.OK, $$"""{"items":[{"id":{{id}},"downloadUrl":"https://dl.example.com/{{id}}?sig=s"}]}""");
        });
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/byids").Respond(req =>
        {
            var id = JObject.Parse(req.Content!.ReadAsStringAsync().GetAwaiter().GetResult())["items"]![0]!.Value<long>("id");
            return ClientFixture.Json(HttpStatusCode.OK, $$"""{"items":[{{ClientFixture.FileJson(id, uploaded: true)}}]}""");
        });
        var content = Enumerable.Range(0, 300_000).Select(i => (byte)i).ToArray();
        HttpRequestMessage? get = null;
        presigned.When(HttpMethod.Get, "https://dl.example.com/1").Respond(req => { get = req; return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(content) }; });
        presigned.When(HttpMethod.Get, "https://dl.example.com/2").Respond(HttpStatusCode.Forbidden, "text/plain", "expired");
        using var client = ClientFixture.Client(api, presigned);
        var dir = Directory.CreateTempSubdirectory("cf-dl-");
        try
        {
            var path = Path.Combine(dir.FullName, "out.bin");
            var progress = new RecordingProgress<DownloadProgress>();
            var result = await client.DownloadAsync(Identifier.FromId(1), path, new DownloadOptions { Progress = progress });

            Assert.That(result.Bytes, Is.EqualTo(content.Length));
            Assert.That(await File.ReadAllBytesAsync(path), Is.EqualTo(content));
            Assert.That(progress.Values[^1], Is.EqualTo(new DownloadProgress(content.Length, content.Length)));
            Assert.That(get!.Headers.Authorization, Is.Null);

            var failedPath = Path.Combine(dir.FullName, "failed.bin");
            // A download URL refused on its first use is not renewed: it fails the download, with the 403 inside.
            var ex = await Assert.ThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(Identifier.FromId(2), failedPath));
            Assert.That(ex!.Reason, Is.EqualTo(DownloadFailureReason.LinkRefused));
            Assert.That(ex.InnerException, Is.InstanceOf<CogniteForbiddenException>());
            Assert.That(ex.ToString(), Does.Not.Contain("sig="));
            Assert.That(dir.GetFiles().Select(f => f.Name), Is.EqualTo(new[] { "out.bin" }), "no partial or temp file left");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private sealed class NonSeekable : MemoryStream
    {
        public override bool CanSeek => false;
    }
}
