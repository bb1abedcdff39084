using Cognite.Files.Auth;
using Cognite.Files.Emulator;
using Cognite.Files.Http;
using Cognite.Files.Models;
using Cognite.Files.Transfer;
using Microsoft.Extensions.Time.Testing;

namespace Cognite.Files.Tests.Transfer;

/// <summary>
/// Ranged downloads against the in-process emulator (real Kestrel and sockets, its <c>Range</c> support): byte-exact
/// ranges with nothing fetched twice, the fallback when it ignores ranges, a link that expires on its clock, a resume,
/// the stored checksum, and one version per download (the emulator's ETag and If-Match) when the file is overwritten
/// between two ranges.
/// </summary>
[NonParallelizable]
public class DownloadEmulatorTests
{
    private const string Token = "download-token";
    private const int RangeSize = 64 * 1024;

    private DirectoryInfo _dir = null!;
    private CogniteFilesEmulator _emulator = null!;
    private FakeTimeProvider _emulatorClock = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _dir = Directory.CreateTempSubdirectory("cf-dl-emu-");
        _emulatorClock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _emulator = await CogniteFilesEmulator.StartAsync(new EmulatorOptions
        {
            DataDirectory = Path.Combine(_dir.FullName, "data"),
            AcceptedTokens = [Token],
            MinPartSize = 1,
            TimeProvider = _emulatorClock,
        });
    }

    [TearDown]
    public async Task StopAsync()
    {
        await _emulator.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    /// <summary>A client with small ranges; <paramref name="onGet"/> sees each GET of a download URL before it is sent.</summary>
    private CogniteFilesClient Client(int concurrency = 4, Func<HttpRequestMessage, Task>? onGet = null)
    {
        var options = new CogniteFilesClientOptions
        {
            BaseUrl = new Uri(_emulator.ApiBaseUrl.GetLeftPart(UriPartial.Authority)),
            Project = _emulator.Options.Project,
            AppName = "download-tests",
            Transfer = FakeDownloadServer.Transfer(RangeSize, concurrency),
        };
        var presigned = new Hook(onGet) { InnerHandler = CogniteHttpPipeline.CreatePrimaryHandler(decompress: false) };
        return new CogniteFilesClient(options, new StaticAccessTokenProvider(Token), null, null, null, presigned);
    }

    private async Task<(long Id, byte[] Content)> UploadAsync(CogniteFilesClient client, int length, int seed = 1, string? externalId = null)
    {
        var content = Bytes(length, seed);
        var result = await client.UploadAsync(new FileCreate { Name = "d.bin", ExternalId = externalId }, new MemoryStream(content));
        return (result.File.Id, content);
    }

    private static byte[] Bytes(int length, int seed)
    {
        var content = new byte[length];
        new Random(seed).NextBytes(content);
        return content;
    }

    /// <summary>A GET hook that, before the <paramref name="n"/>-th GET, uploads <paramref name="replacement"/> to the file with another client.</summary>
    /// <summary>An onGet that cancels <paramref name="cts"/> when the <paramref name="n"/>th GET is made, as a user would.</summary>
    private static Func<HttpRequestMessage, Task> CancelAtGet(int n, CancellationTokenSource cts)
    {
        var gets = 0;
        return _ =>
        {
            if (Interlocked.Increment(ref gets) == n)
            {
                cts.Cancel();
            }

            return Task.CompletedTask;
        };
    }

    private Func<HttpRequestMessage, Task> OverwriteBeforeGet(int n, string externalId, byte[] replacement)
    {
        var gets = 0;
        return async _ =>
        {
            if (Interlocked.Increment(ref gets) == n)
            {
                using var other = Client(); // its own transfer limiter: this GET holds one of the downloading client's slots
                await other.UploadAsync(Identifier.FromExternalId(externalId), new MemoryStream(replacement));
            }
        };
    }

    private string Dest(string name = "copy.bin") => Path.Combine(_dir.FullName, name);

    [Test]
    public async Task Ranges_of_the_emulator_are_byte_exact_and_no_byte_is_fetched_twice()
    {
        using var client = Client();
        var (id, content) = await UploadAsync(client, (10 * RangeSize) + 321);
        var before = _emulator.Counters.Snapshot();

        var result = await client.DownloadAsync(Identifier.FromId(id), Dest());

        var after = _emulator.Counters.Snapshot();
        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(content));
        Assert.That(result.Ranges, Is.EqualTo(11));
        Assert.That(result.Checksum, Is.EqualTo(ContentChecksum.Compute(content)));
        Assert.That(after.DownloadRequests - before.DownloadRequests, Is.EqualTo(11));
        Assert.That(after.DownloadBytesSent - before.DownloadBytesSent, Is.EqualTo(content.Length));
        Assert.That(after.ApiRequests - before.ApiRequests, Is.EqualTo(2), "downloadlink and byids");
    }

    [Test]
    public async Task An_emulator_that_ignores_ranges_is_read_as_one_stream()
    {
        using var client = Client();
        var (id, content) = await UploadAsync(client, (5 * RangeSize) + 3);
        _emulator.Faults.IgnoreRangeRequests = true;
        var before = _emulator.Counters.Snapshot();

        var result = await client.DownloadAsync(Identifier.FromId(id), Dest());

        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(content));
        Assert.That(result.Ranges, Is.EqualTo(1));
        Assert.That(_emulator.Counters.Snapshot().DownloadRequests - before.DownloadRequests, Is.EqualTo(1));
    }

    [Test]
    public async Task A_link_that_expires_on_the_emulators_clock_mid_download_is_renewed()
    {
        var gets = 0;
        using var client = Client(concurrency: 1, onGet: _ =>
        {
            if (Interlocked.Increment(ref gets) == 3)
            {
                _emulatorClock.Advance(TimeSpan.FromSeconds(31)); // CDF's download links last 30 s
            }

            return Task.CompletedTask;
        });
        var (id, content) = await UploadAsync(client, 6 * RangeSize);
        var before = _emulator.Counters.Snapshot();

        var result = await client.DownloadAsync(Identifier.FromId(id), Dest());

        var after = _emulator.Counters.Snapshot();
        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(content));
        Assert.That(after.RejectedSignatures - before.RejectedSignatures, Is.EqualTo(1), "the third GET met the expired link");
        Assert.That(after.ApiRequests - before.ApiRequests, Is.EqualTo(3), "downloadlink, byids, and one downloadlink to renew");
        Assert.That(result.Retries, Is.Zero);
    }

    [Test]
    public async Task A_cancelled_download_resumes_with_the_missing_ranges_only()
    {
        using var cts = new CancellationTokenSource();
        using var client = Client(concurrency: 1, onGet: CancelAtGet(4, cts));
        var (id, content) = await UploadAsync(client, (7 * RangeSize) + 5);

        await Assert.CatchAsync<OperationCanceledException>(() => client.DownloadAsync(Identifier.FromId(id), Dest(), cancellationToken: cts.Token));
        Assert.That(File.Exists(CogniteFilesClient.GetDownloadJournalPath(Dest())), Is.True);
        var before = _emulator.Counters.Snapshot();

        var result = await client.DownloadAsync(Identifier.FromId(id), Dest());

        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(content));
        Assert.That(result.BytesSkipped, Is.EqualTo(3 * RangeSize));
        // The missing ranges, and the one byte with which the resume asked whether the kept version (ETag) is still there.
        Assert.That(_emulator.Counters.Snapshot().DownloadBytesSent - before.DownloadBytesSent, Is.EqualTo(content.Length - (3 * RangeSize) + 1));
        Assert.That(result.Checksum, Is.EqualTo(ContentChecksum.Compute(content)));
        Assert.That(File.Exists(CogniteFilesClient.GetDownloadJournalPath(Dest())), Is.False);
    }

    [TestCase(1)]
    [TestCase(4)]
    public async Task An_overwrite_between_ranges_is_FileChanged_and_never_a_mix_of_two_versions(int concurrency)
    {
        // The same length: only the version (the emulator's ETag, sent back as If-Match) can tell the two apart.
        var replacement = Bytes(6 * RangeSize, seed: 2);
        using var client = Client(concurrency, onGet: OverwriteBeforeGet(3, "overwritten-" + concurrency, replacement));
        var (id, _) = await UploadAsync(client, 6 * RangeSize, externalId: "overwritten-" + concurrency);

        var e = await Assert.ThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(Identifier.FromId(id), Dest()));

        Assert.That(e!.Reason, Is.EqualTo(DownloadFailureReason.FileChanged));
        Assert.That(e.Message, Does.StartWith($"File id {id} changed on the server: the server no longer has the version with ETag \""));
        Assert.That(e.Message, Does.EndWith("(412 Precondition Failed). Download it again."));
        Assert.That(e.JournalPath, Is.Null);
        Assert.That(_dir.GetFiles().Select(f => f.Name), Is.Empty, "no destination, no temporary file, no journal");

        var again = await client.DownloadAsync(Identifier.FromId(id), Dest());
        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(replacement));
        Assert.That(again.Checksum, Is.EqualTo(ContentChecksum.Compute(replacement)));
    }

    [Test]
    public async Task An_overwrite_under_a_stream_destination_is_FileChanged_too()
    {
        var replacement = Bytes(5 * RangeSize, seed: 3);
        using var client = Client(concurrency: 2, onGet: OverwriteBeforeGet(2, "overwritten-stream", replacement));
        var (id, _) = await UploadAsync(client, 5 * RangeSize, externalId: "overwritten-stream");
        using var destination = new MemoryStream();

        var e = await Assert.ThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(Identifier.FromId(id), destination));

        Assert.That(e!.Reason, Is.EqualTo(DownloadFailureReason.FileChanged));
    }

    [Test]
    public async Task A_resume_after_an_overwrite_starts_over_and_gets_the_new_version_whole()
    {
        using var cts = new CancellationTokenSource();
        using var client = Client(concurrency: 1, onGet: CancelAtGet(4, cts));
        var (id, _) = await UploadAsync(client, 7 * RangeSize, externalId: "resumed-over");
        await Assert.CatchAsync<OperationCanceledException>(() => client.DownloadAsync(Identifier.FromId(id), Dest(), cancellationToken: cts.Token));
        var replacement = Bytes(7 * RangeSize, seed: 4);
        using (var other = Client())
        {
            await other.UploadAsync(Identifier.FromExternalId("resumed-over"), new MemoryStream(replacement));
        }

        var result = await client.DownloadAsync(Identifier.FromId(id), Dest());

        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(replacement), "not the three old ranges kept and four new ones");
        Assert.That(result.BytesSkipped, Is.Zero);
        Assert.That(File.Exists(CogniteFilesClient.GetDownloadJournalPath(Dest())), Is.False);
    }

    [Test]
    public async Task The_checksum_stored_in_the_metadata_is_verified()
    {
        using var client = Client();
        var (id, content) = await UploadAsync(client, (3 * RangeSize) + 1);
        await StoreChecksumAsync(client, id, ContentChecksum.Compute(content), content.Length);

        var verified = await client.DownloadAsync(Identifier.FromId(id), Dest());
        Assert.That(verified.Verified, Is.True);

        await StoreChecksumAsync(client, id, ContentChecksum.Compute([1]), content.Length);
        var e = await Assert.ThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(Identifier.FromId(id), Dest("other.bin")));
        Assert.That(e!.Reason, Is.EqualTo(DownloadFailureReason.ChecksumMismatch));
        Assert.That(File.Exists(Dest("other.bin")), Is.False);
    }

    private static Task StoreChecksumAsync(CogniteFilesClient client, long id, string checksum, long length) =>
        client.UpdateAsync(Identifier.FromId(id), new FileUpdate
        {
            Metadata = new MetadataUpdate { Add = new Dictionary<string, string> { [ContentChecksum.MetadataKey] = ContentChecksum.FormatMetadataValue(checksum, length) } },
        });

    private sealed class Hook(Func<HttpRequestMessage, Task>? onGet) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Get && onGet is not null)
            {
                await onGet(request);
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}
