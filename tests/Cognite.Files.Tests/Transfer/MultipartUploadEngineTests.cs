using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Net;
using System.Security.Cryptography;
using Cognite.Files.Models;
using Cognite.Files.Transfer;
using Microsoft.Extensions.Time.Testing;

namespace Cognite.Files.Tests.Transfer;

public class MultipartUploadEngineTests
{
    private const int PartSize = 1024;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private FakeTimeProvider _time = null!;
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        _dir = Directory.CreateTempSubdirectory("cognite-transfer-tests-").FullName;
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    /// <summary>Multipart from the first byte (SingleUploadThreshold 0): these tests are about parts.</summary>
    private static TransferOptions Options(int concurrency = 3, int attempts = 4) => new()
    {
        SingleUploadThreshold = 0,
        MinimumPartSize = 1,
        PartSize = PartSize,
        MaxConcurrency = concurrency,
        MaxAttemptsPerPart = attempts,
        RetryBaseDelay = TimeSpan.Zero,
        MaxRetryDelay = TimeSpan.FromSeconds(30),
        StallTimeout = TimeSpan.FromSeconds(10),
    };

    private static byte[] Content(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string Sha(byte[] bytes) => ContentChecksum.Compute(bytes);

    private static UploadTarget NewFile => UploadTarget.ForNewFile(new FileCreate { Name = "f.bin" });

    private string WriteFile(byte[] content, string name = "source.bin")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>Advances fake time in small steps (letting real continuations run) until <paramref name="done"/>, within a fake-time budget.</summary>
    private async Task AdvanceUntilAsync(Func<bool> done, TimeSpan step, TimeSpan max)
    {
        var advanced = TimeSpan.Zero;
        while (!done())
        {
            Assert.That(advanced, Is.LessThanOrEqualTo(max), "condition not reached within the fake time budget");
            _time.Advance(step);
            advanced += step;
            await Task.Delay(5);
        }
    }

    [Test]
    public async Task Uploads_a_file_in_parts_byte_exact_with_its_checksum()
    {
        var content = Content(10 * PartSize + 17);
        var steps = new FakeUploadSteps(_time);
        var engine = new MultipartUploadEngine(steps, Options(), _time);
        using var source = UploadSource.FromFile(WriteFile(content));

        var result = await engine.UploadAsync(source, NewFile);

        Assert.That(steps.Assembled(), Is.EqualTo(content));
        Assert.That(result.Checksum, Is.EqualTo(Sha(content)));
        Assert.That(result.Parts, Is.EqualTo(11));
        Assert.That(result.Bytes, Is.EqualTo(content.Length));
        Assert.That(result.BytesSkipped, Is.Zero);
        Assert.That(result.Retries, Is.Zero);
        Assert.That(result.File.Uploaded, Is.True);
        Assert.That(steps.CompleteCalls, Is.EqualTo(1));
        Assert.That(steps.Attempts.Values, Is.All.EqualTo(1));
    }

    [Test]
    public async Task Uploads_a_seekable_stream_with_concurrent_parts()
    {
        var content = Content(9 * PartSize + 1);
        var steps = new FakeUploadSteps(_time);
        var engine = new MultipartUploadEngine(steps, Options(concurrency: 4), _time);
        using var stream = new MemoryStream(content);
        using var source = UploadSource.FromStream(stream);

        var result = await engine.UploadAsync(source, NewFile);

        Assert.That(steps.Assembled(), Is.EqualTo(content));
        Assert.That(result.Checksum, Is.EqualTo(Sha(content)));
    }

    [Test]
    public async Task Zero_bytes_is_one_empty_single_request_and_progress_ends_at_zero()
    {
        var steps = new FakeUploadSteps(_time);
        var engine = new MultipartUploadEngine(steps, Options(), _time);
        var progress = new RecordingProgress<UploadProgress>();
        using var source = UploadSource.FromStream(new MemoryStream());

        var result = await engine.UploadAsync(source, NewFile, new UploadOptions { Progress = progress });

        Assert.That(steps.Parts[0], Is.Empty);
        Assert.That(steps.StartSingleCalls, Is.EqualTo(1), "0 bytes is never above the threshold: one PUT, no session");
        Assert.That(steps.StartCalls, Is.Zero);
        Assert.That(result.Checksum, Is.EqualTo(Sha([])));
        Assert.That(progress.Values[^1], Is.EqualTo(new UploadProgress(0, 0, 1, 1)));
    }

    [Test]
    public async Task Content_up_to_the_threshold_is_one_single_request_with_no_session_and_no_journal()
    {
        var content = Content(3 * PartSize);
        var steps = new FakeUploadSteps(_time);
        var options = Options();
        options.SingleUploadThreshold = content.Length;
        var engine = new MultipartUploadEngine(steps, options, _time);
        var journal = Path.Combine(_dir, "single.journal");
        using var source = UploadSource.FromFile(WriteFile(content));

        var result = await engine.UploadAsync(source, NewFile, new UploadOptions { JournalPath = journal });

        Assert.That(steps.StartSingleCalls, Is.EqualTo(1));
        Assert.That(steps.StartCalls, Is.Zero);
        Assert.That(steps.Attempts.Keys, Is.EqualTo(new[] { 0 }), "one PUT of the whole content");
        Assert.That(steps.Parts[0], Is.EqualTo(content));
        Assert.That(File.Exists(journal), Is.False);
        Assert.That(result.Parts, Is.EqualTo(1));
        Assert.That(result.UploadId, Is.Empty);
        Assert.That(result.Checksum, Is.EqualTo(Sha(content)));
    }

    [Test]
    public async Task One_byte_above_the_threshold_is_multipart()
    {
        var content = Content(3 * PartSize);
        var steps = new FakeUploadSteps(_time);
        var options = Options();
        options.SingleUploadThreshold = content.Length - 1;
        using var source = UploadSource.FromStream(new MemoryStream(content));

        var result = await new MultipartUploadEngine(steps, options, _time).UploadAsync(source, NewFile);

        Assert.That(steps.StartCalls, Is.EqualTo(1));
        Assert.That(steps.StartSingleCalls, Is.Zero);
        Assert.That(result.Parts, Is.EqualTo(3));
        Assert.That(result.UploadId, Is.EqualTo("upload-1"));
    }

    [Test]
    public async Task The_confirmation_timeout_comes_from_the_calls_transfer_options()
    {
        var steps = new FakeUploadSteps(_time);
        var defaults = Options();
        defaults.UploadedConfirmationTimeout = TimeSpan.FromSeconds(30);
        var call = Options();
        call.UploadedConfirmationTimeout = TimeSpan.FromSeconds(4);
        var engine = new MultipartUploadEngine(steps, defaults, _time);
        using var a = UploadSource.FromStream(new MemoryStream(Content(10)));
        using var b = UploadSource.FromStream(new MemoryStream(Content(10)));

        await engine.UploadAsync(a, NewFile);
        await engine.UploadAsync(b, NewFile, new UploadOptions { Transfer = call });

        Assert.That(steps.ConfirmTimeouts, Is.EqualTo(new[] { TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(4) }));
    }

    [Test]
    public async Task Changing_the_defaults_after_building_the_engine_has_no_effect()
    {
        var steps = new FakeUploadSteps(_time);
        var defaults = Options();
        var engine = new MultipartUploadEngine(steps, defaults, _time);
        defaults.PartSize = 1;
        using var source = UploadSource.FromStream(new MemoryStream(Content(3 * PartSize)));

        var result = await engine.UploadAsync(source, NewFile);

        Assert.That(result.Parts, Is.EqualTo(3));
    }

    [Test]
    public async Task Too_large_content_fails_before_any_request()
    {
        var steps = new FakeUploadSteps(_time);
        var engine = new MultipartUploadEngine(steps, new TransferOptions(), _time);
        using var source = UploadSource.FromStream(new NonSeekableStream(new MemoryStream()), MultipartLimits.MaxFileSize + 1);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.UploadAsync(source, NewFile));
        Assert.That(steps.StartCalls, Is.Zero);
    }

    [Test]
    public void Unknown_length_of_a_non_seekable_stream_is_refused_with_advice()
    {
        var ex = Assert.Throws<ArgumentException>(() => UploadSource.FromStream(new NonSeekableStream(new MemoryStream())));
        Assert.That(ex!.Message, Does.Contain("temporary file"));
    }

