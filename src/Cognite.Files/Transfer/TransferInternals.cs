using System.Buffers;
using System.Diagnostics.Metrics;
using Cognite.Files.Diagnostics;

namespace Cognite.Files.Transfer;

/// <summary>
/// Progress of one upload, from per-part high-water marks: a byte counts once, the first time any attempt of its
/// part sends it. So the total is monotonic, never above the length, and a retry does not count twice.
/// Reports are made under a lock, so observers see values in order.
/// </summary>
internal sealed class ProgressTracker
{
    private readonly Lock _gate = new();
    private readonly long[] _highWater;
    private readonly UploadPlan _plan;
    private readonly IProgress<UploadProgress>? _progress;
    private readonly IProgress<long>? _bytesProgress;
    private long _bytes;
    private int _parts;

    public ProgressTracker(UploadPlan plan, IReadOnlyCollection<int> partsDone, IProgress<UploadProgress>? progress, IProgress<long>? bytesProgress)
    {
        _plan = plan;
        _progress = progress;
        _bytesProgress = bytesProgress;
        _highWater = new long[plan.PartCount];
        foreach (var i in partsDone)
        {
            _highWater[i] = plan.GetPartLength(i);
            _bytes += _highWater[i];
            _parts++;
        }
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
                Report();
            }
        }
    }

    public long BytesTransferred
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
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
            Report();
        }
    }

    public void PartCompleted(int partIndex)
    {
        lock (_gate)
        {
            _bytes += _plan.GetPartLength(partIndex) - _highWater[partIndex];
            _highWater[partIndex] = _plan.GetPartLength(partIndex);
            _parts++;
            Report();
        }
    }

    private void Report()
    {
        _progress?.Report(new UploadProgress(_bytes, _plan.Length, _parts, _plan.PartCount));
        _bytesProgress?.Report(_bytes);
    }
}

/// <summary>
/// Aborts one part attempt that moved no bytes for the stall timeout. Checks a few times per timeout on the
/// <see cref="TimeProvider"/>'s timer; <see cref="Touch"/> is called for every read of the part body and, when the
/// body is copied to the request (<see cref="PartProgressStream.CopyToAsync(Stream, int, CancellationToken)"/>), after
/// every write of at most <see cref="PartProgressStream.WriteSliceSize"/> bytes.
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
/// Wraps one attempt's body: reports positions to the progress tracker and keeps the watchdog fed.
/// <para>
/// HttpClient sends a <see cref="StreamContent"/> by calling <see cref="CopyToAsync(Stream, int, CancellationToken)"/>
/// with the content's (large) copy buffer. If progress were only seen on reads, one read would be followed by one
/// buffer-sized socket write, and on a slow link that single write can outlast the stall timeout although bytes are
/// moving. So the copy keeps the large reads (throughput) but writes to the destination in slices of at most
/// <see cref="WriteSliceSize"/> bytes, feeding the watchdog and reporting progress after each completed write: the
/// watchdog's granularity no longer depends on the copy buffer.
/// </para>
/// </summary>
internal sealed class PartProgressStream(Stream inner, int partIndex, ProgressTracker tracker, StallWatchdog watchdog) : Stream
{
    /// <summary>The largest single write to the destination during a copy (64 KiB).</summary>
    internal const int WriteSliceSize = 64 * 1024;

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

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => Moved(inner.Read(buffer));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Moved(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

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
                for (var sent = 0; sent < read;)
                {
                    var n = Math.Min(read - sent, WriteSliceSize);
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
                for (var sent = 0; sent < read;)
                {
                    var n = Math.Min(read - sent, WriteSliceSize);
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
        "cognite.files.upload.completed", "{upload}", "Multipart uploads completed, by outcome.");
}
