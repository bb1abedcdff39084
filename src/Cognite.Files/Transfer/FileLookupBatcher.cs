using Cognite.Files.Api;
using Cognite.Files.Models;

namespace Cognite.Files.Transfer;

/// <summary>
/// Coalesces the single-file <c>byids</c> lookups of one client's uploads (the polls for <c>uploaded</c>, the lookup of a
/// file given by id) into batched requests: while one request is on its way, new lookups queue up, and when it returns
/// the next request asks for all of them at once, up to CDF's 1000 ids. The first lookup goes out at once, so nothing
/// waits for a timer; many small uploads finishing together share a few requests instead of one each.
/// <para>
/// Each request sets <c>ignoreUnknownIds</c>, so that an unknown id fails only its own lookup (it gets null). A request
/// that fails (after the API's own retries) fails the lookups it carried, and only those. A lookup's cancellation stops
/// its own wait; the request it may ride on goes on for the others (bounded by the API's request timeout).
/// </para>
/// </summary>
internal sealed class FileLookupBatcher(ICogniteFilesApi api)
{
    /// <summary>CDF's item limit of one <c>byids</c> request.</summary>
    public const int MaxIdsPerRequest = 1000;

    private readonly Lock _gate = new();
    private readonly List<Lookup> _queued = [];
    private bool _sending;

    /// <summary>Lookups waiting for the next request (tests wait for it).</summary>
    internal int QueuedCount
    {
        get
        {
            lock (_gate)
            {
                return _queued.Count;
            }
        }
    }

    /// <summary>The file with internal id <paramref name="id"/>, or null when CDF does not know it.</summary>
    public Task<FileMetadata?> LookupAsync(long id, CancellationToken cancellationToken)
    {
        var lookup = new Lookup(id);
        bool send;
        lock (_gate)
        {
            _queued.Add(lookup);
            send = !_sending;
            _sending = true;
        }

        if (send)
        {
            _ = SendQueuedAsync(); // ends by itself once the queue is empty; it catches everything
        }

        return lookup.Result.Task.WaitAsync(cancellationToken);
    }

    private async Task SendQueuedAsync()
    {
        while (true)
        {
            List<Lookup> batch;
            lock (_gate)
            {
                if (_queued.Count == 0)
                {
                    _sending = false;
                    return;
                }

                batch = TakeBatch();
            }

            try
            {
                var ids = batch.Select(l => l.Id).Distinct().Select(Identifier.FromId).ToList();
                var found = await api.RetrieveFilesAsync(new FileRetrieveRequest { Items = ids, IgnoreUnknownIds = true }, CancellationToken.None).ConfigureAwait(false);
                var byId = new Dictionary<long, FileMetadata>();
                foreach (var file in found.Items)
                {
                    byId.TryAdd(file.Id, file);
                }

                foreach (var lookup in batch)
                {
                    lookup.Result.TrySetResult(byId.GetValueOrDefault(lookup.Id));
                }
            }
            catch (Exception ex)
            {
                foreach (var lookup in batch)
                {
                    lookup.Result.TrySetException(ex);
                }
            }
        }
    }

    /// <summary>The queued lookups, in order, of the first <see cref="MaxIdsPerRequest"/> distinct ids. Under the lock.</summary>
    private List<Lookup> TakeBatch()
    {
        var ids = new HashSet<long>();
        var batch = new List<Lookup>();
        var rest = new List<Lookup>();
        foreach (var lookup in _queued)
        {
            if (ids.Contains(lookup.Id) || (ids.Count < MaxIdsPerRequest && ids.Add(lookup.Id)))
            {
                batch.Add(lookup);
            }
            else
            {
                rest.Add(lookup);
            }
        }

        _queued.Clear();
        _queued.AddRange(rest);
        return batch;
    }

    private sealed class Lookup(long id)
    {
        public long Id => id;

        // Completed by the sending loop: the waiter's continuation must not run inside it.
        public TaskCompletionSource<FileMetadata?> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
