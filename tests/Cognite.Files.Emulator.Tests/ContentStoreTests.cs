using System.Net;
using System.Net.Http.Headers;
using Cognite.Files.Emulator.Tests.Support;
using Cognite.Files.Models;

namespace Cognite.Files.Emulator.Tests;

/// <summary>
/// Both content stores behave alike on the wire: single and multipart uploads, a retried part replacing the first,
/// empty content, ranges across segments, one version per download while a new one completes, deletes.
/// </summary>
[TestFixture(ContentStoreKind.Disk)]
[TestFixture(ContentStoreKind.Memory)]
public sealed class ContentStoreTests(ContentStoreKind kind)
{
    private const int PartSize = 1536;
    private EmulatorHarness _h = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _h = await StartAsync(kind);

    [OneTimeTearDown]
    public async Task StopAsync() => await _h.DisposeAsync();

    internal static Task<EmulatorHarness> StartAsync(ContentStoreKind store, Action<EmulatorOptions>? configure = null) =>
        EmulatorHarness.StartAsync(o =>
        {
            o.ContentStore = store;
            if (store == ContentStoreKind.Memory) o.DataDirectory = "";
            configure?.Invoke(o);
        });

    private async Task<byte[]> DownloadAsync(long id, RangeHeaderValue? range = null)
    {
        var link = (await _h.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { Id = id }] })).Items[0].DownloadUrl;
        using var request = new HttpRequestMessage(HttpMethod.Get, link);
        request.Headers.Range = range;
        using var response = await EmulatorHarness.Plain.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(range is null ? HttpStatusCode.OK : HttpStatusCode.PartialContent));
        return await response.Content.ReadAsByteArrayAsync();
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(3 * 1024 * 1024 + 17)] // several chunks of the store
    public async Task A_single_upload_is_downloaded_as_sent(int length)
    {
        var content = EmulatorHarness.RandomBytes(length, length);
        var f = await _h.Api.CreateFileAsync(new FileCreate { Name = "single.bin" });
        using (var put = await EmulatorHarness.PutAsync(f.UploadUrl, content)) Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        Assert.That(await DownloadAsync(f.Id), Is.EqualTo(content));
        Assert.That(await _h.Emulator.GetContentSha256Async(f.Id), Is.EqualTo(EmulatorHarness.Sha256(content)));
    }

    [Test]
    public async Task A_multipart_upload_with_a_retried_part_keeps_the_last_PUT_and_serves_ranges_across_parts()
    {
        var content = EmulatorHarness.RandomBytes(3 * PartSize + 10, 5);
        var init = await _h.Api.InitMultipartUploadAsync(4, new FileCreate { Name = "parts.bin" });
        (await EmulatorHarness.PutAsync(init.UploadUrls[1], EmulatorHarness.RandomBytes(PartSize, 6))).Dispose(); // replaced below
        for (var i = 3; i >= 0; i--)
        {
            (await EmulatorHarness.PutAsync(init.UploadUrls[i], content[(i * PartSize)..Math.Min(content.Length, (i + 1) * PartSize)])).Dispose();
        }

        await _h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = init.Id, UploadId = init.UploadId });

        Assert.That(await DownloadAsync(init.Id), Is.EqualTo(content));
        Assert.That(await DownloadAsync(init.Id, new RangeHeaderValue(PartSize - 5, 2 * PartSize + 4)), Is.EqualTo(content[(PartSize - 5)..(2 * PartSize + 5)]));
    }

    [Test]
    public async Task Empty_parts_are_no_segments_to_stop_at()
    {
        await using var h = await StartAsync(kind, o => o.MinPartSize = 0);
        var init = await h.Api.InitMultipartUploadAsync(3, new FileCreate { Name = "gaps.bin" });
        (await EmulatorHarness.PutAsync(init.UploadUrls[0], [1, 2])).Dispose();
        (await EmulatorHarness.PutAsync(init.UploadUrls[1], [])).Dispose();
        (await EmulatorHarness.PutAsync(init.UploadUrls[2], [3])).Dispose();
        await h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = init.Id, UploadId = init.UploadId });
        var link = (await h.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { Id = init.Id }] })).Items[0].DownloadUrl;

        Assert.That(await EmulatorHarness.Plain.GetByteArrayAsync(link), Is.EqualTo(new byte[] { 1, 2, 3 }));
        using var request = new HttpRequestMessage(HttpMethod.Get, link) { Headers = { Range = new RangeHeaderValue(2, 2) } };
        using var response = await EmulatorHarness.Plain.SendAsync(request);
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(new byte[] { 3 }));
    }

    [Test]
    public async Task A_download_keeps_the_version_it_opened_while_a_new_one_replaces_it_and_the_next_one_gets_the_new()
    {
        var v1 = EmulatorHarness.RandomBytes(4 * 1024 * 1024, 8);
        var v2 = EmulatorHarness.RandomBytes(4 * 1024 * 1024, 9);
        var f = await _h.Api.CreateFileAsync(new FileCreate { Name = "v.bin", ExternalId = "v-" + kind });
        (await EmulatorHarness.PutAsync(f.UploadUrl, v1)).Dispose();
        var link = (await _h.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { Id = f.Id }] })).Items[0].DownloadUrl;

        using var response = await EmulatorHarness.Plain.GetAsync(link, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var first = new byte[10];
        await body.ReadExactlyAsync(first);
        var again = (await _h.Api.GetUploadLinkAsync(new UploadLinkRequest { Items = [new FileExternalIdEither { ExternalId = "v-" + kind }] })).Items[0];
        (await EmulatorHarness.PutAsync(again.UploadUrl, v2)).Dispose();
        using var rest = new MemoryStream();
        await body.CopyToAsync(rest);

        Assert.That(first.Concat(rest.ToArray()).ToArray(), Is.EqualTo(v1));
        Assert.That(await DownloadAsync(f.Id), Is.EqualTo(v2));
    }

    [Test]
    public async Task A_deleted_file_takes_its_content_and_its_pending_parts_with_it()
    {
        var f = await _h.Api.CreateFileAsync(new FileCreate { Name = "gone.bin", ExternalId = "gone-" + kind });
        (await EmulatorHarness.PutAsync(f.UploadUrl, [1, 2, 3])).Dispose();
        var pending = (await _h.Api.GetMultipartUploadLinkAsync(2, new UploadLinkRequest { Items = [new FileExternalIdEither { ExternalId = "gone-" + kind }] })).Items[0];
        (await EmulatorHarness.PutAsync(pending.UploadUrls[0], [4])).Dispose();
        var link = (await _h.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { Id = f.Id }] })).Items[0].DownloadUrl;

        await _h.Api.DeleteFilesAsync(new FileDeleteRequest { Items = [new IdEither { Id = f.Id }] });

        using (var download = await EmulatorHarness.Plain.GetAsync(link)) Assert.That(download.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        using (var put = await EmulatorHarness.PutAsync(pending.UploadUrls[1], [5])) Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await _h.Emulator.GetContentSha256Async(f.Id), Is.Null);
    }
}

