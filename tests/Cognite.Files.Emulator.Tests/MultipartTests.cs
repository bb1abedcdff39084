using System.Net;
using Cognite.Files.Emulator.Tests.Support;
using Cognite.Files.Models;
using Newtonsoft.Json.Linq;
using Refit;

namespace Cognite.Files.Emulator.Tests;

public sealed class MultipartTests
{
    private EmulatorHarness _h = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _h = await EmulatorHarness.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _h.DisposeAsync();

    [Test]
    public async Task SeedRequest_MultiUploadLinkThreeParts_OutOfOrderUpload_IsByteExact()
    {
        var created = await _h.Api.CreateFileAsync(new FileCreate { Name = "known.bin", ExternalId = "my.known.id", MimeType = "application/octet-stream" });
        Assert.That(created.Uploaded, Is.False);

        var link = await _h.Api.GetMultipartUploadLinkAsync(3, new UploadLinkRequest { Items = [new FileExternalIdEither { ExternalId = "my.known.id" }] });
        Assert.That(link.Items, Has.Count.EqualTo(1));
        var item = link.Items[0];
        Assert.Multiple(() =>
        {
            Assert.That(item.ExternalId, Is.EqualTo("my.known.id"));
            Assert.That(item.Id, Is.EqualTo(created.Id));
            Assert.That(item.Name, Is.EqualTo("known.bin"));
            Assert.That(item.Uploaded, Is.False);
            Assert.That(item.UploadId, Is.Not.Empty);
            Assert.That(item.UploadUrls, Has.Count.EqualTo(3));
            Assert.That(item.UploadUrls.Distinct().Count(), Is.EqualTo(3));
            Assert.That(item.UploadUrls.All(u => u.StartsWith(_h.Emulator.UploadBaseUrl.ToString(), StringComparison.Ordinal)), Is.True);
        });

        var content = EmulatorHarness.RandomBytes(2048 + 2048 + 777, seed: 1);
        var parts = new[] { content[..2048], content[2048..4096], content[4096..] };
        foreach (var i in new[] { 2, 0, 1 })
        {
            using var response = await EmulatorHarness.PutAsync(item.UploadUrls[i], parts[i]);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"part {i}");
        }
        var beforeComplete = await _h.Api.GetFileByIdAsync(created.Id);
        Assert.That(beforeComplete.Uploaded, Is.False);

