using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Cognite.Files.Emulator;
using Cognite.Files.Models;
using Cognite.Files.Reliability.Tests.Support;
using Cognite.Files.Transfer;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Reliability.Tests;

/// <summary>
/// 200 multipart uploads (3–5 parts of 64 KiB) while 5% of part PUTs fail in every way the emulator can fail them
/// (500, 503, 429 + Retry-After, connection reset mid-body, stall). Every upload must arrive byte-exact, no upload may
/// be completed before all its parts were accepted, and only failed parts may be sent again.
/// </summary>
[Category("Soak")]
[NonParallelizable]
public sealed class FaultSoakTests
{
    private const int Uploads = 200;
    private const int PartSize = 64 * 1024;
    private const int ConcurrentUploads = 8;
    private const int Seed = 8;

    [Test, CancelAfter(180_000)]
    public async Task TwoHundredMultipartUploads_With5PercentPartFaults_AllArriveByteExact_OnlyFailedPartsResent(CancellationToken cancellationToken)
    {
        await using var env = await EmulatorClient.StartAsync(o =>
        {
            o.MinPartSize = PartSize;
            o.Faults = new FaultOptions
            {
                Seed = Seed,
                PartFailureProbability = 0.05,
                Kinds = Enum.GetValues<FaultKind>(), // 500, 503, 429 + Retry-After, reset mid-body, stall
                StallDuration = TimeSpan.FromSeconds(10), // longer than StallTimeout below: the client must give up and retry
                RetryAfterSeconds = 1,
            };
        });

        // Wire-level witnesses: every part PUT's outcome, and how many parts had been accepted when complete was sent.
        var putOutcomes = new ConcurrentDictionary<(string Upload, int Part), ConcurrentQueue<int>>();
        var retrySentBytes = 0L;
        var acceptedAtComplete = new ConcurrentDictionary<string, int>();
        var presigned = new InterceptingHandler(async (request, next) =>
        {
            var segments = request.RequestUri!.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var key = (segments[1], int.Parse(segments[2], CultureInfo.InvariantCulture));
            var outcomes = putOutcomes.GetOrAdd(key, _ => new ConcurrentQueue<int>());
            if (!outcomes.IsEmpty)
            {
                Interlocked.Add(ref retrySentBytes, request.Content?.Headers.ContentLength ?? 0);
            }

            try
            {
                var response = await next(request);
                outcomes.Enqueue((int)response.StatusCode);
                return response;
            }
            catch
            {
                outcomes.Enqueue(-1); // reset, or aborted by the stall watchdog
                throw;
            }
        });
        var api = new InterceptingHandler(async (request, next) =>
        {
            if (request.RequestUri!.AbsolutePath.EndsWith("/files/completemultipartupload", StringComparison.Ordinal))
            {
                var uploadId = (string)JObject.Parse(await request.Content!.ReadAsStringAsync())["uploadId"]!;
                acceptedAtComplete[uploadId] = putOutcomes.Count(p => p.Key.Upload == uploadId && p.Value.Contains(200));
            }

            return await next(request);
        })
        { InnerHandler = Cognite.Files.Http.CogniteHttpPipeline.CreatePrimaryHandler(decompress: true) };

        using var client = env.Client(
            configure: o => o.Transfer = new TransferOptions
            {
                SingleUploadThreshold = 0, // 128–320 KiB files: multipart only because of this
                MinimumPartSize = 1,
                PartSize = PartSize,
                MaxConcurrency = 8,
                MaxAttemptsPerPart = 8,
                RetryBaseDelay = TimeSpan.FromMilliseconds(10),
                MaxRetryDelay = TimeSpan.FromMilliseconds(200), // caps the emulator's Retry-After: 1
                StallTimeout = TimeSpan.FromMilliseconds(500),
                UploadedConfirmationTimeout = TimeSpan.FromSeconds(10),
            },
            presigned: presigned,
            api: api);

        var random = new Random(Seed);
        var contents = Enumerable.Range(0, Uploads).Select(_ =>
        {
            var bytes = new byte[random.Next((2 * PartSize) + 1, (5 * PartSize) + 1)]; // 3 to 5 parts, the last one partial
            random.NextBytes(bytes);
            return bytes;
        }).ToArray();
        var sourceDir = Directory.CreateDirectory(Path.Combine(env.Directory.FullName, "sources"));

        var clock = Stopwatch.StartNew();
        var results = new UploadResult[Uploads];
        var failures = new ConcurrentQueue<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Uploads), new ParallelOptions { MaxDegreeOfParallelism = ConcurrentUploads, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            try
            {
                var file = new FileCreate { Name = $"soak-{i}.bin", ExternalId = $"soak-{i}" };
                if (i % 2 == 0)
                {
                    var path = Path.Combine(sourceDir.FullName, $"soak-{i}.bin");
                    await File.WriteAllBytesAsync(path, contents[i], ct);
                    results[i] = await client.UploadAsync(file, path, cancellationToken: ct);
                }
                else
                {
                    using var stream = new MemoryStream(contents[i]);
                    results[i] = await client.UploadAsync(file, stream, cancellationToken: ct);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                failures.Enqueue($"upload {i}: {e.GetType().Name}: {e.Message}");
            }
        });
        clock.Stop();
        Assert.That(failures, Is.Empty, "every upload must succeed despite the faults");

