using System.Collections.Concurrent;

namespace Cognite.Files.Emulator;

/// <summary>Thread-safe request, byte and fault counters. Read a consistent-enough copy with <see cref="Snapshot"/>.</summary>
public sealed class EmulatorCounters
{
    private long _apiRequests;
    private long _uploadPutRequests;
    private long _uploadBytesReceived;
    private long _downloadRequests;
    private long _downloadBytesSent;
    private long _authorizationHeaderOnUploadUrl;
    private long _rejectedSignatures;
    private long _throttleWaits;
    private readonly ConcurrentDictionary<FaultKind, long> _faults = new();
    private readonly ConcurrentDictionary<string, UploadCounter> _uploads = new();
    private readonly Lock _waitersGate = new();
    private readonly List<Waiter> _waiters = [];
    private int _waiterCount;

    /// <summary>Requests to the API listener (admin endpoints excluded).</summary>
    public long ApiRequests => Interlocked.Read(ref _apiRequests);
    /// <summary>PUT requests to upload URLs (also refused ones).</summary>
    public long UploadPutRequests => Interlocked.Read(ref _uploadPutRequests);
    /// <summary>Request-body bytes read on the upload listener (also of failed PUTs).</summary>
    public long UploadBytesReceived => Interlocked.Read(ref _uploadBytesReceived);
    /// <summary>GET requests to download URLs.</summary>
    public long DownloadRequests => Interlocked.Read(ref _downloadRequests);
    /// <summary>Content bytes written to download responses.</summary>
    public long DownloadBytesSent => Interlocked.Read(ref _downloadBytesSent);
    /// <summary>Requests to upload/download URLs that carried an Authorization header (refused).</summary>
    public long AuthorizationHeaderOnUploadUrl => Interlocked.Read(ref _authorizationHeaderOnUploadUrl);
    /// <summary>Requests to upload/download URLs refused for a bad or expired signature.</summary>
    public long RejectedSignatures => Interlocked.Read(ref _rejectedSignatures);
    /// <summary>Times the bandwidth cap paused reading an upload body or sending a download.</summary>
    public long ThrottleWaits => Interlocked.Read(ref _throttleWaits);
    /// <summary>Total faults injected.</summary>
    public long FaultsInjected => _faults.Values.Sum();

    /// <summary>Faults injected of one kind.</summary>
    public long FaultsOfKind(FaultKind kind) => _faults.TryGetValue(kind, out var n) ? n : 0;

    /// <summary>Counters of one upload, or null if no PUT reached it.</summary>
    public UploadCounterSnapshot? ForUpload(string uploadId) => _uploads.TryGetValue(uploadId, out var u) ? u.Snapshot(uploadId) : null;

    /// <summary>A copy of all counters.</summary>
    public EmulatorCountersSnapshot Snapshot() => new()
    {
        ApiRequests = ApiRequests,
        UploadPutRequests = UploadPutRequests,
        UploadBytesReceived = UploadBytesReceived,
        DownloadRequests = DownloadRequests,
        DownloadBytesSent = DownloadBytesSent,
        AuthorizationHeaderOnUploadUrl = AuthorizationHeaderOnUploadUrl,
        RejectedSignatures = RejectedSignatures,
        ThrottleWaits = ThrottleWaits,
        FaultsInjected = FaultsInjected,
        FaultsByKind = Enum.GetValues<FaultKind>().ToDictionary(k => k, FaultsOfKind),
        Uploads = _uploads.ToDictionary(p => p.Key, p => p.Value.Snapshot(p.Key)),
    };

