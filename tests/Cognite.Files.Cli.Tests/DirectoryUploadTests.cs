using Cognite.Files.Cli.Parsing;
using Cognite.Files.Emulator;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Cli.Tests;

/// <summary>Directory uploads: files in parallel up to --concurrency, and the --include/--exclude filters.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class DirectoryUploadTests : CliFixture
{
    [Test]
    public async Task A_directory_runs_up_to_concurrency_files_at_once_with_no_hidden_cap()
    {
        var root = Unique("wide");
        for (var i = 0; i < 8; i++)
        {
            Harness.CreateFile(Path.Combine(root, $"f{i}.txt"), 10, seed: i);
        }

        // Every PUT stalls: the number of stalls injected is the number of files in flight at once.
        Harness.Emulator.Faults.Set(new FaultOptions
        {
            Schedule = [.. Enumerable.Range(1, 8).Select(n => new ScheduledFault { PutNumber = n, Kind = FaultKind.Stall })],
            StallDuration = TimeSpan.FromMinutes(1),
        });
        var before = Harness.Emulator.Counters.FaultsInjected;
        using var cts = new CancellationTokenSource();
        var upload = Harness.RunAsync(["upload", Path.Combine(Harness.Files, root), "--concurrency", "6"], interactive: false, cts.Token);
        // A bound so that a regression fails instead of waiting out the stalls; the assertion is on the count, not the time.
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var sixInFlight = Harness.Emulator.Counters.WaitForAsync(c => c.FaultsInjected - before >= 6, bound.Token);
        await Task.WhenAny(sixInFlight, upload);

        Assert.That(sixInFlight.IsCompletedSuccessfully, Is.True, "six files were in flight at once (the old hidden cap was 4)");
        await cts.CancelAsync();
        var run = await upload;
        Assert.That(run.ExitCode, Is.EqualTo(130), run.ToString());
        Assert.That(Harness.Emulator.Counters.FaultsInjected - before, Is.EqualTo(6), "never more than --concurrency");
    }

    private static readonly string[] Tree = ["a.csv", "b.txt", "data/z.csv", "logs/x.log", "logs/deep/y.log"];

    [TestCase(new[] { "**/*.csv" }, new string[0], new[] { "a.csv", "data/z.csv" })]
    [TestCase(new[] { "*.csv" }, new string[0], new[] { "a.csv" })]
    [TestCase(new string[0], new[] { "logs/**" }, new[] { "a.csv", "b.txt", "data/z.csv" })]
    [TestCase(new[] { "**/*.csv" }, new[] { "data/**" }, new[] { "a.csv" })]
    [TestCase(new[] { "logs/**" }, new[] { "**/deep/**" }, new[] { "logs/x.log" })]
    [TestCase(new[] { "b.txt", "./logs/x.log" }, new string[0], new[] { "b.txt", "logs/x.log" })]
    [TestCase(new string[0], new string[0], new[] { "a.csv", "b.txt", "data/z.csv", "logs/x.log", "logs/deep/y.log" })]
    public void Globs_are_relative_to_the_root_and_an_exclude_wins(string[] include, string[] exclude, string[] expected)
    {
        var filter = PathFilter.Create(include, exclude);

        Assert.That(Tree.Where(filter.Matches), Is.EqualTo(expected));
    }

    [Test]
    public async Task Include_and_exclude_select_the_files_of_a_directory_upload()
    {
        var root = Unique("filtered");
        foreach (var (file, i) in Tree.Select((f, i) => (f, i)))
        {
            Harness.CreateFile(Path.Combine(root, file), 10 + i, seed: i);
        }

        var run = await Harness.RunAsync("upload", Path.Combine(Harness.Files, root), "--external-id", root + "/", "--include", "**/*.csv", "--include", "logs/**", "--exclude", "**/deep/**", "--json");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var uploaded = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (string?)JObject.Parse(l)["externalId"]).Order(StringComparer.Ordinal);
        Assert.That(uploaded, Is.EqualTo(new[] { root + "/a.csv", root + "/data/z.csv", root + "/logs/x.log" }));
    }

    [TestCase("--include", "/abs/**", "patterns are relative to the directory")]
    [TestCase("--exclude", "../up/*", "patterns are relative to the directory")]
    [TestCase("--include", "", "--include needs a pattern")]
    [TestCase("--include", "*.nothing", "holds no files matching --include/--exclude")]
    public async Task Bad_or_empty_filters_are_usage_errors_before_any_request(string option, string pattern, string message)
    {
        var root = Unique("badfilter");
        Harness.CreateFile(Path.Combine(root, "a.csv"), 10);
        var before = Harness.Emulator.Counters.ApiRequests;

        var run = await Harness.RunAsync("upload", Path.Combine(Harness.Files, root), option, pattern);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain(message));
        Assert.That(Harness.Emulator.Counters.ApiRequests, Is.EqualTo(before));
    }

    [Test]
    public async Task Filters_with_a_single_file_are_a_usage_error()
    {
        var run = await Harness.RunAsync("upload", Harness.CreateFile(Unique("single"), 10), "--include", "*.csv");

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("give a directory, not a file"));
    }
}