        await _h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = created.Id, UploadId = item.UploadId });

        var after = await _h.Api.RetrieveFilesAsync(new FileRetrieveRequest { Items = [new Identifier { ExternalId = "my.known.id" }] });
        Assert.That(after.Items[0].Uploaded, Is.True);
        Assert.That(after.Items[0].UploadedTime, Is.Not.Null);

        var links = await _h.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { Id = created.Id }] });
        Assert.That(links.Items[0].Id, Is.EqualTo(created.Id));
        var downloaded = await EmulatorHarness.Plain.GetByteArrayAsync(links.Items[0].DownloadUrl);
        Assert.That(downloaded, Is.EqualTo(content));
        Assert.That(await _h.Emulator.GetContentSha256Async(created.Id), Is.EqualTo(EmulatorHarness.Sha256(content)));

        var counters = _h.Emulator.Counters.ForUpload(item.UploadId)!;
        Assert.That(counters.PutsByPartIndex, Is.EquivalentTo(new Dictionary<int, int> { [0] = 1, [1] = 1, [2] = 1 }));
        Assert.That(counters.BytesReceived, Is.EqualTo(content.Length));
    }

    [Test]
    public async Task InitMultipart_RePutReplacesPart_CompleteIsIdempotent()
    {
        var init = await _h.Api.InitMultipartUploadAsync(2, new FileCreate { Name = "re.bin", ExternalId = "re-put" });
        Assert.That(init.UploadUrls, Has.Count.EqualTo(2));
        Assert.That(init.Uploaded, Is.False);
        var a = EmulatorHarness.RandomBytes(1500, 2);
        var b = EmulatorHarness.RandomBytes(10, 3);
        (await EmulatorHarness.PutAsync(init.UploadUrls[0], EmulatorHarness.RandomBytes(1500, 99))).Dispose();
        (await EmulatorHarness.PutAsync(init.UploadUrls[0], a)).Dispose();
        (await EmulatorHarness.PutAsync(init.UploadUrls[1], b)).Dispose();
        var complete = new CompleteMultipartUploadRequest { ExternalId = "re-put", UploadId = init.UploadId };
        await _h.Api.CompleteMultipartUploadAsync(complete);
        await _h.Api.CompleteMultipartUploadAsync(complete);
        Assert.That(await _h.Emulator.GetContentSha256Async(init.Id), Is.EqualTo(EmulatorHarness.Sha256([.. a, .. b])));
        Assert.That(_h.Emulator.Counters.ForUpload(init.UploadId)!.PutsByPartIndex[0], Is.EqualTo(2));

        // a PUT after completion is refused
        using var late = await EmulatorHarness.PutAsync(init.UploadUrls[1], b);
        Assert.That(late.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Complete_WithMissingOrUndersizedParts_Is400()
    {
        var init = await _h.Api.InitMultipartUploadAsync(3, new FileCreate { Name = "bad.bin" });
        (await EmulatorHarness.PutAsync(init.UploadUrls[0], new byte[100])).Dispose(); // < MinPartSize (1024)
        (await EmulatorHarness.PutAsync(init.UploadUrls[2], new byte[10])).Dispose();
        var missing = await Assert.ThrowsAsync<ApiException>(() => _h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = init.Id, UploadId = init.UploadId }));
        Assert.That(missing!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(missing.Content, Does.Contain("parts not uploaded"));

        (await EmulatorHarness.PutAsync(init.UploadUrls[1], new byte[2000])).Dispose();
        var small = await Assert.ThrowsAsync<ApiException>(() => _h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = init.Id, UploadId = init.UploadId }));
        Assert.That(small!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(small.Content, Does.Contain("at least 1024 bytes"));

        var wrongId = await Assert.ThrowsAsync<ApiException>(() => _h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = init.Id, UploadId = "nope" }));
        Assert.That(wrongId!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await _h.Api.GetFileByIdAsync(init.Id)).Uploaded, Is.False);
    }

    [TestCase(0)]
    [TestCase(251)]
    [TestCase(-1)]
    public async Task PartsOutOfRange_Is400(int parts)
    {
        await _h.Api.CreateFileAsync(new FileCreate { Name = "p", ExternalId = "parts-" + parts });
        var ex = await Assert.ThrowsAsync<ApiException>(() => _h.Api.GetMultipartUploadLinkAsync(parts, new UploadLinkRequest { Items = [new FileExternalIdEither { ExternalId = "parts-" + parts }] }));
        Assert.That(ex!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((int)JObject.Parse(ex.Content!)["error"]!["code"]!, Is.EqualTo(400));
        var ex2 = await Assert.ThrowsAsync<ApiException>(() => _h.Api.InitMultipartUploadAsync(parts, new FileCreate { Name = "x" }));
        Assert.That(ex2!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Parts250_IsAccepted()
    {
        var init = await _h.Api.InitMultipartUploadAsync(250, new FileCreate { Name = "many" });
        Assert.That(init.UploadUrls, Has.Count.EqualTo(250));
    }

    [Test]
    public async Task SingleUpload_PostFilesThenPut_SetsUploaded()
    {
        var created = await _h.Api.CreateFileAsync(new FileCreate { Name = "single.txt", ExternalId = "single", MimeType = "text/plain" });
        Assert.That(created.UploadUrl, Does.StartWith(_h.Emulator.UploadBaseUrl.ToString()));
        var data = "hello emulator"u8.ToArray();
        using (var put = await EmulatorHarness.PutAsync(created.UploadUrl, data))
            Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var file = await _h.Api.GetFileByIdAsync(created.Id);
        Assert.That(file.Uploaded, Is.True);

        // uploadlink replaces the content; the old content stays until the new PUT lands
        var link = await _h.Api.GetUploadLinkAsync(new UploadLinkRequest { Items = [new FileExternalIdEither { ExternalId = "single" }] });
        Assert.That(link.Items[0].Uploaded, Is.True);
        Assert.That(await _h.Emulator.GetContentSha256Async(created.Id), Is.EqualTo(EmulatorHarness.Sha256(data)));
        var data2 = "second version"u8.ToArray();
        (await EmulatorHarness.PutAsync(link.Items[0].UploadUrl, data2)).Dispose();
        var dl = await _h.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { ExternalId = "single" }] }, extendedExpiration: true);
        Assert.That(dl.Items[0].ExternalId, Is.EqualTo("single"));
        Assert.That(dl.Items[0].Id, Is.Null);
        Assert.That(await EmulatorHarness.Plain.GetByteArrayAsync(dl.Items[0].DownloadUrl), Is.EqualTo(data2));
    }

    [Test]
    public async Task MultiUploadLink_OnUploadedFile_KeepsOldContentUntilComplete()
    {
        var created = await _h.Api.CreateFileAsync(new FileCreate { Name = "v.bin", ExternalId = "versioned" });
        var v1 = EmulatorHarness.RandomBytes(50, 5);
        (await EmulatorHarness.PutAsync(created.UploadUrl, v1)).Dispose();
        var link = (await _h.Api.GetMultipartUploadLinkAsync(1, new UploadLinkRequest { Items = [new FileExternalIdEither { ExternalId = "versioned" }] })).Items[0];
        var v2 = EmulatorHarness.RandomBytes(60, 6);
        (await EmulatorHarness.PutAsync(link.UploadUrls[0], v2)).Dispose();
        Assert.That(await _h.Emulator.GetContentSha256Async(created.Id), Is.EqualTo(EmulatorHarness.Sha256(v1)));
        Assert.That((await _h.Api.GetFileByIdAsync(created.Id)).Uploaded, Is.True);
        await _h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = created.Id, UploadId = link.UploadId });
        Assert.That(await _h.Emulator.GetContentSha256Async(created.Id), Is.EqualTo(EmulatorHarness.Sha256(v2)));
    }

    [Test]
    public async Task ZeroByteSinglePartMultipart_Works()
    {
        var init = await _h.Api.InitMultipartUploadAsync(1, new FileCreate { Name = "empty" });
        using (var put = await EmulatorHarness.PutAsync(init.UploadUrls[0], []))
            Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await _h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = init.Id, UploadId = init.UploadId });
        Assert.That(await _h.Emulator.GetContentSha256Async(init.Id), Is.EqualTo(EmulatorHarness.Sha256([])));
    }
}
