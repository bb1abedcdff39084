using System.Net;
using Cognite.Files.Models;
using Cognite.Files.Transfer;
using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json.Linq;
using RichardSzalay.MockHttp;

namespace Cognite.Files.Tests.Client;

/// <summary>
/// Many small uploads of one client: each is one <c>POST /files</c> and one PUT, and their confirmations share
/// <c>byids</c> requests (<see cref="FileLookupBatcher"/>) instead of one each.
/// </summary>
public class SmallFileUploadTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Concurrent_small_uploads_share_their_confirmation_requests_and_each_gets_its_own_file()
    {
        const int n = 40;
        var cdf = new BatchingCdf();
        using var client = cdf.Client();
        var lookups = ((CdfMultipartUploadSteps)client.UploadEngine.Steps).Lookups;

        var uploads = Enumerable.Range(0, n).Select(i => client.UploadAsync(new FileCreate { Name = $"f{i}.txt" }, new MemoryStream(new byte[64]))).ToList();
        // The first confirmation request is on its way (usually with one id); hold it until every other upload waits.
        await cdf.FirstByIds.Task.WaitAsync(Wait);
        await UntilAsync(() => cdf.FirstByIdsCount + lookups.QueuedCount == n, uploads, () => $"queued {lookups.QueuedCount}; {cdf.Calls.Count} calls");
        cdf.ReleaseByIds.SetResult();
        var results = await Task.WhenAll(uploads).WaitAsync(Wait);

        Assert.That(cdf.ByIdsRequests, Has.Count.InRange(1, 2), $"{n} confirmations in the held request and one more");
        Assert.That(cdf.ByIdsRequests.SelectMany(ids => ids).Order(), Is.EqualTo(Enumerable.Range(100, n).Select(i => (long)i)), "each file asked for once");
        Assert.That(results.Select(r => r.File.Name), Is.EqualTo(Enumerable.Range(0, n).Select(i => $"f{i}.txt")), "each upload got its own file's metadata");
        Assert.That(results.Select(r => r.File.Uploaded), Is.All.True);
        Assert.That(cdf.Calls.Count(c => c == "POST /files"), Is.EqualTo(n));
        Assert.That(cdf.Calls.Count(c => c.StartsWith("PUT ", StringComparison.Ordinal)), Is.EqualTo(n), "one PUT per file");
        Assert.That(cdf.Calls, Has.None.Contains("multipart"));
    }

    [Test]
    public async Task A_file_missing_from_the_confirmation_fails_only_its_own_upload()
    {
        const int n = 6;
        var cdf = new BatchingCdf { Missing = "f3.txt" };
        using var client = cdf.Client();
        var lookups = ((CdfMultipartUploadSteps)client.UploadEngine.Steps).Lookups;

        var uploads = Enumerable.Range(0, n).Select(i => client.UploadAsync(new FileCreate { Name = $"f{i}.txt" }, new MemoryStream(new byte[10]))).ToList();
        await cdf.FirstByIds.Task.WaitAsync(Wait);
        await UntilAsync(() => cdf.FirstByIdsCount + lookups.QueuedCount == n, uploads, () => $"queued {lookups.QueuedCount}; {string.Join(", ", cdf.Calls)}");
        cdf.ReleaseByIds.SetResult();
        await Task.WhenAll(uploads.Select(u => u.ContinueWith(_ => { }, TaskScheduler.Default))).WaitAsync(Wait);

        var failed = uploads.Where(u => u.IsFaulted).ToList();
        Assert.That(failed, Has.Count.EqualTo(1));
        var ex = (CogniteUploadException)failed[0].Exception!.InnerException!;
        Assert.That(ex.Reason, Is.EqualTo(UploadFailureReason.NotConfirmed));
        Assert.That(ex.FileId, Is.EqualTo(cdf.IdOf("f3.txt")));
        Assert.That(ex.Message, Does.Contain("was not found after completing its upload"));
        Assert.That(uploads.Where(u => u.IsCompletedSuccessfully).Select(u => u.Result.File.Name), Is.EquivalentTo(new[] { "f0.txt", "f1.txt", "f2.txt", "f4.txt", "f5.txt" }));
    }

    [Test]
    public async Task An_upload_to_an_unknown_id_gets_CDFs_own_not_found_error_before_any_link_request()
    {
        var cdf = new BatchingCdf();
        cdf.ReleaseByIds.SetResult();
        using var client = cdf.Client();

        var ex = await Assert.ThrowsAsync<CogniteNotFoundException>(() => client.UploadAsync(Identifier.FromId(424242), new MemoryStream(new byte[10])));

        Assert.That(ex!.Missing, Has.Count.EqualTo(1));
        Assert.That(cdf.Calls, Is.EqualTo(new[] { "POST /files/byids", "POST /files/byids" }), "the batched lookup, then the same id alone for CDF's error; no link request");
    }

    /// <summary>Waits until <paramref name="condition"/>; an upload that ends meanwhile has failed, and its error is the test's.</summary>
    private static async Task UntilAsync<T>(Func<bool> condition, IReadOnlyList<Task<T>> uploads, Func<string> state)
    {
        for (var i = 0; !condition(); i++)
        {
            if (uploads.FirstOrDefault(u => u.IsFaulted) is { } failed)
            {
                await failed;
            }

            Assert.That(i, Is.LessThan(10_000), () => "the condition was not reached: " + state());
            await Task.Delay(1);
        }
    }

    /// <summary>
    /// A MockHttp CDF that creates files with ids 100, 101, …, accepts every PUT and answers <c>byids</c> for the files it
    /// made (uploaded), holding its first <c>byids</c> until <see cref="ReleaseByIds"/>. Logs "METHOD path" and the ids of
    /// every <c>byids</c>.
    /// </summary>
    private sealed class BatchingCdf
    {
        private readonly MockHttpMessageHandler _api = new();
        private readonly MockHttpMessageHandler _presigned = new();
        private readonly Dictionary<long, string> _names = [];
        private long _nextId = 100;
        private int _byIds;

        public List<string> Calls { get; } = [];

        public List<List<long>> ByIdsRequests { get; } = [];

        public TaskCompletionSource FirstByIds { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The number of ids in the first <c>byids</c> (0 before it came).</summary>
        public int FirstByIdsCount
        {
            get
            {
                lock (Calls)
                {
                    return ByIdsRequests.Count > 0 ? ByIdsRequests[0].Count : 0;
                }
            }
        }

        public TaskCompletionSource ReleaseByIds { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The name of a file that byids leaves out (as if it were gone).</summary>
        public string? Missing { get; init; }

        public long IdOf(string name)
        {
            lock (Calls)
            {
                return _names.Single(n => n.Value == name).Key;
            }
        }

        public CogniteFilesClient Client()
        {
            _api.Fallback.Respond(async req =>
            {
                var path = req.RequestUri!.AbsolutePath.Replace("/api/v1/projects/proj", string.Empty, StringComparison.Ordinal);
                var body = JToken.Parse(await req.Content!.ReadAsStringAsync());
                lock (Calls)
                {
                    Calls.Add($"{req.Method} {path}");
                }

                switch (path)
                {
                    case "/files":
                        long id;
                        var name = body["name"]!.Value<string>()!;
                        lock (Calls)
                        {
                            id = _nextId++;
                            _names[id] = name;
                        }

                        return ClientFixture.Json(HttpStatusCode.Created, ClientFixture.FileJson(id, name, $$""","uploadUrl":"https://storage.example.com/single/{{id}}?sig=s" """));
                    case "/files/byids":
                        var ids = body["items"]!.Select(i => i["id"]!.Value<long>()).ToList();
                        lock (Calls)
                        {
                            ByIdsRequests.Add(ids);
                        }

                        if (Interlocked.Increment(ref _byIds) == 1)
                        {
                            FirstByIds.SetResult();
                            await ReleaseByIds.Task;
                        }

                        List<string> items;
                        lock (Calls)
                        {
                            items = ids.Where(i => _names.TryGetValue(i, out var name) && name != Missing).Select(i => ClientFixture.FileJson(i, _names[i], uploaded: true)).ToList();
                        }

                        if (body["ignoreUnknownIds"]?.Value<bool>() != true && items.Count < ids.Count)
                        {
                            return ClientFixture.Json(HttpStatusCode.BadRequest, """{"error":{"code":400,"message":"Files not found","missing":[{"id":ID}]}}""".Replace("ID", ids[0].ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
                        }

                        return ClientFixture.Json(HttpStatusCode.OK, $$"""{"items":[{{string.Join(',', items)}}]}""");
                    default:
                        return ClientFixture.Json(HttpStatusCode.NotFound, """{"error":{"code":404,"message":"not in this fake"}}""");
                }
            });
            _presigned.Fallback.Respond(req =>
            {
                lock (Calls)
                {
                    Calls.Add($"PUT {req.RequestUri!.AbsolutePath}");
                }

                return new HttpResponseMessage(HttpStatusCode.OK);
            });
            var options = ClientFixture.Options(o => o.Transfer = new TransferOptions { MaxConcurrency = 64 });
            return new CogniteFilesClient(options, new Cognite.Files.Auth.StaticAccessTokenProvider(ClientFixture.Token), null, new FakeTimeProvider(), _api, _presigned);
        }
    }
}
