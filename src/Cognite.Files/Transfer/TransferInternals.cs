using System.Buffers;
using System.Diagnostics.Metrics;
using System.IO.Hashing;
using Cognite.Files.Diagnostics;

namespace Cognite.Files.Transfer;

/// <summary>
/// Coalesces progress reports to at most one per <see cref="Interval"/> (about ten a second) on a
/// <see cref="TimeProvider"/>; a forced report (the first, the final one) always goes out. Callers serialise calls.
/// </summary>
internal sealed class ProgressThrottle(TimeProvider time)
{
    /// <summary>The shortest time between two unforced reports.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private long _last;
    private bool _any;

    /// <summary>True when a report should go out now; records it as sent.</summary>
    public bool ShouldReport(bool force)
    {
        var now = time.GetTimestamp();
        if (!force && _any && time.GetElapsedTime(_last, now) < Interval)
        {
            return false;
        }

        _any = true;
        _last = now;
        return true;
    }
}

/// <summary>
/// Progress of one upload, from per-part high-water marks: a byte counts once, the first time any attempt of its
/// part sends it. So the total is monotonic, never above the length, and a retry does not count twice. Reports are
/// made under a lock, so observers see values in order, and coalesced by a <see cref="ProgressThrottle"/>; the
/// report of the last part accepted, and <see cref="ReportFinal"/>, always go out.
/// </summary>
internal sealed class ProgressTracker
{
    private readonly Lock _gate = new();
    private readonly long[] _highWater;
    private readonly UploadPlan _plan;
    private readonly IProgress<UploadProgress>? _progress;
    private readonly ProgressThrottle _throttle;
    private readonly long _skipped;
    private long _bytes;
    private int _parts;
    private UploadProgress? _lastReported;

    public ProgressTracker(UploadPlan plan, IReadOnlyCollection<int> partsDone, IProgress<UploadProgress>? progress, TimeProvider time)
    {
        _plan = plan;
        _progress = progress;
        _throttle = new ProgressThrottle(time);
        _highWater = new long[plan.PartCount];
        foreach (var i in partsDone)
        {
            _highWater[i] = plan.GetPartLength(i);
            _bytes += _highWater[i];
            _parts++;
        }

        _skipped = _bytes;
    }

    /// <summary>
    /// Reports the parts already done (a resume) once, before any part is sent: the first report of a resume counts
    /// them, and a resume with nothing left to send still ends at the full size. Nothing is reported when none is done.
    /// </summary>
    public void ReportAlreadyDone()
    {
        lock (_gate)
        {
            if (_parts > 0)
            {
                Report(force: true);
            }
        }
    }

    /// <summary>An attempt of part <paramref name="partIndex"/> has sent <paramref name="attemptPosition"/> bytes of it.</summary>
    public void Advance(int partIndex, long attemptPosition)
    {
        if (attemptPosition <= Volatile.Read(ref _highWater[partIndex]))
        {
            return;
        }

        lock (_gate)
        {
            var delta = attemptPosition - _highWater[partIndex];
            if (delta <= 0)
            {
                return;
            }

            _highWater[partIndex] = attemptPosition;
            _bytes += delta;
            Report(force: false);
        }
    }

    public void PartCompleted(int partIndex)
    {
        lock (_gate)
        {
            _bytes += _plan.GetPartLength(partIndex) - _highWater[partIndex];
            _highWater[partIndex] = _plan.GetPartLength(partIndex);
            _parts++;
            Report(force: _parts == _plan.PartCount);
        }
    }

    /// <summary>Makes sure the last state (all bytes, all parts) was reported; a no-op when it already was.</summary>
    public void ReportFinal()
    {
        lock (_gate)
        {
            Report(force: true);
        }
    }

    private void Report(bool force)
    {
        if (_progress is null)
        {
            return;
        }

        var value = new UploadProgress(_bytes, _plan.Length, _parts, _plan.PartCount) { BytesSkipped = _skipped };
        if (value == _lastReported || !_throttle.ShouldReport(force))
        {
            return;
        }

        _lastReported = value;
        _progress.Report(value);
    }
}

/// <summary>
/// Aborts one part attempt that moved no bytes for the stall timeout. Checks a few times per timeout on the
/// <see cref="TimeProvider"/>'s timer; <see cref="Touch"/> is called for every read of the part body and, when the
/// body is copied to the request (<see cref="PartProgressStream.CopyToAsync(Stream, int, CancellationToken)"/>), after
/// every write of at most <see cref="PartProgressStream.WriteSliceFor"/> bytes.
/// </summary>
internal sealed class StallWatchdog : IDisposable
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly CancellationTokenSource _attempt;
    private readonly ITimer _timer;
    private long _lastActivity;
    private int _fired;

    public StallWatchdog(TimeProvider time, TimeSpan timeout, CancellationTokenSource attempt)
    {
        _time = time;
        _timeout = timeout;
        _attempt = attempt;
        _lastActivity = time.GetTimestamp();
        var period = TimeSpan.FromTicks(Math.Max(timeout.Ticks / 4, TimeSpan.TicksPerMillisecond));
        _timer = time.CreateTimer(static s => ((StallWatchdog)s!).Check(), this, period, period);
    }

    public bool Fired => Volatile.Read(ref _fired) != 0;

    public void Touch() => Volatile.Write(ref _lastActivity, _time.GetTimestamp());

    public void Dispose() => _timer.Dispose();

    private void Check()
    {
        if (Fired || _time.GetElapsedTime(Volatile.Read(ref _lastActivity)) < _timeout)
        {
            return;
        }

        Volatile.Write(ref _fired, 1);
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        try
        {
            _attempt.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The attempt finished meanwhile.
        }
    }
}

