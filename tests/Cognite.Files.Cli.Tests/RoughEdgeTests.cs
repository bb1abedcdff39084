using Cognite.Files.Cli.Transfers;
using Cognite.Files.Emulator;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Cli.Tests;

/// <summary>The rough edges a new user hit (issue 14), each pinned by a test.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed partial class RoughEdgeTests : CliFixture
{
    private void StallPart(int part) => Harness.StallPart(part);

    /// <summary>Starts an upload of 16 MiB + 1 in 5 MiB parts, cancels it while part 2 stalls, and returns the run and its journal.</summary>
    private async Task<(CliRun Run, string Journal, string Path)> CancelledUploadAsync(bool interactive = false, bool recordEscapes = false)
    {
        var path = Harness.CreateFile(Unique("resume") + ".bin", 16 * MiB + 1, seed: 21);
        var (run, journal) = await Harness.CancelledUploadAsync(path, [], interactive, recordEscapes);
        return (run, journal, path);
    }

    [Test]
    public async Task CtrlC_on_a_terminal_says_cancelling_on_its_own_line_and_leaves_no_frozen_bar()
    {
        var (run, _, path) = await CancelledUploadAsync(interactive: true, recordEscapes: true);
        var name = Path.GetFileName(path);

        var screen = TerminalScreen.Replay(run.Console);

        TestContext.Out.WriteLine(string.Join('\n', screen));
        Assert.That(run.Out, Is.Empty, run.ToString());
        Assert.That(run.Error, Does.Not.Contain("cancelling"), "on a terminal the line goes through the live display");
        Assert.That(screen, Has.Some.EqualTo("cancelling… (Ctrl+C again to quit at once)"), "a line of its own, not glued to a bar");
        Assert.That(screen, Has.Some.EqualTo("✘ cancelled " + name));
        Assert.That(screen, Has.None.Contain("━"), "the cancelled bar leaves the live area: nothing frozen stays");
        Assert.That(run.Error, Does.Contain("Cancelled: 1 upload can be resumed with:"));
    }

    [Test]
    public async Task A_directory_summary_counts_and_names_the_failures_and_the_total_bar_says_B()
    {
        var root = Unique("partial");
        var prefix = root + "/";
        Harness.CreateFile(Path.Combine(root, "a.txt"), 10, seed: 1);
        Harness.CreateFile(Path.Combine(root, "b.txt"), 20, seed: 2);
        var first = await Harness.RunAsync("upload", Path.Combine(Harness.Files, root), "--external-id", prefix);
        Assert.That(first.ExitCode, Is.EqualTo(0), first.ToString());
        Harness.CreateFile(Path.Combine(root, "c.txt"), 30, seed: 3);

        // a.txt and b.txt exist already (no --overwrite): two of three fail.
        var run = await Harness.RunAsync(["upload", Path.Combine(Harness.Files, root), "--external-id", prefix], interactive: true, CancellationToken.None);

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.Console, Does.Contain("Uploaded 1 of 3 files, 30 B").And.Contain("; 2 failed: a.txt, b.txt"));
        Assert.That(run.Console, Does.Not.Contain("bytes"), "B, KiB, MiB everywhere, the total bar included");
        var errors = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToList();
        Assert.That(errors, Has.Count.EqualTo(2));
        Assert.That(errors, Has.All.Contain("(use --overwrite to replace the existing file)"));
    }

    [Test]
    public async Task Json_lists_a_failed_file_with_its_error()
    {
        var externalId = Unique("jsondup");
        Assert.That((await Harness.RunAsync("upload", Harness.CreateFile(Unique("j1"), 10), "--external-id", externalId)).ExitCode, Is.EqualTo(0));

        var run = await Harness.RunAsync("upload", Harness.CreateFile(Unique("j2"), 10), "--external-id", externalId, "--json");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        var doc = JObject.Parse(run.Out.Trim());
        Assert.That((string?)doc["error"], Does.Contain("409").And.Contain("--overwrite"));
    }

    [Test]
    public async Task Resume_after_the_length_changed_says_so_and_does_not_suggest_a_resume()
    {
        var (_, journal, path) = await CancelledUploadAsync();
        File.AppendAllText(path, "more");
        var before = Harness.Emulator.Counters.UploadPutRequests;

        var run = await Harness.RunAsync("resume", journal);

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        // The library names the check; the CLI adds the command that starts anew, not the same advice again.
        Assert.That(run.Error, Does.Contain($"error: {Path.GetFileName(path)}: The file {Path.GetFileName(path)} changed since the upload began: its length is now {16 * MiB + 5} bytes, it was {16 * MiB + 1}. A resume cannot finish this upload: start a new upload (cognite-files upload {path} …)"));
        Assert.That(run.All, Does.Not.Contain("can be resumed"));
        Assert.That(run.Out, Does.Not.Contain("resume start"), "no progress for a resume that cannot run");
        Assert.That(Harness.Emulator.Counters.UploadPutRequests, Is.EqualTo(before), "nothing sent");
        Assert.That(File.Exists(journal), Is.False, "a journal that cannot finish is removed");
    }

    [Test]
    public async Task Resume_of_a_journal_of_an_older_version_says_to_start_anew_and_suggests_no_resume()
    {
        var (_, journal, path) = await CancelledUploadAsync();
        var old = JObject.Parse(File.ReadAllText(journal));
        old["version"] = 1;
        old.Remove("source");
        old["fingerprint"] = "16777217:0f1e2d3c";
        File.WriteAllText(journal, old.ToString());
        var before = Harness.Emulator.Counters.UploadPutRequests;

        var run = await Harness.RunAsync("resume", journal);
        var again = await Harness.RunAsync("resume", journal);

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        var error = run.Error.Split('\n').Single(l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.That(error, Is.EqualTo($"error: {Path.GetFileName(path)}: The upload journal '{Path.GetFileName(journal)}' cannot be used: it was written by an older version (format 1): start a new upload (cognite-files upload {path} …)"));
        Assert.That(run.All, Does.Not.Contain("can be resumed").And.Not.Contain("resume start"));
        Assert.That(Harness.Emulator.Counters.UploadPutRequests, Is.EqualTo(before), "nothing sent");
        Assert.That(File.Exists(journal) || File.Exists(JournalSidecar.PathFor(journal)), Is.False, "the journal and its sidecar are removed");
        Assert.That(again.ExitCode, Is.EqualTo(2), "a second resume finds no journal: " + again);
        Assert.That(again.Error, Does.Contain($"journal '{journal}' does not exist"));
    }

    [Test]
    public async Task Json_names_the_check_that_found_the_source_changed()
    {
        var (_, journal, path) = await CancelledUploadAsync();
        var modified = File.GetLastWriteTimeUtc(path);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            stream.Position = stream.Length - 3;
            stream.Write("end"u8);
        }

        File.SetLastWriteTimeUtc(path, modified);

        var run = await Harness.RunAsync("resume", journal, "--json");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        var doc = JObject.Parse(run.Out.Trim());
        Assert.That((string?)doc["sourceChange"], Is.EqualTo("lastMiB"));
        Assert.That((string?)doc["error"], Does.Contain("the content of its last MiB differs"));
        Assert.That((long)doc["bytesSent"]!, Is.EqualTo(0));
    }

    [Test]
    public async Task An_upload_refuses_a_journal_path_that_holds_another_uploads_journal()
    {
        var (_, journal, _) = await CancelledUploadAsync();
        var sidecar = File.ReadAllText(JournalSidecar.PathFor(journal));
        var requests = Harness.Emulator.Counters.ApiRequests;

        var run = await Harness.RunAsync("upload", Harness.CreateFile(Unique("other") + ".bin", 100), "--journal", journal);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain($"it is the journal of another upload (resume it with 'cognite-files resume {journal}'), or give another --journal"));
        Assert.That(File.ReadAllText(JournalSidecar.PathFor(journal)), Is.EqualTo(sidecar), "the sidecar is the other upload's still");
        Assert.That(Harness.Emulator.Counters.ApiRequests, Is.EqualTo(requests), "no request");
        Assert.That((await Harness.RunAsync("resume", journal)).ExitCode, Is.EqualTo(0), "the other upload can still be resumed");
    }

    [Test]
    public async Task Resume_after_an_edit_of_the_first_MiB_with_the_time_restored_names_that_check()
    {
        var (_, journal, path) = await CancelledUploadAsync();
        var modified = File.GetLastWriteTimeUtc(path);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            stream.Write("edited"u8);
        }

        File.SetLastWriteTimeUtc(path, modified);

        var run = await Harness.RunAsync("resume", journal);

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.Error, Does.Contain("changed since the upload began: the content of its first MiB differs (same length and modification time). A resume cannot finish this upload: start a new upload (cognite-files upload "));
        Assert.That(run.All, Does.Not.Contain("can be resumed"));
    }

    [Test]
    public async Task Resume_after_a_touch_names_the_modification_time()
    {
        var (_, journal, path) = await CancelledUploadAsync();
        File.SetLastWriteTimeUtc(path, File.GetLastWriteTimeUtc(path).AddMinutes(1));

        var run = await Harness.RunAsync("resume", journal);

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.Error, Does.Contain("changed since the upload began: its modification time is now").And.Contain("(same length). A resume cannot finish this upload: start a new upload (cognite-files upload "));
        Assert.That(run.All, Does.Not.Contain("can be resumed"));
    }

    [Test]
    public async Task Resume_of_an_upload_whose_file_was_deleted_says_it_no_longer_exists()
    {
        var (_, journal, _) = await CancelledUploadAsync();
        var fileId = (long)JObject.Parse(File.ReadAllText(journal))["fileId"]!;
        Assert.That((await Harness.RunAsync("rm", "id:" + fileId)).ExitCode, Is.EqualTo(0));

        var run = await Harness.RunAsync("resume", journal);

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        var error = run.Error.Split('\n').Single(l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.That(error, Does.Contain("The upload no longer exists in CDF (was the file deleted?): a resume cannot finish it, start a new upload (cognite-files upload "));
        Assert.That(error.Split("no longer exists").Length - 1, Is.EqualTo(1), "the library's advice, said once: " + error);
        Assert.That(run.All, Does.Not.Contain("can be resumed"));
        Assert.That(run.Out, Does.Not.Contain("% ("), "no progress it did not make");
    }

    [Test]
    public async Task A_second_resume_of_the_same_journal_fails_fast_while_the_first_runs()
    {
        var (_, journal, path) = await CancelledUploadAsync();
        var uploadId = (string)JObject.Parse(File.ReadAllText(journal))["uploadId"]!;
        // The first resume stalls on part 3 (its first attempt), so it holds the journal while the second one starts.
        StallPart(3);
        var faultsBefore = Harness.Emulator.Counters.FaultsInjected;
        using var cts = new CancellationTokenSource();
        var first = Harness.RunAsync(["resume", journal, "--concurrency", "1"], interactive: false, cts.Token);
        await Task.WhenAny(Harness.Emulator.Counters.WaitForAsync(c => c.FaultsInjected > faultsBefore, cts.Token), first);
        var puts = Harness.Emulator.Counters.ForUpload(uploadId)!.PutsByPartIndex.Values.Sum();

        var second = await Harness.RunAsync("resume", journal);

        Assert.That(second.ExitCode, Is.EqualTo(1), second.ToString());
        Assert.That(second.Error, Does.Contain($"error: resume.bin: another cognite-files run is using the journal '{journal}' (it is locked): wait for it to finish, or end it first".Replace("resume.bin", Path.GetFileName(path), StringComparison.Ordinal)));
        Assert.That(second.All, Does.Not.Contain("can be resumed"), "the journal is the other run's");
        Assert.That(second.Out, Does.Not.Contain("resume start"), "no bar for a resume that did not run");
        Assert.That(File.Exists(journal) && File.Exists(JournalSidecar.PathFor(journal)), Is.True, "the journal and its sidecar stay, as the first run uses them");
        Assert.That(Harness.Emulator.Counters.ForUpload(uploadId)!.PutsByPartIndex.Values.Sum(), Is.EqualTo(puts), "the second resume sent nothing");
        await cts.CancelAsync();
        Assert.That((await first).ExitCode, Is.EqualTo(130));
        Harness.Emulator.Faults.Clear();

        var finish = await Harness.RunAsync("resume", journal);
        Assert.That(finish.ExitCode, Is.EqualTo(0), "the lock is released when a run ends: " + finish);
        Assert.That(File.Exists(Path.Combine(Path.GetDirectoryName(journal)!, "." + Path.GetFileName(journal) + ".lock")), Is.False, "the library's lock file goes with the run");
        Assert.That(finish.Out, Does.Contain(CliHarness.Checksum(path) + ")"));
    }

    [Test]
    public async Task A_failed_download_prints_its_error_once_and_a_successful_one_one_success_line()
    {
        var destination = Path.Combine(Harness.Root, Unique("dl") + ".bin");

        var failed = await Harness.RunAsync("download", "id:424242", destination);

        Assert.That(failed.ExitCode, Is.EqualTo(1), failed.ToString());
        Assert.That(failed.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1), failed.ToString());
        Assert.That(failed.Out, Does.Not.Contain("Missing"), "the error is printed once, on stderr");

        var path = Harness.CreateFile(Unique("ok") + ".bin", 1000);
        var upload = await Harness.RunAsync("upload", path, "--json");
        var id = (long)JObject.Parse(upload.Out)["id"]!;
        var ok = await Harness.RunAsync("download", "id:" + id, destination);
        Assert.That(ok.ExitCode, Is.EqualTo(0), ok.ToString());
        Assert.That(ok.Out.Split('\n').Count(l => l.Contains("ownloaded", StringComparison.Ordinal)), Is.EqualTo(1), ok.ToString());

        var tty = await Harness.RunAsync(["download", "id:" + id, destination, "--overwrite"], interactive: true, CancellationToken.None);
        Assert.That(tty.ExitCode, Is.EqualTo(0), tty.ToString());
        Assert.That(TerminalScreenLines(tty).Count(l => l.Contains("ownloaded", StringComparison.Ordinal)), Is.EqualTo(1), tty.ToString());
    }

    private static string[] TerminalScreenLines(CliRun run) => run.Console.Split('\n');

    [Test]
    public async Task Help_has_placeholders_prints_defaults_once_and_keeps_config_off_the_emulator()
    {
        var upload = await Harness.RunAsync("upload", "--help");
        var ls = await Harness.RunAsync("ls", "--help");
        var emulator = await Harness.RunAsync("emulator", "--help");

        Assert.That(upload.Out, Does.Contain("Default 64MiB").And.Not.Contain("[default:"));
        Assert.That(ls.Out, Does.Contain("--uploaded <true|false>").And.Contain("--sort <key>").And.Not.Contain("[default:"));
        Assert.That(emulator.Out, Does.Not.Contain("--config"));
        Assert.That(upload.Out, Does.Contain("--config <path>"));
    }

    [Test]
    public async Task A_partial_config_file_is_reported_with_the_files_keys()
    {
        var config = Path.Combine(Harness.Root, Unique("partial") + ".json");
        File.WriteAllText(config, """{ "project": "p" }""");

        var run = await Harness.RunAsync(["ls", "--config", config], interactive: false, CancellationToken.None, new Dictionary<string, string?> { ["COGNITE_FILES_HOME"] = Harness.Home });

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain($"incomplete CDF configuration in '{config}': missing \"baseUrl\" or \"cluster\"").And.Contain("\"token\", or \"clientId\""));
    }

    [Test]
    public async Task Ls_is_an_aligned_table_on_a_terminal_and_tsv_when_piped_sorted_by_the_key_asked_for()
    {
        var directory = "/" + Unique("sorted");
        var ids = new List<long>();
        foreach (var (name, size) in new[] { ("b.txt", 300), ("c.txt", 100), ("a.txt", 200) })
        {
            var path = Path.Combine(Harness.Root, Unique("src"), name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, new byte[size]);
            var run = await Harness.RunAsync("upload", path, "--directory", directory, "--json");
            ids.Add((long)JObject.Parse(run.Out)["id"]!);
        }

        var byName = await Harness.RunAsync("ls", "--directory-prefix", directory);
        var byIdReversed = await Harness.RunAsync("ls", "--directory-prefix", directory, "--sort", "id", "--reverse");
        var table = await Harness.RunAsync(["ls", "--directory-prefix", directory], interactive: true, CancellationToken.None);
        var json = await Harness.RunAsync("ls", "--directory-prefix", directory, "--sort", "name", "--json");
        var bad = await Harness.RunAsync("ls", "--sort", "colour");

        var rows = byName.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(rows[0], Is.EqualTo("name\tsize\tuploaded\tid\texternalId\tdirectory"));
        Assert.That(rows.Skip(1).Select(r => r.Split('\t')[0]), Is.EqualTo(new[] { "a.txt", "b.txt", "c.txt" }));
        Assert.That(rows.Skip(1).All(r => r.Split('\t').Length == 6 && r.EndsWith("\t" + directory, StringComparison.Ordinal)), Is.True);
        Assert.That(byIdReversed.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(r => long.Parse(r.Split('\t')[3], System.Globalization.CultureInfo.InvariantCulture)), Is.EqualTo(ids.OrderDescending()));
        Assert.That(json.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (string?)JObject.Parse(l)["name"]), Is.EqualTo(new[] { "a.txt", "b.txt", "c.txt" }));
        Assert.That(bad.ExitCode, Is.EqualTo(2), bad.ToString());

        var lines = table.Console.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
        var header = lines.Single(l => l.Contains("external id", StringComparison.Ordinal));
        Assert.That(header, Does.Contain("name").And.Contain("size").And.Contain("uploaded").And.Contain("id").And.Contain("directory"));
        var dataRows = lines.Where(l => l.Contains(directory, StringComparison.Ordinal)).ToList();
        Assert.That(dataRows, Has.Count.EqualTo(3));
        Assert.That(dataRows.Select(r => r.IndexOf(directory, StringComparison.Ordinal)).Distinct().Count(), Is.EqualTo(1), "columns are aligned");
        Assert.That(dataRows[0], Does.Contain("a.txt"));
    }

    [Test]
    public void Error_lines_carry_no_exception_type_names_and_no_parameter_suffixes()
    {
        Assert.That(CliErrors.Describe(new NotSupportedException("that is not supported")).Message, Is.EqualTo("that is not supported"));
        Assert.That(CliErrors.Describe(new ArgumentException("BaseUrl must be the CDF root", "BaseUrl")).Message, Is.EqualTo("BaseUrl must be the CDF root"));
    }

    [Test]
    public async Task A_base_url_with_the_api_path_is_a_usage_error_without_a_parameter_suffix()
    {
        var env = new Dictionary<string, string?>(Harness.Environment) { ["COGNITE_BASE_URL"] = Harness.Emulator.ApiBaseUrl.ToString() };

        var run = await Harness.RunAsync(["ls"], interactive: false, CancellationToken.None, env);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.StartWith("error: BaseUrl must be the CDF root").And.Not.Contain("(Parameter"));
    }

    [Test]
    public async Task An_unreachable_base_url_names_the_host()
    {
        var env = new Dictionary<string, string?>(Harness.Environment) { ["COGNITE_BASE_URL"] = "http://127.0.0.1:9" };

        var run = await Harness.RunAsync(["info", "1"], interactive: false, CancellationToken.None, env);

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.Error, Does.StartWith("error: cannot reach CDF at 127.0.0.1:9"));
    }
}
