using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Cognite.Files.Emulator.Tests.Support;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Emulator.Tests;

/// <summary>
/// Issue 12 §4, on the standalone emulator in a process of its own, as users run it: eight concurrent ~10 MB invalid JSON
/// bodies once took it from 150 MiB to ~2 GiB resident, for good. Now it gives that memory back when it is quiet
/// (<see cref="EmulatorOptions.CompactMemoryWhenIdle"/>). No clock in the test: the emulator says when the collection
/// after the quiet period has run (<c>compactionPending</c> of <c>GET /_emulator/memory</c>), and the wait for it only has
/// a generous failure bound.
/// </summary>
public sealed class StandaloneMemoryTests
{
    private const long MiB = 1024 * 1024;

    [Test]
    [CancelAfter(180_000)]
    public async Task After_a_burst_of_large_invalid_bodies_the_idle_standalone_emulator_returns_to_its_baseline(CancellationToken cancellationToken)
    {
        await using var emulator = await StandaloneEmulator.StartAsync(cancellationToken);
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "t");

        // Warm up every path the burst takes (code, pools), then the quiet state is the baseline.
        Assert.That(await PostInvalidAsync(http, emulator.Api, cancellationToken), Is.EqualTo(HttpStatusCode.BadRequest));
        var baseline = await SettledAsync(http, emulator.Admin, cancellationToken);

        var statuses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostInvalidAsync(http, emulator.Api, cancellationToken)));
        var peak = emulator.PeakResidentBytes();
        var after = await SettledAsync(http, emulator.Admin, cancellationToken);

        await TestContext.Out.WriteLineAsync($"resident: baseline {baseline.WorkingSet / MiB} MiB, peak {peak / MiB} MiB, after {after.WorkingSet / MiB} MiB; compactions {baseline.Compactions} -> {after.Compactions}");
        Assert.That(statuses, Is.All.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(after.Compactions, Is.GreaterThan(baseline.Compactions), "a collection ran after the burst");
        Assert.That(after.WorkingSet - baseline.WorkingSet, Is.LessThan(30 * MiB), "the idle emulator is back within 30 MiB of its baseline");
    }

    /// <summary>A body that is read to its end (a 9.5 MB string) and is then malformed.</summary>
    private static async Task<HttpStatusCode> PostInvalidAsync(HttpClient http, Uri api, CancellationToken cancellationToken)
    {
        using var content = new StringContent("{\"name\":\"" + new string('a', 9_500_000) + "\"x", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri(api, "files"), content, cancellationToken);
        return response.StatusCode;
    }

    /// <summary>Waits until no collection is due (the one after the quiet period has run), then reads the memory report.</summary>
    private static async Task<(long WorkingSet, long Compactions)> SettledAsync(HttpClient http, Uri admin, CancellationToken cancellationToken)
    {
        while (true)
        {
            var report = JObject.Parse(await http.GetStringAsync(new Uri(admin, "memory"), cancellationToken));
            Assert.That((bool)report["compactMemoryWhenIdle"]!, Is.True, "the standalone emulator compacts when idle");
            if (!(bool)report["compactionPending"]!) return ((long)report["workingSetBytes"]!, (long)report["idleCompactions"]!);
            await Task.Delay(100, cancellationToken); // polling an event the emulator reports; the test's CancelAfter is the bound
        }
    }
}