/// <summary>What only the memory store does: nothing on disk but the metadata, in a directory gone on dispose.</summary>
public sealed class MemoryContentStoreTests
{
    [Test]
    public async Task The_memory_store_writes_no_content_to_disk_and_removes_its_metadata_directory_on_dispose()
    {
        string directory;
        await using (var h = await ContentStoreTests.StartAsync(ContentStoreKind.Memory))
        {
            directory = h.Emulator.DataDirectory;
            var f = await h.Api.CreateFileAsync(new FileCreate { Name = "m.bin" });
            (await EmulatorHarness.PutAsync(f.UploadUrl, EmulatorHarness.RandomBytes(100_000, 1))).Dispose();
            var init = await h.Api.InitMultipartUploadAsync(1, new FileCreate { Name = "mp.bin" });
            (await EmulatorHarness.PutAsync(init.UploadUrls[0], [1])).Dispose();

            Assert.That(Directory.Exists(directory), Is.True);
            Assert.That(Directory.GetDirectories(directory), Is.Empty, "no content, parts or tmp directories");
            Assert.That(Directory.GetFiles(directory).Select(Path.GetFileName), Is.All.StartsWith("emulator.db"));
        }

        Assert.That(Directory.Exists(directory), Is.False);
    }

    [Test]
    public void A_data_directory_with_the_memory_store_is_refused_because_nothing_of_it_would_survive()
    {
        var options = new EmulatorOptions { ContentStore = ContentStoreKind.Memory, DataDirectory = Path.GetTempPath() };
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.That(error!.Message, Does.Contain("memory content store"));
    }

    [Test]
    public void The_disk_store_still_needs_a_data_directory()
    {
        Assert.Throws<ArgumentException>(new EmulatorOptions { ContentStore = ContentStoreKind.Disk }.Validate);
    }
}
