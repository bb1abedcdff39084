using System.Net;
using System.Net.Http.Headers;
using Cognite.Files.Emulator.Tests.Support;
using Cognite.Files.Models;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Emulator.Tests;

/// <summary>
/// One version per ranged download: download URLs carry the content version's strong <c>ETag</c> (200, 206, HEAD), new
/// whenever content is stored and kept across restarts by the disk store, and honour <c>If-Match</c> (412 in CDF's error
/// format when the content was replaced) and <c>If-Range</c> (the whole content, 200, unless it names the current
/// version), as RFC 9110 §13 has it. Both content stores alike.
/// </summary>
[TestFixture(ContentStoreKind.Disk)]
[TestFixture(ContentStoreKind.Memory)]
public sealed class ConditionalDownloadTests(ContentStoreKind kind)
{
    private EmulatorHarness _h = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _h = await ContentStoreTests.StartAsync(kind);

    [OneTimeTearDown]
    public async Task StopAsync() => await _h.DisposeAsync();

    private async Task<string> LinkAsync(long id) =>
        (await _h.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { Id = id }] })).Items[0].DownloadUrl;

    private async Task<(long Id, byte[] Content)> SingleAsync(int length, int seed, string? externalId = null)
    {
        var content = EmulatorHarness.RandomBytes(length, seed);
        var f = await _h.Api.CreateFileAsync(new FileCreate { Name = "v.bin", ExternalId = externalId });
        (await EmulatorHarness.PutAsync(f.UploadUrl, content)).Dispose();
        return (f.Id, content);
    }

    private async Task<byte[]> UploadAgainAsync(long id, int length, int seed)
    {
        var content = EmulatorHarness.RandomBytes(length, seed);
        var file = (await _h.Api.RetrieveFilesAsync(new FileRetrieveRequest { Items = [new Identifier { Id = id }] })).Items[0];
        var link = (await _h.Api.GetUploadLinkAsync(new UploadLinkRequest { Items = [new FileExternalIdEither { ExternalId = file.ExternalId! }] })).Items[0];
        (await EmulatorHarness.PutAsync(link.UploadUrl, content)).Dispose();
        return content;
    }

    internal static async Task<HttpResponseMessage> GetAsync(string url, RangeHeaderValue? range = null, string? ifMatch = null, string? ifRange = null, HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, url);
        request.Headers.Range = range;
        if (ifMatch is not null) Assert.That(request.Headers.TryAddWithoutValidation("If-Match", ifMatch), Is.True);
        if (ifRange is not null) Assert.That(request.Headers.TryAddWithoutValidation("If-Range", ifRange), Is.True);
        return await EmulatorHarness.Plain.SendAsync(request);
    }

    internal static string ETagOf(HttpResponseMessage response)
    {
        var etag = response.Headers.ETag ?? throw new AssertionException($"{(int)response.StatusCode} without an ETag");
        Assert.That(etag.IsWeak, Is.False, "a strong validator: byte-identical content");
        return etag.Tag;
    }

    [Test]
    public async Task Whole_partial_and_HEAD_answers_carry_the_same_strong_ETag()
    {
        var (id, _) = await SingleAsync(3000, 1);
        var link = await LinkAsync(id);

        using var whole = await GetAsync(link);
        using var partial = await GetAsync(link, new RangeHeaderValue(10, 19));
        using var head = await GetAsync(link, method: HttpMethod.Head);

        Assert.That((whole.StatusCode, partial.StatusCode, head.StatusCode), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.PartialContent, HttpStatusCode.OK)));
        var etag = ETagOf(whole);
        Assert.That(etag, Does.Match("^\"[0-9a-f]+\"$"));
        Assert.That(ETagOf(partial), Is.EqualTo(etag));
        Assert.That(ETagOf(head), Is.EqualTo(etag));
        using var again = await GetAsync(await LinkAsync(id));
        Assert.That(ETagOf(again), Is.EqualTo(etag), "the version of the content, not of the link or the request");
    }

    [Test]
    public async Task Every_upload_of_new_content_gives_a_new_ETag_single_or_multipart_even_with_the_same_bytes()
    {
        var (id, content) = await SingleAsync(2048, 2, "etag-versions");
        var seen = new List<string>();
        async Task RecordAsync()
        {
            using var response = await GetAsync(await LinkAsync(id));
            seen.Add(ETagOf(response));
        }

        await RecordAsync();
        await UploadAgainAsync(id, 2048, 2); // the same bytes again: still a new upload
        await RecordAsync();
        var init = (await _h.Api.GetMultipartUploadLinkAsync(2, new UploadLinkRequest { Items = [new FileExternalIdEither { ExternalId = "etag-versions" }] })).Items[0];
        (await EmulatorHarness.PutAsync(init.UploadUrls[0], content[..1024])).Dispose();
        (await EmulatorHarness.PutAsync(init.UploadUrls[1], content[1024..])).Dispose();
        await RecordAsync();
        Assert.That(seen[2], Is.EqualTo(seen[1]), "parts PUT but not completed: the content is the one before");
        await _h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { ExternalId = "etag-versions", UploadId = init.UploadId });
        await RecordAsync();

        Assert.That(seen.Distinct().Count(), Is.EqualTo(3), string.Join(", ", seen));
    }

    [TestCase("{0}")]
    [TestCase("*")] // any current content
    [TestCase("\"other\", {0}")] // one of a list
    public async Task If_Match_with_the_current_ETag_serves_the_range(string header)
    {
        var (id, content) = await SingleAsync(3000, 3);
        var link = await LinkAsync(id);
        string etag;
        using (var first = await GetAsync(link, new RangeHeaderValue(0, 999))) etag = ETagOf(first);

        using var second = await GetAsync(link, new RangeHeaderValue(1000, 1999), ifMatch: string.Format(System.Globalization.CultureInfo.InvariantCulture, header, etag));

        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        Assert.That(await second.Content.ReadAsByteArrayAsync(), Is.EqualTo(content[1000..2000]));
    }

    [Test]
    public async Task Content_replaced_between_two_ranges_is_412_in_CDFs_error_format_never_the_new_bytes()
    {
        var (id, _) = await SingleAsync(3000, 4, "replaced-between-ranges");
        var link = await LinkAsync(id);
        string etag;
        using (var first = await GetAsync(link, new RangeHeaderValue(0, 999))) etag = ETagOf(first);
        await UploadAgainAsync(id, 3000, 5);

        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head })
        {
            using var second = await GetAsync(await LinkAsync(id), new RangeHeaderValue(1000, 1999), ifMatch: etag, method: method);

            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.PreconditionFailed));
            Assert.That(second.Content.Headers.ContentRange, Is.Null);
            Assert.That(ETagOf(second), Is.Not.EqualTo(etag), "the 412 names the version there is now");
            if (method == HttpMethod.Get)
            {
                var error = JObject.Parse(await second.Content.ReadAsStringAsync())["error"]!;
                Assert.That((int)error["code"]!, Is.EqualTo(412));
                Assert.That((string?)error["message"], Does.StartWith("Precondition Failed"));
            }
        }
    }

    [Test]
    public async Task A_weak_If_Match_never_matches()
    {
        var (id, _) = await SingleAsync(100, 6);
        var link = await LinkAsync(id);
        string etag;
        using (var first = await GetAsync(link)) etag = ETagOf(first);

        using var weak = await GetAsync(link, new RangeHeaderValue(0, 9), ifMatch: "W/" + etag);

        Assert.That(weak.StatusCode, Is.EqualTo(HttpStatusCode.PreconditionFailed), "If-Match compares strongly (RFC 9110 §13.1.1)");
    }

    [Test]
    public async Task If_Range_with_the_current_ETag_serves_the_range()
    {
        var (id, content) = await SingleAsync(3000, 7);
        var link = await LinkAsync(id);
        string etag;
        using (var first = await GetAsync(link, new RangeHeaderValue(0, 9))) etag = ETagOf(first);

        using var ranged = await GetAsync(link, new RangeHeaderValue(100, 199), ifRange: etag);

        Assert.That(ranged.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        Assert.That(ranged.Content.Headers.ContentRange?.ToString(), Is.EqualTo("bytes 100-199/3000"));
        Assert.That(await ranged.Content.ReadAsByteArrayAsync(), Is.EqualTo(content[100..200]));
    }

    [TestCase("\"not-the-version\"")] // another version: the client's bytes are stale, so it gets all of the new ones
    [TestCase("W/{0}")] // weak: If-Range compares strongly
    [TestCase("Wed, 21 Oct 2015 07:28:00 GMT")] // a date: the emulator sends no Last-Modified to compare it with
    public async Task If_Range_that_does_not_name_the_current_version_gets_the_whole_content(string header)
    {
        var (id, content) = await SingleAsync(3000, 8);
        var link = await LinkAsync(id);
        string etag;
        using (var first = await GetAsync(link)) etag = ETagOf(first);

        using var response = await GetAsync(link, new RangeHeaderValue(100, 199), ifRange: string.Format(System.Globalization.CultureInfo.InvariantCulture, header, etag));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentRange, Is.Null);
        Assert.That(ETagOf(response), Is.EqualTo(etag));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(content));
    }

    [Test]
    public async Task If_Range_after_an_overwrite_gets_the_new_content_whole()
    {
        var (id, _) = await SingleAsync(3000, 9, "if-range-overwrite");
        var link = await LinkAsync(id);
        string etag;
        using (var first = await GetAsync(link, new RangeHeaderValue(0, 99))) etag = ETagOf(first);
        var replaced = await UploadAgainAsync(id, 2500, 10);

        using var response = await GetAsync(await LinkAsync(id), new RangeHeaderValue(100, 199), ifRange: etag);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ETagOf(response), Is.Not.EqualTo(etag));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(replaced));
    }

    [Test]
    public async Task If_Range_without_Range_is_ignored()
    {
        var (id, content) = await SingleAsync(500, 11);

        using var response = await GetAsync(await LinkAsync(id), ifRange: "\"whatever\"");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(content));
    }

    [Test]
    public async Task If_Match_is_checked_before_the_range_so_a_stale_client_gets_412_not_416()
    {
        var (id, _) = await SingleAsync(3000, 12, "shrunk");
        var link = await LinkAsync(id);
        string etag;
        using (var first = await GetAsync(link, new RangeHeaderValue(0, 999))) etag = ETagOf(first);
        await UploadAgainAsync(id, 500, 13);

        using var response = await GetAsync(await LinkAsync(id), new RangeHeaderValue(2000, 2999), ifMatch: etag);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PreconditionFailed));
    }
}