        var byteExact = 0;
        var problems = new List<string>();
        for (var i = 0; i < Uploads; i++)
        {
            var r = results[i];
            var expected = Convert.ToHexStringLower(SHA256.HashData(contents[i]));
            if (r.Checksum == ContentChecksum.Compute(contents[i]) && await env.Emulator.GetContentSha256Async(r.File.Id, cancellationToken) == expected && r.File.Uploaded == true)
            {
                byteExact++;
            }
            else
            {
                problems.Add($"upload {i} (file {r.File.Id}) is not byte-exact");
            }

            if (!acceptedAtComplete.TryGetValue(r.UploadId, out var accepted) || accepted != r.Parts)
            {
                problems.Add($"upload {i} was completed with {accepted} of {r.Parts} parts accepted");
            }

            var counters = env.Emulator.Counters.ForUpload(r.UploadId)!;
            for (var part = 0; part < r.Parts; part++)
            {
                var outcomes = putOutcomes[(r.UploadId, part)].ToArray();
                var failed = outcomes.Count(s => s != 200);
                if (outcomes.Count(s => s == 200) != 1 || outcomes[^1] != 200)
                {
                    problems.Add($"upload {i} part {part}: outcomes {string.Join(",", outcomes)} (exactly one success, last)");
                }

                if (counters.PutsByPartIndex[part] != 1 + failed)
                {
                    problems.Add($"upload {i} part {part}: {counters.PutsByPartIndex[part]} PUTs reached the emulator for {failed} failure(s)");
                }
            }

            var faultsOnUpload = counters.FaultsByKind.Values.Sum();
            if (counters.PutsByPartIndex.Values.Sum() != r.Parts + faultsOnUpload)
            {
                problems.Add($"upload {i}: {counters.PutsByPartIndex.Values.Sum()} PUTs for {r.Parts} parts and {faultsOnUpload} injected faults");
            }
        }

        var snapshot = env.Emulator.Counters.Snapshot();
        var parts = results.Sum(r => r.Parts);
        var contentBytes = contents.Sum(c => (long)c.Length);
        TestContext.Progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Fault soak (seed {Seed}): {byteExact}/{Uploads} uploads byte-exact in {clock.Elapsed.TotalSeconds:0.0} s; {parts} parts, {snapshot.UploadPutRequests} part PUTs; " +
            $"faults injected {snapshot.FaultsInjected} ({string.Join(", ", snapshot.FaultsByKind.Where(k => k.Value > 0).Select(k => $"{k.Key} {k.Value}"))}); " +
            $"retries {results.Sum(r => r.Retries)}; bytes re-sent {Interlocked.Read(ref retrySentBytes)} (of {contentBytes} content bytes; the emulator read {snapshot.UploadBytesReceived - contentBytes} bytes beyond the content)"));

        Assert.Multiple(() =>
        {
            Assert.That(problems, Is.Empty);
            Assert.That(byteExact, Is.EqualTo(Uploads));
            Assert.That(snapshot.FaultsByKind.Where(k => k.Value == 0).Select(k => k.Key), Is.Empty, "every fault kind was injected at least once");
            Assert.That(results.Sum(r => r.Retries), Is.EqualTo(snapshot.FaultsInjected), "one retry per injected fault");
            Assert.That(snapshot.AuthorizationHeaderOnUploadUrl, Is.Zero);
        });
    }
}
