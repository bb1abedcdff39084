using System.Runtime;
using Microsoft.AspNetCore.Http;

namespace Cognite.Files.Emulator;

/// <summary>
/// Gives the memory of large JSON bodies back to the system once the emulator is quiet
/// (<see cref="EmulatorOptions.CompactMemoryWhenIdle"/>; on in the standalone emulator).
/// <para>
/// A JSON body of up to <see cref="EmulatorOptions.MaxJsonBodyBytes"/> is parsed as it streams, but a parser still
/// holds its largest token and the tree it builds: a few dozen MiB per 10 MiB body, all garbage when the request ends.
/// The GC collects it only when something allocates again, and keeps the memory it grew into committed, so after a
/// burst an idle emulator stayed hundreds of MiB above its baseline. A second after the last request with a body of
/// <see cref="LargeBodyBytes"/> or more (or of unknown or encoded length), one full, compacting, decommitting
/// collection returns it. Upload and download bodies never count: they go through pooled buffers into the content store.
/// </para>
/// </summary>
internal sealed class IdleHeapCompaction : IDisposable
{
    public const long LargeBodyBytes = 256 * 1024;
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(1);

    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    private int _inFlight;
    private long _generation;
    private bool _due;
    private long _compactions;

    // Real time: this is about the process's memory, not about the emulated service (whose clock may be a fake one).
    public IdleHeapCompaction() => _timer = TimeProvider.System.CreateTimer(static s => ((IdleHeapCompaction)s!).Compact(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    /// <summary>Collections run after a quiet period so far.</summary>
    public long Compactions => Interlocked.Read(ref _compactions);

    /// <summary>
    /// Whether a collection is still to come: from the start of a request with a large body until the collection after
    /// the quiet period that follows the last one (so a client that saw its answer cannot see "done" too early).
    /// </summary>
    public bool Pending
    {
        get { lock (_gate) return _due; }
    }

    /// <summary>Middleware: a request with a large JSON body makes a collection due, one quiet period after it ends.</summary>
    public async Task WatchAsync(HttpContext context, RequestDelegate next)
    {
        if (!HasLargeJsonBody(context.Request))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        lock (_gate)
        {
            _inFlight++;
            _due = true;
        }

        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _inFlight--;
                _generation++;
                _timer.Change(QuietPeriod, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private static bool HasLargeJsonBody(HttpRequest request) =>
        request.Path.StartsWithSegments("/api", StringComparison.Ordinal) && request.Method is "POST" or "PUT" &&
        (request.ContentLength is null or >= LargeBodyBytes || request.Headers.ContentEncoding.Count > 0);

    private void Compact()
    {
        long generation;
        lock (_gate)
        {
            if (_inFlight > 0) return; // the last one to end starts the quiet period again
            generation = _generation;
        }

        CollectEverything();
        Interlocked.Increment(ref _compactions);
        lock (_gate)
        {
            if (_generation == generation && _inFlight == 0) _due = false;
        }
    }

    /// <summary>A full, blocking, compacting collection (large objects included) that gives free memory back to the system.</summary>
    public static void CollectEverything()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }

    public void Dispose() => _timer.Dispose();

    /// <summary>What <c>/_emulator/memory</c> answers: the process's resident memory, the managed heap, and the collections so far.</summary>
    public static object Report(IdleHeapCompaction? compaction) => new
    {
        workingSetBytes = Environment.WorkingSet,
        managedHeapBytes = GC.GetTotalMemory(forceFullCollection: false),
        committedBytes = GC.GetGCMemoryInfo().TotalCommittedBytes,
        compactMemoryWhenIdle = compaction is not null,
        idleCompactions = compaction?.Compactions ?? 0,
        compactionPending = compaction?.Pending ?? false,
    };
}
