namespace Cognite.Files.Transfer;

/// <summary>
/// Bounds the part PUTs in flight. One limiter is shared by every upload of an engine, so uploading many files at once
/// still sends at most <see cref="MaxConcurrency"/> parts together; pass one limiter to several engines to share it wider.
/// </summary>
internal sealed class TransferConcurrencyLimiter : IDisposable
{
    private readonly SemaphoreSlim _semaphore;

    /// <summary>Allows <paramref name="maxConcurrency"/> parts in flight (1..64).</summary>
    public TransferConcurrencyLimiter(int maxConcurrency)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxConcurrency, 64);
        MaxConcurrency = maxConcurrency;
        _semaphore = new SemaphoreSlim(maxConcurrency, maxConcurrency);
    }

    /// <summary>The number of parts allowed in flight.</summary>
    public int MaxConcurrency { get; }

    /// <summary>Parts in flight right now.</summary>
    public int InFlight => MaxConcurrency - _semaphore.CurrentCount;

    /// <inheritdoc />
    public void Dispose() => _semaphore.Dispose();

    internal Task WaitAsync(CancellationToken cancellationToken) => _semaphore.WaitAsync(cancellationToken);

    internal void Release() => _semaphore.Release();
}
