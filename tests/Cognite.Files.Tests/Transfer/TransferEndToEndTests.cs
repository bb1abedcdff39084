using System.Security.Cryptography;
using Cognite.Files.Auth;
using Cognite.Files.Emulator;
using Cognite.Files.Models;
using Cognite.Files.Transfer;

namespace Cognite.Files.Tests.Transfer;

/// <summary>The multipart engine through <see cref="CogniteFilesClient"/> against the in-process emulator (real HTTP on loopback).</summary>
[NonParallelizable]
public class TransferEndToEndTests
{
    private const int PartSize = 256 * 1024;

    private CogniteFilesEmulator _emulator = null!;
    private string _dir = null!;

    [OneTimeSetUp]
    public async Task StartEmulator()
    {
        _dir = Directory.CreateTempSubdirectory("cognite-transfer-e2e-").FullName;
        _emulator = await CogniteFilesEmulator.StartAsync(new EmulatorOptions
        {
            DataDirectory = Path.Combine(_dir, "emulator"),
            MinPartSize = PartSize,
            UploadedFlagDelay = TimeSpan.FromMilliseconds(200),
        });
    }

    [OneTimeTearDown]
    public async Task StopEmulator()
    {
        await _emulator.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [SetUp]
    public void ClearFaults()
    {
        _emulator.Faults.Clear();
        _emulator.Faults.BandwidthBytesPerSecondPerConnection = null;
    }

    /// <summary>A client of the emulator; <paramref name="api"/>, when given, is the primary handler of its API requests (to watch them).</summary>
    private CogniteFilesClient Client(int attempts = 6, int concurrency = 4, HttpMessageHandler? api = null) => new(
        new CogniteFilesClientOptions
        {
            BaseUrl = new Uri(_emulator.ApiBaseUrl.GetLeftPart(UriPartial.Authority)),
            Project = _emulator.Options.Project,
            AppName = "transfer-e2e",
            Transfer = new TransferOptions
            {
                SingleUploadThreshold = 0, // these files are a few MiB: multipart, as larger ones would be
                MinimumPartSize = 1,
                PartSize = PartSize,
                MaxConcurrency = concurrency,
                MaxAttemptsPerPart = attempts,
                RetryBaseDelay = TimeSpan.FromMilliseconds(20),
                MaxRetryDelay = TimeSpan.FromSeconds(2),
                StallTimeout = TimeSpan.FromSeconds(1),
                UploadedConfirmationTimeout = TimeSpan.FromSeconds(10),
            },
        },
        new StaticAccessTokenProvider("e2e-token"),
        null,
        null,
        api,
        null);

    private (string Path, byte[] Content) WriteFile(int length, int seed)
    {
        var content = new byte[length];
        new Random(seed).NextBytes(content);
        var path = Path.Combine(_dir, $"source-{seed}.bin");
        File.WriteAllBytes(path, content);
        return (path, content);
    }

    private async Task AssertStoredAsync(UploadResult result, byte[] content)
    {
        Assert.That(result.Checksum, Is.EqualTo(ContentChecksum.Compute(content)));
        Assert.That(await _emulator.GetContentSha256Async(result.File.Id), Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(content))));
        Assert.That(result.File.Uploaded, Is.True);
        Assert.That(_emulator.Counters.AuthorizationHeaderOnUploadUrl, Is.Zero, "no token reached an upload URL");
    }

    [Test]
    public async Task A_file_uploads_in_parts_byte_exact_without_auth_on_upload_urls()
    {
        var (path, content) = WriteFile((12 * PartSize) + 12345, 1);
        using var client = Client();

        var result = await client.UploadAsync(new FileCreate { Name = "file.bin", ExternalId = "e2e-file" }, path);

        await AssertStoredAsync(result, content);
        Assert.That(result.Parts, Is.EqualTo(13));
        var puts = _emulator.Counters.ForUpload(result.UploadId)!.PutsByPartIndex;
        Assert.That(puts.Keys, Is.EquivalentTo(Enumerable.Range(0, 13)));
        Assert.That(puts.Values, Is.All.EqualTo(1));
    }

    [Test]
    public async Task A_non_seekable_stream_uploads_byte_exact()
    {
        var (_, content) = WriteFile((7 * PartSize) + 1, 2);
        using var client = Client();

        var result = await client.UploadAsync(new FileCreate { Name = "stream.bin" }, new NonSeekableStream(new MemoryStream(content)), new UploadOptions { ContentLength = content.Length });

        await AssertStoredAsync(result, content);
        Assert.That(result.Parts, Is.EqualTo(8));
    }

    [Test]
    public async Task Injected_500_503_429_reset_and_stall_are_survived_by_retrying_only_those_parts()
    {
        _emulator.Faults.Set(new FaultOptions
        {
            StallDuration = TimeSpan.FromSeconds(30),
            RetryAfterSeconds = 1,
            Schedule =
            [
                new ScheduledFault { PartIndex = 1, Kind = FaultKind.Status500 },
                new ScheduledFault { PartIndex = 2, Kind = FaultKind.Status503 },
                new ScheduledFault { PartIndex = 3, Kind = FaultKind.Status429WithRetryAfter },
                new ScheduledFault { PartIndex = 4, Kind = FaultKind.ResetMidBody },
                new ScheduledFault { PartIndex = 5, Kind = FaultKind.Stall },
            ],
        });
        var (path, content) = WriteFile(8 * PartSize, 3);
        using var client = Client();

        var result = await client.UploadAsync(new FileCreate { Name = "faults.bin" }, path);

        await AssertStoredAsync(result, content);
        var puts = _emulator.Counters.ForUpload(result.UploadId)!.PutsByPartIndex;
        Assert.That(Enumerable.Range(1, 5).Select(i => puts[i]), Is.All.EqualTo(2), "each faulted part was sent twice");
        Assert.That(new[] { 0, 6, 7 }.Select(i => puts[i]), Is.All.EqualTo(1), "healthy parts were sent once");
        Assert.That(result.Retries, Is.EqualTo(5));
    }

    [Test]
    public async Task Random_part_faults_are_survived()
    {
        _emulator.Faults.Set(new FaultOptions
        {
            Seed = 7,
            PartFailureProbability = 0.3,
            Kinds = [FaultKind.Status500, FaultKind.Status503, FaultKind.Status429WithRetryAfter, FaultKind.ResetMidBody],
            RetryAfterSeconds = 1,
        });
        var (_, content) = WriteFile(10 * PartSize, 4);
        using var client = Client(attempts: 10);

        var result = await client.UploadAsync(new FileCreate { Name = "random-faults.bin" }, new NonSeekableStream(new MemoryStream(content)), new UploadOptions { ContentLength = content.Length });

        await AssertStoredAsync(result, content);
        Assert.That(result.Retries, Is.GreaterThan(0));
    }

    [Test]
    public async Task An_existing_file_gets_its_content_through_multiuploadlink()
    {
        using var client = Client();
        var created = await client.Api.CreateFileAsync(new FileCreate { Name = "existing.bin", ExternalId = "e2e-existing" });
        var (path, content) = WriteFile((3 * PartSize) + 7, 5);

        var result = await client.UploadAsync(Identifier.FromExternalId("e2e-existing"), path);

        Assert.That(result.File.Id, Is.EqualTo(created.Id));
        await AssertStoredAsync(result, content);
    }

    [Test]
    public async Task An_interrupted_upload_resumes_sending_only_the_missing_parts()
    {
        _emulator.Faults.Set(new FaultOptions { Schedule = [new ScheduledFault { PartIndex = 3, Kind = FaultKind.Status500 }] });
        var (path, content) = WriteFile(6 * PartSize, 6);
        var journal = Path.Combine(_dir, "resume.journal");
        using (var failing = Client(attempts: 1, concurrency: 1))
        {
            var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => failing.UploadAsync(new FileCreate { Name = "resume.bin" }, path, new UploadOptions { JournalPath = journal }));
            Assert.That(ex!.PartIndex, Is.EqualTo(3));
        }

        using var client = Client();
        var result = await client.ResumeUploadAsync(journal, path);

        await AssertStoredAsync(result, content);
        Assert.That(result.PartsSkipped, Is.EqualTo(3));
        var puts = _emulator.Counters.ForUpload(result.UploadId)!.PutsByPartIndex;
        Assert.That(new[] { 0, 1, 2, 4, 5 }.Select(i => puts[i]), Is.All.EqualTo(1));
        Assert.That(puts[3], Is.EqualTo(2));
        Assert.That(File.Exists(journal), Is.False);
    }

    [Test]
    public async Task StoreChecksum_adds_the_checksum_to_the_files_metadata_and_keeps_its_other_pairs()
    {
        var (path, content) = WriteFile((3 * PartSize) + 11, 8);
        using var client = Client();

        var result = await client.UploadAsync(
            new FileCreate { Name = "stored.bin", Metadata = new Dictionary<string, string> { ["site"] = "A" } }, path, new UploadOptions { StoreChecksum = true });

        await AssertStoredAsync(result, content);
        var expected = ContentChecksum.FormatMetadataValue(ContentChecksum.Compute(content), content.Length);
        var stored = await client.RetrieveAsync(result.File.Id);
        Assert.That(stored.Metadata, Is.EquivalentTo(new Dictionary<string, string> { ["site"] = "A", [ContentChecksum.MetadataKey] = expected }));
        Assert.That(result.File.Metadata, Is.EquivalentTo(stored.Metadata), "the result carries the updated metadata");
        Assert.That(ContentChecksum.TryParseMetadataValue(stored.Metadata![ContentChecksum.MetadataKey], out var checksum, out var length), Is.True);
        Assert.That((checksum, length), Is.EqualTo((result.Checksum, (long)content.Length)));
    }

    /// <summary>Counts the API's <c>POST …/files/update</c> requests, then sends them on.</summary>
    private sealed class UpdateCounter() : DelegatingHandler(Cognite.Files.Http.CogniteHttpPipeline.CreatePrimaryHandler(decompress: true))
    {
        private int _updates;

        public int Updates => Volatile.Read(ref _updates);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath.EndsWith("/files/update", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _updates);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }

    [TestCase(3 * PartSize + 5, TestName = "New_content_for_a_file_with_a_stored_checksum_removes_it_and_downloads_pass(multipart)")]
    [TestCase(100, TestName = "New_content_for_a_file_with_a_stored_checksum_removes_it_and_downloads_pass(one request)")]
    public async Task New_content_for_a_file_with_a_stored_checksum_removes_it_and_downloads_pass(int length)
    {
        var externalId = "e2e-stale-" + length;
        var (first, _) = WriteFile((2 * PartSize) + 3, 20);
        var (second, content) = WriteFile(length, 21);
        using var counter = new UpdateCounter();
        using var client = Client(api: counter);
        var options = new UploadOptions { Transfer = new TransferOptions { SingleUploadThreshold = 1000, MinimumPartSize = 1, PartSize = PartSize } };
        var created = await client.UploadAsync(
            new FileCreate { Name = "stale.bin", ExternalId = externalId, Metadata = new Dictionary<string, string> { ["site"] = "A" } }, first, new UploadOptions { StoreChecksum = true });
        var updatesBefore = counter.Updates;

        var result = await client.UploadAsync(Identifier.FromExternalId(externalId), second, options);

        Assert.That(counter.Updates - updatesBefore, Is.EqualTo(1), "one update: the removal");
        var stored = await client.RetrieveAsync(created.File.Id);
        Assert.That(stored.Metadata, Is.EquivalentTo(new Dictionary<string, string> { ["site"] = "A" }), "the stale pair is gone, the others stay");
        Assert.That(result.File.Metadata, Is.EquivalentTo(stored.Metadata), "the result carries the updated metadata");
        var copy = Path.Combine(_dir, $"stale-copy-{length}.bin");
        var downloaded = await client.DownloadAsync(Identifier.FromId(created.File.Id), copy);
        Assert.That(File.ReadAllBytes(copy), Is.EqualTo(content), "the download's check no longer meets the old content's checksum");
        Assert.That(downloaded.Verified, Is.False, "nothing stored to verify against");

        // Again, now without a stored checksum: no request beyond the upload's own.
        var again = counter.Updates;
        await client.UploadAsync(Identifier.FromExternalId(externalId), first, options);
        Assert.That(counter.Updates, Is.EqualTo(again), "no update when the file holds no checksum");

        // And with StoreChecksum the new value replaces the old one, in one update.
        await client.UploadAsync(Identifier.FromExternalId(externalId), first, new UploadOptions { StoreChecksum = true });
        await client.UploadAsync(Identifier.FromExternalId(externalId), second, new UploadOptions { StoreChecksum = true });
        Assert.That((await client.RetrieveAsync(created.File.Id)).Metadata![ContentChecksum.MetadataKey], Is.EqualTo(ContentChecksum.FormatMetadataValue(ContentChecksum.Compute(content), content.Length)));
        Assert.That((await client.DownloadAsync(Identifier.FromId(created.File.Id), copy, new DownloadOptions { Overwrite = true })).Verified, Is.True);
    }

    [Test]
    public async Task A_resumed_upload_into_a_file_with_a_stored_checksum_removes_it()
    {
        var externalId = "e2e-stale-resume";
        var (first, _) = WriteFile(PartSize + 1, 22);
        var (second, content) = WriteFile(5 * PartSize, 23);
        using var client = Client();
        var created = await client.UploadAsync(new FileCreate { Name = "stale-resume.bin", ExternalId = externalId }, first, new UploadOptions { StoreChecksum = true });
        var journal = Path.Combine(_dir, "stale-resume.journal");
        _emulator.Faults.Set(new FaultOptions { Schedule = [new ScheduledFault { PartIndex = 3, Kind = FaultKind.Status500 }] });
        using (var failing = Client(attempts: 1, concurrency: 1))
        {
            await Assert.ThrowsAsync<CogniteUploadException>(() => failing.UploadAsync(Identifier.FromExternalId(externalId), second, new UploadOptions { JournalPath = journal }));
        }

        _emulator.Faults.Clear();
        var result = await client.ResumeUploadAsync(journal, second);

        Assert.That(result.PartsSkipped, Is.EqualTo(3));
        Assert.That((await client.RetrieveAsync(created.File.Id)).Metadata ?? new Dictionary<string, string>(), Does.Not.ContainKey(ContentChecksum.MetadataKey));
        var copy = Path.Combine(_dir, "stale-resume-copy.bin");
        await client.DownloadAsync(Identifier.FromId(created.File.Id), copy);
        Assert.That(File.ReadAllBytes(copy), Is.EqualTo(content));
    }

    [Test]
    public async Task Cancelling_aborts_in_flight_puts_and_completes_nothing()
    {
        // 16 KiB/s per connection: each 256 KiB part needs 16 s to arrive. Had the cancel not aborted the in-flight
        // PUTs, the upload could only return once they had all arrived; so fewer bytes received than the content
        // length when it returns proves the abort, whatever the speed of the machine.
        _emulator.Faults.BandwidthBytesPerSecondPerConnection = 16 * 1024;
        var (path, content) = WriteFile(8 * PartSize, 7);
        using var client = Client();
        using var cts = new CancellationTokenSource();
        var firstBytes = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var progress = new CallbackProgress<UploadProgress>(_ => firstBytes.TrySetResult());
        var uploadsBefore = _emulator.Counters.Snapshot().Uploads.Keys.ToHashSet();

        var upload = client.UploadAsync(new FileCreate { Name = "cancel.bin", ExternalId = "e2e-cancel" }, path, new UploadOptions { Progress = progress }, cts.Token);
        await firstBytes.Task;
        await cts.CancelAsync();
        await Assert.CatchAsync<OperationCanceledException>(() => upload);

        var received = _emulator.Counters.Snapshot().Uploads.Where(u => !uploadsBefore.Contains(u.Key)).Sum(u => u.Value.BytesReceived);
        Assert.That(received, Is.LessThan(content.Length), "the in-flight PUTs were aborted, not waited for");
        Assert.That(client.UploadEngine.Limiter.InFlight, Is.Zero);

        var file = (await client.Api.RetrieveFilesAsync(new FileRetrieveRequest { Items = [Identifier.FromExternalId("e2e-cancel")] })).Items.Single();
        Assert.That(file.Uploaded, Is.False, "nothing was completed");
    }
}
