using System.Diagnostics;

namespace Cognite.Files.SpecDiff.Tests;

/// <summary>
/// <c>bash build/spec-diff</c> as a maintainer runs it. To stay fast it points the script at the SpecDiff.dll already built
/// beside this test assembly (SPEC_DIFF_DLL, documented in the script) instead of letting it build with <c>dotnet run</c>.
/// </summary>
[TestFixture]
public sealed class EndToEndTests
{
    private sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
    }

    private static async Task<Result> RunScriptAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = Fixtures.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine("build", "spec-diff"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["SPEC_DIFF_DLL"] = Path.Combine(AppContext.BaseDirectory, "SpecDiff.dll");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start bash");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new Result(process.ExitCode, (await output).Replace("\r", "", StringComparison.Ordinal), (await error).Replace("\r", "", StringComparison.Ordinal));
    }

    private static string Fixture(string name) => Path.Combine("tests", "Cognite.Files.SpecDiff.Tests", "Fixtures", name);

    [Test]
    public async Task Unlisted_drift_exits_1_and_prints_one_line_per_difference_grouped_by_operation()
    {
        var run = await RunScriptAsync(Fixture("cognite-drift.json"), "--ours", Fixture("ours-style.yaml"), "--known", Fixture("known-drift.yaml"));

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.Error, Is.Empty, run.ToString());
        var expected = string.Join('\n',
            $"spec-diff: {Fixture("cognite-drift.json")} (Cognite's, /files operations only) against {Fixture("ours-style.yaml")}",
            "",
            "# GET /files/icon",
            "known: GET /files/icon operation: missing in ours",
            "",
            "# POST /files/search",
            "POST /files/search request search.name: maxLength: Cognite 512, ours 256",
            "",
            "# POST /files/uploadlink",
            "known: POST /files/uploadlink response (root): bare in Cognite's, wrapped in items[] in ours",
            "",
            "stale: entry 3 \"POST /files/delete operation: missing in ours\" matches no difference (not a failure; remove or correct it)",
            "",
            $"spec-diff: 3 differences: 1 not listed in {Fixture("known-drift.yaml")}, 2 known; 1 stale entry.",
            $"spec-diff: for each unlisted line, adopt Cognite's shape in {Fixture("ours-style.yaml")} or record it with a reason in {Fixture("known-drift.yaml")}.",
            "");
        Assert.That(run.Output, Is.EqualTo(expected));
    }

    [Test]
    public async Task No_unlisted_difference_exits_0()
    {
        var run = await RunScriptAsync(Fixture("cognite-style.json"), "--ours", Fixture("ours-style.yaml"), "--known", Fixture("known-drift.yaml"));

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain("spec-diff: no differences; 3 stale entries."));
    }

    [Test]
    public async Task A_missing_document_exits_2()
    {
        var run = await RunScriptAsync("no-such-document.json");

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.StartWith("error: Cognite's document: no such file: no-such-document.json"));
    }

    [Test]
    public void The_script_is_executable()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("no Unix file modes on Windows");
        }
        else
        {
            var mode = File.GetUnixFileMode(Path.Combine(Fixtures.RepoRoot, "build", "spec-diff"));

            Assert.That(mode.HasFlag(UnixFileMode.UserExecute), Is.True, "chmod +x build/spec-diff");
        }
    }
}
