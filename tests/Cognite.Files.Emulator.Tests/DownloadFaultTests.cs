using System.Net;
using System.Net.Http.Headers;
using Cognite.Files.Emulator.Tests.Support;
using Cognite.Files.Models;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Emulator.Tests;

/// <summary>
/// Faults on download GETs, for testing a client's ranged downloads: by number (the Nth GET, ranged or not) or at
/// random; a status answer, a reset after part of the body, or a stall. HEAD is never faulted.
/// </summary>
public sealed class DownloadFaultTests
{
    private const int Length = 256 * 1024;
    private EmulatorHarness _h = null!;
    private byte[] _content = null!;
    private string _link = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _h = await EmulatorHarness.StartAsync(o => o.TimeProvider = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow));
        _content = EmulatorHarness.RandomBytes(Length, 21);
        var f = await _h.Api.CreateFileAsync(new FileCreate { Name = "faulty.bin" });
        (await EmulatorHarness.PutAsync(f.UploadUrl, _content)).Dispose();
        _link = (await _h.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { Id = f.Id }] })).Items[0].DownloadUrl;
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _h.DisposeAsync();

    [SetUp]
    public void NoFaults()
    {
        _h.Emulator.Faults.Clear();
        _h.Emulator.Counters.Reset();
    }

    private void Schedule(int downloadNumber, FaultKind kind, TimeSpan? stall = null) => _h.Emulator.Faults.Set(new FaultOptions
    {
        Schedule = [new ScheduledFault { DownloadNumber = downloadNumber, Kind = kind }],
        StallDuration = stall ?? TimeSpan.FromSeconds(30),
    });

    private async Task<HttpResponseMessage> GetAsync(RangeHeaderValue? range = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _link) { Headers = { Range = range } };
        return await EmulatorHarness.Plain.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    [TestCase(FaultKind.Status500, 500)]
    [TestCase(FaultKind.Status503, 503)]
    [TestCase(FaultKind.Status429WithRetryAfter, 429)]
    public async Task The_Nth_GET_answers_the_status_once_with_a_CDF_error_and_the_next_one_succeeds(FaultKind kind, int status)
    {
        Schedule(2, kind);

        using (var first = await GetAsync()) Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using (var second = await GetAsync(new RangeHeaderValue(0, 99)))
        {
            Assert.That((int)second.StatusCode, Is.EqualTo(status));
            Assert.That((int)JObject.Parse(await second.Content.ReadAsStringAsync())["error"]!["code"]!, Is.EqualTo(status));
            if (kind == FaultKind.Status429WithRetryAfter) Assert.That(second.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(1)));
        }

        using var third = await GetAsync(new RangeHeaderValue(0, 99));
        Assert.That(third.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        Assert.That(_h.Emulator.Counters.FaultsOfKind(kind), Is.EqualTo(1));
    }

    [Test]
    public async Task A_reset_sends_part_of_the_range_then_cuts_the_connection()
    {
        Schedule(1, FaultKind.ResetMidBody);

        using var response = await GetAsync(new RangeHeaderValue(1000, 1000 + 99_999));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        Assert.That(response.Content.Headers.ContentLength, Is.EqualTo(100_000), "the headers promise the whole range");
        await using var body = await response.Content.ReadAsStreamAsync();
        using var received = new MemoryStream();
        Assert.That(async () => await body.CopyToAsync(received), Throws.InstanceOf<HttpRequestException>().Or.InstanceOf<IOException>());

        Assert.That(received.ToArray(), Is.EqualTo(_content[1000..(1000 + 50_000)]), "half of the range (MidBodyFraction), then nothing");
        Assert.That(_h.Emulator.Counters.DownloadBytesSent, Is.EqualTo(50_000));
        using var retried = await GetAsync(new RangeHeaderValue(1000 + 50_000, 1000 + 99_999));
        Assert.That(await retried.Content.ReadAsByteArrayAsync(), Is.EqualTo(_content[(1000 + 50_000)..(1000 + 100_000)]), "a retry of the rest goes through");
    }

    [Test]
    public async Task A_stall_pauses_after_part_of_the_body_and_then_sends_the_rest()
    {
        Schedule(1, FaultKind.Stall, stall: TimeSpan.Zero); // the path, without a test that waits

        using var response = await GetAsync();

        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(_content));
        Assert.That(_h.Emulator.Counters.FaultsOfKind(FaultKind.Stall), Is.EqualTo(1));
    }

    [Test]
    public async Task Random_download_faults_hit_every_GET_at_probability_one_but_never_HEAD()
    {
        _h.Emulator.Faults.Set(new FaultOptions { DownloadFailureProbability = 1, Kinds = [FaultKind.Status503], Seed = 3 });

        using (var head = await EmulatorHarness.Plain.SendAsync(new HttpRequestMessage(HttpMethod.Head, _link))) Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        for (var i = 0; i < 3; i++)
        {
            using var get = await GetAsync(new RangeHeaderValue(i, i));
            Assert.That(get.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        }

        Assert.That(_h.Emulator.Counters.FaultsOfKind(FaultKind.Status503), Is.EqualTo(3));
    }

    [Test]
    public void A_scheduled_fault_names_exactly_one_point()
    {
        var both = new FaultOptions { Schedule = [new ScheduledFault { PutNumber = 1, DownloadNumber = 1, Kind = FaultKind.Status500 }] };
        Assert.Throws<ArgumentException>(() => _h.Emulator.Faults.Set(both));
        Assert.Throws<ArgumentException>(() => _h.Emulator.Faults.Set(new FaultOptions { Schedule = [new ScheduledFault { DownloadNumber = 0, Kind = FaultKind.Status500 }] }));
        Assert.Throws<ArgumentException>(() => _h.Emulator.Faults.Set(new FaultOptions { DownloadFailureProbability = 1.5 }));
    }

    [Test]
    public async Task Download_faults_are_set_through_the_admin_endpoint_too()
    {
        using var admin = new HttpClient { BaseAddress = _h.Emulator.AdminBaseUrl };
        using var set = await admin.PostAsync("faults", new StringContent("""{"schedule":[{"downloadNumber":1,"kind":"Status500"}],"downloadFailureProbability":0}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.That(set.StatusCode, Is.EqualTo(HttpStatusCode.OK), await set.Content.ReadAsStringAsync());

        using var response = await GetAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
    }
}
