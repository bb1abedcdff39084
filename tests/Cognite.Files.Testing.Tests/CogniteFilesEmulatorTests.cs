using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Cognite.Files.Models;
using Cognite.Files.Transfer;
using Microsoft.Extensions.DependencyInjection;
using FaultKind = Cognite.Files.Emulator.FaultKind;

namespace Cognite.Files.Testing.Tests;

/// <summary>The package API as a user's tests use it: start in one line, a client or raw HTTP, faults, counters, hashes, a manual clock.</summary>
public sealed class CogniteFilesEmulatorTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Test]
    public async Task StartAsync_WithDefaults_ListensOnAnEphemeralLoopbackPort_WithATempDirectory_AKnownTokenAndTheSystemClock()
    {
        await using var emulator = await CogniteFilesEmulator.StartAsync();

        Assert.That(emulator.BaseUrl.IsLoopback, Is.True);
        Assert.That(emulator.BaseUrl.Port, Is.Not.Zero.And.Not.EqualTo(5080));
        Assert.That(emulator.BaseUrl.AbsolutePath, Is.EqualTo("/"));
        Assert.That(emulator.Project, Is.EqualTo("test-project"));
        Assert.That(emulator.Token, Is.EqualTo("test-token"));
        Assert.That(emulator.ApiBaseUrl.ToString(), Is.EqualTo(emulator.BaseUrl + "api/v1/projects/test-project/"));
        Assert.That(emulator.DataDirectory, Does.StartWith(Path.GetFullPath(Path.GetTempPath())));
        Assert.That(Directory.Exists(emulator.DataDirectory), Is.True);
        Assert.That(emulator.MinPartSize, Is.EqualTo(MultipartLimits.MinPartSize), "CDF's rule unless lowered");
        Assert.That(emulator.HasManualClock, Is.False);
        Assert.That(emulator.TimeProvider, Is.SameAs(TimeProvider.System));
        var clock = Assert.Throws<InvalidOperationException>(() => _ = emulator.Clock);
        Assert.That(clock.Message, Does.Contain("ManualClock = true"));
    }

    [Test]
    public async Task TwoEmulators_RunSideBySide_EachWithItsOwnPortsAndData()
    {
        await using var first = await CogniteFilesEmulator.StartAsync();
        await using var second = await CogniteFilesEmulator.StartAsync(new EmulatorStartOptions { Project = "other", Token = "other-token" });
        Assert.That(second.BaseUrl.Port, Is.Not.EqualTo(first.BaseUrl.Port));
        Assert.That(second.DataDirectory, Is.Not.EqualTo(first.DataDirectory));
        Assert.That(second.ApiBaseUrl.AbsolutePath, Is.EqualTo("/api/v1/projects/other/"));

        using var client = first.CreateClient();
        await client.UploadAsync(new FileCreate { Name = "only-in-first.txt" }, new MemoryStream("x"u8.ToArray()));
        using var otherClient = second.CreateClient();
        Assert.That(await otherClient.AggregateCountAsync(), Is.Zero);
        Assert.That(await client.AggregateCountAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task CreateClient_UploadsMultipartAndDownloads_ByteExact_AndTheStoredHashMatches()
    {
        await using var emulator = await CogniteFilesEmulator.StartAsync();
        using var client = emulator.CreateClient();
        var content = RandomNumberGenerator.GetBytes((int)(2 * MultipartLimits.MinPartSize) + 17);

        var upload = await client.UploadAsync(new FileCreate { Name = "round-trip.bin", ExternalId = "round-trip" }, new MemoryStream(content));

        Assert.That(upload.Parts, Is.EqualTo(3), "the emulator's client goes multipart with 5 MiB parts");
        Assert.That(upload.File.Uploaded, Is.True);
        var expected = Convert.ToHexStringLower(SHA256.HashData(content));
        Assert.That(upload.Checksum, Is.EqualTo(ContentChecksum.Compute(content)));
        Assert.That(await emulator.GetContentSha256Async(upload.File.Id), Is.EqualTo(expected));
        Assert.That(await emulator.GetContentSha256Async(upload.File.Id + 1000), Is.Null, "no such file");

        using var copy = new MemoryStream();
        var download = await client.DownloadAsync(Identifier.FromExternalId("round-trip"), copy);
        Assert.That(download.Checksum, Is.EqualTo(ContentChecksum.Compute(content)));
        Assert.That(copy.ToArray().AsSpan().SequenceEqual(content), Is.True, "downloaded byte-exact");

        var counters = emulator.Counters.Snapshot();
        Assert.That(counters.UploadPutRequests, Is.EqualTo(3));
        Assert.That(counters.UploadBytesReceived, Is.EqualTo(content.Length));
        Assert.That(counters.DownloadRequests, Is.EqualTo(3), "a seekable destination is downloaded in ranges of the part size");
        Assert.That(download.Ranges, Is.EqualTo(3));
        Assert.That(counters.DownloadBytesSent, Is.EqualTo(content.Length));
        Assert.That(counters.AuthorizationHeaderOnUploadUrl, Is.Zero);
    }

    [Test]
    public async Task CreateClient_SmallContent_GoesInOneRequest_AndConfigureHasTheLastWord()
    {
        await using var emulator = await CogniteFilesEmulator.StartAsync();
        using var client = emulator.CreateClient(o => o.AppName = "my-app");
        Assert.That(client.Options.AppName, Is.EqualTo("my-app"));
        Assert.That(client.Options.Project, Is.EqualTo(emulator.Project));
        Assert.That(client.Options.Transfer.PartSize, Is.EqualTo(MultipartLimits.MinPartSize));

        var upload = await client.UploadAsync(new FileCreate { Name = "small.txt" }, new MemoryStream(new byte[1000]));
        Assert.That(upload.Parts, Is.EqualTo(1));
        Assert.That(emulator.Counters.UploadPutRequests, Is.EqualTo(1));
    }

    [Test]
    public async Task AScheduledFault_FailsThatPartOnce_AndTheClientRetriesOnlyIt()
    {
        await using var emulator = await CogniteFilesEmulator.StartAsync();
        using var client = emulator.CreateClient();
        emulator.Faults.OnPart(1).Respond503();
        Assert.That(emulator.Faults.Current.Schedule, Has.Count.EqualTo(1));

        var content = RandomNumberGenerator.GetBytes((int)(2 * MultipartLimits.MinPartSize) + 5);
        var upload = await client.UploadAsync(new FileCreate { Name = "faulted.bin" }, new MemoryStream(content));

        Assert.That(upload.Retries, Is.EqualTo(1));
        Assert.That(await emulator.GetContentSha256Async(upload.File.Id), Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(content))));
        Assert.That(upload.Checksum, Is.EqualTo(ContentChecksum.Compute(content)));
        var perUpload = emulator.Counters.ForUpload(upload.UploadId)!;
        Assert.That(perUpload.PutsByPartIndex, Is.EquivalentTo(new Dictionary<int, int> { [0] = 1, [1] = 2, [2] = 1 }));
        Assert.That(emulator.Counters.FaultsOfKind(FaultKind.Status503), Is.EqualTo(1));
        Assert.That(emulator.Counters.FaultsInjected, Is.EqualTo(1));
    }

    [Test]
    public async Task ScheduledFaults_Chain_AndClearTurnsThemOff()
    {
        await using var emulator = await CogniteFilesEmulator.StartAsync();
        emulator.Faults
            .OnPart(0).ResetMidBody()
            .OnPart(0, attempt: 2).With(FaultKind.Status500)
            .OnPut(5).Respond429()
            .StallFor(TimeSpan.FromSeconds(2))
            .RetryAfter(3);
        var current = emulator.Faults.Current;
        Assert.That(current.Schedule.Select(s => (s.PartIndex, s.PutNumber, s.Attempt, s.Kind)), Is.EqualTo(new[]
        {
            ((int?)0, (int?)null, 1, FaultKind.ResetMidBody),
            (0, null, 2, FaultKind.Status500),
            (null, 5, 1, FaultKind.Status429WithRetryAfter),
        }));
        Assert.That(current.StallDuration, Is.EqualTo(TimeSpan.FromSeconds(2)));
        Assert.That(current.RetryAfterSeconds, Is.EqualTo(3));

        using var client = emulator.CreateClient();
        var upload = await client.UploadAsync(new FileCreate { Name = "twice.txt" }, new MemoryStream(new byte[4096]));
        Assert.That(upload.Retries, Is.EqualTo(2), "reset, then 500, then success");
        Assert.That(emulator.Counters.FaultsOfKind(FaultKind.ResetMidBody), Is.EqualTo(1));
        Assert.That(emulator.Counters.FaultsOfKind(FaultKind.Status500), Is.EqualTo(1));

        emulator.Faults.LimitBandwidth(1_000_000).Clear();
        Assert.That(emulator.Faults.Current.Schedule, Is.Empty);
        Assert.That(emulator.Faults.BandwidthBytesPerSecondPerConnection, Is.Null);
    }

    [Test]
    public async Task RandomFaults_WithProbabilityOne_FailEveryPut_OfTheKindsDrawnFrom()
    {
        await using var emulator = await CogniteFilesEmulator.StartAsync();
        emulator.Faults.FailRandomly(1.0, seed: 42).DrawFrom(FaultKind.Status503);
        Assert.That(emulator.Faults.Current.Seed, Is.EqualTo(42));
        using var client = emulator.CreateClient(o => o.Transfer.MaxAttemptsPerPart = 3);

        var error = await Assert.ThrowsAsync<CogniteUploadException>(() => client.UploadAsync(new FileCreate { Name = "doomed.txt" }, new MemoryStream(new byte[100])));

        Assert.That(error!.Reason, Is.EqualTo(UploadFailureReason.PartFailed));
        Assert.That(emulator.Counters.FaultsOfKind(FaultKind.Status503), Is.EqualTo(3));
        Assert.That(emulator.Counters.UploadPutRequests, Is.EqualTo(3));
    }

    [Test]
    public async Task ABandwidthCap_ThrottlesUploadBodies()
    {
        await using var emulator = await CogniteFilesEmulator.StartAsync();
        emulator.Faults.LimitBandwidth(256 * 1024);
        using var client = emulator.CreateClient();

        await client.UploadAsync(new FileCreate { Name = "slow.bin" }, new MemoryStream(new byte[512 * 1024]));

        Assert.That(emulator.Counters.ThrottleWaits, Is.GreaterThan(0));
    }

    [Test]
    public async Task WaitForAsync_CompletesWhenTheServerHasSeenThePut_WithoutPolling()
    {
        await using var emulator = await CogniteFilesEmulator.StartAsync();
        using var client = emulator.CreateClient();
        using var timeout = new CancellationTokenSource(Patience);
        var seen = emulator.Counters.WaitForAsync(c => c.UploadPutRequests >= 1, timeout.Token);
        Assert.That(seen.IsCompleted, Is.False);

        var upload = client.UploadAsync(new FileCreate { Name = "awaited.txt" }, new MemoryStream(new byte[10]));
        await seen;
        await upload;
        Assert.That(emulator.Counters.UploadPutRequests, Is.EqualTo(1));
    }

    [Test]
    public async Task BaseUrlProjectAndToken_ServeARawHttpClient_AndOtherTokensGet401()
    {
        await using var emulator = await CogniteFilesEmulator.StartAsync();
        using var http = new HttpClient { BaseAddress = emulator.ApiBaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", emulator.Token);

        using var created = await http.PostAsync("files", Json("""{"name":"raw.txt"}"""));
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        var file = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        using var put = new HttpClient();
        using var stored = await put.PutAsync((string)file["uploadUrl"]!, new ByteArrayContent("hello"u8.ToArray()));
        Assert.That(stored.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await emulator.GetContentSha256Async((long)file["id"]!), Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData("hello"u8))));

        using var list = await http.PostAsync("files/list", Json("{}"));
        Assert.That(list.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        using var wrong = new HttpRequestMessage(HttpMethod.Post, "files/list") { Content = Json("{}") };
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-token");
        using var refused = await http.SendAsync(wrong);
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task ConfigureClient_AndCreateTokenProvider_WireAClientFromDependencyInjection()
    {
        await using var emulator = await CogniteFilesEmulator.StartAsync();
        var services = new ServiceCollection();
        services.AddCogniteFiles(emulator.ConfigureClient, _ => emulator.CreateTokenProvider());
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<CogniteFilesClient>();

        await client.UploadAsync(new FileCreate { Name = "di.txt" }, new MemoryStream(new byte[3]));
        Assert.That(await client.AggregateCountAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task ManualClock_AdvancingPastAWeek_ExpiresAnUploadUrl()
    {
        var start = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);
        await using var emulator = await CogniteFilesEmulator.StartAsync(new EmulatorStartOptions { ManualClock = true, ClockStart = start });
        Assert.That(emulator.HasManualClock, Is.True);
        Assert.That(emulator.Clock.GetUtcNow(), Is.EqualTo(start));
        using var http = new HttpClient { BaseAddress = emulator.ApiBaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", emulator.Token);
        using var created = await http.PostAsync("files", Json("""{"name":"late.txt"}"""));
        var file = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        Assert.That((long)file["createdTime"]!, Is.EqualTo(start.ToUnixTimeMilliseconds()), "timestamps follow the manual clock");

        emulator.Clock.Advance(TimeSpan.FromDays(8));

        using var put = new HttpClient();
        using var expired = await put.PutAsync((string)file["uploadUrl"]!, new ByteArrayContent(new byte[5]));
        Assert.That(expired.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(emulator.Counters.RejectedSignatures, Is.EqualTo(1));
    }

    [Test]
    public async Task ManualClock_TheUploadedFlagAppears_WhenTheTestAdvancesPastTheDelay()
    {
        await using var emulator = await CogniteFilesEmulator.StartAsync(new EmulatorStartOptions { ManualClock = true, UploadedFlagDelay = TimeSpan.FromMinutes(5) });
        using var client = emulator.CreateClient();
        using var timeout = new CancellationTokenSource(Patience);

        var upload = client.UploadAsync(new FileCreate { Name = "delayed.txt" }, new MemoryStream(new byte[64]), cancellationToken: timeout.Token);
        // POST /files, the PUT, then the client's first look at `uploaded` (false: no time has passed on the emulator).
        await emulator.Counters.WaitForAsync(c => c.UploadPutRequests == 1 && c.ApiRequests >= 2, timeout.Token);
        Assert.That(upload.IsCompleted, Is.False, "the client waits for the uploaded flag");

        emulator.Clock.Advance(TimeSpan.FromMinutes(5));

        var result = await upload;
        Assert.That(result.File.Uploaded, Is.True);
    }

    [Test]
    public async Task Dispose_DeletesTheTempDirectory_ButKeepsADirectoryYouNamed_AndDisposesTheClients()
    {
        var emulator = await CogniteFilesEmulator.StartAsync();
        var client = emulator.CreateClient();
        await client.UploadAsync(new FileCreate { Name = "gone.txt" }, new MemoryStream(new byte[10]));
        var temp = emulator.DataDirectory;
        Assert.That(Directory.EnumerateFileSystemEntries(temp), Is.Not.Empty);

        await emulator.DisposeAsync();
        await emulator.DisposeAsync(); // idempotent

        Assert.That(Directory.Exists(temp), Is.False);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.AggregateCountAsync());
        Assert.Throws<ObjectDisposedException>(() => emulator.CreateClient());

        var mine = Directory.CreateTempSubdirectory("cf-testing-kept-").FullName;
        try
        {
            long id;
            await using (var first = await CogniteFilesEmulator.StartAsync(new EmulatorStartOptions { DataDirectory = mine }))
            {
                using var c = first.CreateClient();
                id = (await c.UploadAsync(new FileCreate { Name = "kept.txt" }, new MemoryStream("kept"u8.ToArray()))).File.Id;
            }

            Assert.That(Directory.Exists(mine), Is.True);
            await using var restarted = await CogniteFilesEmulator.StartAsync(new EmulatorStartOptions { DataDirectory = mine });
            Assert.That(await restarted.GetContentSha256Async(id), Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData("kept"u8))), "the data survived a restart");
        }
        finally
        {
            Directory.Delete(mine, recursive: true);
        }
    }

    [Test]
    public async Task StartOptions_AreChecked_BeforeAnythingStarts()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => CogniteFilesEmulator.StartAsync(new EmulatorStartOptions { Token = " " }));
        await Assert.ThrowsAsync<ArgumentException>(() => CogniteFilesEmulator.StartAsync(new EmulatorStartOptions { Project = "" }));
        await Assert.ThrowsAsync<ArgumentException>(() => CogniteFilesEmulator.StartAsync(new EmulatorStartOptions { ClockStart = DateTimeOffset.UnixEpoch }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => CogniteFilesEmulator.StartAsync(new EmulatorStartOptions { MinPartSize = -1 }));
    }

    [Test]
    public async Task ConfigureEmulator_ReachesEveryEmulatorOption()
    {
        var lines = new List<string>();
        await using var emulator = await CogniteFilesEmulator.StartAsync(new EmulatorStartOptions
        {
            MinPartSize = 1024,
            RequestLog = line => { lock (lines) lines.Add(line); },
            ConfigureEmulator = o => o.BandwidthBytesPerSecondPerConnection = 10_000_000,
        });
        Assert.That(emulator.MinPartSize, Is.EqualTo(1024));
        Assert.That(emulator.Faults.BandwidthBytesPerSecondPerConnection, Is.EqualTo(10_000_000));
        using var client = emulator.CreateClient();
        await client.AggregateCountAsync();
        lock (lines)
        {
            Assert.That(lines, Has.Some.Contains("/files/aggregate"));
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
