using System.Net;
using Cognite.Files.Models;
using Cognite.Files.Tests.Client;
using Cognite.Files.Transfer;
using Microsoft.Extensions.Time.Testing;

namespace Cognite.Files.Tests.Transfer;

/// <summary>
/// Parallel ranged downloads (<see cref="DownloadEngine"/> through <see cref="CogniteFilesClient.DownloadAsync(Identifier, string, DownloadOptions?, CancellationToken)"/>)
/// against <see cref="FakeDownloadServer"/>: Range semantics on the client side, the fallback to one stream, retries
/// that continue where they stopped, link renewal, verification against the stored checksum, the journal and resume,
/// and bounded memory. Deterministic: fake clocks, counters and hooks, no sleeps.
/// </summary>
public class DownloadEngineTests
{
    private const int Range = 64 * 1024;
    private static readonly Identifier File1 = Identifier.FromId(1);

    private DirectoryInfo _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("cf-ranged-");

    [TearDown]
    public void TearDown() => _dir.Delete(recursive: true);

    private string Dest(string name = "out.bin") => Path.Combine(_dir.FullName, name);

    /// <summary>Downloads <see cref="File1"/> to <see cref="Dest"/> and cancels it when the <paramref name="get"/>th GET is made, as a user would; the server then behaves normally again.</summary>
    private async Task InterruptAtGetAsync(FakeDownloadServer server, CogniteFilesClient client, int get)
    {
        using var cts = new CancellationTokenSource();
        server.OnGet = g =>
        {
            if (g.Number == get)
            {
                cts.Cancel();
            }
        };
        await Assert.CatchAsync<OperationCanceledException>(() => client.DownloadAsync(File1, Dest(), cancellationToken: cts.Token));
        server.OnGet = null;
    }

    private string[] FilesLeft() => [.. _dir.GetFiles().Select(f => f.Name).Order()];

    /// <summary>The ranges (first byte, last byte) a plan of <paramref name="length"/> in ranges of <paramref name="rangeSize"/> asks for.</summary>
    private static IEnumerable<(long, long)> Partition(long length, long rangeSize, int skip = 0) =>
        Enumerable.Range(0, (int)((length + rangeSize - 1) / rangeSize)).Skip(skip).Select(i => ((long)i * rangeSize, Math.Min(length, (i + 1L) * rangeSize) - 1));

    private static (long, long)[] Asked(FakeDownloadServer server) => [.. server.Gets.Select(g => (g.From!.Value, g.To!.Value))];

    // ---------------- Range semantics ----------------