    /// <summary>
    /// Completes when <paramref name="condition"/> holds, checked now and after every change of a counter: a test waits
    /// for "the server has seen N PUTs" without polling or sleeping. Cancelled by <paramref name="cancellationToken"/>.
    /// </summary>
    public Task WaitForAsync(Func<EmulatorCounters, bool> condition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var waiter = new Waiter(condition);
        lock (_waitersGate)
        {
            if (condition(this))
            {
                return Task.CompletedTask;
            }

            _waiters.Add(waiter);
            Interlocked.Increment(ref _waiterCount);
        }

        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() =>
            {
                Remove(waiter);
                waiter.Done.TrySetCanceled(cancellationToken);
            });
            waiter.Done.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return waiter.Done.Task;
    }

    /// <summary>Sets every counter to zero.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _apiRequests, 0);
        Interlocked.Exchange(ref _uploadPutRequests, 0);
        Interlocked.Exchange(ref _uploadBytesReceived, 0);
        Interlocked.Exchange(ref _downloadRequests, 0);
        Interlocked.Exchange(ref _downloadBytesSent, 0);
        Interlocked.Exchange(ref _authorizationHeaderOnUploadUrl, 0);
        Interlocked.Exchange(ref _rejectedSignatures, 0);
        Interlocked.Exchange(ref _throttleWaits, 0);
        _faults.Clear();
        _uploads.Clear();
    }

    internal void ApiRequest() => Changed(Interlocked.Increment(ref _apiRequests));
    internal void AuthorizationOnUploadUrl() => Changed(Interlocked.Increment(ref _authorizationHeaderOnUploadUrl));
    internal void RejectedSignature() => Changed(Interlocked.Increment(ref _rejectedSignatures));
    internal void ThrottleWait() => Changed(Interlocked.Increment(ref _throttleWaits));
    internal void Download() => Changed(Interlocked.Increment(ref _downloadRequests));
    internal void DownloadBytes(long n) => Changed(Interlocked.Add(ref _downloadBytesSent, n));
    internal void Fault(FaultKind kind) => Changed(_faults.AddOrUpdate(kind, 1, (_, n) => n + 1));

    internal void UploadPut(string uploadId, int partIndex)
    {
        Interlocked.Increment(ref _uploadPutRequests);
        _uploads.GetOrAdd(uploadId, _ => new UploadCounter()).Put(partIndex);
        Changed(0);
    }

    internal void UploadBytes(string uploadId, long n)
    {
        Interlocked.Add(ref _uploadBytesReceived, n);
        _uploads.GetOrAdd(uploadId, _ => new UploadCounter()).Bytes(n);
        Changed(0);
    }

    internal void UploadFault(string uploadId, FaultKind kind)
    {
        _uploads.GetOrAdd(uploadId, _ => new UploadCounter()).Fault(kind);
        Fault(kind);
    }

    /// <summary>Wakes the waiters whose condition now holds; nearly free when nobody waits.</summary>
    private void Changed(long _)
    {
        if (Volatile.Read(ref _waiterCount) == 0)
        {
            return;
        }

        List<Waiter>? ready = null;
        lock (_waitersGate)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Condition(this))
                {
                    (ready ??= []).Add(_waiters[i]);
                    _waiters.RemoveAt(i);
                    Interlocked.Decrement(ref _waiterCount);
                }
            }
        }

        ready?.ForEach(w => w.Done.TrySetResult());
    }

    private void Remove(Waiter waiter)
    {
        lock (_waitersGate)
        {
            if (_waiters.Remove(waiter))
            {
                Interlocked.Decrement(ref _waiterCount);
            }
        }
    }

    private sealed class Waiter(Func<EmulatorCounters, bool> condition)
    {
        public Func<EmulatorCounters, bool> Condition => condition;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class UploadCounter
    {
        private long _bytes;
        private readonly ConcurrentDictionary<int, int> _puts = new();
        private readonly ConcurrentDictionary<FaultKind, int> _faults = new();
        public void Put(int part) => _puts.AddOrUpdate(part, 1, (_, n) => n + 1);
        public void Bytes(long n) => Interlocked.Add(ref _bytes, n);
        public void Fault(FaultKind k) => _faults.AddOrUpdate(k, 1, (_, n) => n + 1);
        public UploadCounterSnapshot Snapshot(string id) => new()
        {
            UploadId = id,
            BytesReceived = Interlocked.Read(ref _bytes),
            PutsByPartIndex = new SortedDictionary<int, int>(_puts),
            FaultsByKind = new Dictionary<FaultKind, int>(_faults),
        };
    }
}

/// <summary>A copy of <see cref="EmulatorCounters"/> (also the JSON of <c>GET /_emulator/counters</c>, camelCase).</summary>
public sealed class EmulatorCountersSnapshot
{
    public long ApiRequests { get; init; }
    public long UploadPutRequests { get; init; }
    public long UploadBytesReceived { get; init; }
    public long DownloadRequests { get; init; }
    public long DownloadBytesSent { get; init; }
    public long AuthorizationHeaderOnUploadUrl { get; init; }
    public long RejectedSignatures { get; init; }
    public long ThrottleWaits { get; init; }
    public long FaultsInjected { get; init; }
    public IDictionary<FaultKind, long> FaultsByKind { get; init; } = new Dictionary<FaultKind, long>();
    public IDictionary<string, UploadCounterSnapshot> Uploads { get; init; } = new Dictionary<string, UploadCounterSnapshot>();
}

/// <summary>Counters of one upload id. Part indexes are 0-based positions in <c>uploadUrls</c> (a single-part upload is index 0).</summary>
public sealed class UploadCounterSnapshot
{
    public string UploadId { get; init; } = "";
    public long BytesReceived { get; init; }
    public IDictionary<int, int> PutsByPartIndex { get; init; } = new Dictionary<int, int>();
    public IDictionary<FaultKind, int> FaultsByKind { get; init; } = new Dictionary<FaultKind, int>();
}

/// <summary>
/// Totals over every emulator instance of this process, never reset: a test suite reads them after each test (and at
/// the end of the run) to prove that no request to a pre-signed URL carried an <c>Authorization</c> header.
/// </summary>
public static class EmulatorProcessTotals
{
    private static long _signedUrlRequests;
    private static long _authorizationHeaderOnSignedUrl;

    /// <summary>Requests to pre-signed upload and download URLs, across all instances.</summary>
    public static long SignedUrlRequests => Interlocked.Read(ref _signedUrlRequests);

    /// <summary>Of those, requests that carried an <c>Authorization</c> header (refused with 400), across all instances.</summary>
    public static long AuthorizationHeaderOnSignedUrl => Interlocked.Read(ref _authorizationHeaderOnSignedUrl);

    internal static void SignedUrlRequest() => Interlocked.Increment(ref _signedUrlRequests);

    internal static void AuthorizationOnSignedUrl() => Interlocked.Increment(ref _authorizationHeaderOnSignedUrl);
}