/// <summary>A part attempt moved no bytes for the stall timeout and was aborted; it is retried.</summary>
internal sealed class PartStalledException(int partIndex, TimeSpan timeout, Exception? inner)
    : TimeoutException($"Part {partIndex + 1} moved no bytes for {timeout.TotalSeconds:0.###} s and was aborted.", inner);

/// <summary>
/// Wraps one attempt's body: reports positions to the progress tracker, keeps the watchdog fed and, when given a
/// <see cref="Crc64"/>, checksums the bytes as they go by (the large read buffer, vectorized): the content is read once,
/// for sending and for its checksum together.
/// <para>
/// HttpClient sends a <see cref="StreamContent"/> by calling <see cref="CopyToAsync(Stream, int, CancellationToken)"/>
/// with the content's (large) copy buffer. If progress were only seen on reads, one read would be followed by one
/// buffer-sized socket write, and on a slow link that single write can outlast the stall timeout although bytes are
/// moving. So the copy keeps the large reads (throughput) but writes to the destination in slices of at most
/// <see cref="WriteSliceFor"/> bytes, feeding the watchdog and reporting progress after each completed write: the
/// watchdog's granularity no longer depends on the copy buffer.
/// </para>
/// </summary>
internal sealed class PartProgressStream(Stream inner, int partIndex, ProgressTracker tracker, StallWatchdog watchdog, int writeSlice, Crc64? checksum = null) : Stream
{
    /// <summary>The bytes a link must move per second, at least, not to be taken for stalled: 4 KiB/s.</summary>
    internal const int SlowestMovingRate = 4 * 1024;

    /// <summary>
    /// The largest single write to the destination during a copy for a stall timeout: what a link moving
    /// <see cref="SlowestMovingRate"/> sends within it, in whole 4 KiB, between 16 KiB and 256 KiB (240 KiB for the
    /// default 60 s). Larger writes mean fewer system calls (256 KiB slices sent about 30% faster than 64 KiB ones at
    /// C=1 on loopback, bench/results.md); the bound keeps any link faster than 4 KiB/s from being taken for a stall.
    /// </summary>
    internal static int WriteSliceFor(TimeSpan stallTimeout) =>
        (int)Math.Clamp((long)stallTimeout.TotalSeconds * SlowestMovingRate / 4096 * 4096, 16 * 1024, 256 * 1024);

    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// The CRC-64 of the bytes handed on so far (all of them, in order: one attempt is read once, front to back); null
    /// without a checksum. Read it once the attempt was accepted and <see cref="Position"/> is the part's length.
    /// </summary>
    public ulong? SentChecksum => checksum?.GetCurrentHashAsUInt64();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        checksum?.Append(buffer[..read]);
        return Moved(read);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        checksum?.Append(buffer.Span[..read]);
        return Moved(read);
    }

    public override async Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
    {
        ValidateCopyToArguments(destination, bufferSize);
        var buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
        try
        {
            int read;
            while ((read = await inner.ReadAsync(buffer.AsMemory(0, bufferSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                watchdog.Touch();
                checksum?.Append(buffer.AsSpan(0, read));
                for (var sent = 0; sent < read;)
                {
                    var n = Math.Min(read - sent, writeSlice);
                    await destination.WriteAsync(buffer.AsMemory(sent, n), cancellationToken).ConfigureAwait(false);
                    sent += n;
                    Sent(n);
                }
            }

            watchdog.Touch();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public override void CopyTo(Stream destination, int bufferSize)
    {
        ValidateCopyToArguments(destination, bufferSize);
        var buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
        try
        {
            int read;
            while ((read = inner.Read(buffer, 0, bufferSize)) > 0)
            {
                watchdog.Touch();
                checksum?.Append(buffer.AsSpan(0, read));
                for (var sent = 0; sent < read;)
                {
                    var n = Math.Min(read - sent, writeSlice);
                    destination.Write(buffer, sent, n);
                    sent += n;
                    Sent(n);
                }
            }

            watchdog.Touch();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private int Moved(int read)
    {
        watchdog.Touch();
        if (read > 0)
        {
            Sent(read);
        }

        return read;
    }

    private void Sent(int count)
    {
        watchdog.Touch();
        _position += count;
        tracker.Advance(partIndex, _position);
    }
}

/// <summary>The transfer instruments on <see cref="CogniteFilesTelemetry.Meter"/>.</summary>
internal static class TransferMetrics
{
    public static readonly Counter<long> BytesUploaded = CogniteFilesTelemetry.Meter.CreateCounter<long>(
        "cognite.files.upload.bytes", "By", "Bytes of parts that CDF accepted (retried bytes excluded).");

    public static readonly Counter<long> PartsUploaded = CogniteFilesTelemetry.Meter.CreateCounter<long>(
        "cognite.files.upload.parts", "{part}", "Parts that CDF accepted.");

    public static readonly Counter<long> PartRetries = CogniteFilesTelemetry.Meter.CreateCounter<long>(
        "cognite.files.upload.part_retries", "{retry}", "Part attempts that failed and were retried.");

    public static readonly Counter<long> UploadsCompleted = CogniteFilesTelemetry.Meter.CreateCounter<long>(
        "cognite.files.upload.completed", "{upload}", "Uploads that ended, by outcome (completed, failed, cancelled).");
}