    [Test]
    public async Task Only_the_failed_part_is_retried()
    {
        var content = Content(8 * PartSize);
        var steps = new FakeUploadSteps(_time)
        {
            OnPut = call => call is { PartIndex: 4, Attempt: <= 2 } ? throw FakeUploadSteps.Status(HttpStatusCode.InternalServerError) : Task.CompletedTask,
        };
        var engine = new MultipartUploadEngine(steps, Options(), _time);
        using var source = UploadSource.FromFile(WriteFile(content));

        var result = await engine.UploadAsync(source, NewFile);

        Assert.That(steps.Attempts[4], Is.EqualTo(3));
        Assert.That(steps.Attempts.Where(a => a.Key != 4).Select(a => a.Value), Is.All.EqualTo(1));
        Assert.That(result.Retries, Is.EqualTo(2));
        Assert.That(steps.Assembled(), Is.EqualTo(content));
    }

    [Test]
    public async Task Attempts_are_capped_and_the_error_names_the_part_without_urls()
    {
        var content = Content(5 * PartSize);
        var steps = new FakeUploadSteps(_time)
        {
            OnPut = call => call.PartIndex == 1 ? throw FakeUploadSteps.Status(HttpStatusCode.ServiceUnavailable) : Task.CompletedTask,
        };
        var engine = new MultipartUploadEngine(steps, Options(attempts: 3), _time);
        using var source = UploadSource.FromFile(WriteFile(content));

        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => engine.UploadAsync(source, NewFile));

        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.PartFailed));
        Assert.That(ex.PartIndex, Is.EqualTo(1));
        Assert.That(ex.Attempts, Is.EqualTo(3));
        Assert.That(ex.UploadId, Is.EqualTo("upload-1"));
        Assert.That(ex.FileId, Is.EqualTo(42));
        Assert.That(ex.InnerException, Is.InstanceOf<CogniteApiException>());
        Assert.That(ex.Message, Does.Contain("Part 2 of 5").And.Not.Contain("SECRET").And.Not.Contain("sig="));
        Assert.That(steps.Attempts[1], Is.EqualTo(3));
        Assert.That(steps.CompleteCalls, Is.Zero);
    }

    [Test]
    public async Task A_non_transient_error_is_not_retried()
    {
        var steps = new FakeUploadSteps(_time)
        {
            OnPut = call => call.PartIndex == 0 ? throw FakeUploadSteps.Status(HttpStatusCode.BadRequest) : Task.CompletedTask,
        };
        var engine = new MultipartUploadEngine(steps, Options(), _time);
        using var source = UploadSource.FromStream(new MemoryStream(Content(3 * PartSize)));

        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => engine.UploadAsync(source, NewFile));

        Assert.That(ex!.PartIndex, Is.Zero);
        Assert.That(steps.Attempts[0], Is.EqualTo(1));
    }

    [Test]
    public async Task Retry_after_is_honoured()
    {
        var content = Content(3 * PartSize);
        var steps = new FakeUploadSteps(_time)
        {
            OnPut = call => call is { PartIndex: 2, Attempt: 1 } ? throw FakeUploadSteps.Status(HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(5)) : Task.CompletedTask,
        };
        var engine = new MultipartUploadEngine(steps, Options(), _time);
        using var source = UploadSource.FromFile(WriteFile(content));

        var upload = engine.UploadAsync(source, NewFile);
        await AdvanceUntilAsync(() => upload.IsCompleted, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(20));
        await upload;

        var attempts = steps.Log.Where(l => l.Part == 2).OrderBy(l => l.Attempt).ToList();
        Assert.That(attempts, Has.Count.EqualTo(2));
        var gap = attempts[1].At - attempts[0].At;
        Assert.That(gap, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(5)), "the retry waited for Retry-After, not the zero base delay");
        Assert.That(gap, Is.LessThan(TimeSpan.FromSeconds(10)));
    }

    [Test]
    public async Task Progress_is_monotonic_does_not_double_count_retries_and_ends_at_the_size()
    {
        var content = Content(6 * PartSize + 100);
        var steps = new FakeUploadSteps(_time)
        {
            OnPut = async call =>
            {
                if (call is { PartIndex: 2, Attempt: 1 } or { PartIndex: 5, Attempt: <= 2 })
                {
                    var buffer = new byte[600];
                    await call.Body.ReadExactlyAsync(buffer, call.CancellationToken);
                    throw new IOException("connection reset mid-body");
                }
            },
        };
        var engine = new MultipartUploadEngine(steps, Options(), _time);
        var progress = new RecordingProgress<UploadProgress>();
        using var source = UploadSource.FromFile(WriteFile(content));

        var result = await engine.UploadAsync(source, NewFile, new UploadOptions { Progress = progress });

        Assert.That(result.Retries, Is.EqualTo(3));
        var values = progress.Values;
        Assert.That(values.Select(v => v.BytesTransferred), Is.Ordered.Ascending);
        Assert.That(values.Select(v => v.PartsCompleted), Is.Ordered.Ascending);
        Assert.That(values.Select(v => v.BytesTransferred), Is.All.LessThanOrEqualTo(content.Length));
        Assert.That(values.Select(v => v.TotalBytes), Is.All.EqualTo(content.Length));
        Assert.That(values[^1], Is.EqualTo(new UploadProgress(content.Length, content.Length, 7, 7)));
    }

    [Test]
    public async Task A_stalled_part_is_aborted_by_the_watchdog_and_retried()
    {
        var content = Content(4 * PartSize);
        var stalled = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        var othersAccepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var accepted = 0;
        var steps = new FakeUploadSteps(_time)
        {
            OnAccepted = part =>
            {
                if (part != 1 && Interlocked.Increment(ref accepted) == 3)
                {
                    othersAccepted.SetResult();
                }
            },
            OnPut = async call =>
            {
                if (call is { PartIndex: 1, Attempt: 1 })
                {
                    var buffer = new byte[100];
                    await call.Body.ReadExactlyAsync(buffer, call.CancellationToken);
                    stalled.SetResult(call.CancellationToken);
                    await Task.Delay(Timeout.InfiniteTimeSpan, call.CancellationToken); // stops reading: a stalled connection
                }
            },
        };
        var engine = new MultipartUploadEngine(steps, Options(), _time);
        using var source = UploadSource.FromFile(WriteFile(content));

        var upload = engine.UploadAsync(source, NewFile);
        var attempt = await stalled.Task.WaitAsync(Wait);
        await othersAccepted.Task.WaitAsync(Wait); // the clock moves only once the healthy parts are through
        // The watchdog runs on the fake clock's timer, synchronously inside Advance: its verdict is visible at once.
        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.That(attempt.IsCancellationRequested, Is.False, "not aborted before the stall timeout");
        _time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.That(attempt.IsCancellationRequested, Is.True, "aborted once no byte moved for the stall timeout");
        await AdvanceUntilAsync(() => upload.IsCompleted, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        var result = await upload;

        Assert.That(steps.Attempts[1], Is.EqualTo(2));
        Assert.That(steps.Attempts.Where(a => a.Key != 1).Select(a => a.Value), Is.All.EqualTo(1));
        Assert.That(result.Retries, Is.EqualTo(1));
        Assert.That(steps.Assembled(), Is.EqualTo(content));
    }

    private static TransferOptions SlowLinkOptions() => new()
    {
        SingleUploadThreshold = 0,
        MinimumPartSize = 1,
        PartSize = 512 * 1024,
        MaxConcurrency = 1,
        MaxAttemptsPerPart = 3,
        RetryBaseDelay = TimeSpan.Zero,
        StallTimeout = TimeSpan.FromSeconds(10),
    };

    [Test]
    public async Task A_slow_but_moving_link_is_not_taken_for_a_stall()
    {
        // 16 KiB/s: one 40 KiB write (the slice for a 10 s stall timeout) takes 2.5 s, the whole 512 KiB part 32 s. Sent as
        // one 512 KiB write after one read, the part would look stalled for 32 s and be aborted on every attempt.
        var content = Content(512 * 1024);
        var links = new ConcurrentQueue<ThrottledWriteStream>();
        var steps = new FakeUploadSteps(_time)
        {
            Destination = _ =>
            {
                var link = new ThrottledWriteStream(_time, 16 * 1024);
                links.Enqueue(link);
                return link;
            },
        };
        var progress = new RecordingProgress<UploadProgress>();
        using var source = UploadSource.FromFile(WriteFile(content));

        var upload = new MultipartUploadEngine(steps, SlowLinkOptions(), _time).UploadAsync(source, NewFile, new UploadOptions { Progress = progress });
        await AdvanceUntilAsync(() => upload.IsCompleted, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(120));
        var result = await upload;

        Assert.That(result.Retries, Is.Zero, "no attempt was aborted as stalled");
        Assert.That(steps.Attempts[0], Is.EqualTo(1));
        Assert.That(steps.Assembled(), Is.EqualTo(content));
        var writes = links.Single().Writes.ToList();
        var slice = PartProgressStream.WriteSliceFor(SlowLinkOptions().StallTimeout);
        Assert.That(slice, Is.EqualTo(40 * 1024));
        Assert.That(writes, Is.All.LessThanOrEqualTo(slice), "writes are sliced");
        Assert.That(writes, Has.Count.EqualTo((content.Length + slice - 1) / slice));
        var bytes = progress.Values.Select(v => v.BytesTransferred).ToList();
        Assert.That(bytes, Is.Ordered.Ascending);
        Assert.That(bytes.Distinct().Count(), Is.GreaterThanOrEqualTo(8), "each written slice (4 s of fake time apart) is reported");
        Assert.That(bytes[^1], Is.EqualTo(content.Length));
    }

    [Test]
    public async Task A_link_that_stops_accepting_writes_is_still_detected_as_stalled()
    {
        var content = Content(512 * 1024);
        var steps = new FakeUploadSteps(_time)
        {
            // The first attempt's connection accepts two slices, then nothing more.
            Destination = call => new ThrottledWriteStream(_time, 16 * 1024, stopAfterWrites: call.Attempt == 1 ? 2 : int.MaxValue),
        };
        using var source = UploadSource.FromFile(WriteFile(content));

        var upload = new MultipartUploadEngine(steps, SlowLinkOptions(), _time).UploadAsync(source, NewFile);
        await AdvanceUntilAsync(() => upload.IsCompleted, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(120));
        var result = await upload;

        Assert.That(steps.Attempts[0], Is.EqualTo(2), "the dead attempt was aborted and retried");
        Assert.That(result.Retries, Is.EqualTo(1));
        Assert.That(steps.Assembled(), Is.EqualTo(content));
    }

    [Test]
    public async Task The_content_is_read_once_for_sending_and_checksum_together()
    {
        var content = Content(12 * PartSize + 5);
        var stream = new CountingStream(new MemoryStream(content));
        var steps = new FakeUploadSteps(_time);
        using var source = UploadSource.FromStream(stream);

        var result = await new MultipartUploadEngine(steps, Options(concurrency: 4), _time).UploadAsync(source, NewFile);

        Assert.That(result.Checksum, Is.EqualTo(Sha(content)));
        Assert.That(stream.BytesRead, Is.EqualTo(content.Length), "no second pass over the content");
    }

    [Test]
    public async Task Each_part_is_read_and_checksummed_in_whole_1_MiB_spans()
    {
        // The CRC is appended once per read of the copy (PartProgressStream.CopyToAsync, as HttpClient sends a body): a
        // read of the whole 1 MiB copy buffer keeps the vectorized CRC at full speed and the calls few.
        const int mib = 1024 * 1024;
        var content = Content((2 * 2 * mib) + (mib / 2) + 3);
        var stream = new CountingStream(new MemoryStream(content));
        var steps = new FakeUploadSteps(_time) { Destination = _ => Stream.Null };
        var options = Options(concurrency: 1);
        options.PartSize = 2 * mib;
        using var source = UploadSource.FromStream(stream);

        var result = await new MultipartUploadEngine(steps, options, _time).UploadAsync(source, NewFile);

        Assert.That(result.Checksum, Is.EqualTo(Sha(content)));
        Assert.That(stream.ReadSizes, Is.EqualTo(new[] { mib, mib, mib, mib, (mib / 2) + 3 }), "parts of 2 MiB, 2 MiB and the rest, each read in 1 MiB spans");
    }

    [Test]
    public async Task The_checksum_describes_the_bytes_CDF_accepted_combined_in_any_order()
    {
        // Part 2's first attempt fails after the source's bytes of that part were changed: the retry sends (and
        // checksums) the new bytes, and parts finish out of order; the checksum is the one of what CDF assembled.
        var content = Content(6 * PartSize);
        var buffer = (byte[])content.Clone();
        var steps = new FakeUploadSteps(_time)
        {
            OnPut = async call =>
            {
                if (call is { PartIndex: 2, Attempt: 1 })
                {
                    buffer[(2 * PartSize) + 7] ^= 0xFF;
                    throw new HttpRequestException("reset");
                }

                if (call.PartIndex == 0)
                {
                    await Task.Delay(20, call.CancellationToken); // finishes last
                }
            },
        };
        using var source = UploadSource.FromStream(new MemoryStream(buffer));

        var result = await new MultipartUploadEngine(steps, Options(concurrency: 6), _time).UploadAsync(source, NewFile);

        Assert.That(steps.Assembled(), Is.Not.EqualTo(content));
        Assert.That(result.Checksum, Is.EqualTo(Sha(steps.Assembled())));
        Assert.That(result.Retries, Is.EqualTo(1));
    }

    [Test]
    public async Task Cancellation_stops_in_flight_parts_quickly_and_never_completes()
    {
        var started = 0;
        var cancelledPuts = 0;
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var steps = new FakeUploadSteps(_time)
        {
            OnPut = async call =>
            {
                if (Interlocked.Increment(ref started) == 3)
                {
                    allStarted.SetResult();
                }

                try
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, call.CancellationToken);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref cancelledPuts);
                    throw;
                }
            },
        };
        var engine = new MultipartUploadEngine(steps, Options(concurrency: 3), _time);
        using var source = UploadSource.FromStream(new MemoryStream(Content(10 * PartSize)));
        using var cts = new CancellationTokenSource();

        var upload = engine.UploadAsync(source, NewFile, cancellationToken: cts.Token);
        await allStarted.Task.WaitAsync(Wait);
        await cts.CancelAsync();

        // The fake PUTs never finish on their own: the upload ending at all means cancellation stopped them.
        await Assert.CatchAsync<OperationCanceledException>(() => upload.WaitAsync(Wait));
        Assert.That(cancelledPuts, Is.EqualTo(3));
        Assert.That(steps.CompleteCalls, Is.Zero);
        Assert.That(steps.Attempts.Keys, Is.EquivalentTo(new[] { 0, 1, 2 }), "no part started after cancellation");
        Assert.That(engine.Limiter.InFlight, Is.Zero);
    }

    [Test]
    public async Task Concurrency_never_exceeds_max_even_across_files()
    {
        var steps = new FakeUploadSteps(_time)
        {
            OnPut = async _ =>
            {
                for (var i = 0; i < 5; i++)
                {
                    await Task.Yield();
                }
            },
        };
        var engine = new MultipartUploadEngine(steps, Options(concurrency: 3), _time);
        using var a = UploadSource.FromStream(new MemoryStream(Content(20 * PartSize, 1)));
        using var b = UploadSource.FromStream(new NonSeekableStream(new MemoryStream(Content(20 * PartSize, 2))), 20 * PartSize);

        await Task.WhenAll(engine.UploadAsync(a, NewFile), engine.UploadAsync(b, NewFile));

        Assert.That(steps.MaxInFlight, Is.InRange(1, 3));
    }

    [Test]
    public async Task A_non_seekable_source_re_sends_identical_bytes_on_retry()
    {
        var content = Content(6 * PartSize + 5);
        var steps = new FakeUploadSteps(_time)
        {
            OnPut = async call =>
            {
                if (call is { PartIndex: 3, Attempt: 1 })
                {
                    var buffer = new byte[500];
                    await call.Body.ReadExactlyAsync(buffer, call.CancellationToken);
                    throw new HttpRequestException("reset");
                }
            },
        };
        var engine = new MultipartUploadEngine(steps, Options(), _time);
        var stream = new NonSeekableStream(new MemoryStream(content));
        using var source = UploadSource.FromStream(stream, content.Length);

        var result = await engine.UploadAsync(source, NewFile);

        var part3 = steps.Log.Where(l => l.Part == 3).OrderBy(l => l.Attempt).ToList();
        Assert.That(part3[0].Received, Is.EqualTo(content.AsSpan(3 * PartSize, 500).ToArray()));
        Assert.That(part3[1].Received, Is.EqualTo(content.AsSpan(3 * PartSize, PartSize).ToArray()));
        Assert.That(steps.Assembled(), Is.EqualTo(content));
        Assert.That(result.Checksum, Is.EqualTo(Sha(content)));
    }

    [Test]
    public async Task Resume_sends_only_the_missing_parts()
    {
        var content = Content(10 * PartSize + 3);
        var path = WriteFile(content);
        var journal = Path.Combine(_dir, "upload.journal");
        var first = new FakeUploadSteps(_time)
        {
            OnPut = call => call.PartIndex == 6 ? throw FakeUploadSteps.Status(HttpStatusCode.BadRequest) : Task.CompletedTask,
        };
        var engine = new MultipartUploadEngine(first, Options(concurrency: 2), _time);
        using (var source = UploadSource.FromFile(path))
        {
            await Assert.ThrowsAsync<CogniteUploadException>(() => engine.UploadAsync(source, NewFile, new UploadOptions { JournalPath = journal }));
        }

        Assert.That(File.Exists(journal), Is.True);
        Assert.That(File.ReadAllText(journal), Does.Contain("upload-1"));
        var done = first.Parts.Keys.ToHashSet();
        Assert.That(done, Does.Not.Contain(6));

        var second = new FakeUploadSteps(_time) { Parts = first.Parts };
        var progress = new RecordingProgress<UploadProgress>();
        using (var source = UploadSource.FromFile(path))
        {
            var result = await new MultipartUploadEngine(second, Options(concurrency: 2), _time).ResumeAsync(journal, source, new UploadOptions { Progress = progress });

            Assert.That(result.PartsSkipped, Is.EqualTo(done.Count));
            Assert.That(result.BytesSkipped, Is.EqualTo(done.Sum(i => i == 10 ? 3L : PartSize)), "the bytes of the parts done before");
            Assert.That(result.Bytes - result.BytesSkipped, Is.EqualTo(second.Parts.Where(p => !done.Contains(p.Key)).Sum(p => (long)p.Value.Length)), "what this run sent");
            Assert.That(result.Checksum, Is.EqualTo(Sha(content)));
        }

        Assert.That(second.StartCalls, Is.Zero);
        Assert.That(second.Attempts.Keys, Is.EquivalentTo(Enumerable.Range(0, 11).Except(done)));
        Assert.That(second.CompleteCalls, Is.EqualTo(1));
        Assert.That(second.Assembled(), Is.EqualTo(content));
        Assert.That(File.Exists(journal), Is.False, "the journal is deleted after success");
        Assert.That(progress.Values[0].BytesTransferred, Is.GreaterThanOrEqualTo(done.Sum(i => i == 10 ? 3 : PartSize)));
        Assert.That(progress.Values[^1].BytesTransferred, Is.EqualTo(content.Length));
    }

    [Test]
    public async Task A_journal_that_cannot_be_deleted_does_not_fail_a_completed_upload()
    {
        var content = Content(3 * PartSize);
        var journal = Path.Combine(_dir, "upload.journal");
        var steps = new FakeUploadSteps(_time)
        {
            // Once every part is done, put a non-empty directory where the journal is: File.Delete cannot remove it.
            OnComplete = () =>
            {
                File.Delete(journal);
                Directory.CreateDirectory(journal);
                File.WriteAllText(Path.Combine(journal, "keep"), "x");
            },
        };
        var logger = new CapturingLogger();
        using var source = UploadSource.FromFile(WriteFile(content));

        var result = await new MultipartUploadEngine(steps, Options(), _time, logger: logger).UploadAsync(source, NewFile, new UploadOptions { JournalPath = journal });

        Assert.That(result.File.Uploaded, Is.True);
        Assert.That(result.Checksum, Is.EqualTo(Sha(content)));
        Assert.That(
            logger.Entries.Where(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning).Select(e => e.Message),
            Has.One.Contains("journal upload.journal could not be deleted"));
    }

    private async Task<(string Path, string Journal)> InterruptedUploadAsync(byte[] content)
    {
        var path = WriteFile(content);
        var journal = Path.Combine(_dir, "upload.journal");
        var steps = new FakeUploadSteps(_time)
        {
            OnPut = call => call.PartIndex == 2 ? throw FakeUploadSteps.Status(HttpStatusCode.BadRequest) : Task.CompletedTask,
        };
        using var source = UploadSource.FromFile(path);
        // One part at a time: parts 0 and 1 are done and journaled when part 2 fails. With several in flight, part 2's
        // failure could cancel them first and leave nothing to resume.
        await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(steps, Options(concurrency: 1), _time).UploadAsync(source, NewFile, new UploadOptions { JournalPath = journal }));
        return (path, journal);
    }

    [Test]
    public async Task The_journal_records_the_checksum_of_each_part_sent()
    {
        var content = Content(5 * PartSize);
        var (_, journalPath) = await InterruptedUploadAsync(content);

        var journal = UploadJournal.Load(journalPath);

        Assert.That(journal.PartsDone, Is.Not.Empty);
        foreach (var i in journal.PartsDone)
        {
            Assert.That(journal.TryGetPartChecksum(i, out var crc), Is.True);
            Assert.That(ContentChecksum.Format(crc), Is.EqualTo(Sha(content.AsSpan(i * PartSize, PartSize).ToArray())));
        }
    }

    [Test]
    public async Task After_a_resume_the_checksum_describes_what_CDF_stores_not_the_local_file()
    {
        // A finished part is edited in place, the modification time restored, outside the first and last MiB that the
        // fingerprint hashes: the resume trusts the part and sends only the rest, and its checksum is the one of the
        // content CDF assembled, not of the local file.
        const int partSize = 512 * 1024;
        var content = Content(6 * partSize);
        var path = WriteFile(content);
        var journal = Path.Combine(_dir, "upload.journal");
        var options = Options(concurrency: 1);
        options.PartSize = partSize;
        var first = new FakeUploadSteps(_time)
        {
            OnPut = call => call.PartIndex == 4 ? throw FakeUploadSteps.Status(HttpStatusCode.BadRequest) : Task.CompletedTask,
        };
        using (var source = UploadSource.FromFile(path))
        {
            await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(first, options, _time).UploadAsync(source, NewFile, new UploadOptions { JournalPath = journal }));
        }

        var mtime = File.GetLastWriteTimeUtc(path);
        var edited = (byte[])content.Clone();
        edited[(2 * partSize) + 10] ^= 0xFF;
        File.WriteAllBytes(path, edited);
        File.SetLastWriteTimeUtc(path, mtime);
        var second = new FakeUploadSteps(_time) { Parts = first.Parts };

        using var resumed = UploadSource.FromFile(path);
        var result = await new MultipartUploadEngine(second, options, _time).ResumeAsync(journal, resumed);

        Assert.That(result.PartsSkipped, Is.EqualTo(4));
        Assert.That(second.Assembled(), Is.EqualTo(content), "CDF holds the parts as they were first sent");
        Assert.That(result.Checksum, Is.EqualTo(Sha(content)));
        Assert.That(result.Checksum, Is.Not.EqualTo(Sha(edited)));
    }

    [Test]
    public async Task A_journal_without_part_checksums_resumes_but_gives_no_checksum_and_says_why()
    {
        var content = Content(5 * PartSize);
        var (path, journalPath) = await InterruptedUploadAsync(content);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(journalPath))!.AsObject();
        json.Remove("partChecksums"); // a journal of an older version
        File.WriteAllText(journalPath, json.ToJsonString());
        var steps = new FakeUploadSteps(_time);
        var logger = new CapturingLogger();

        using var source = UploadSource.FromFile(path);
        var result = await new MultipartUploadEngine(steps, Options(), _time, logger: logger).ResumeAsync(journalPath, source);

        Assert.That(result.File.Uploaded, Is.True);
        Assert.That(result.PartsSkipped, Is.GreaterThan(0));
        Assert.That(result.Checksum, Is.Null, "the bytes of the parts done before are known only to CDF");
        Assert.That(logger.Entries.Select(e => e.Message), Has.One.Contains("No checksum for this upload"));
    }

    [Test]
    public async Task With_checksums_off_the_journal_records_none()
    {
        var content = Content(5 * PartSize);
        var path = WriteFile(content);
        var journal = Path.Combine(_dir, "off.journal");
        var options = Options(concurrency: 1); // parts 0 and 1 journaled before part 2 fails
        options.ComputeChecksum = false;
        var steps = new FakeUploadSteps(_time)
        {
            OnPut = call => call.PartIndex == 2 ? throw FakeUploadSteps.Status(HttpStatusCode.BadRequest) : Task.CompletedTask,
        };
        using var source = UploadSource.FromFile(path);

        await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(steps, options, _time).UploadAsync(source, NewFile, new UploadOptions { JournalPath = journal }));

        Assert.That(UploadJournal.Load(journal).PartsDone, Is.Not.Empty);
        Assert.That(UploadJournal.Load(journal).PartChecksums, Is.Empty);
    }

    [Test]
    public async Task A_resume_with_every_part_done_reports_progress_at_the_full_size()
    {
        var content = Content(5 * PartSize - 7);
        var (path, journalPath) = await InterruptedUploadAsync(content);
        var journal = UploadJournal.Load(journalPath);
        for (var i = 0; i < journal.PartCount; i++)
        {
            journal.MarkDone(i, Crc64.HashToUInt64(content.AsSpan(i * PartSize, (int)journal.Plan.GetPartLength(i)))); // e.g. the process died after the last part, before completing
        }

        var steps = new FakeUploadSteps(_time);
        var progress = new RecordingProgress<UploadProgress>();
        using var source = UploadSource.FromFile(path);

        var result = await new MultipartUploadEngine(steps, Options(), _time).ResumeAsync(journalPath, source, new UploadOptions { Progress = progress });

        Assert.That(result.PartsSkipped, Is.EqualTo(5));
        Assert.That(result.BytesSkipped, Is.EqualTo(content.Length), "nothing sent by this run");
        Assert.That(steps.Attempts, Is.Empty);
        Assert.That(steps.CompleteCalls, Is.EqualTo(1));
        Assert.That(progress.Values, Is.EqualTo(new[] { new UploadProgress(content.Length, content.Length, 5, 5) { BytesSkipped = content.Length } }), "reported once, at the full size, all of it skipped");
        Assert.That(result.Checksum, Is.EqualTo(Sha(content)), "combined from the journal alone");
    }

    [Test]
    public async Task Every_report_of_a_resume_says_what_was_uploaded_before_it()
    {
        var content = Content(5 * PartSize - 7);
        var (path, journalPath) = await InterruptedUploadAsync(content); // parts 0 and 1 done
        var steps = new FakeUploadSteps(_time);
        var progress = new RecordingProgress<UploadProgress>();
        using var source = UploadSource.FromFile(path);

        var result = await new MultipartUploadEngine(steps, Options(concurrency: 1), _time).ResumeAsync(journalPath, source, new UploadOptions { Progress = progress });

        Assert.That(result.BytesSkipped, Is.EqualTo(2 * PartSize));
        Assert.That(progress.Values, Is.Not.Empty);
        Assert.That(progress.Values.Select(p => p.BytesSkipped), Is.All.EqualTo(2 * PartSize));
        Assert.That(progress.Values[0], Is.EqualTo(new UploadProgress(2 * PartSize, content.Length, 2, 5) { BytesSkipped = 2 * PartSize }), "the opening report: nothing sent yet");
        Assert.That(progress.Values[^1].BytesTransferred, Is.EqualTo(content.Length));
    }

    [Test]
    public async Task Resume_rejects_a_changed_source()
    {
        var content = Content(5 * PartSize);
        var (path, journal) = await InterruptedUploadAsync(content);
        content[^1] ^= 0xFF;
        File.WriteAllBytes(path, content);
        var steps = new FakeUploadSteps(_time);

        using var source = UploadSource.FromFile(path);
        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(steps, Options(), _time).ResumeAsync(journal, source));

        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.SourceChanged));
        Assert.That(ex.SourceChange, Is.Not.Null);
        Assert.That(steps.Attempts, Is.Empty);
    }

    /// <summary>An upload of <paramref name="content"/> in 64 KiB parts that fails at part 2, leaving its journal.</summary>
    private async Task<(string Path, string Journal, DateTime Modified)> InterruptedLargeUploadAsync(byte[] content)
    {
        var path = WriteFile(content);
        var journal = Path.Combine(_dir, "upload.journal");
        var options = Options(concurrency: 1); // parts 0 and 1 journaled before part 2 fails
        options.PartSize = 64 * 1024;
        var steps = new FakeUploadSteps(_time)
        {
            OnPut = call => call.PartIndex == 2 ? throw FakeUploadSteps.Status(HttpStatusCode.BadRequest) : Task.CompletedTask,
        };
        using var source = UploadSource.FromFile(path);
        await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(steps, options, _time).UploadAsync(source, NewFile, new UploadOptions { JournalPath = journal }));
        return (path, journal, File.GetLastWriteTimeUtc(path));
    }

    private async Task<CogniteUploadException> ResumeFailsAsync(string journal, UploadSource source)
    {
        var steps = new FakeUploadSteps(_time);
        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(steps, Options(), _time).ResumeAsync(journal, source));
        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.SourceChanged));
        Assert.That(steps.Attempts, Is.Empty, "nothing sent");
        return ex;
    }

    /// <summary>Writes one byte at <paramref name="offset"/> in place (flipped), then restores the modification time.</summary>
    private static void EditInPlace(string path, long offset, DateTime modified)
    {
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = offset;
            var b = stream.ReadByte();
            stream.Position = offset;
            stream.WriteByte((byte)(b ^ 0xFF));
        }

        File.SetLastWriteTimeUtc(path, modified);
    }

    [Test]
    public async Task A_refused_resume_names_a_changed_length_with_both_values()
    {
        var (path, journal, _) = await InterruptedLargeUploadAsync(Content(3 * 1024 * 1024));
        using (var stream = new FileStream(path, FileMode.Append))
        {
            stream.Write(new byte[7]);
        }

        using var source = UploadSource.FromFile(path);
        var ex = await ResumeFailsAsync(journal, source);

        Assert.That(ex.SourceChange, Is.EqualTo(SourceChange.Length));
        Assert.That(ex.Message, Is.EqualTo("The file source.bin changed since the upload began: its length is now 3145735 bytes, it was 3145728. A resume cannot finish this upload: start a new upload."));
        Assert.That(ex.UploadId, Is.EqualTo("upload-1"));
        Assert.That(ex.FileId, Is.EqualTo(42));
    }

    [Test]
    public async Task A_refused_resume_names_a_changed_modification_time_with_both_values()
    {
        var (path, journal, modified) = await InterruptedLargeUploadAsync(Content(3 * 1024 * 1024));
        var later = new DateTime(2027, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, later);

        using var source = UploadSource.FromFile(path);
        var ex = await ResumeFailsAsync(journal, source);

        Assert.That(ex.SourceChange, Is.EqualTo(SourceChange.ModificationTime));
        Assert.That(ex.Message, Is.EqualTo(
            $"The file source.bin changed since the upload began: its modification time is now 2027-01-02T03:04:05.0000000Z, it was {modified:O} (same length). A resume cannot finish this upload: start a new upload."));
    }

    [TestCase(10L, SourceChange.FirstMiB, "first")]
    [TestCase((3L * 1024 * 1024) - 10, SourceChange.LastMiB, "last")]
    public async Task A_refused_resume_names_the_MiB_whose_content_changed(long offset, SourceChange expected, string which)
    {
        var (path, journal, modified) = await InterruptedLargeUploadAsync(Content(3 * 1024 * 1024));
        EditInPlace(path, offset, modified);

        using var source = UploadSource.FromFile(path);
        var ex = await ResumeFailsAsync(journal, source);

        Assert.That(ex.SourceChange, Is.EqualTo(expected));
        Assert.That(ex.Message, Is.EqualTo($"The file source.bin changed since the upload began: the content of its {which} MiB differs (same length and modification time). A resume cannot finish this upload: start a new upload."));
    }

    [Test]
    public async Task A_refused_resume_of_a_seekable_stream_names_the_MiB_whose_content_changed()
    {
        var content = Content(3 * 1024 * 1024);
        var journal = Path.Combine(_dir, "stream.journal");
        var options = Options(concurrency: 1); // parts 0 and 1 journaled before part 2 fails
        options.PartSize = 64 * 1024;
        var steps = new FakeUploadSteps(_time)
        {
            OnPut = call => call.PartIndex == 2 ? throw FakeUploadSteps.Status(HttpStatusCode.BadRequest) : Task.CompletedTask,
        };
        using (var first = UploadSource.FromStream(new MemoryStream(content)))
        {
            await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(steps, options, _time).UploadAsync(first, NewFile, new UploadOptions { JournalPath = journal }));
        }

        content[^1] ^= 0xFF;
        using var source = UploadSource.FromStream(new MemoryStream(content));
        var ex = await ResumeFailsAsync(journal, source);

        Assert.That(ex.SourceChange, Is.EqualTo(SourceChange.LastMiB));
        Assert.That(ex.Message, Is.EqualTo("The seekable MemoryStream changed since the upload began: the content of its last MiB differs (same length). A resume cannot finish this upload: start a new upload."));
    }

    [Test]
    public async Task A_journal_of_the_previous_format_is_refused_with_advice()
    {
        var (path, journalPath) = await InterruptedUploadAsync(Content(5 * PartSize));
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(journalPath))!.AsObject();
        json["version"] = 1;
        json.Remove("source");
        json["fingerprint"] = "file:5120:0:ab";
        File.WriteAllText(journalPath, json.ToJsonString());

        using var source = UploadSource.FromFile(path);
        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(new FakeUploadSteps(_time), Options(), _time).ResumeAsync(journalPath, source));

        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.InvalidJournal));
        Assert.That(ex.Message, Is.EqualTo("The upload journal 'upload.journal' cannot be used: it was written by an older version (format 1): start a new upload."));
    }

    [Test]
    public async Task Resume_rejects_an_expired_session()
    {
        var (path, journal) = await InterruptedUploadAsync(Content(5 * PartSize));
        _time.Advance(TimeSpan.FromDays(7));
        var steps = new FakeUploadSteps(_time);

        using var source = UploadSource.FromFile(path);
        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(steps, Options(), _time).ResumeAsync(journal, source));

        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.SessionExpired));
        Assert.That(steps.Attempts, Is.Empty);
    }

    [Test]
    public async Task Resume_reports_a_refused_session_as_expired()
    {
        var (path, journal) = await InterruptedUploadAsync(Content(5 * PartSize));
        var steps = new FakeUploadSteps(_time) { OnPut = _ => throw FakeUploadSteps.Status(HttpStatusCode.Forbidden) };

        using var source = UploadSource.FromFile(path);
        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(steps, Options(), _time).ResumeAsync(journal, source));

        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.SessionExpired));
        Assert.That(steps.CompleteCalls, Is.Zero);
    }

    [Test]
    public async Task A_resumed_part_answered_404_says_the_upload_is_gone_and_is_not_retried()
    {
        var (path, journal) = await InterruptedUploadAsync(Content(5 * PartSize));
        var steps = new FakeUploadSteps(_time) { OnPut = _ => throw FakeUploadSteps.Status(HttpStatusCode.NotFound) };

        using var source = UploadSource.FromFile(path);
        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(steps, Options(concurrency: 1), _time).ResumeAsync(journal, source));

        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.UploadNotFound));
        Assert.That(ex.Attempts, Is.EqualTo(1), "404 is not retried");
        Assert.That(ex.InnerException, Is.InstanceOf<CogniteNotFoundException>());
        // Which part the resume sends first depends on which parts the interrupted run finished before part 3 failed.
        var firstMissing = Enumerable.Range(0, 5).First(i => !UploadJournal.Load(journal).PartsDone.Contains(i));
        Assert.That(ex.Message, Does.StartWith($"Part {firstMissing + 1} of 5 of upload upload-1 (file id 42) failed: CDF PUT /upload/part failed with 404 (NotFound): injected"));
        Assert.That(ex.Message, Does.EndWith("The upload no longer exists in CDF (was the file deleted?): a resume cannot finish it, start a new upload."));
        Assert.That(steps.CompleteCalls, Is.Zero);
        Assert.That(File.Exists(journal), Is.True, "the journal is the caller's to delete");
    }

    [Test]
    public async Task Completing_an_upload_CDF_no_longer_knows_says_the_upload_is_gone()
    {
        // CDF answers completemultipartupload for a deleted file like any lookup of it: 400 with the id as missing.
        var missing = new CogniteErrorDetails(HttpStatusCode.BadRequest, 400, "Files not found.", [new Dictionary<string, object?> { ["id"] = 42L }], [], "req-c", null, "POST", "/api/v1/projects/p/files/completemultipartupload");
        var steps = new FakeUploadSteps(_time) { OnComplete = () => throw CogniteErrorParser.Create(missing) };
        using var source = UploadSource.FromStream(new MemoryStream(Content(3 * PartSize)));

        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(steps, Options(), _time).UploadAsync(source, NewFile));

        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.UploadNotFound));
        Assert.That(ex.InnerException, Is.InstanceOf<CogniteNotFoundException>());
        Assert.That(ex.RequestId, Is.EqualTo("req-c"));
        Assert.That(ex.Message, Does.StartWith("Completing upload upload-1 (file id 42) failed: CDF POST /api/v1/projects/p/files/completemultipartupload failed with 400 (BadRequest): Files not found."));
        Assert.That(ex.Message, Does.EndWith("The upload no longer exists in CDF (was the file deleted?): a resume cannot finish it, start a new upload."));
    }

    [Test]
    public async Task Completion_refused_for_another_reason_is_CDFs_own_error()
    {
        // A 400 without missing items (e.g. "Unknown uploadId for this file", parts missing or too small) does not say the
        // upload is gone: it is CDF's error as it is.
        var steps = new FakeUploadSteps(_time) { OnComplete = () => throw FakeUploadSteps.Status(HttpStatusCode.BadRequest) };
        using var source = UploadSource.FromStream(new MemoryStream(Content(3 * PartSize)));

        var ex = await Assert.ThrowsAsync<CogniteApiException>(() => new MultipartUploadEngine(steps, Options(), _time).UploadAsync(source, NewFile));

        Assert.That(ex!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task A_second_resume_of_a_journal_in_use_fails_at_once_before_any_request()
    {
        var content = Content(5 * PartSize);
        var (path, journal) = await InterruptedUploadAsync(content);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = new FakeUploadSteps(_time)
        {
            OnPut = async _ =>
            {
                sending.TrySetResult();
                await release.Task;
            },
        };
        var second = new FakeUploadSteps(_time);
        using var firstSource = UploadSource.FromFile(path);
        using var secondSource = UploadSource.FromFile(path);

        var running = new MultipartUploadEngine(first, Options(), _time).ResumeAsync(journal, firstSource);
        await sending.Task.WaitAsync(Wait);
        Assert.That(File.Exists(UploadJournalLock.PathFor(journal)), Is.True, "the lock file is beside the journal while the resume runs");
        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(second, Options(), _time).ResumeAsync(journal, secondSource));
        var again = await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(second, Options(), _time).UploadAsync(secondSource, NewFile, new UploadOptions { JournalPath = journal }));

        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.JournalInUse));
        Assert.That(ex.Message, Is.EqualTo("The upload journal 'upload.journal' is in use by another upload or resume (it holds '.upload.journal.lock'): wait for it to finish, or end it first."));
        Assert.That(again!.Reason, Is.EqualTo(UploadFailureReason.JournalInUse), "a new upload to a journal in use is refused too");
        Assert.That(second.Attempts, Is.Empty);
        Assert.That(second.StartCalls + second.CompleteCalls, Is.Zero, "no request");

        release.SetResult();
        var result = await running.WaitAsync(Wait);
        Assert.That(result.Checksum, Is.EqualTo(Sha(content)));
        Assert.That(File.Exists(journal), Is.False);
        Assert.That(File.Exists(UploadJournalLock.PathFor(journal)), Is.False, "the lock file is deleted when the run ends");
    }

    [Test]
    public async Task The_journal_lock_is_released_however_the_run_ends()
    {
        var (path, journal) = await InterruptedUploadAsync(Content(5 * PartSize));
        Assert.That(File.Exists(UploadJournalLock.PathFor(journal)), Is.False, "released by the failed upload");
        using (var cancelled = new CancellationTokenSource())
        {
            var steps = new FakeUploadSteps(_time) { OnPut = async call => await cancelled.CancelAsync() };
            using var source = UploadSource.FromFile(path);
            await Assert.CatchAsync<OperationCanceledException>(() => new MultipartUploadEngine(steps, Options(), _time).ResumeAsync(journal, source, cancellationToken: cancelled.Token));
        }

        Assert.That(File.Exists(UploadJournalLock.PathFor(journal)), Is.False, "released by the cancelled resume");
        using var again = UploadSource.FromFile(path);
        var result = await new MultipartUploadEngine(new FakeUploadSteps(_time), Options(), _time).ResumeAsync(journal, again);
        Assert.That(result.File.Uploaded, Is.True);
    }

    [Test]
    public async Task A_resume_of_a_journal_in_a_missing_directory_is_an_invalid_journal()
    {
        using var source = UploadSource.FromStream(new MemoryStream(Content(10)));
        var journal = Path.Combine(_dir, "missing", "j.journal");

        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(new FakeUploadSteps(_time), Options(), _time).ResumeAsync(journal, source));

        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.InvalidJournal));
        Assert.That(ex.Message, Is.EqualTo("The upload journal 'j.journal' cannot be used: its directory does not exist."));
        Assert.That(Directory.Exists(Path.GetDirectoryName(journal)), Is.False, "nothing created");
    }

    [Test]
    public async Task The_journal_and_its_lock_are_owner_only_when_created_and_after_every_rewrite()
    {
        Assume.That(OperatingSystem.IsWindows(), Is.False, "Unix permissions");
        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var journal = Path.Combine(_dir, "perm.journal");
        var modes = new ConcurrentQueue<(int Part, UnixFileMode Journal, UnixFileMode Lock)>();
        var steps = new FakeUploadSteps(_time)
        {
            // Each PUT sees the journal as last written: created (before the first part is done), then rewritten by each part.
            OnPut = call =>
            {
                if (!OperatingSystem.IsWindows())
                {
                    modes.Enqueue((call.PartIndex, File.GetUnixFileMode(journal), File.GetUnixFileMode(UploadJournalLock.PathFor(journal))));
                }

                return Task.CompletedTask;
            },
        };
        using var source = UploadSource.FromFile(WriteFile(Content(4 * PartSize)));

        await new MultipartUploadEngine(steps, Options(concurrency: 1), _time).UploadAsync(source, NewFile, new UploadOptions { JournalPath = journal });

        Assert.That(modes.Select(m => m.Part), Is.EqualTo(new[] { 0, 1, 2, 3 }), "seen after creation and after three rewrites");
        Assert.That(modes.Select(m => m.Journal), Is.All.EqualTo(ownerOnly));
        Assert.That(modes.Select(m => m.Lock), Is.All.EqualTo(ownerOnly));
    }

    [Test]
    public async Task A_corrupt_journal_is_a_clear_error()
    {
        var journal = Path.Combine(_dir, "bad.journal");
        File.WriteAllText(journal, "{ not json");
        using var source = UploadSource.FromStream(new MemoryStream(Content(10)));

        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(new FakeUploadSteps(_time), Options(), _time).ResumeAsync(journal, source));

        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.InvalidJournal));
    }

    [Test]
    public async Task A_session_with_the_wrong_number_of_urls_is_refused()
    {
        var steps = new FakeUploadSteps(_time, partsForUrls: 2);
        using var source = UploadSource.FromStream(new MemoryStream(Content(5 * PartSize)));

        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(steps, Options(), _time).UploadAsync(source, NewFile));

        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.InvalidSession));
    }

    [Test]
    public async Task StoreChecksum_adds_the_checksum_and_length_once_the_upload_is_confirmed()
    {
        var content = Content(3 * PartSize + 1);
        var steps = new FakeUploadSteps(_time);
        using var source = UploadSource.FromStream(new MemoryStream(content));

        var result = await new MultipartUploadEngine(steps, Options(), _time).UploadAsync(source, NewFile, new UploadOptions { StoreChecksum = true });

        var expected = ContentChecksum.FormatMetadataValue(Sha(content), content.Length);
        Assert.That(steps.MetadataAdded, Is.EqualTo(new[] { (42L, ContentChecksum.MetadataKey, expected) }));
        Assert.That(steps.ConfirmTimeouts, Has.Count.EqualTo(1), "stored after the confirmation");
        Assert.That(result.File.Metadata![ContentChecksum.MetadataKey], Is.EqualTo(expected), "the result is the updated metadata");
    }

    [Test]
    public async Task Without_StoreChecksum_nothing_is_added()
    {
        var steps = new FakeUploadSteps(_time);
        using var source = UploadSource.FromStream(new MemoryStream(Content(10)));

        await new MultipartUploadEngine(steps, Options(), _time).UploadAsync(source, NewFile);

        Assert.That(steps.MetadataAdded, Is.Empty);
    }

    [Test]
    public void StoreChecksum_with_the_checksum_off_is_refused_before_any_request()
    {
        var steps = new FakeUploadSteps(_time);
        var options = Options();
        options.ComputeChecksum = false;
        using var source = UploadSource.FromStream(new MemoryStream(Content(10)));

        var ex = Assert.Throws<ArgumentException>(() => new MultipartUploadEngine(steps, options, _time).UploadAsync(source, NewFile, new UploadOptions { StoreChecksum = true }));

        Assert.That(ex!.Message, Does.Contain("StoreChecksum").And.Contain("ComputeChecksum"));
        Assert.That(steps.StartCalls + steps.StartSingleCalls, Is.Zero);
    }

    [Test]
    public async Task A_failed_checksum_update_says_the_content_is_uploaded_and_names_the_file()
    {
        var content = Content(2 * PartSize);
        var journal = Path.Combine(_dir, "stored.journal");
        var steps = new FakeUploadSteps(_time) { OnAddMetadata = () => FakeUploadSteps.Status(HttpStatusCode.BadRequest) };
        using var source = UploadSource.FromFile(WriteFile(content));

        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(steps, Options(), _time).UploadAsync(source, NewFile, new UploadOptions { StoreChecksum = true, JournalPath = journal }));

        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.ChecksumNotStored));
        Assert.That(ex.FileId, Is.EqualTo(42));
        Assert.That(ex.InnerException, Is.InstanceOf<CogniteApiException>());
        Assert.That(ex.Message, Does.Contain("File id 42 is uploaded").And.Contain(Sha(content)).And.Contain(ContentChecksum.MetadataKey));
        Assert.That(steps.CompleteCalls, Is.EqualTo(1), "the upload itself was completed");
        Assert.That(File.Exists(journal), Is.False, "nothing is left to resume");
    }

    [Test]
    public async Task StoreChecksum_after_a_resume_without_part_checksums_says_it_cannot_store_one()
    {
        var content = Content(5 * PartSize);
        var (path, journalPath) = await InterruptedUploadAsync(content);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(journalPath))!.AsObject();
        json.Remove("partChecksums");
        File.WriteAllText(journalPath, json.ToJsonString());
        var steps = new FakeUploadSteps(_time);

        using var source = UploadSource.FromFile(path);
        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(steps, Options(), _time).ResumeAsync(journalPath, source, new UploadOptions { StoreChecksum = true }));

        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.ChecksumNotStored));
        Assert.That(ex.Message, Does.Contain("is uploaded").And.Contain("checksum is unknown"));
        Assert.That(steps.CompleteCalls, Is.EqualTo(1));
        Assert.That(steps.MetadataAdded, Is.Empty);
    }

    [Test]
    public async Task A_file_changed_during_upload_is_not_completed()
    {
        var content = Content(4 * PartSize);
        var path = WriteFile(content);
        var opened = File.GetLastWriteTimeUtc(path);
        var later = new DateTime(2027, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        var steps = new FakeUploadSteps(_time)
        {
            OnPut = call =>
            {
                if (call is { PartIndex: 3, Attempt: 1 })
                {
                    File.SetLastWriteTimeUtc(path, later);
                }

                return Task.CompletedTask;
            },
        };
        using var source = UploadSource.FromFile(path);

        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(steps, Options(), _time).UploadAsync(source, NewFile));

        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.SourceChanged));
        Assert.That(ex.SourceChange, Is.EqualTo(SourceChange.ModificationTime));
        Assert.That(ex.Message, Is.EqualTo(
            $"The file source.bin changed while it was uploaded: its modification time is now 2027-01-02T03:04:05.0000000Z, it was {opened:O} (same length). The upload was not completed: upload it again."));
        Assert.That(steps.CompleteCalls, Is.Zero);
    }

    [Test]
    public async Task A_file_that_grows_during_upload_is_not_completed_and_says_both_lengths()
    {
        var path = WriteFile(Content(4 * PartSize));
        var steps = new FakeUploadSteps(_time)
        {
            OnAccepted = part =>
            {
                if (part == 3)
                {
                    using var stream = new FileStream(path, FileMode.Append);
                    stream.Write(new byte[5]);
                }
            },
        };
        using var source = UploadSource.FromFile(path);

        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(steps, Options(concurrency: 1), _time).UploadAsync(source, NewFile));

        Assert.That(ex!.SourceChange, Is.EqualTo(SourceChange.Length));
        Assert.That(ex.Message, Is.EqualTo("The file source.bin changed while it was uploaded: its length is now 4101 bytes, it was 4096. The upload was not completed: upload it again."));
        Assert.That(steps.CompleteCalls, Is.Zero);
    }

    [Test]
    public async Task A_file_deleted_during_upload_is_not_completed()
    {
        Assume.That(OperatingSystem.IsWindows(), Is.False, "an open file cannot be deleted on Windows");
        var path = WriteFile(Content(4 * PartSize));
        var steps = new FakeUploadSteps(_time) { OnAccepted = part => File.Delete(path) };
        using var source = UploadSource.FromFile(path);

        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(steps, Options(concurrency: 1), _time).UploadAsync(source, NewFile));

        Assert.That(ex!.SourceChange, Is.EqualTo(SourceChange.Deleted));
        Assert.That(ex.Message, Is.EqualTo("The file source.bin changed while it was uploaded: it no longer exists at its path (deleted or moved). The upload was not completed: upload it again."));
        Assert.That(steps.CompleteCalls, Is.Zero);
    }

    [Test]
    public async Task A_file_that_becomes_shorter_during_upload_fails_at_once_without_retries()
    {
        var path = WriteFile(Content(4 * PartSize));
        var steps = new FakeUploadSteps(_time)
        {
            OnAccepted = part =>
            {
                if (part == 0)
                {
                    using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
                    stream.SetLength((2 * PartSize) + 100);
                }
            },
        };
        using var source = UploadSource.FromFile(path);

        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(steps, Options(concurrency: 1), _time).UploadAsync(source, NewFile));

        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.SourceChanged));
        Assert.That(ex.SourceChange, Is.EqualTo(SourceChange.Length));
        Assert.That(ex.PartIndex, Is.EqualTo(2));
        Assert.That(ex.Attempts, Is.EqualTo(1), "reading again gives the same short file: not retried");
        Assert.That(ex.Message, Is.EqualTo("The file source.bin is shorter than planned: it ended after 2148 of the 4096 bytes planned. The upload was not completed."));
        Assert.That(steps.CompleteCalls, Is.Zero);
    }

    [Test]
    public async Task A_non_seekable_stream_that_ends_early_names_both_lengths()
    {
        using var source = UploadSource.FromStream(new NonSeekableStream(new MemoryStream(Content(2 * PartSize))), (3 * PartSize) + 1);
        var steps = new FakeUploadSteps(_time);

        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(steps, Options(), _time).UploadAsync(source, NewFile));

        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.SourceChanged));
        Assert.That(ex.SourceChange, Is.EqualTo(SourceChange.Length));
        Assert.That(ex.InnerException, Is.InstanceOf<EndOfStreamException>());
        Assert.That(ex.Message, Is.EqualTo("The non-seekable NonSeekableStream is shorter than planned: it ended after 2048 of the 3073 bytes planned. The upload was not completed."));
        Assert.That(steps.CompleteCalls, Is.Zero);
    }
}

