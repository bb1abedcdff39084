using Cognite.Files.Emulator;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Cli.Tests;

/// <summary>Directory uploads: files in parallel up to --concurrency, and the --include/--exclude filters.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class DirectoryUploadTests
{
    private CliHarness _h = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _h = await CliHarness.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _h.DisposeAsync();

    [SetUp]
    public void ClearFaults() => _h.Emulator.Faults.Clear();

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    [Test]
    public async Task A_directory_runs_up_to_concurrency_files_at_once_with_no_hidden_cap()
    {
        var root = Unique("wide");
        for (var i = 0; i < 8; i++)
        {
            _h.CreateFile(Path.Combine(root, $"f{i}.txt"), 10, seed: i);
        }

        // Every PUT stalls: the number of stalls injected is the number of files in flight at once.
        _h.Emulator.Faults.Set(new FaultOptions
        {
            Schedule = [.. Enumerable.Range(1, 8).Select(n => new ScheduledFault { PutNumber = n, Kind = FaultKind.Stall })],
            StallDuration = TimeSpan.FromMinutes(1),
        });
        var before = _h.Emulator.Counters.FaultsInjected;
        using var cts = new CancellationTokenSource();
        var upload = _h.RunAsync(["upload", Path.Combine(_h.Files, root), "--concurrency", "6"], interactive: false, cts.Token);
        // A bound so that a regression fails instead of waiting out the stalls; the assertion is on the count, not the time.
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var sixInFlight = _h.Emulator.Counters.WaitForAsync(c => c.FaultsInjected - before >= 6, bound.Token);
        await Task.WhenAny(sixInFlight, upload);

        Assert.That(sixInFlight.IsCompletedSuccessfully, Is.True, "six files were in flight at once (the old hidden cap was 4)");
        await cts.CancelAsync();
        var run = await upload;
        Assert.That(run.ExitCode, Is.EqualTo(130), run.ToString());
        Assert.That(_h.Emulator.Counters.FaultsInjected - before, Is.EqualTo(6), "never more than --concurrency");
    }
}
