using System.Collections.Concurrent;
using System.Reflection;
using Cognite.Files.Api;
using Cognite.Files.Models;
using Cognite.Files.Transfer;

namespace Cognite.Files.Tests.Transfer;

public class FileLookupBatcherTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Test]
    public async Task Lookups_queued_while_a_request_is_on_its_way_go_together_in_requests_of_at_most_1000_ids()
    {
        var api = GatedApi.Create(out var fake);
        var batcher = new FileLookupBatcher(api);

        var first = batcher.LookupAsync(1, CancellationToken.None);
        await fake.FirstRequestArrived.Task.WaitAsync(Wait);
        var rest = Enumerable.Range(2, 2499).Select(id => batcher.LookupAsync(id, CancellationToken.None)).ToList();
        var duplicate = batcher.LookupAsync(5, CancellationToken.None);
        Assert.That(batcher.QueuedCount, Is.EqualTo(2500));
        fake.Release.SetResult();

        Assert.That((await first)!.Id, Is.EqualTo(1));
        var files = await Task.WhenAll(rest);
        Assert.That(files.Select(f => f!.Id), Is.EqualTo(Enumerable.Range(2, 2499).Select(i => (long)i)), "each lookup gets its own file");
        Assert.That((await duplicate)!.Id, Is.EqualTo(5), "an id asked twice is sent once and answers both");
        Assert.That(fake.Requests.Select(r => r.Items.Count), Is.EqualTo(new[] { 1, 1000, 1000, 499 }));
        Assert.That(fake.Requests.Skip(1).Select(r => r.IgnoreUnknownIds), Is.All.True);
        Assert.That(fake.Requests.Select(r => r.Items.Select(i => i.Id).Distinct().Count() == r.Items.Count), Is.All.True, "ids are unique in each request");
        Assert.That(batcher.QueuedCount, Is.Zero);
    }

    [Test]
    public async Task An_unknown_id_gets_null_and_only_that_lookup()
    {
        var api = GatedApi.Create(out var fake, unknown: [3]);
        fake.Release.SetResult();
        var batcher = new FileLookupBatcher(api);

        var found = await Task.WhenAll(new long[] { 2, 3, 4 }.Select(id => batcher.LookupAsync(id, CancellationToken.None)));

        Assert.That(found.Select(f => f?.Id), Is.EqualTo(new long?[] { 2, null, 4 }));
    }

    [Test]
    public async Task A_failed_request_fails_the_lookups_it_carried_and_the_next_one_goes_on()
    {
        var api = GatedApi.Create(out var fake);
        var batcher = new FileLookupBatcher(api);
        fake.FailFirst = true;

        var first = batcher.LookupAsync(1, CancellationToken.None);
        await fake.FirstRequestArrived.Task.WaitAsync(Wait);
        var second = batcher.LookupAsync(2, CancellationToken.None);
        fake.Release.SetResult();

        await Assert.ThrowsAsync<CogniteException>(() => first);
        Assert.That((await second)!.Id, Is.EqualTo(2));
    }

    [Test]
    public async Task A_cancelled_lookup_stops_only_its_own_wait()
    {
        var api = GatedApi.Create(out var fake);
        var batcher = new FileLookupBatcher(api);
        using var cancel = new CancellationTokenSource();

        var first = batcher.LookupAsync(1, CancellationToken.None);
        await fake.FirstRequestArrived.Task.WaitAsync(Wait);
        var cancelled = batcher.LookupAsync(2, cancel.Token);
        var other = batcher.LookupAsync(3, CancellationToken.None);
        await cancel.CancelAsync();

        await Assert.CatchAsync<OperationCanceledException>(() => cancelled);
        fake.Release.SetResult();
        Assert.That((await first)!.Id, Is.EqualTo(1));
        Assert.That((await other)!.Id, Is.EqualTo(3));
    }

    /// <summary>An <see cref="ICogniteFilesApi"/> whose <c>byids</c> holds its first request until released and answers every known id.</summary>
    public class GatedApi : DispatchProxy
    {
        private int _requests;

        public ConcurrentQueue<FileRetrieveRequest> Requests { get; } = new();

        public TaskCompletionSource FirstRequestArrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool FailFirst { get; set; }

        private HashSet<long> Unknown { get; set; } = [];

        public static ICogniteFilesApi Create(out GatedApi fake, long[]? unknown = null)
        {
            var proxy = Create<ICogniteFilesApi, GatedApi>();
            fake = (GatedApi)(object)proxy;
            fake.Unknown = [.. unknown ?? []];
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod!.Name == nameof(ICogniteFilesApi.RetrieveFilesAsync)
                ? RetrieveAsync((FileRetrieveRequest)args![0]!)
                : throw new NotSupportedException(targetMethod.Name);

        private async Task<FileMetadataList> RetrieveAsync(FileRetrieveRequest request)
        {
            Requests.Enqueue(request);
            if (Interlocked.Increment(ref _requests) == 1)
            {
                FirstRequestArrived.SetResult();
                await Release.Task;
                if (FailFirst)
                {
                    throw new CogniteException("injected");
                }
            }

            return new FileMetadataList
            {
                Items = request.Items.Where(i => !Unknown.Contains(i.Id!.Value)).Select(i => new FileMetadata { Id = i.Id!.Value, Name = $"f{i.Id}", Uploaded = true }).ToList(),
            };
        }
    }
}