public class NonSeekableSourceMemoryTests
{
    [Test]
    public async Task A_non_seekable_source_never_allocates_more_than_max_concurrency_parts_of_segments()
    {
        const int partSize = 1024 * 1024;
        var content = new byte[(10 * partSize) + 10];
        new Random(3).NextBytes(content);
        var time = new FakeTimeProvider();
        var steps = new FakeUploadSteps(time);
        var options = new TransferOptions { SingleUploadThreshold = 0, MinimumPartSize = 1, PartSize = partSize, MaxConcurrency = 3 };
        using var source = UploadSource.FromStream(new NonSeekableStream(new MemoryStream(content)), content.Length);

        var result = await new MultipartUploadEngine(steps, options, time).UploadAsync(source, UploadTarget.ForNewFile(new FileCreate { Name = "m" }));

        Assert.That(steps.Assembled(), Is.EqualTo(content));
        Assert.That(((NonSeekableStreamUploadSource)source).SegmentsAllocated, Is.InRange(1, 3), "segments are reused across parts");
        Assert.That(result.Checksum, Is.EqualTo(ContentChecksum.Compute(content)));
    }

    [Test]
    public async Task Hashing_can_be_turned_off()
    {
        var time = new FakeTimeProvider();
        var options = new TransferOptions { SingleUploadThreshold = 0, MinimumPartSize = 1, PartSize = 100, ComputeChecksum = false };
        using var source = UploadSource.FromStream(new MemoryStream(new byte[250]));

        var result = await new MultipartUploadEngine(new FakeUploadSteps(time), options, time).UploadAsync(source, UploadTarget.ForNewFile(new FileCreate { Name = "h" }));

        Assert.That(result.Checksum, Is.Null);
        Assert.That(result.Parts, Is.EqualTo(3));
    }
}

