using System.Text.RegularExpressions;
using Cognite.Files.Transfer;
using Cognite.Files.Emulator;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Cli.Tests;

[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed partial class CommandTests : CliFixture
{
    private static long ParseId(CliRun run)
    {
        var match = IdPattern().Match(run.All);
        Assert.That(match.Success, Is.True, run.ToString());
        return long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"→ id (\d+)")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"journal: (\S+)")]
    private static partial Regex JournalPattern();

    [Test]
    public async Task Upload_of_a_multipart_file_is_byte_exact_prints_its_journal_and_removes_it_after_success()
    {
        var path = Harness.CreateFile(Unique("big") + ".bin", 11 * MiB + 123, seed: 7);
        var externalId = Unique("ext");

        var run = await Harness.RunAsync("upload", path, "--external-id", externalId, "--part-size", "5MiB", "--directory", "/tests");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var id = ParseId(run);
        Assert.That(await Harness.Emulator.GetContentSha256Async(id), Is.EqualTo(CliHarness.Sha256(path)));
        Assert.That(run.Out, Does.Contain("3 parts"));
        Assert.That(run.Out, Does.Contain("Uploaded 1 file, 11.0 MiB"));
        var journal = JournalPattern().Match(run.Error).Groups[1].Value;
        Assert.That(journal, Does.StartWith(Harness.Home));
        Assert.That(File.Exists(journal), Is.False, "the journal is deleted after success");
        Assert.That(File.Exists(journal + ".cli.json"), Is.False, "and so is the CLI's sidecar");

        var info = await Harness.RunAsync("info", "ext:" + externalId);
        Assert.That(info.ExitCode, Is.EqualTo(0), info.ToString());
        Assert.That(info.Out, Does.Contain("uploaded: yes").And.Contain("directory: /tests").And.Contain($"id: {id}"));
    }

    [Test]
    public async Task Upload_of_a_directory_is_recursive_with_directories_and_external_id_prefix()
    {
        var root = Unique("tree");
        Harness.CreateFile(Path.Combine(root, "a.txt"), 10, seed: 1);
        Harness.CreateFile(Path.Combine(root, "sub", "b.txt"), 20, seed: 2);
        Harness.CreateFile(Path.Combine(root, "sub", "deeper", "c.bin"), 6 * MiB, seed: 3);

        var run = await Harness.RunAsync("upload", Path.Combine(Harness.Files, root), "--external-id", root + "/", "--part-size", "5MiB");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Does.Contain("Uploaded 3 files"));
        var ls = await Harness.RunAsync("ls", "--directory-prefix", "/" + root, "--json");
        Assert.That(ls.ExitCode, Is.EqualTo(0), ls.ToString());
        var files = ls.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(JObject.Parse).ToList();
        Assert.That(files.Select(f => (string?)f["externalId"]), Is.EquivalentTo(new[] { root + "/a.txt", root + "/sub/b.txt", root + "/sub/deeper/c.bin" }));
        Assert.That(files.Select(f => (string?)f["directory"]), Is.EquivalentTo(new[] { "/" + root, "/" + root + "/sub", "/" + root + "/sub/deeper" }));
        Assert.That(files.All(f => (bool?)f["uploaded"] == true), Is.True);
    }

    [Test]
    public async Task Upload_to_an_existing_file_replaces_its_content()
    {
        var externalId = Unique("existing");
        var first = Harness.CreateFile(Unique("first"), 1000, seed: 1);
        var second = Harness.CreateFile(Unique("second"), 7 * MiB, seed: 2);
        var created = await Harness.RunAsync("upload", first, "--external-id", externalId);
        Assert.That(created.ExitCode, Is.EqualTo(0), created.ToString());
        var id = ParseId(created);

        var run = await Harness.RunAsync("upload", "--to", externalId, second, "--part-size", "5MiB");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(ParseId(run), Is.EqualTo(id));
        Assert.That(await Harness.Emulator.GetContentSha256Async(id), Is.EqualTo(CliHarness.Sha256(second)));
    }

    [Test]
    public async Task Download_is_byte_exact_and_refuses_to_overwrite_without_the_flag()
    {
        var path = Harness.CreateFile(Unique("dl") + ".bin", 6 * MiB + 5, seed: 11);
        var id = ParseId(await Harness.RunAsync("upload", path, "--part-size", "5MiB"));
        var destination = Path.Combine(Harness.Root, Unique("out") + ".bin");

        var run = await Harness.RunAsync("download", id.ToString(System.Globalization.CultureInfo.InvariantCulture), destination);

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(File.ReadAllBytes(destination), Is.EqualTo(File.ReadAllBytes(path)));
        Assert.That(run.Out, Does.Contain("checksum " + CliHarness.Checksum(path)));

        var again = await Harness.RunAsync("download", "id:" + id, destination);
        Assert.That(again.ExitCode, Is.EqualTo(2), again.ToString());
        Assert.That(again.Error, Does.Contain("already exists (use --overwrite"));

        var json = await Harness.RunAsync("download", "id:" + id, destination, "--overwrite", "--json");
        Assert.That(json.ExitCode, Is.EqualTo(0), json.ToString());
        Assert.That((string?)JObject.Parse(json.Out)["checksum"], Is.EqualTo(CliHarness.Checksum(path)));
    }

    [Test]
    public async Task Ls_info_and_rm_work_together_and_rm_of_an_unknown_file_fails_with_the_request_id()
    {
        var directory = "/" + Unique("lsdir");
        var a = ParseId(await Harness.RunAsync("upload", Harness.CreateFile(Unique("a"), 10), "--directory", directory));
        var b = ParseId(await Harness.RunAsync("upload", Harness.CreateFile(Unique("b"), 10), "--directory", directory));

        var ls = await Harness.RunAsync("ls", "--directory-prefix", directory);
        Assert.That(ls.ExitCode, Is.EqualTo(0), ls.ToString());
        Assert.That(ls.Out, Does.StartWith("name\tsize\tuploaded\tid\texternalId\tdirectory\n"));
        Assert.That(ls.Out, Does.Contain(a.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(ls.Error.Trim(), Is.EqualTo("2 files"), "the count is a notice: stdout stays TSV");

        var limited = await Harness.RunAsync("ls", "--directory-prefix", directory, "--limit", "1", "--json");
        Assert.That(limited.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1));

        var rm = await Harness.RunAsync("rm", a.ToString(System.Globalization.CultureInfo.InvariantCulture), "id:" + b);
        Assert.That(rm.ExitCode, Is.EqualTo(0), rm.ToString());
        Assert.That(rm.Out, Does.Contain($"deleted id {a}").And.Contain($"deleted id {b}"));

        var empty = await Harness.RunAsync("ls", "--directory-prefix", directory, "--json");
        Assert.That(empty.Out, Is.Empty);

        var missing = await Harness.RunAsync("rm", "id:" + a);
        Assert.That(missing.ExitCode, Is.EqualTo(1), missing.ToString());
        var lines = missing.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), missing.ToString());
        Assert.That(lines[0], Does.StartWith("error: ").And.Match(@"\(request id emu-[0-9a-f]+-[0-9a-f]+\)\s*$"));

        var info = await Harness.RunAsync("info", "ext:" + Unique("nope"));
        Assert.That(info.ExitCode, Is.EqualTo(1), info.ToString());
        Assert.That(info.Error, Does.StartWith("error: ").And.Contain("request id"));
    }

    [Test]
    public async Task Cancel_mid_upload_leaves_a_journal_and_resume_sends_only_the_missing_parts()
    {
        var path = Harness.CreateFile(Unique("resume") + ".bin", 16 * MiB + 1, seed: 21);
        var sha = CliHarness.Sha256(path);
        // Part 2 stalls (the server stops reading) on its first attempt, so parts 0 and 1 are done when we cancel.
        var (cancelled, journal) = await Harness.CancelledUploadAsync(path, []);

        Assert.That(File.Exists(journal), Is.True, cancelled.ToString());
        Assert.That(cancelled.Error, Does.Contain("journal: " + journal), "the journal path is printed before the upload starts");
        Assert.That(cancelled.Error, Does.Contain("cancelling… (Ctrl+C again to quit at once)"));
        var uploadId = (string)JObject.Parse(File.ReadAllText(journal))["uploadId"]!;

        var resumed = await Harness.RunAsync("resume", journal);

        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.ToString());
        Assert.That(resumed.Out, Does.Contain("2 already done, 6.0 MiB sent"));
        Assert.That(resumed.Out, Does.Contain("10.0 MiB sent before, 6.0 MiB to send"), "the resume's progress counts only what it sends");
        Assert.That(resumed.Out, Does.Contain("Resumed 1 file, 16.0 MiB (6.0 MiB sent now, 10.0 MiB before)"));
        var id = ParseId(resumed);
        Assert.That(await Harness.Emulator.GetContentSha256Async(id), Is.EqualTo(sha));
        var puts = Harness.Emulator.Counters.ForUpload(uploadId)!.PutsByPartIndex;
        Assert.That(puts[0], Is.EqualTo(1), "part 0 was not sent again");
        Assert.That(puts[1], Is.EqualTo(1), "part 1 was not sent again");
        Assert.That(puts[2], Is.EqualTo(2), "part 2: the stalled attempt and the resumed one");
        Assert.That(puts[3], Is.EqualTo(1));
        Assert.That(File.Exists(journal), Is.False);

        var again = await Harness.RunAsync("resume", journal);
        Assert.That(again.ExitCode, Is.EqualTo(2), again.ToString());
        Assert.That(again.Error, Does.Contain("does not exist"));
    }

    [Test]
    public async Task A_failed_upload_exits_1_with_one_error_line_per_file_and_the_request_id()
    {
        var path = Harness.CreateFile(Unique("fail"), 100);

        var missing = await Harness.RunAsync("upload", "--to", "ext:" + Unique("no-such-file"), path);

        Assert.That(missing.ExitCode, Is.EqualTo(1), missing.ToString());
        var lines = missing.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), missing.ToString());
        Assert.That(lines[0], Does.StartWith("error: " + Path.GetFileName(path) + ": ").And.Contain("request id emu-"));
        Assert.That(missing.All, Does.Not.Contain("resume"), "nothing was started, so there is nothing to resume");
        var journals = Path.Combine(Harness.Home, "journals");
        Assert.That(Directory.Exists(journals) ? Directory.GetFiles(journals, "*" + Path.GetFileName(path) + "*") : [], Is.Empty, "no stale journal or sidecar");
    }

    [Test]
    public async Task A_duplicate_external_id_fails_without_overwrite_and_succeeds_with_it()
    {
        var externalId = Unique("dup");
        var first = ParseId(await Harness.RunAsync("upload", Harness.CreateFile(Unique("d1"), 10, seed: 1), "--external-id", externalId));
        var replacement = Harness.CreateFile(Unique("d2"), 20, seed: 2);

        var conflict = await Harness.RunAsync("upload", replacement, "--external-id", externalId);
        Assert.That(conflict.ExitCode, Is.EqualTo(1), conflict.ToString());
        Assert.That(conflict.Error, Does.Contain("409").And.Contain("(use --overwrite to replace the existing file)"));

        var overwrite = await Harness.RunAsync("upload", replacement, "--external-id", externalId, "--overwrite");
        Assert.That(overwrite.ExitCode, Is.EqualTo(0), overwrite.ToString());
        Assert.That(ParseId(overwrite), Is.EqualTo(first));
        Assert.That(await Harness.Emulator.GetContentSha256Async(first), Is.EqualTo(CliHarness.Sha256(replacement)));

        var info = await Harness.RunAsync("info", "ext:" + externalId, "--json");
        Assert.That((long?)JObject.Parse(info.Out)["id"], Is.EqualTo(first));
    }

    [Test]
    public async Task Json_upload_prints_one_document_per_file_and_notices_go_to_stderr()
    {
        var root = Unique("jsontree");
        Harness.CreateFile(Path.Combine(root, "x.bin"), 100, seed: 1);
        Harness.CreateFile(Path.Combine(root, "y.bin"), 200, seed: 2);

        var run = await Harness.RunAsync("upload", Path.Combine(Harness.Files, root), "--json");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var docs = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(JObject.Parse).ToList();
        Assert.That(docs.Select(d => (long)d["bytes"]!), Is.EquivalentTo(new[] { 100L, 200L }));
        Assert.That(docs.All(d => ContentChecksum.TryParse((string?)d["checksum"], out _) && (long)d["id"]! > 0), Is.True);
        // Files that fit in one part go as one PUT: nothing to journal, so no journal notice (notices go to stderr).
        Assert.That(run.Error, Does.Not.Contain("journal"));
        Assert.That(run.Out, Does.Not.Contain("journal"));
    }

    [Test]
    public async Task Plain_output_when_not_a_terminal_has_start_progress_and_finish_lines_and_no_escape_codes()
    {
        var path = Harness.CreateFile(Unique("plain") + ".bin", 11 * MiB, seed: 5);

        var run = await Harness.RunAsync("upload", path, "--part-size", "5MiB", "--concurrency", "1");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Console, Is.Empty, "nothing goes to the terminal renderer");
        Assert.That(run.Out, Does.Not.Contain("\u001b["));
        var name = Path.GetFileName(path);
        Assert.That(run.Out, Does.Contain($"upload start: {name} (11.0 MiB)"));
        Assert.That(run.Out, Does.Contain($"uploaded {name} → id "));
        // Progress lines (at most one per 10 %, from reports the library coalesces to ~10 a second) only go up.
        var percents = run.Out.Split('\n').Where(l => l.StartsWith($"upload: {name} ", StringComparison.Ordinal))
            .Select(l => int.Parse(l[($"upload: {name} ".Length)..].Split('%')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.That(percents, Is.Ordered.Ascending.And.Unique);
        Assert.That(percents, Has.All.InRange(10, 100));
    }

    [Test]
    public async Task Interactive_output_shows_a_progress_bar_for_one_file()
    {
        var path = Harness.CreateFile(Unique("tty") + ".bin", 6 * MiB, seed: 6);

        var run = await Harness.RunAsync(["upload", path, "--part-size", "5MiB"], interactive: true, CancellationToken.None);

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Is.Empty, "a terminal gets everything through Spectre");
        Assert.That(run.Console, Does.Contain("✔ uploaded " + Path.GetFileName(path)).And.Contain("Uploaded 1 file"));
        Assert.That(run.Console, Does.Contain("━").And.Contain("100%"), "a progress bar was drawn and ended full");
    }

    [Test]
    public async Task Interactive_output_shows_a_total_bar_for_several_files()
    {
        var root = Unique("ttytree");
        Harness.CreateFile(Path.Combine(root, "a.bin"), 3 * MiB, seed: 1);
        Harness.CreateFile(Path.Combine(root, "b.bin"), 2 * MiB, seed: 2);

        var run = await Harness.RunAsync(["upload", Path.Combine(Harness.Files, root)], interactive: true, CancellationToken.None);

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Console, Does.Contain("upload total (2 files)").And.Contain("✔ uploaded a.bin").And.Contain("✔ uploaded b.bin"));
        Assert.That(run.Console, Does.Contain("Uploaded 2 files, 5.0 MiB"));
    }

    [Test]
    public async Task Interactive_ls_and_info_render_a_table_and_a_grid()
    {
        var directory = "/" + Unique("tablels");
        var id = ParseId(await Harness.RunAsync("upload", Harness.CreateFile(Unique("t"), 10), "--directory", directory, "--external-id", Unique("tx")));

        var ls = await Harness.RunAsync(["ls", "--directory-prefix", directory], interactive: true, CancellationToken.None);
        var info = await Harness.RunAsync(["info", id.ToString(System.Globalization.CultureInfo.InvariantCulture)], interactive: true, CancellationToken.None);

        Assert.That(ls.ExitCode, Is.EqualTo(0), ls.ToString());
        Assert.That(ls.Console, Does.Contain("external id").And.Contain(id.ToString(System.Globalization.CultureInfo.InvariantCulture)).And.Contain("1 file"));
        Assert.That(info.Console, Does.Contain("uploaded").And.Contain("yes").And.Contain(directory));
    }

    [Test]
    public async Task Demo_against_a_configured_project_round_trips_byte_exact_and_deletes_its_file()
    {
        var before = Directory.GetDirectories(Path.GetTempPath(), "cognite-files-demo-*").Length;

        var run = await Harness.RunAsync("demo", "--size", "11MiB", "--part-size", "5MiB");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Error, Does.Contain("Using project emulator at 127.0.0.1"), "a notice: stderr");
        Assert.That(run.Out, Does.Not.Contain("Using "));
        Assert.That(run.Out, Does.Contain("OK byte-exact: 11.0 MiB round-tripped"));
        Assert.That(run.Out, Does.Contain("3 parts"));
        Assert.That(run.Out, Does.Contain("deleted the demo file"));
        Assert.That(run.Out, Does.Not.Contain("emulator   sha256"), "CDF does not expose content hashes");
        Assert.That(Directory.GetDirectories(Path.GetTempPath(), "cognite-files-demo-*"), Has.Length.EqualTo(before));
    }

    [Test]
    public async Task Demo_without_configuration_uses_an_embedded_emulator_and_cleans_up()
    {
        var before = Directory.GetDirectories(Path.GetTempPath(), "cognite-files-demo-*").Length;
        var saved = new Dictionary<string, string?>(Harness.Environment);
        foreach (var key in new[] { "COGNITE_BASE_URL", "COGNITE_PROJECT", "COGNITE_TOKEN" })
        {
            Harness.Environment[key] = null;
        }

        CliRun run;
        try
        {
            run = await Harness.RunAsync("demo", "--size", "11MiB", "--part-size", "5MiB");
        }
        finally
        {
            foreach (var (key, value) in saved)
            {
                Harness.Environment[key] = value;
            }
        }

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Error, Does.Contain("Using an embedded emulator at http://127.0.0.1:").And.Contain("no CDF configuration found"), "a notice: stderr");
        Assert.That(run.Out, Does.Not.Contain("Using "));
        Assert.That(run.Out, Does.Contain("emulator   sha256"));
        Assert.That(run.Out, Does.Contain("OK byte-exact: 11.0 MiB round-tripped"));
        Assert.That(Directory.GetDirectories(Path.GetTempPath(), "cognite-files-demo-*"), Has.Length.EqualTo(before));
    }
}
