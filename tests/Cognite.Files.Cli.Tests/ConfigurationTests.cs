using Cognite.Files.Cli.Parsing;

namespace Cognite.Files.Cli.Tests;

[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class ConfigurationTests : CliFixture
{
    [Test]
    public async Task Without_configuration_the_embedded_emulator_is_used_and_announced_in_one_line()
    {
        var home = Path.Combine(Harness.Root, "fresh-home");
        var env = new Dictionary<string, string?> { ["COGNITE_FILES_HOME"] = home };
        var file = Harness.CreateFile("embedded.bin", 1000, seed: 3);

        var upload = await Harness.RunAsync(["upload", file, "--external-id", "embedded-1"], interactive: false, CancellationToken.None, env);
        var ls = await Harness.RunAsync(["ls"], interactive: false, CancellationToken.None, env);

        Assert.That(upload.ExitCode, Is.EqualTo(0), upload.ToString());
        Assert.That(ls.ExitCode, Is.EqualTo(0), ls.ToString());
        var expected = $"Using the embedded emulator (no CDF configuration found; data in {Path.Combine(home, "emulator")})";
        Assert.That(ls.Error.Split('\n').Count(l => l.StartsWith("Using the embedded emulator", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(ls.Error, Does.StartWith(expected), "notices go to stderr");
        Assert.That(ls.Out, Does.StartWith("name\t"), "stdout holds only the listing");
        Assert.That(ls.Out, Does.Contain("embedded-1"), "the data persists between runs");
        Assert.That(File.Exists(Path.Combine(home, "emulator", "cli-ports.json")), Is.True, "ports are kept so journals stay valid");
    }

    [Test]
    public async Task The_emulator_data_directory_can_be_overridden()
    {
        var data = Path.Combine(Harness.Root, "other-data");
        var env = new Dictionary<string, string?> { ["COGNITE_FILES_HOME"] = Path.Combine(Harness.Root, "home2"), ["COGNITE_FILES_EMULATOR_DATA"] = data };

        var run = await Harness.RunAsync(["ls", "--json"], interactive: false, CancellationToken.None, env);

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Is.Empty, "--json keeps stdout clean");
        Assert.That(run.Error.Trim(), Is.EqualTo($"Using the embedded emulator (no CDF configuration found; data in {data})"));
        Assert.That(File.Exists(Path.Combine(data, "emulator.db")), Is.True);
    }

    [Test]
    public async Task A_config_file_is_read_and_environment_variables_override_it()
    {
        var config = Path.Combine(Harness.Root, "config.json");
        File.WriteAllText(config, $$"""
            { "baseUrl": "{{Harness.Emulator.ApiBaseUrl.GetLeftPart(UriPartial.Authority)}}", "project": "wrong-project", "token": "{{CliHarness.Token}}" }
            """);
        var env = new Dictionary<string, string?> { ["COGNITE_FILES_HOME"] = Harness.Home, ["COGNITE_PROJECT"] = Harness.Emulator.Options.Project };
        var name = "cfg-" + Guid.NewGuid().ToString("N")[..8] + ".bin";
        var upload = await Harness.RunAsync(["upload", Harness.CreateFile(name, 10), "--config", config], interactive: false, CancellationToken.None, env);
        Assert.That(upload.ExitCode, Is.EqualTo(0), upload.ToString());

        // The emulator keeps projects apart, as CDF does: the file's project sees nothing of the environment's.
        var onlyFile = new Dictionary<string, string?> { ["COGNITE_FILES_HOME"] = Harness.Home };
        var fileWins = await Harness.RunAsync(["ls", "--json", "--config", config], interactive: false, CancellationToken.None, onlyFile);
        Assert.That(fileWins.ExitCode, Is.EqualTo(0), fileWins.ToString());
        Assert.That(fileWins.Out, Does.Not.Contain(name), "the file's project is used");

        var envWins = await Harness.RunAsync(["ls", "--json", "--config", config], interactive: false, CancellationToken.None, env);
        Assert.That(envWins.ExitCode, Is.EqualTo(0), envWins.ToString());
        Assert.That(envWins.Out, Does.Contain(name), "the environment's project wins over the file's");
    }

    [Test]
    public async Task The_default_config_file_in_the_home_directory_is_used()
    {
        var home = Path.Combine(Harness.Root, "home-with-config");
        Directory.CreateDirectory(home);
        File.WriteAllText(Path.Combine(home, "config.json"), $$"""
            { "baseUrl": "{{Harness.Emulator.ApiBaseUrl.GetLeftPart(UriPartial.Authority)}}", "project": "{{Harness.Emulator.Options.Project}}", "token": "{{CliHarness.Token}}" }
            """);

        var run = await Harness.RunAsync(["ls"], interactive: false, CancellationToken.None, new Dictionary<string, string?> { ["COGNITE_FILES_HOME"] = home });

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.All, Does.Not.Contain("embedded emulator"));
    }

    [Test]
    public async Task A_wrong_token_fails_with_one_line_and_exit_code_1_without_printing_the_token()
    {
        var env = new Dictionary<string, string?>(Harness.Environment) { ["COGNITE_TOKEN"] = "wrong-" + CliHarness.Token };

        var run = await Harness.RunAsync(["ls"], interactive: false, CancellationToken.None, env);

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1));
        Assert.That(run.Error, Does.StartWith("error: ").And.Contain("401"));
    }

    [Test]
    public async Task The_emulator_command_runs_until_cancelled()
    {
        using var cts = new CancellationTokenSource();
        var data = Path.Combine(Harness.Root, "standalone");
        var task = Harness.RunAsync(["emulator", "--port", "0", "--upload-port", "0", "--data", data, "--token", "first-secret", "--token", "second-secret"], interactive: false, cts.Token);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!File.Exists(Path.Combine(data, "emulator.db")) && !task.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        await cts.CancelAsync();
        var run = await task;

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Does.Contain("api: http://127.0.0.1:").And.Contain("ready (Ctrl+C to stop)"));
        Assert.That(run.Out, Does.Contain("tokens: 2 accepted"), "like the standalone emulator");
        Assert.That(run.Out + run.Error, Does.Not.Contain("first-secret").And.Not.Contain("second-secret"), "tokens are never printed");
    }

    [TestCase("5242880", 5242880L)]
    [TestCase("5MiB", 5242880L)]
    [TestCase("5MB", 5242880L)]
    [TestCase("5m", 5242880L)]
    [TestCase("64 MiB", 67108864L)]
    [TestCase("1.5GiB", 1610612736L)]
    [TestCase("1_000", 1000L)]
    public void Sizes_parse_with_binary_units(string text, long expected)
    {
        Assert.That(SizeParser.TryParse(text, out var bytes), Is.True);
        Assert.That(bytes, Is.EqualTo(expected));
    }

    [TestCase("")]
    [TestCase("MiB")]
    [TestCase("-5MiB")]
    [TestCase("1.5")]
    [TestCase("5 parsecs")]
    public void Bad_sizes_do_not_parse(string text) => Assert.That(SizeParser.TryParse(text, out _), Is.False);

    [TestCase("123", 123L, null)]
    [TestCase("id:9007199254740991", 9007199254740991L, null)]
    [TestCase("ext:123", null, "123")]
    [TestCase("externalId:a:b", null, "a:b")]
    [TestCase("my-file", null, "my-file")]
    public void File_references_parse(string text, long? id, string? externalId)
    {
        Assert.That(FileReference.TryParse(text, out var identifier, out var error), Is.True, error);
        Assert.That(identifier.Id, Is.EqualTo(id));
        Assert.That(identifier.ExternalId, Is.EqualTo(externalId));
    }
}
