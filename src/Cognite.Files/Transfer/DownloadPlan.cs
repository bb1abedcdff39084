using System.Diagnostics.Metrics;
using Cognite.Files.Diagnostics;

namespace Cognite.Files.Transfer;

/// <summary>
/// How a download is cut: <see cref="Ranged"/> into ranges of <see cref="RangeSize"/> bytes (the last one shorter), or
/// one stream of the whole content (a server that ignores <c>Range</c>, a destination that takes bytes in order only)
/// whose length may be unknown until it ends.
/// </summary>
internal readonly record struct DownloadPlan(long? Length, long RangeSize, bool Ranged)
{
    /// <summary>Content of zero bytes: nothing to fetch.</summary>
    public static DownloadPlan Empty => new(0, 1, Ranged: false);

    /// <summary>One stream of the whole content.</summary>
    public static DownloadPlan OneStream(long? length) => new(length, length ?? 0, Ranged: false);

    public bool IsEmpty => Length == 0;

    public int RangeCount => IsEmpty ? 0 : Ranged ? checked((int)((Length!.Value + RangeSize - 1) / RangeSize)) : 1;

    public long GetOffset(int index) => Ranged ? index * RangeSize : 0;

    /// <summary>The length of range <paramref name="index"/>; null for one stream of unknown length.</summary>
    public long? GetLength(int index) => Ranged ? Math.Min(RangeSize, Length!.Value - GetOffset(index)) : Length;

    /// <summary>The index of the range starting at <paramref name="offset"/> with <paramref name="length"/> bytes, or -1.</summary>
    public int IndexOf(long offset, long length)
    {
        if (!Ranged || offset < 0 || offset % RangeSize != 0 || offset >= Length)
        {
            return -1;
        }

        var index = checked((int)(offset / RangeSize));
        return GetLength(index) == length ? index : -1;
    }
}

/// <summary>
/// Progress of one download: bytes reach the destination once (a retried range continues where it stopped), so the
/// sum is monotonic without high-water marks. Reports are made under a lock, coalesced by a <see cref="ProgressThrottle"/>.
/// </summary>
internal sealed class DownloadProgressTracker(IProgress<DownloadProgress>? progress, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly ProgressThrottle _throttle = new(time);
    private long _bytes;
    private long? _total;
    private long _skipped;
    private DownloadProgress? _last;

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The plan is known: its length (null while unknown), and the bytes a resume already has (reported at once).</summary>
    public void Start(long? total, long alreadyDone)
    {
        lock (_gate)
        {
            _total = total;
            _bytes = alreadyDone;
            _skipped = alreadyDone;
            if (alreadyDone > 0)
            {
                Report(force: true);
            }
        }
    }

    public void Advance(long bytes)
    {
        if (progress is null)
        {
            Interlocked.Add(ref _bytes, bytes);
            return;
        }

        lock (_gate)
        {
            _bytes += bytes;
            Report(force: false);
        }
    }

    /// <summary>The final report (all bytes, the total known by now); always made unless it was the last one made.</summary>
    public void ReportFinal(long length)
    {
        lock (_gate)
        {
            _total = length;
            Report(force: true);
        }
    }

    private void Report(bool force)
    {
        if (progress is null)
        {
            return;
        }

        var value = new DownloadProgress(_bytes, _total) { BytesSkipped = _skipped };
        if (value == _last || !_throttle.ShouldReport(force))
        {
            return;
        }

        _last = value;
        progress.Report(value);
    }
}

/// <summary>The download instruments on <see cref="CogniteFilesTelemetry.Meter"/>.</summary>
internal static class DownloadMetrics
{
    public static readonly Counter<long> BytesDownloaded = CogniteFilesTelemetry.Meter.CreateCounter<long>(
        "cognite.files.download.bytes", "By", "Bytes written to download destinations (bytes a resume already had excluded).");

    public static readonly Counter<long> RangeRetries = CogniteFilesTelemetry.Meter.CreateCounter<long>(
        "cognite.files.download.range_retries", "{retry}", "Range attempts that failed and were retried.");

    public static readonly Counter<long> DownloadsCompleted = CogniteFilesTelemetry.Meter.CreateCounter<long>(
        "cognite.files.download.completed", "{download}", "Downloads that ended, by outcome (completed, failed, cancelled).");
}