    [Test]
    public async Task Content_of_one_range_is_one_GET_that_asks_for_the_first_range()
    {
        var server = new FakeDownloadServer(Range - 10);
        using var client = server.Client();

        var result = await client.DownloadAsync(File1, Dest());

        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(server.Content()));
        Assert.That(server.Gets, Has.Count.EqualTo(1));
        Assert.That(Asked(server), Is.EqualTo(new[] { (0L, Range - 1L) }), "bytes=0-(PartSize-1): the answer tells the length");
        Assert.That((server.LinkRequests, server.MetadataRequests), Is.EqualTo((1, 1)));
        Assert.That(result.Ranges, Is.EqualTo(1));
        Assert.That(result.Checksum, Is.EqualTo(server.Checksum()));
        Assert.That(FilesLeft(), Is.EqualTo(new[] { "out.bin" }), "no journal for one range, no temporary file left");
    }

    [Test]
    public async Task Larger_content_is_fetched_in_ranges_of_PartSize_at_most_MaxConcurrency_at_once_and_is_byte_exact()
    {
        var length = (10 * Range) + 123;
        var server = new FakeDownloadServer(length);
        // Ranges 2..4 answer only once all three are asked for: a download that did not overlap them would never finish.
        var together = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = 0;
        server.OnGet = g =>
        {
            if (g.From is >= Range and <= 3 * Range && Interlocked.Increment(ref waiting) == 3)
            {
                together.SetResult();
            }
        };
        server.BeforeRespond = async (g, ct) =>
        {
            if (g.From is >= Range and <= 3 * Range)
            {
                await together.Task.WaitAsync(TimeSpan.FromSeconds(30), ct); // a guard against a hang, not a timed assertion
            }
        };
        using var client = server.Client(FakeDownloadServer.Transfer(Range, concurrency: 4, attempts: 1));

        var result = await client.DownloadAsync(File1, Dest());

        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(server.Content()));
        Assert.That(Asked(server).Order(), Is.EqualTo(Partition(length, Range)), "every range once, nothing else");
        Assert.That(together.Task.IsCompletedSuccessfully, Is.True, "ranges 2..4 were in flight together");
        Assert.That(server.MaxInFlight, Is.InRange(3, 4));
        Assert.That(result.Ranges, Is.EqualTo(11));
        Assert.That(result.Bytes, Is.EqualTo(length));
        Assert.That(result.Checksum, Is.EqualTo(server.Checksum()), "the ranges' CRCs combine into the checksum of the whole");
        Assert.That(result.Retries, Is.Zero);
        Assert.That(FilesLeft(), Is.EqualTo(new[] { "out.bin" }), "temporary file renamed, journal deleted");
    }

    [Test]
    public async Task A_call_with_MaxConcurrency_1_fetches_its_ranges_one_at_a_time_in_order()
    {
        var server = new FakeDownloadServer((5 * Range) + 1);
        using var client = server.Client();

        await client.DownloadAsync(File1, Dest(), new DownloadOptions { Transfer = FakeDownloadServer.Transfer(Range, concurrency: 1) });

        Assert.That(server.MaxInFlight, Is.EqualTo(1));
        Assert.That(Asked(server), Is.EqualTo(Partition((5 * Range) + 1, Range)));
    }

    [Test]
    public async Task A_seekable_stream_gets_the_ranges_at_their_offsets_from_its_start_position_and_ends_after_the_content()
    {
        var server = new FakeDownloadServer((3 * Range) + 7);
        using var client = server.Client();
        using var destination = new MemoryStream();
        destination.Write([0xAA, 0xBB]);

        var result = await client.DownloadAsync(File1, destination);

        Assert.That(destination.ToArray(), Is.EqualTo(new byte[] { 0xAA, 0xBB }.Concat(server.Content())));
        Assert.That(destination.Position, Is.EqualTo(2 + server.Length));
        Assert.That(result.Ranges, Is.EqualTo(4));
        Assert.That(result.Checksum, Is.EqualTo(server.Checksum()));
    }

    [Test]
    public async Task A_non_seekable_stream_gets_one_GET_without_Range()
    {
        var server = new FakeDownloadServer((3 * Range) + 7);
        using var client = server.Client();
        using var destination = new ForwardOnlyStream();

        var result = await client.DownloadAsync(File1, destination);

        Assert.That(destination.ToArray(), Is.EqualTo(server.Content()));
        Assert.That(server.Gets.Single().HasRange, Is.False);
        Assert.That(result.Ranges, Is.EqualTo(1));
        Assert.That(result.Checksum, Is.EqualTo(server.Checksum()));
    }

    [Test]
    public async Task A_server_that_answers_200_is_read_as_one_stream_and_still_verified()
    {
        var server = new FakeDownloadServer((4 * Range) + 5) { IgnoreRanges = true };
        server.StoreChecksum();
        using var client = server.Client();

        var result = await client.DownloadAsync(File1, Dest());

        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(server.Content()));
        Assert.That(server.Gets, Has.Count.EqualTo(1), "no range requests after the first answer was 200");
        Assert.That((result.Ranges, result.Verified), Is.EqualTo((1, true)));
        Assert.That(FilesLeft(), Is.EqualTo(new[] { "out.bin" }), "one stream keeps no journal");
    }

    [Test]
    public async Task One_stream_that_breaks_is_retried_from_where_it_stopped_reading_past_what_a_200_repeats()
    {
        var length = (4 * DownloadEngine.BufferSize) + 5;
        var server = new FakeDownloadServer(length) { IgnoreRanges = true };
        server.BreakBodyAfter = g => g.Number == 1 ? DownloadEngine.BufferSize + 100 : null;
        var time = new FakeTimeProvider();
        using var client = server.Client(FakeDownloadServer.Transfer(Range), time);

        var result = await ClientFixture.RunWithFakeTime(time, client.DownloadAsync(File1, Dest()));

        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(server.Content()));
        Assert.That(server.Gets[1].From, Is.EqualTo(DownloadEngine.BufferSize), "the retry asks for the rest (the server ignores it)");
        Assert.That(result.Retries, Is.EqualTo(1));
        Assert.That(result.Checksum, Is.EqualTo(server.Checksum()));
    }

    [Test]
    public async Task Empty_content_is_zero_bytes_whether_the_server_answers_416_or_200()
    {
        var server = new FakeDownloadServer(0);
        using var client = server.Client();

        var refused = await client.DownloadAsync(File1, Dest("a.bin"));
        server.IgnoreRanges = true;
        var whole = await client.DownloadAsync(File1, Dest("b.bin"));

        Assert.That((refused.Bytes, whole.Bytes), Is.EqualTo((0L, 0L)));
        Assert.That(refused.Checksum, Is.EqualTo(ContentChecksum.Compute([])));
        Assert.That(whole.Checksum, Is.EqualTo(ContentChecksum.Compute([])));
        Assert.That(FilesLeft(), Is.EqualTo(new[] { "a.bin", "b.bin" }));
        Assert.That(new FileInfo(Dest("a.bin")).Length, Is.Zero);
    }

    [Test]
    public async Task A_range_answered_416_is_RangeRefused_and_the_journal_is_kept_so_that_a_resume_can_finish()
    {
        var length = (6 * Range) + 1;
        var server = new FakeDownloadServer(length);
        server.Respond = g => g.From == 3 * Range ? FakeResponses.Status(HttpStatusCode.RequestedRangeNotSatisfiable) : null;
        using var client = server.Client(FakeDownloadServer.Transfer(Range, concurrency: 1));

        var e = (await Assert.ThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(File1, Dest())))!;

        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.RangeRefused));
        Assert.That(e.RangeIndex, Is.EqualTo(3));
        Assert.That(e.Attempts, Is.Zero, "not retried");
        Assert.That(e.Message, Does.Contain("bytes 196608-262143").And.Contain("416"));
        Assert.That(e.JournalPath, Is.EqualTo(CogniteFilesClient.GetDownloadJournalPath(Dest())));
        Assert.That(FilesLeft(), Is.EqualTo(new[] { ".out.bin.partial", ".out.bin.partial.json" }), "nothing at the destination; the journal and the bytes so far stay");

        server.Respond = null;
        var before = server.Gets.Count;
        var resumed = await client.DownloadAsync(File1, Dest());

        Assert.That(server.Gets.Skip(before).Select(g => (g.From!.Value, g.To!.Value)), Is.EqualTo(Partition(length, Range, skip: 3)));
        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(server.Content()));
        Assert.That(resumed.BytesSkipped, Is.EqualTo(3 * Range));
        Assert.That(resumed.Checksum, Is.EqualTo(server.Checksum()));
        Assert.That(FilesLeft(), Is.EqualTo(new[] { "out.bin" }));
    }

    [TestCase("shifted")]
    [TestCase("missing")]
    [TestCase("whole")]
    public async Task A_wrong_answer_to_a_range_is_RangeRefused(string kind)
    {
        var server = new FakeDownloadServer(3 * Range);
        server.Respond = g => g.From != Range ? null : kind switch
        {
            "shifted" => FakeResponses.WithContentRange(Range + 1, 2 * Range, 3 * Range, new byte[Range]),
            "missing" => new HttpResponseMessage(HttpStatusCode.PartialContent) { Content = new ByteArrayContent(new byte[Range]) },
            _ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(server.Content()) },
        };
        using var client = server.Client(FakeDownloadServer.Transfer(Range, concurrency: 1));

        var e = (await Assert.ThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(File1, Dest())))!;

        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.RangeRefused), e.Message);
        Assert.That(e.RangeIndex, Is.EqualTo(1));
        Assert.That(e.Message, Does.Contain("bytes 65536-131071"));
        Assert.That(File.Exists(Dest()), Is.False);
    }

    // ---------------- retries ----------------

    [Test]
    public async Task A_range_whose_body_breaks_is_retried_from_where_it_stopped_and_progress_never_goes_back()
    {
        var rangeSize = 4L * DownloadEngine.BufferSize;
        var length = (3 * rangeSize) + 11;
        var server = new FakeDownloadServer(length);
        var breaks = 0;
        server.BreakBodyAfter = g => g.From == rangeSize && Interlocked.Increment(ref breaks) == 1 ? DownloadEngine.BufferSize + 500 : null;
        var time = new FakeTimeProvider();
        using var client = server.Client(FakeDownloadServer.Transfer(rangeSize, concurrency: 2), time);
        var progress = new RecordingProgress<DownloadProgress>();

        var result = await ClientFixture.RunWithFakeTime(time, client.DownloadAsync(File1, Dest(), new DownloadOptions { Progress = progress }));

        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(server.Content()));
        Assert.That(result.Retries, Is.EqualTo(1));
        var retry = server.Gets.Single(g => g.From == rangeSize + DownloadEngine.BufferSize);
        Assert.That(retry.To, Is.EqualTo((2 * rangeSize) - 1), "the retry asks for the rest of the range only: the bytes written are kept");
        Assert.That(server.Gets.Sum(g => g.To!.Value - g.From!.Value + 1), Is.EqualTo(length + rangeSize - DownloadEngine.BufferSize), "asked: the content once, plus the part of the range that broke");
        Assert.That(result.Checksum, Is.EqualTo(server.Checksum()), "the range's CRC carried on across the attempts");
        Assert.That(progress.Values.Select(v => v.BytesTransferred), Is.Ordered);
        Assert.That(progress.Values[^1], Is.EqualTo(new DownloadProgress(length, length)));
    }

    [Test]
    public async Task A_range_answered_503_is_retried_with_backoff_on_the_clients_clock()
    {
        var server = new FakeDownloadServer(3 * Range);
        var failures = 0;
        server.Respond = g => g.From == 2 * Range && Interlocked.Increment(ref failures) <= 2 ? FakeResponses.Status(HttpStatusCode.ServiceUnavailable) : null;
        var time = new FakeTimeProvider();
        using var client = server.Client(FakeDownloadServer.Transfer(Range, attempts: 3), time);

        var task = client.DownloadAsync(File1, Dest());
        var result = await ClientFixture.RunWithFakeTime(time, task);

        Assert.That(result.Retries, Is.EqualTo(2));
        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(server.Content()));
    }

    [Test]
    public async Task A_range_that_fails_on_every_attempt_fails_the_download_naming_the_range_and_keeps_the_journal()
    {
        var server = new FakeDownloadServer(4 * Range);
        server.Respond = g => g.From == 2 * Range ? FakeResponses.Status(HttpStatusCode.InternalServerError) : null;
        var time = new FakeTimeProvider();
        using var client = server.Client(FakeDownloadServer.Transfer(Range, concurrency: 1, attempts: 3), time);

        var e = await CatchAsync<CogniteDownloadException>(ClientFixture.RunWithFakeTime(time, client.DownloadAsync(File1, Dest())));

        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.RangeFailed));
        Assert.That((e.RangeIndex, e.Attempts, e.FileId), Is.EqualTo((2, 3, 1L)));
        Assert.That(e.Message, Does.StartWith("Range 3 of 4 (bytes 131072-196607) of file id 1 failed after 3 attempt(s): CDF GET /1 failed with 500"));
        Assert.That(e.InnerException, Is.InstanceOf<CogniteApiException>());
        Assert.That(e.JournalPath, Is.Not.Null);
        Assert.That(File.Exists(Dest()), Is.False);
    }

    [Test]
    public async Task A_stalled_range_is_aborted_after_StallTimeout_and_continued()
    {
        var rangeSize = 2L * DownloadEngine.BufferSize;
        var server = new FakeDownloadServer(2 * rangeSize);
        var stalls = 0;
        server.StallBodyAfter = g => g.From == rangeSize && Interlocked.Increment(ref stalls) == 1 ? DownloadEngine.BufferSize : null;
        var time = new FakeTimeProvider();
        using var client = server.Client(FakeDownloadServer.Transfer(rangeSize), time);

        var result = await ClientFixture.RunWithFakeTime(time, client.DownloadAsync(File1, Dest()), TimeSpan.FromSeconds(1));

        Assert.That(result.Retries, Is.EqualTo(1));
        Assert.That(server.Gets.Select(g => g.From), Does.Contain(rangeSize + DownloadEngine.BufferSize));
        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(server.Content()));
    }

    // ---------------- expired links ----------------

    [Test]
    public async Task An_expired_link_is_renewed_with_one_downloadlink_request_and_the_ranges_continue()
    {
        var server = new FakeDownloadServer((6 * Range) + 3);
        server.OnGet = g =>
        {
            if (g.Number == 2)
            {
                server.ExpireLinksBefore = 1; // the first link expires after serving the first range
            }
        };
        using var client = server.Client(FakeDownloadServer.Transfer(Range, concurrency: 3));

        var result = await client.DownloadAsync(File1, Dest());

        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(server.Content()));
        Assert.That(server.LinkRequests, Is.EqualTo(2), "renewed once, although several ranges met the expired link");
        Assert.That(result.Retries, Is.Zero, "a renewal is not a retry");
        Assert.That(result.Checksum, Is.EqualTo(server.Checksum()));
    }

    [Test]
    public async Task A_link_refused_on_its_first_use_is_LinkRefused_without_renewal()
    {
        var server = new FakeDownloadServer(3 * Range) { ExpireLinksBefore = int.MaxValue };
        using var client = server.Client();

        var e = (await Assert.ThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(File1, Dest())))!;

        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.LinkRefused));
        Assert.That(e.Message, Does.StartWith("The download URL of file id 1 was refused on its first use (403 Forbidden): "));
        Assert.That(e.InnerException, Is.InstanceOf<CogniteForbiddenException>());
        Assert.That(server.LinkRequests, Is.EqualTo(1));
        Assert.That(e.ToString(), Does.Not.Contain("sig="));
        Assert.That(FilesLeft(), Is.Empty);
    }

    [Test]
    public async Task A_renewed_link_that_is_refused_too_is_LinkRefused()
    {
        var server = new FakeDownloadServer(3 * Range);
        server.OnGet = g =>
        {
            if (g.Number == 2)
            {
                server.ExpireLinksBefore = int.MaxValue;
            }
        };
        using var client = server.Client(FakeDownloadServer.Transfer(Range, concurrency: 1));

        var e = (await Assert.ThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(File1, Dest())))!;

        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.LinkRefused));
        Assert.That(e.Message, Does.StartWith("The download URL of file id 1 expired and its renewal was refused too (403 Forbidden): "));
        Assert.That(server.LinkRequests, Is.EqualTo(2), "one renewal, not a loop");
        Assert.That(e.JournalPath, Is.Not.Null, "the first range is kept for a resume");
    }

    // ---------------- the stored checksum ----------------

    [Test]
    public async Task Content_that_matches_its_stored_checksum_is_Verified()
    {
        var server = new FakeDownloadServer((5 * Range) + 9);
        server.StoreChecksum();
        using var client = server.Client();

        var result = await client.DownloadAsync(File1, Dest());

        Assert.That(result.Verified, Is.True);
        var unverified = await client.DownloadAsync(File1, Stream.Null, new DownloadOptions { Transfer = new TransferOptions { ComputeChecksum = false } });
        Assert.That((unverified.Verified, unverified.Checksum), Is.EqualTo((false, (string?)null)), "no checksum computed, nothing verified");
    }

    [Test]
    public async Task Content_that_does_not_match_its_stored_checksum_fails_loudly_and_leaves_nothing()
    {
        var server = new FakeDownloadServer((5 * Range) + 9);
        server.StoredChecksum = ContentChecksum.FormatMetadataValue(ContentChecksum.Compute([1, 2, 3]), server.Length);
        using var client = server.Client();

        var e = (await Assert.ThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(File1, Dest())))!;

        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.ChecksumMismatch));
        Assert.That(e.Message, Does.Contain(server.Checksum()).And.Contain(ContentChecksum.Compute([1, 2, 3])).And.Contain("nothing was written to"));
        Assert.That(e.JournalPath, Is.Null);
        Assert.That(FilesLeft(), Is.Empty, "no file at the destination, no temporary file, no journal: a new download starts over");
    }

    [Test]
    public async Task A_stored_length_that_differs_fails_before_the_ranges_are_fetched()
    {
        var server = new FakeDownloadServer(5 * Range);
        server.StoredChecksum = ContentChecksum.FormatMetadataValue(server.Checksum(), server.Length + 1);
        using var client = server.Client();

        var e = (await Assert.ThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(File1, Dest())))!;

        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.ChecksumMismatch));
        Assert.That(e.Message, Does.Contain("327680 bytes").And.Contain("327681 bytes"));
        Assert.That(server.Gets, Has.Count.EqualTo(1), "only the first GET, which told the length");
        Assert.That(FilesLeft(), Is.Empty);
    }

    // ---------------- the journal and resume ----------------

    [Test]
    public async Task A_cancelled_download_keeps_its_journal_and_a_second_call_fetches_only_the_missing_ranges()
    {
        var length = (9 * Range) + 77;
        var server = new FakeDownloadServer(length);
        using var client = server.Client(FakeDownloadServer.Transfer(Range, concurrency: 1));

        // One range at a time: when the fifth GET is made, exactly four ranges are written and journaled.
        await InterruptAtGetAsync(server, client, get: 5);

        Assert.That(FilesLeft(), Is.EqualTo(new[] { ".out.bin.partial", ".out.bin.partial.json" }));
        var journal = await File.ReadAllLinesAsync(CogniteFilesClient.GetDownloadJournalPath(Dest()));
        Assert.That(journal, Has.Length.EqualTo(5), "the header and four ranges");
        Assert.That(journal[0], Does.Contain("\"fileId\":1").And.Contain("\"rangeSize\":65536").And.Not.Contain("sig="));

        var before = server.Gets.Count;
        var progress = new RecordingProgress<DownloadProgress>();
        var result = await client.DownloadAsync(File1, Dest(), new DownloadOptions { Progress = progress, Transfer = FakeDownloadServer.Transfer(Range, concurrency: 3) });

        Assert.That(server.Gets.Skip(before).Select(g => (g.From!.Value, g.To!.Value)).Order(), Is.EqualTo(Partition(length, Range, skip: 4)), "only the missing ranges, no first GET again");
        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(server.Content()));
        Assert.That(result.Checksum, Is.EqualTo(server.Checksum()), "the journaled ranges' CRCs (re-read) combine with the new ones");
        Assert.That(result.BytesSkipped, Is.EqualTo(4 * Range));
        Assert.That(result.Bytes, Is.EqualTo(length));
        Assert.That(progress.Values[0], Is.EqualTo(new DownloadProgress(4 * Range, length) { BytesSkipped = 4 * Range }), "a resume reports what it has first");
        Assert.That(progress.Values.Select(p => p.BytesSkipped), Is.All.EqualTo(4 * Range), "every report says what was there at the start");
        Assert.That(progress.Values[^1], Is.EqualTo(new DownloadProgress(length, length) { BytesSkipped = 4 * Range }));
        Assert.That(FilesLeft(), Is.EqualTo(new[] { "out.bin" }), "journal deleted on success");
    }

    [Test]
    public async Task A_resume_rechecks_the_journaled_ranges_in_the_temporary_file_and_fetches_a_damaged_one_again()
    {
        var length = 6 * Range;
        var server = new FakeDownloadServer(length);
        using var client = server.Client(FakeDownloadServer.Transfer(Range, concurrency: 1));
        await InterruptAtGetAsync(server, client, get: 4);
        var temp = Path.Combine(_dir.FullName, ".out.bin.partial");
        await using (var damage = new FileStream(temp, FileMode.Open, FileAccess.Write))
        {
            damage.Position = Range + 10; // inside range 2 of the three journaled
            damage.WriteByte(0);
        }

        var before = server.Gets.Count;
        var result = await client.DownloadAsync(File1, Dest());

        Assert.That(server.Gets.Skip(before).Select(g => g.From!.Value).Order(), Is.EqualTo(new[] { Range, 3L * Range, 4L * Range, 5L * Range }));
        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(server.Content()));
        Assert.That(result.BytesSkipped, Is.EqualTo(2 * Range));
        Assert.That(result.Checksum, Is.EqualTo(server.Checksum()));
    }

    [Test]
    public async Task A_file_updated_on_CDF_since_the_interrupted_download_starts_over()
    {
        var server = new FakeDownloadServer(6 * Range);
        using var client = server.Client(FakeDownloadServer.Transfer(Range, concurrency: 1));
        await InterruptAtGetAsync(server, client, get: 4);

        server.Seed = 2; // new content of the same length, uploaded later
        server.UploadedTime = server.LastUpdatedTime = 2_000;
        var before = server.Gets.Count;
        var result = await client.DownloadAsync(File1, Dest());

        Assert.That(server.Gets.Skip(before).Select(g => (g.From!.Value, g.To!.Value)).Order(), Is.EqualTo(Partition(6 * Range, Range)), "every range again");
        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(server.Content()));
        Assert.That(result.BytesSkipped, Is.Zero);
    }

    [Test]
    public async Task Content_whose_length_changes_during_the_download_is_FileChanged_and_nothing_is_kept()
    {
        var server = new FakeDownloadServer(6 * Range);
        server.OnGet = g =>
        {
            if (g.Number == 3)
            {
                server.Length = 7 * Range; // replaced on the server between two ranges
            }
        };
        using var client = server.Client(FakeDownloadServer.Transfer(Range, concurrency: 1));

        var e = (await Assert.ThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(File1, Dest())))!;

        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.FileChanged));
        Assert.That(e.Message, Does.Contain("changed from 393216 to 458752 bytes"));
        Assert.That(e.JournalPath, Is.Null);
        Assert.That(FilesLeft(), Is.Empty);
    }

    // ---------------- one version per download (ETag, If-Match) ----------------

    [Test]
    public async Task Every_GET_after_the_first_asks_for_the_first_ETag_with_If_Match()
    {
        var server = new FakeDownloadServer((5 * Range) + 9) { ETag = "\"v1\"" };
        using var client = server.Client(FakeDownloadServer.Transfer(Range, concurrency: 3));

        await client.DownloadAsync(File1, Dest());

        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(server.Content()));
        var gets = server.Gets;
        Assert.That(gets[0].IfMatch, Is.Null, "the first GET learns the ETag");
        Assert.That(gets.Skip(1).Select(g => g.IfMatch), Is.All.EqualTo("\"v1\""));
    }

    [Test]
    public async Task A_server_without_ETags_gets_no_If_Match()
    {
        var server = new FakeDownloadServer(3 * Range);
        using var client = server.Client(FakeDownloadServer.Transfer(Range));

        await client.DownloadAsync(File1, Dest());

        Assert.That(server.Gets.Select(g => g.IfMatch), Is.All.Null);
    }

    [Test]
    public async Task A_weak_ETag_is_never_sent_as_If_Match_but_another_one_still_means_the_file_changed()
    {
        var server = new FakeDownloadServer(4 * Range) { ETag = "W/\"w1\"" };
        server.OnGet = g =>
        {
            if (g.Number == 3)
            {
                server.ETag = "W/\"w2\"";
            }
        };
        using var client = server.Client(FakeDownloadServer.Transfer(Range, concurrency: 1));

        var e = (await Assert.ThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(File1, Dest())))!;

        Assert.That(server.Gets.Select(g => g.IfMatch), Is.All.Null, "If-Match compares strongly: a weak tag would never match");
        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.FileChanged));
        Assert.That(e.Message, Does.Contain("ETag changed from W/\"w1\" to W/\"w2\""));
        Assert.That(FilesLeft(), Is.Empty);
    }

    [TestCase(true)] // the server answers 412 to the stale If-Match
    [TestCase(false)] // the server ignores If-Match, but its ETag tells
    public async Task Content_replaced_between_ranges_with_the_same_length_is_FileChanged_and_nothing_is_kept(bool honoursIfMatch)
    {
        var server = new FakeDownloadServer(6 * Range) { ETag = "\"v1\"", HonourIfMatch = honoursIfMatch };
        server.OnGet = g =>
        {
            if (g.Number == 3)
            {
                (server.Seed, server.ETag) = (2, "\"v2\""); // new bytes, same length, CDF's metadata not yet updated
            }
        };
        using var client = server.Client(FakeDownloadServer.Transfer(Range, concurrency: 1));

        var e = (await Assert.ThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(File1, Dest())))!;

        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.FileChanged));
        Assert.That(e.Message, Does.Contain(honoursIfMatch
            ? "the server no longer has the version with ETag \"v1\" (412 Precondition Failed)"
            : "its ETag changed from \"v1\" to \"v2\""));
        Assert.That(e.JournalPath, Is.Null);
        Assert.That(FilesLeft(), Is.Empty, "no destination, no temporary file with two versions in it, no journal");
        if (honoursIfMatch)
        {
            Assert.That(e.InnerException, Is.TypeOf<CogniteApiException>().With.Property("StatusCode").EqualTo(HttpStatusCode.PreconditionFailed));
        }
    }

    [Test]
    public async Task A_resume_whose_ETag_no_longer_matches_starts_over()
    {
        var server = new FakeDownloadServer(6 * Range) { ETag = "\"v1\"" };
        using var client = server.Client(FakeDownloadServer.Transfer(Range, concurrency: 1));
        await InterruptAtGetAsync(server, client, get: 4);
        Assert.That(await File.ReadAllLinesAsync(CogniteFilesClient.GetDownloadJournalPath(Dest())), Has.Some.Contain("\"eTag\":\"\\u0022v1\\u0022\""));

        (server.Seed, server.ETag) = (2, "\"v2\""); // the object changed; CDF's metadata did not (yet)
        var before = server.Gets.Count;
        var progress = new RecordingProgress<DownloadProgress>();
        var result = await client.DownloadAsync(File1, Dest(), new DownloadOptions { Progress = progress });

        var gets = server.Gets.Skip(before).ToList();
        Assert.That(progress.Values.Select(p => p.BytesSkipped), Is.All.Zero, "nothing kept: nothing reported as already there");
        Assert.That((gets[0].From, gets[0].To, gets[0].IfMatch), Is.EqualTo(((long?)0, (long?)0, "\"v1\"")), "one byte asks whether the kept version is still there");
        Assert.That(gets.Skip(1).Select(g => (g.From!.Value, g.To!.Value)).Order(), Is.EqualTo(Partition(6 * Range, Range)), "then every range again");
        Assert.That(gets[1].IfMatch, Is.Null, "a new first GET learns the new ETag");
        Assert.That(gets.Skip(2).Select(g => g.IfMatch), Is.All.EqualTo("\"v2\""));
        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(server.Content()));
        Assert.That(result.BytesSkipped, Is.Zero);
        Assert.That(FilesLeft(), Is.EqualTo(new[] { "out.bin" }));
    }

    [Test]
    public async Task A_resume_whose_ETag_still_matches_continues_even_after_a_metadata_only_update()
    {
        var server = new FakeDownloadServer(6 * Range) { ETag = "\"v1\"" };
        using var client = server.Client(FakeDownloadServer.Transfer(Range, concurrency: 1));
        await InterruptAtGetAsync(server, client, get: 4);

        server.LastUpdatedTime = 5_000; // a label added, say: the ETag, not CDF's metadata, tells the content version
        var before = server.Gets.Count;
        var result = await client.DownloadAsync(File1, Dest());

        var gets = server.Gets.Skip(before).ToList();
        Assert.That((gets[0].From, gets[0].To, gets[0].IfMatch), Is.EqualTo(((long?)0, (long?)0, "\"v1\"")));
        Assert.That(gets.Skip(1).Select(g => g.From!.Value).Order(), Is.EqualTo(new[] { 3L * Range, 4L * Range, 5L * Range }), "only the missing ranges");
        Assert.That(gets.Skip(1).Select(g => g.IfMatch), Is.All.EqualTo("\"v1\""));
        Assert.That(result.BytesSkipped, Is.EqualTo(3 * Range));
        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(server.Content()));
    }

    [Test]
    public async Task A_resume_that_cannot_ask_the_server_keeps_its_journal()
    {
        var server = new FakeDownloadServer(6 * Range) { ETag = "\"v1\"" };
        using var client = server.Client(FakeDownloadServer.Transfer(Range, concurrency: 1, attempts: 1));
        await InterruptAtGetAsync(server, client, get: 4);

        server.Respond = _ => FakeResponses.Status(HttpStatusCode.ServiceUnavailable);
        var e = (await Assert.ThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(File1, Dest())))!;

        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.RangeFailed));
        Assert.That(e.JournalPath, Is.EqualTo(CogniteFilesClient.GetDownloadJournalPath(Dest())));
        server.Respond = null;
        var result = await client.DownloadAsync(File1, Dest());
        Assert.That(result.BytesSkipped, Is.EqualTo(3 * Range));
        Assert.That(await File.ReadAllBytesAsync(Dest()), Is.EqualTo(server.Content()));
    }

    [Test]
    public async Task A_torn_last_journal_line_is_ignored()
    {
        var server = new FakeDownloadServer(5 * Range);
        using var client = server.Client(FakeDownloadServer.Transfer(Range, concurrency: 1));
        await InterruptAtGetAsync(server, client, get: 4);
        var journalPath = CogniteFilesClient.GetDownloadJournalPath(Dest());
        await File.AppendAllTextAsync(journalPath, "{\"offset\":196608,\"len");

        var before = server.Gets.Count;
        var result = await client.DownloadAsync(File1, Dest());

        Assert.That(server.Gets.Skip(before).Select(g => g.From!.Value).Order(), Is.EqualTo(new[] { 3L * Range, 4L * Range }));
        Assert.That(result.Checksum, Is.EqualTo(server.Checksum()));
    }

    // ---------------- the destination ----------------

    [Test]
    public async Task A_second_download_to_the_same_path_fails_fast_with_DestinationInUse()
    {
        var server = new FakeDownloadServer(3 * Range);
        using var client = server.Client();
        using var running = File.OpenHandle(Path.Combine(_dir.FullName, ".out.bin.partial"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);

        var e = (await Assert.ThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(File1, Dest())))!;

        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.DestinationInUse));
        Assert.That(e.Message, Does.Contain("another download to it is running"));
        Assert.That(server.Gets.Count + server.LinkRequests, Is.Zero, "before any request");
    }

    [Test]
    public async Task A_temporary_file_that_cannot_be_created_is_DestinationNotWritable_before_any_request()
    {
        var server = new FakeDownloadServer(3 * Range);
        using var client = server.Client();
        Directory.CreateDirectory(Path.Combine(_dir.FullName, ".out.bin.partial"));

        var e = (await Assert.ThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(File1, Dest())))!;

        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.DestinationNotWritable));
        Assert.That(e.Message, Does.StartWith($"Cannot download id 1 to \"{Dest()}\": it cannot be written (writing \"{Path.Combine(_dir.FullName, ".out.bin.partial")}\")"));
        Assert.That(e.InnerException, Is.InstanceOf<UnauthorizedAccessException>());
        Assert.That(server.LinkRequests, Is.Zero);
    }

    [Test]
    public async Task A_directory_as_destination_is_refused_before_any_request()
    {
        var server = new FakeDownloadServer(3);
        using var client = server.Client();

        var e = (await Assert.ThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(File1, _dir.FullName, new DownloadOptions { Overwrite = true })))!;

        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.DestinationNotWritable));
        Assert.That(e.Message, Does.EndWith("it is a directory."));
        Assert.That(server.LinkRequests, Is.Zero);
    }

    [Test]
    [Platform("Linux")]
    public async Task A_full_disk_is_DiskFull_naming_the_path_and_leaves_nothing_at_the_destination()
    {
        // /dev/full fails every write with ENOSPC: the temporary file is made a link to it.
        var server = new FakeDownloadServer(3 * Range);
        using var client = server.Client();
        var temp = Path.Combine(_dir.FullName, ".out.bin.partial");
        File.CreateSymbolicLink(temp, "/dev/full");

        var e = (await Assert.ThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(File1, Dest())))!;

        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.DiskFull));
        Assert.That(e.Message, Does.StartWith($"Cannot download id 1 to \"{Dest()}\": the disk is full (writing \"{temp}\"): No space left on device"));
        Assert.That(e.InnerException, Is.InstanceOf<IOException>());
        Assert.That(File.Exists(Dest()), Is.False);
    }

    [Test]
    [Platform("Linux")]
    public async Task A_full_disk_under_a_stream_is_DiskFull_naming_it()
    {
        var server = new FakeDownloadServer(3 * Range);
        using var client = server.Client();
        await using var full = new FileStream("/dev/full", FileMode.Open, FileAccess.Write);

        var e = (await Assert.ThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(File1, full)))!;

        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.DiskFull));
        Assert.That(e.Message, Does.Contain("\"/dev/full\"").And.Contain("the disk is full"));
    }

    // ---------------- memory ----------------

    [Test]
    public async Task Ranges_stream_through_bounded_buffers_whatever_the_size()
    {
        // 64 MiB in ranges of 1 MiB, 8 at once, into a destination that keeps nothing. At every read of any body, the
        // bytes served but not yet written stay within one buffer per range in flight: nothing holds a range, let
        // alone the content.
        const int concurrency = 8;
        var server = new FakeDownloadServer(64L * 1024 * 1024);
        var destination = new CountingDestination();
        long maxAhead = 0;
        server.OnServed = served =>
        {
            var ahead = served - destination.Written;
            long max;
            while (ahead > (max = Interlocked.Read(ref maxAhead)) && Interlocked.CompareExchange(ref maxAhead, ahead, max) != max)
            {
            }
        };
        using var client = server.Client(FakeDownloadServer.Transfer(1024 * 1024, concurrency));

        var result = await client.DownloadAsync(File1, destination);

        Assert.That(result.Checksum, Is.EqualTo(server.Checksum()));
        Assert.That(result.Ranges, Is.EqualTo(64));
        Assert.That(destination.Written, Is.EqualTo(server.Length));
        Assert.That(maxAhead, Is.LessThanOrEqualTo(concurrency * DownloadEngine.BufferSize));
    }

    private static async Task<T> CatchAsync<T>(Task task)
        where T : Exception
    {
        try
        {
            await task;
        }
        catch (T e)
        {
            return e;
        }

        Assert.Fail($"Expected {typeof(T).Name}.");
        return null!;
    }
}
