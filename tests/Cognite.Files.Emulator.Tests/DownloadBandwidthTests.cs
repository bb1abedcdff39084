using System.Net;
using System.Net.Http.Headers;
using Cognite.Files.Emulator.Tests.Support;
using Cognite.Files.Models;

namespace Cognite.Files.Emulator.Tests;

/// <summary>
/// The per-connection bandwidth cap holds for downloads as for uploads (one token bucket per connection, one knob),
/// told by the throttle counter rather than by a clock: 1 MiB at 4 MiB/s cannot go out without pauses (the bucket holds
/// 20 ms of traffic), and nothing pauses without a cap.
/// </summary>
[TestFixture(ContentStoreKind.Disk)]
[TestFixture(ContentStoreKind.Memory)]
public sealed class DownloadBandwidthTests(ContentStoreKind kind)
{
    private const int Length = 1024 * 1024;

    private static async Task<(EmulatorHarness Harness, byte[] Content, string Link)> UploadAsync(ContentStoreKind store)
    {
        var h = await ContentStoreTests.StartAsync(store);
        var content = EmulatorHarness.RandomBytes(Length, 3);
        var f = await h.Api.CreateFileAsync(new FileCreate { Name = "capped.bin" });
        (await EmulatorHarness.PutAsync(f.UploadUrl, content)).Dispose();
        var link = (await h.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { Id = f.Id }] })).Items[0].DownloadUrl;
        h.Emulator.Counters.Reset();
        return (h, content, link);
    }

    [Test]
    public async Task A_capped_download_pauses_and_still_sends_every_byte()
    {
        var (h, content, link) = await UploadAsync(kind);
        await using var _ = h;
        h.Emulator.Faults.BandwidthBytesPerSecondPerConnection = 4 * 1024 * 1024;

        var body = await EmulatorHarness.Plain.GetByteArrayAsync(link);

        Assert.That(body, Is.EqualTo(content));
        Assert.That(h.Emulator.Counters.ThrottleWaits, Is.GreaterThan(1));
        Assert.That(h.Emulator.Counters.DownloadBytesSent, Is.EqualTo(Length));
    }

    [Test]
    public async Task A_capped_range_is_capped_too()
    {
        var (h, content, link) = await UploadAsync(kind);
        await using var _ = h;
        h.Emulator.Faults.BandwidthBytesPerSecondPerConnection = 4 * 1024 * 1024;
        using var request = new HttpRequestMessage(HttpMethod.Get, link) { Headers = { Range = new RangeHeaderValue(1000, null) } };

        using var response = await EmulatorHarness.Plain.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(content[1000..]));
        Assert.That(h.Emulator.Counters.ThrottleWaits, Is.GreaterThan(1));
    }

    [Test]
    public async Task Without_a_cap_a_download_never_pauses()
    {
        var (h, content, link) = await UploadAsync(kind);
        await using var _ = h;

        Assert.That(await EmulatorHarness.Plain.GetByteArrayAsync(link), Is.EqualTo(content));
        Assert.That(h.Emulator.Counters.ThrottleWaits, Is.Zero);
    }

    [Test]
    public async Task The_start_up_option_caps_downloads_from_the_first_request()
    {
        await using var h = await ContentStoreTests.StartAsync(kind, o => o.BandwidthBytesPerSecondPerConnection = 4 * 1024 * 1024);
        var f = await h.Api.CreateFileAsync(new FileCreate { Name = "capped.bin" });
        (await EmulatorHarness.PutAsync(f.UploadUrl, new byte[Length])).Dispose();
        var link = (await h.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { Id = f.Id }] })).Items[0].DownloadUrl;
        var afterUpload = h.Emulator.Counters.ThrottleWaits;

        Assert.That((await EmulatorHarness.Plain.GetByteArrayAsync(link)).Length, Is.EqualTo(Length));
        Assert.That(h.Emulator.Counters.ThrottleWaits - afterUpload, Is.GreaterThan(1));
    }
}
