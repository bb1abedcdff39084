using System.Collections.Concurrent;
using System.Net;
using Cognite.Files.Emulator.Tests.Support;
using Cognite.Files.Models;

namespace Cognite.Files.Emulator.Tests;

public sealed class ConcurrencyAndLoggingTests
{
    [Test]
    public async Task ParallelPartPuts_AndParallelUploads_AssembleCorrectly_AndTheLogHoldsNoSecrets()
    {
        var log = new ConcurrentQueue<string>();
        await using var h = await EmulatorHarness.StartAsync(o => o.RequestLog = log.Enqueue);

        async Task<(long Id, byte[] Data)> UploadAsync(int seed)
        {
            const int parts = 8;
            var init = await h.Api.InitMultipartUploadAsync(parts, new FileCreate { Name = "par" + seed, ExternalId = "par-" + seed });
            var data = EmulatorHarness.RandomBytes(parts * 4096 - 123, seed);
            await Parallel.ForEachAsync(Enumerable.Range(0, parts).Reverse(), new ParallelOptions { MaxDegreeOfParallelism = 5 }, async (i, ct) =>
            {
                var slice = data[(i * 4096)..Math.Min((i + 1) * 4096, data.Length)];
                using var response = await EmulatorHarness.PutAsync(init.UploadUrls[i], slice, ct);
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            });
            await h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { ExternalId = "par-" + seed, UploadId = init.UploadId });
            return (init.Id, data);
        }

        var results = await Task.WhenAll(Enumerable.Range(100, 4).Select(UploadAsync));
        foreach (var (id, data) in results)
            Assert.That(await h.Emulator.GetContentSha256Async(id), Is.EqualTo(EmulatorHarness.Sha256(data)));
        Assert.That(h.Emulator.Counters.UploadPutRequests, Is.EqualTo(32));

        Assert.That(log, Is.Not.Empty);
        Assert.That(log.Any(l => l.Contains("PUT /upload/", StringComparison.Ordinal)), Is.True);
        Assert.That(log.Any(l => l.Contains("sig=", StringComparison.Ordinal) || l.Contains("expires=", StringComparison.Ordinal) || l.Contains("Bearer", StringComparison.Ordinal) || l.Contains("test", StringComparison.Ordinal)), Is.False);
    }
}