public class NonSeekableResumeTests
{
    [Test]
    public async Task A_non_seekable_stream_resumes_by_reading_past_done_parts_and_combines_the_journals_checksums()
    {
        var dir = Directory.CreateTempSubdirectory("cognite-transfer-ns-resume-").FullName;
        try
        {
            var content = new byte[(6 * 100) + 30];
            new Random(9).NextBytes(content);
            var journal = Path.Combine(dir, "j.json");
            var time = new FakeTimeProvider();
            var options = new TransferOptions { SingleUploadThreshold = 0, MinimumPartSize = 1, PartSize = 100, MaxConcurrency = 1, RetryBaseDelay = TimeSpan.Zero };
            var first = new FakeUploadSteps(time)
            {
                OnPut = call => call.PartIndex == 4 ? throw FakeUploadSteps.Status(System.Net.HttpStatusCode.BadRequest) : Task.CompletedTask,
            };
            using (var source = UploadSource.FromStream(new NonSeekableStream(new MemoryStream(content)), content.Length))
            {
                await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(first, options, time).UploadAsync(source, UploadTarget.ForNewFile(new FileCreate { Name = "n" }), new UploadOptions { JournalPath = journal }));
            }

            var second = new FakeUploadSteps(time) { Parts = first.Parts };
            using (var source = UploadSource.FromStream(new NonSeekableStream(new MemoryStream(content)), content.Length))
            {
                var result = await new MultipartUploadEngine(second, options, time).ResumeAsync(journal, source);

                Assert.That(result.PartsSkipped, Is.EqualTo(4));
                Assert.That(second.Attempts.Keys, Is.EquivalentTo(new[] { 4, 5, 6 }));
                Assert.That(second.Assembled(), Is.EqualTo(content));
                Assert.That(result.Checksum, Is.EqualTo(ContentChecksum.Compute(content)));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
