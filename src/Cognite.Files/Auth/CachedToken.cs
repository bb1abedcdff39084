namespace Cognite.Files.Auth;

/// <summary>
/// A cached token refreshed <c>margin</c> before it expires; concurrent callers share one refresh.
/// </summary>
internal sealed class CachedToken : IDisposable
{
    private readonly Func<CancellationToken, Task<(string Token, DateTimeOffset ExpiresOn)>> _fetch;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _margin;
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private Entry? _current;

    public CachedToken(Func<CancellationToken, Task<(string Token, DateTimeOffset ExpiresOn)>> fetch, TimeProvider timeProvider, TimeSpan margin)
    {
        _fetch = fetch;
        _timeProvider = timeProvider;
        _margin = margin;
    }

    public async Task<string> GetAsync(CancellationToken cancellationToken)
    {
        if (TryGetFresh(out var token))
        {
            return token;
        }

        await _refreshLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Whoever held the lock before us may have refreshed already.
            if (TryGetFresh(out token))
            {
                return token;
            }

            var fetchedAt = _timeProvider.GetUtcNow();
            var (newToken, expiresOn) = await _fetch(cancellationToken).ConfigureAwait(false);
            var lifetime = expiresOn - fetchedAt;
            // Short-lived tokens would otherwise be refreshed on every call: never refresh earlier than half-life.
            var margin = lifetime > TimeSpan.Zero ? TimeSpan.FromTicks(Math.Min(_margin.Ticks, lifetime.Ticks / 2)) : TimeSpan.Zero;
            Volatile.Write(ref _current, new Entry(newToken, expiresOn - margin));
            return newToken;
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    /// <summary>Forgets the cached token, so the next call fetches a new one.</summary>
    public void Invalidate() => Volatile.Write(ref _current, null);

    public void Dispose() => _refreshLock.Dispose();

    private bool TryGetFresh(out string token)
    {
        var current = Volatile.Read(ref _current);
        if (current is not null && _timeProvider.GetUtcNow() < current.RefreshAt)
        {
            token = current.Token;
            return true;
        }

        token = string.Empty;
        return false;
    }

    private sealed record Entry(string Token, DateTimeOffset RefreshAt);
}
