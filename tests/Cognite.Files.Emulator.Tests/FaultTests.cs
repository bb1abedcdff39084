using System.Net;
using System.Text;
using Cognite.Files.Emulator.Tests.Support;
using Cognite.Files.Models;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Emulator.Tests;

public sealed class FaultTests
{
    private EmulatorHarness _h = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _h = await EmulatorHarness.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _h.DisposeAsync();

    [SetUp]
    public void ResetFaults()
    {
        _h.Emulator.Faults.Clear();
        _h.Emulator.Faults.BandwidthBytesPerSecondPerConnection = null;
    }

    private async Task<FileMultipartUploadResponse> InitAsync(int parts) =>
        await _h.Api.InitMultipartUploadAsync(parts, new FileCreate { Name = "fault-" + Guid.NewGuid().ToString("N")[..6] });

    private void FailFirstPutOfPart(int index, FaultKind kind, TimeSpan? stall = null) =>
        _h.Emulator.Faults.Set(new FaultOptions
        {
            Schedule = [new ScheduledFault { PartIndex = index, Attempt = 1, Kind = kind }],
            StallDuration = stall ?? TimeSpan.FromSeconds(30),
        });

    [TestCase(FaultKind.Status500, 500)]
    [TestCase(FaultKind.Status503, 503)]
    [TestCase(FaultKind.Status429WithRetryAfter, 429)]
    public async Task StatusFaults_FailOnlyTheScheduledPut_RetryReSendsOnlyThatPart(FaultKind kind, int status)
    {
        var init = await InitAsync(3);
        FailFirstPutOfPart(1, kind);
        var parts = Enumerable.Range(0, 3).Select(i => EmulatorHarness.RandomBytes(i == 2 ? 100 : 1500, 10 + i)).ToArray();
        var statuses = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await EmulatorHarness.PutAsync(init.UploadUrls[i], parts[i]);
            statuses.Add((int)response.StatusCode);
            if (i == 1)
            {
                Assert.That(response.Headers.Contains("x-request-id"), Is.True);
                var error = JObject.Parse(await response.Content.ReadAsStringAsync())["error"]!;
                Assert.That((int)error["code"]!, Is.EqualTo(status));
                if (kind == FaultKind.Status429WithRetryAfter)
                    Assert.That(response.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(1)));
            }
        }
        Assert.That(statuses, Is.EqualTo(new[] { 200, status, 200 }));
        using (var retry = await EmulatorHarness.PutAsync(init.UploadUrls[1], parts[1]))
            Assert.That(retry.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await _h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = init.Id, UploadId = init.UploadId });
        Assert.That(await _h.Emulator.GetContentSha256Async(init.Id), Is.EqualTo(EmulatorHarness.Sha256([.. parts[0], .. parts[1], .. parts[2]])));

        var counters = _h.Emulator.Counters.ForUpload(init.UploadId)!;
        Assert.That(counters.PutsByPartIndex, Is.EquivalentTo(new Dictionary<int, int> { [0] = 1, [1] = 2, [2] = 1 }));
        Assert.That(counters.FaultsByKind[kind], Is.EqualTo(1));
        Assert.That(_h.Emulator.Counters.FaultsOfKind(kind), Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public async Task ResetMidBody_AbortsTheConnection_AndStoresNothing()
    {
        var init = await InitAsync(1);
        FailFirstPutOfPart(0, FaultKind.ResetMidBody);
        var data = EmulatorHarness.RandomBytes(512 * 1024, 20);
        Assert.That(async () => (await EmulatorHarness.PutAsync(init.UploadUrls[0], data)).Dispose(), Throws.InstanceOf<HttpRequestException>());
        var counters = _h.Emulator.Counters.ForUpload(init.UploadId)!;
        Assert.That(counters.FaultsByKind[FaultKind.ResetMidBody], Is.EqualTo(1));
        Assert.That(counters.BytesReceived, Is.LessThan(data.Length));
        var incomplete = Assert.ThrowsAsync<Refit.ApiException>(() => _h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = init.Id, UploadId = init.UploadId }));
        await incomplete;

        using (var retry = await EmulatorHarness.PutAsync(init.UploadUrls[0], data))
            Assert.That(retry.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await _h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = init.Id, UploadId = init.UploadId });
        Assert.That(await _h.Emulator.GetContentSha256Async(init.Id), Is.EqualTo(EmulatorHarness.Sha256(data)));
    }

    [Test]
    public async Task Stall_ClientGivesUp_NothingStored()
    {
        var init = await InitAsync(1);
        FailFirstPutOfPart(0, FaultKind.Stall, stall: TimeSpan.FromSeconds(20));
        using var impatient = new HttpClient { Timeout = TimeSpan.FromMilliseconds(300) };
        using var content = new ByteArrayContent(EmulatorHarness.RandomBytes(4096, 30));
        Assert.That(async () => (await impatient.PutAsync(init.UploadUrls[0], content)).Dispose(), Throws.InstanceOf<TaskCanceledException>());
        Assert.That(_h.Emulator.Counters.ForUpload(init.UploadId)!.FaultsByKind[FaultKind.Stall], Is.EqualTo(1));
        var incomplete = Assert.ThrowsAsync<Refit.ApiException>(() => _h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = init.Id, UploadId = init.UploadId }));
        await incomplete;
    }

    [Test]
    public async Task ShortStall_ThenTheUploadCompletes()
    {
        var init = await InitAsync(1);
        FailFirstPutOfPart(0, FaultKind.Stall, stall: TimeSpan.FromMilliseconds(100));
        var data = EmulatorHarness.RandomBytes(100_000, 31);
        using (var response = await EmulatorHarness.PutAsync(init.UploadUrls[0], data))
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await _h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = init.Id, UploadId = init.UploadId });
        Assert.That(await _h.Emulator.GetContentSha256Async(init.Id), Is.EqualTo(EmulatorHarness.Sha256(data)));
        Assert.That(_h.Emulator.Counters.ForUpload(init.UploadId)!.FaultsByKind[FaultKind.Stall], Is.EqualTo(1));
    }

    [Test]
    public async Task BandwidthCap_ThrottlesReading()
    {
        var init = await InitAsync(1);
        _h.Emulator.Faults.BandwidthBytesPerSecondPerConnection = 2 * 1024 * 1024;
        var before = _h.Emulator.Counters.ThrottleWaits;
        var data = EmulatorHarness.RandomBytes(256 * 1024, 40);
        using (var response = await EmulatorHarness.PutAsync(init.UploadUrls[0], data))
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(_h.Emulator.Counters.ThrottleWaits - before, Is.GreaterThan(1));
        _h.Emulator.Faults.BandwidthBytesPerSecondPerConnection = null;
        var after = _h.Emulator.Counters.ThrottleWaits;
        var init2 = await InitAsync(1);
        (await EmulatorHarness.PutAsync(init2.UploadUrls[0], data)).Dispose();
        Assert.That(_h.Emulator.Counters.ThrottleWaits, Is.EqualTo(after));
    }

    [Test]
    public async Task RandomFaults_AreDeterministicForASeed()
    {
        static List<FaultKind?> Draw(int seed)
        {
            var c = new FaultController(new FaultOptions { Seed = seed, PartFailureProbability = 0.5, Kinds = [FaultKind.Status500, FaultKind.Status503, FaultKind.ResetMidBody] }, null);
            return Enumerable.Range(0, 40).Select(i => c.NextUploadFault("u", i % 4)).ToList();
        }
        var first = Draw(7);
        var again = Draw(7);
        Assert.That(again, Is.EqualTo(first));
        Assert.That(Draw(8), Is.Not.EqualTo(first));
        Assert.That(first.Count(k => k is not null), Is.InRange(8, 32));

        // probability 1 with one kind: every PUT fails with it
        _h.Emulator.Faults.Set(new FaultOptions { Seed = 1, PartFailureProbability = 1, Kinds = [FaultKind.Status503] });
        var init = await InitAsync(2);
        foreach (var url in init.UploadUrls)
        {
            using var r = await EmulatorHarness.PutAsync(url, [1]);
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        }
    }

    [Test]
    public async Task ApiFaults_Answer429WithRetryAfter()
    {
        _h.Emulator.Faults.Set(new FaultOptions { ApiFailureProbability = 1, Kinds = [FaultKind.Status429WithRetryAfter], RetryAfterSeconds = 2 });
        using var response = await _h.Http.PostAsync("files/list", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.That((int)response.StatusCode, Is.EqualTo(429));
        Assert.That(response.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(2)));
        _h.Emulator.Faults.Clear();
        using var ok = await _h.Http.PostAsync("files/list", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public void Options_AreValidated()
    {
        Assert.That(() => _h.Emulator.Faults.Set(new FaultOptions { PartFailureProbability = 2 }), Throws.ArgumentException);
        Assert.That(() => _h.Emulator.Faults.Set(new FaultOptions { Schedule = [new ScheduledFault { Kind = FaultKind.Stall }] }), Throws.ArgumentException);
        Assert.That(async () => await CogniteFilesEmulator.StartAsync(new EmulatorOptions()), Throws.ArgumentException);
    }
}
