using Cognite.Files.Cli.Commands;
using Cognite.Files.Emulator;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Cli.Tests;

/// <summary><c>bench</c>: a table of rounds, a recommendation, and nothing left behind.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class BenchTests : CliFixture
{
    private async Task AssertNothingLeftAsync()
    {
        var ls = await Harness.RunAsync("ls", "--directory-prefix", BenchCommand.Directory, "--json");
        Assert.That(ls.Out, Is.Empty, "every bench file is deleted");
    }

    [Test]
    public async Task Plain_output_has_a_line_per_round_and_a_recommendation()
    {
        var run = await Harness.RunAsync("bench", "--size", "6MiB", "--part-sizes", "5MiB", "--concurrency", "1,2");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var rounds = run.Out.Split('\n').Where(l => l.StartsWith("part size", StringComparison.Ordinal)).ToList();
        Assert.That(rounds, Has.Count.EqualTo(2));
        Assert.That(rounds, Has.All.Contain("parts   2").And.Contain("MiB/s"));
        Assert.That(run.Out, Does.Match(@"Recommended: --part-size 5MiB --concurrency [12] \(upload [0-9.]+ MiB/s\); downloads were fastest at --part-size 5MiB --concurrency [12] \("));
        Assert.That(run.Error, Does.Contain("bench: 2 rounds of 6.0 MiB up and down"));
        await AssertNothingLeftAsync();
    }

    [Test]
    public async Task Json_has_a_document_per_round_and_the_recommendation()
    {
        var run = await Harness.RunAsync("bench", "--size", "1MiB", "--part-sizes", "5MiB,6MiB", "--concurrency", "2", "--json");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var docs = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(JObject.Parse).ToList();
        Assert.That(docs, Has.Count.EqualTo(3));
        Assert.That(docs.Take(2).Select(d => (long)d["partSize"]!), Is.EqualTo(new[] { 5L << 20, 6L << 20 }));
        Assert.That(docs.Take(2).All(d => (double)d["uploadMiBps"]! > 0 && (double)d["downloadMiBps"]! > 0), Is.True);
        Assert.That((int?)docs[2]["recommendation"]!["concurrency"], Is.EqualTo(2));
        await AssertNothingLeftAsync();
    }

    [Test]
    public async Task On_a_terminal_progress_per_round_then_a_table()
    {
        var run = await Harness.RunAsync(["bench", "--size", "6MiB", "--part-sizes", "5MiB", "--concurrency", "1,2"], interactive: true, CancellationToken.None, recordEscapes: true);

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var screen = TerminalScreen.Replay(run.Console);
        TestContext.Out.WriteLine(string.Join('\n', screen));
        // While it runs: a bar per round (its upload, then its download; shown when a refresh meets it) under a total;
        // each round ends with a ✔ line.
        Assert.That(run.Console, Does.Contain("bench total").And.Contain("(2 rounds)"));
        Assert.That(screen.Where(l => l.StartsWith("✔ part size", StringComparison.Ordinal)).ToList(), Has.Count.EqualTo(2));
        Assert.That(string.Join('\n', screen), Does.Contain("upload MiB/s").And.Contain("download MiB/s").And.Contain("Recommended: --part-size 5MiB --concurrency"));
        Assert.That(screen.Where(l => l.Contains('━', StringComparison.Ordinal)), Has.All.StartWith("bench total (2 rounds)").And.All.Contain("100% 24.0 MiB/24.0 MiB"), "the rounds' bars leave the live area; the total ends full");
        Assert.That(run.Out, Is.Empty);
        await AssertNothingLeftAsync();
    }

    [Test]
    public async Task Cancelled_mid_round_it_still_deletes_what_it_created()
    {
        // The first reported round's second part stalls: the warm-up round is one part, then part 1 of a 2-part file.
        Harness.Emulator.Faults.Set(new FaultOptions
        {
            Schedule = [new ScheduledFault { PartIndex = 1, Attempt = 1, Kind = FaultKind.Stall }],
            StallDuration = TimeSpan.FromMinutes(5),
        });
        var before = Harness.Emulator.Counters.FaultsInjected;
        using var cts = new CancellationTokenSource();
        var bench = Harness.RunAsync(["bench", "--size", "6MiB", "--part-sizes", "5MiB", "--concurrency", "1"], interactive: false, cts.Token);
        await Task.WhenAny(Harness.Emulator.Counters.WaitForAsync(c => c.FaultsInjected > before, cts.Token), bench);
        await cts.CancelAsync();
        var run = await bench;

        Assert.That(run.ExitCode, Is.EqualTo(130), run.ToString());
        await AssertNothingLeftAsync();
    }

    [TestCase("--part-sizes", "1MiB", "must be a size from 5 MiB to 4000 MiB")]
    [TestCase("--concurrency", "0,4", "'0' must be a number from 1 to 64")]
    [TestCase("--size", "0", "--size '0' must be a size")]
    public async Task Usage_errors(string option, string value, string message)
    {
        var run = await Harness.RunAsync("bench", option, value);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain(message));
    }

    [Test]
    public async Task Generated_content_is_the_same_whatever_the_reads()
    {
        await using var whole = new BenchCommand.GeneratedStream(3 << 20, seed: 7);
        var expected = new byte[3 << 20];
        whole.ReadExactly(expected);

        await using var pieces = new BenchCommand.GeneratedStream(3 << 20, seed: 7);
        var actual = new byte[3 << 20];
        pieces.Position = 1_000_001;
        pieces.ReadExactly(actual.AsSpan(1_000_001, 777));
        pieces.Position = 0;
        pieces.ReadExactly(actual.AsSpan(0, 1_000_001));
        pieces.Position = 1_000_778;
        pieces.ReadExactly(actual.AsSpan(1_000_778));

        Assert.That(actual, Is.EqualTo(expected));
    }
}