/// <summary>The disk store keeps each content's version id beside it (<c>content/{id}.version</c>): ETags survive a restart.</summary>
public sealed class ConditionalDownloadDiskTests
{
    [Test]
    public async Task The_ETag_of_stored_content_survives_a_restart_of_the_disk_store()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cogfiles-emu-tests", "etag-restart-" + Guid.NewGuid().ToString("N"));
        try
        {
            long singleId, multiId;
            string singleTag, multiTag;
            await using (var first = await EmulatorHarness.StartAsync(dataDirectory: dir))
            {
                var single = await first.Api.CreateFileAsync(new FileCreate { Name = "s.bin" });
                (await EmulatorHarness.PutAsync(single.UploadUrl, EmulatorHarness.RandomBytes(100, 14))).Dispose();
                var init = await first.Api.InitMultipartUploadAsync(2, new FileCreate { Name = "m.bin" });
                (await EmulatorHarness.PutAsync(init.UploadUrls[0], EmulatorHarness.RandomBytes(1024, 15))).Dispose();
                (await EmulatorHarness.PutAsync(init.UploadUrls[1], EmulatorHarness.RandomBytes(10, 16))).Dispose();
                await first.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = init.Id, UploadId = init.UploadId });
                (singleId, multiId) = (single.Id, init.Id);
                singleTag = await ETagAsync(first, singleId);
                multiTag = await ETagAsync(first, multiId);
            }

            await using var second = await EmulatorHarness.StartAsync(dataDirectory: dir);
            Assert.That(await ETagAsync(second, singleId), Is.EqualTo(singleTag));
            Assert.That(await ETagAsync(second, multiId), Is.EqualTo(multiTag));
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }

        static async Task<string> ETagAsync(EmulatorHarness h, long id)
        {
            var link = (await h.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { Id = id }] })).Items[0].DownloadUrl;
            using var response = await ConditionalDownloadTests.GetAsync(link, method: HttpMethod.Head);
            return ConditionalDownloadTests.ETagOf(response);
        }
    }

    [Test]
    public async Task Content_stored_before_versions_were_kept_gets_one_on_first_download_and_keeps_it()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var f = await h.Api.CreateFileAsync(new FileCreate { Name = "old.bin" });
        var content = EmulatorHarness.RandomBytes(100, 17);
        (await EmulatorHarness.PutAsync(f.UploadUrl, content)).Dispose();
        var id = f.Id;
        var version = Path.Combine(h.DataDirectory, "content", id.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".version");
        Assert.That(File.Exists(version), Is.True);
        File.Delete(version); // as an emulator before ETags left it

        var link = (await h.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { Id = id }] })).Items[0].DownloadUrl;
        using var first = await ConditionalDownloadTests.GetAsync(link);
        using var second = await ConditionalDownloadTests.GetAsync(link);

        Assert.That(await first.Content.ReadAsByteArrayAsync(), Is.EqualTo(content));
        Assert.That(ConditionalDownloadTests.ETagOf(second), Is.EqualTo(ConditionalDownloadTests.ETagOf(first)));
        Assert.That(File.Exists(version), Is.True, "kept from then on");
    }
}
