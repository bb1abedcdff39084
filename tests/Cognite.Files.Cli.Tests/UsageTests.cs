namespace Cognite.Files.Cli.Tests;

/// <summary>Every usage error: exit code 2, one <c>error:</c> line on stderr, and nothing sent to CDF.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class UsageTests : CliFixture
{
    private string _file = null!;

    [OneTimeSetUp]
    public void CreateFiles()
    {
        _file = Harness.CreateFile("one.bin", 100);
        Directory.CreateDirectory(Path.Combine(Harness.Files, "empty"));
    }

    private static IEnumerable<TestCaseData> Cases()
    {
        yield return Case("no command", [], "Required command was not provided");
        yield return Case("unknown command", ["frobnicate"], "frobnicate");
        yield return Case("unknown option", ["ls", "--bogus"], "--bogus");
        yield return Case("upload without a path", ["upload"], "Required argument 'path' missing");
        yield return Case("upload of a missing path", ["upload", "{files}/missing.bin"], "does not exist");
        yield return Case("upload of an empty directory", ["upload", "{files}/empty"], "holds no files");
        yield return Case("part size below 5 MiB", ["upload", "{file}", "--part-size", "4MiB"], "--part-size must be between 5 MiB and 4000 MiB");
        yield return Case("part size above 4000 MiB", ["upload", "{file}", "--part-size", "4001MiB"], "--part-size must be between 5 MiB and 4000 MiB");
        yield return Case("part size not a size", ["upload", "{file}", "--part-size", "lots"], "--part-size 'lots' is not a size");
        yield return Case("concurrency 0", ["upload", "{file}", "--concurrency", "0"], "--concurrency must be between 1 and 64");
        yield return Case("concurrency not a number", ["upload", "{file}", "--concurrency", "x"], "--concurrency must be between 1 and 64 (got 'x')");
        yield return Case("--to with a directory", ["upload", "--to", "5", "{files}"], "give a file, not a directory");
        yield return Case("--to with --name", ["upload", "--to", "5", "{file}", "--name", "n"], "do not apply");
        yield return Case("--to with a bad id", ["upload", "--to", "0", "{file}"], "'0' is not a valid file id");
        yield return Case("--name with a directory", ["upload", "{files}", "--name", "n"], "--name applies to a single file");
        yield return Case("info with id 0", ["info", "0"], "'0' is not a valid file id");
        yield return Case("info with a negative id", ["info", "-5"], "not a valid file id");
        yield return Case("info with id:abc", ["info", "id:abc"], "'id:abc' is not a valid file id");
        yield return Case("rm with an id beyond 2^53", ["rm", "9007199254740992"], "not a valid file id");
        yield return Case("info with a too long external id", ["info", new string('x', 256)], "1 to 255 characters");
        yield return Case("download into a missing directory", ["download", "5", "{root}/nowhere/x.bin"], "does not exist");
        yield return Case("ls --uploaded with a value other than true or false", ["ls", "--uploaded", "maybe"], "--uploaded takes true or false (got 'maybe')");
        yield return Case("ls --sort with an unknown key", ["ls", "--sort", "colour"], "colour");
        yield return Case("ls with a negative limit", ["ls", "--limit", "-1"], "--limit must be between 0 and");
        yield return Case("resume of a missing journal", ["resume", "{root}/none.journal.json"], "does not exist");
        yield return Case("missing config file", ["ls", "--config", "{root}/none.json"], "config file");
        yield return Case("demo with size 0", ["demo", "--size", "0"], "--size '0' must be a size");
        yield return Case("emulator port out of range", ["emulator", "--port", "70000"], "--port must be between 0 and 65535");
    }

    private static TestCaseData Case(string name, string[] args, string message) => new TestCaseData(args, message).SetName("Usage error: " + name);

    [TestCaseSource(nameof(Cases))]
    public async Task Exits_with_2_and_one_error_line_before_any_request(string[] args, string message)
    {
        var before = Harness.Emulator.Counters.ApiRequests;
        var expanded = args.Select(a => a.Replace("{files}", Harness.Files, StringComparison.Ordinal).Replace("{file}", _file, StringComparison.Ordinal).Replace("{root}", Harness.Root, StringComparison.Ordinal)).ToArray();

        var run = await Harness.RunAsync(expanded);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), run.ToString());
        Assert.That(lines[0], Does.StartWith("error: ").And.Contain(message));
        Assert.That(Harness.Emulator.Counters.ApiRequests, Is.EqualTo(before), "nothing was sent");
    }

    [Test]
    public async Task Incomplete_configuration_is_a_usage_error_naming_what_is_missing()
    {
        var env = new Dictionary<string, string?> { ["COGNITE_PROJECT"] = "p", ["COGNITE_FILES_HOME"] = Harness.Home };

        var run = await Harness.RunAsync(["ls"], interactive: false, CancellationToken.None, env);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("incomplete CDF configuration").And.Contain("COGNITE_BASE_URL").And.Contain("COGNITE_TOKEN"));
    }

    [Test]
    public async Task Unreadable_file_fails_before_any_upload()
    {
        if (OperatingSystem.IsWindows() || Environment.UserName == "root")
        {
            Assert.Ignore("root reads any file; permissions cannot make a file unreadable here");
            return;
        }

        var path = Harness.CreateFile("locked.bin", 10);
        File.SetUnixFileMode(path, UnixFileMode.None);
        var run = await Harness.RunAsync("upload", path);
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("cannot read"));
    }

    [Test]
    public async Task Resume_of_a_journal_without_its_sidecar_names_the_problem()
    {
        var journal = Path.Combine(Harness.Root, "foreign.journal.json");
        File.WriteAllText(journal, "{}");

        var run = await Harness.RunAsync("resume", journal);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("was not written by 'cognite-files upload'"));
    }

    [Test]
    public async Task Resume_of_an_embedded_emulator_journal_while_CDF_is_configured_is_refused()
    {
        var journal = Path.Combine(Harness.Root, "embedded.journal.json");
        File.WriteAllText(journal, "{}");
        File.WriteAllText(journal + ".cli.json", $$"""{ "version": 1, "source": "{{_file}}", "label": "one.bin", "embedded": true, "project": "emulator", "partSize": 5242880 }""");

        var run = await Harness.RunAsync("resume", journal);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("went to the embedded emulator, but CDF is configured now"));
    }

    [Test]
    public async Task Help_exits_0_and_lists_the_commands()
    {
        var run = await Harness.RunAsync("--help");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Does.Contain("upload").And.Contain("resume").And.Contain("download").And.Contain("ls").And.Contain("info").And.Contain("rm").And.Contain("emulator").And.Contain("demo"));
    }
}
