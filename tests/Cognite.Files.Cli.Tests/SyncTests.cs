using Cognite.Files.Transfer;
using Cognite.Files.Emulator;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Cli.Tests;

/// <summary><c>sync &lt;local-dir&gt;</c>: plan, upload what is new or changed, delete what is gone, resume by re-running.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class SyncTests : CliFixture
{
    private (string Local, string Cdf) Tree(params (string Path, int Size)[] files)
    {
        var name = Unique("sync");
        foreach (var (path, size) in files)
        {
            Harness.CreateFile(Path.Combine(name, path), size, seed: path.Length + size);
        }

        return (Path.Combine(Harness.Files, name), "/" + name);
    }

    private static List<JObject> Lines(CliRun run) => run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(JObject.Parse).ToList();

    [Test]
    public async Task A_second_run_sends_nothing_a_touched_file_is_unchanged_by_its_stored_checksum_and_an_edited_one_is_uploaded_again()
    {
        var (local, cdf) = Tree(("a.txt", 10), ("sub/b.txt", 20));

        var first = await Harness.RunAsync("sync", local);

        Assert.That(first.ExitCode, Is.EqualTo(0), first.ToString());
        Assert.That(first.Out, Does.Contain("Plan: 2 new, 0 changed, 0 unchanged, 0 extra").And.Contain("Uploaded 2 files"));
        var info = JObject.Parse((await Harness.RunAsync("info", "ext:" + cdf + "/sub/b.txt", "--json")).Out);
        Assert.That((string?)info["directory"], Is.EqualTo(cdf + "/sub"));
        Assert.That((long?)info["sourceModifiedTime"], Is.EqualTo(new DateTimeOffset(File.GetLastWriteTimeUtc(Path.Combine(local, "sub", "b.txt"))).ToUnixTimeMilliseconds()));
        Assert.That((string?)info["metadata"]![ContentChecksum.MetadataKey], Is.EqualTo(ContentChecksum.FormatMetadataValue(CliHarness.Checksum(Path.Combine(local, "sub", "b.txt")), 20)), "sync stores the checksum of what it uploads");

        var puts = Harness.Emulator.Counters.UploadPutRequests;
        var second = await Harness.RunAsync("sync", local);
        Assert.That(second.ExitCode, Is.EqualTo(0), second.ToString());
        Assert.That(second.Out, Does.Contain("Plan: 0 new, 0 changed, 2 unchanged, 0 extra").And.Contain("Nothing to upload"));
        Assert.That(Harness.Emulator.Counters.UploadPutRequests, Is.EqualTo(puts));

        // Touched, same content: the stored checksum says unchanged, whatever the time.
        File.SetLastWriteTimeUtc(Path.Combine(local, "a.txt"), DateTime.UtcNow.AddMinutes(5));
        var third = await Harness.RunAsync("sync", local, "--dry-run");
        Assert.That(third.Out, Does.Contain("unchanged a.txt (same length and checksum)").And.Contain("Plan: 0 new, 0 changed, 2 unchanged, 0 extra"));

        // Edited in place, same length and modification time: the checksum says changed.
        var modified = File.GetLastWriteTimeUtc(Path.Combine(local, "a.txt"));
        File.WriteAllText(Path.Combine(local, "a.txt"), "0123456789");
        File.SetLastWriteTimeUtc(Path.Combine(local, "a.txt"), modified);
        var fourth = await Harness.RunAsync("sync", local);
        Assert.That(fourth.ExitCode, Is.EqualTo(0), fourth.ToString());
        Assert.That(fourth.Out, Does.Contain("changed   a.txt (checksum differs (same length))").And.Contain("Plan: 0 new, 1 changed, 1 unchanged, 0 extra"));
        Assert.That(Harness.Emulator.Counters.UploadPutRequests, Is.EqualTo(puts + 1));
    }

    [Test]
    public async Task A_file_uploaded_without_a_stored_checksum_is_compared_by_modification_time()
    {
        var (local, cdf) = Tree(("t.txt", 10));
        var path = Path.Combine(local, "t.txt");
        var modified = new DateTimeOffset(File.GetLastWriteTimeUtc(path)).ToUnixTimeMilliseconds();
        using (var client = Harness.CreateClient())
        {
            await client.UploadAsync(new Cognite.Files.Models.FileCreate { Name = "t.txt", Directory = cdf, ExternalId = cdf + "/t.txt", SourceModifiedTime = modified }, path);
        }

        var same = await Harness.RunAsync("sync", local, "--dry-run");
        File.SetLastWriteTimeUtc(path, File.GetLastWriteTimeUtc(path).AddMinutes(5));
        var touched = await Harness.RunAsync("sync", local, "--dry-run");

        Assert.That(same.Out, Does.Contain("unchanged t.txt (same modification time (no stored checksum))"));
        Assert.That(touched.Out, Does.Contain("changed   t.txt (modification time differs"));
    }

    [Test]
    public async Task A_stored_checksum_decides_by_length_then_checksum()
    {
        var (local, cdf) = Tree(("same.bin", 100), ("edited.bin", 100), ("longer.bin", 100));
        foreach (var name in new[] { "same.bin", "edited.bin", "longer.bin" })
        {
            await Harness.UploadWithStoredChecksumAsync(name, cdf, File.ReadAllBytes(Path.Combine(local, name)), externalId: cdf + "/" + name);
        }

        var edited = File.ReadAllBytes(Path.Combine(local, "edited.bin"));
        edited[0] ^= 1;
        File.WriteAllBytes(Path.Combine(local, "edited.bin"), edited);
        File.AppendAllText(Path.Combine(local, "longer.bin"), "x");

        var run = await Harness.RunAsync("sync", local, "--dry-run", "--json");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var plan = Lines(run).ToDictionary(l => (string)l["path"]!);
        Assert.That((string?)plan["same.bin"]["plan"], Is.EqualTo("unchanged"));
        Assert.That((string?)plan["same.bin"]["reason"], Is.EqualTo("same length and checksum"));
        Assert.That((string?)plan["edited.bin"]["reason"], Is.EqualTo("checksum differs (same length)"));
        Assert.That((string?)plan["longer.bin"]["reason"], Is.EqualTo("length differs (101 bytes here, 100 in CDF)"));
    }

    [Test]
    public async Task Dry_run_prints_the_plan_and_sends_nothing()
    {
        var (local, cdf) = Tree(("keep.txt", 10), ("new.txt", 10));
        Assert.That((await Harness.RunAsync("sync", local, "--include", "keep.txt")).ExitCode, Is.EqualTo(0));
        await Harness.UploadWithStoredChecksumAsync("gone.txt", cdf, [1, 2, 3], externalId: cdf + "/gone.txt");
        var puts = Harness.Emulator.Counters.UploadPutRequests;
        var api = Harness.Emulator.Counters.ApiRequests;

        var run = await Harness.RunAsync("sync", local, "--dry-run", "--delete");
        var json = await Harness.RunAsync("sync", local, "--dry-run", "--json");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Does.Contain("new       new.txt (10 B)").And.Contain("unchanged keep.txt").And.Contain("extra     gone.txt (id ").And.Contain("Plan: 1 new, 0 changed, 1 unchanged, 1 extra"));
        Assert.That(run.Error, Does.Contain("dry run: nothing was sent or deleted"));
        Assert.That(Harness.Emulator.Counters.UploadPutRequests, Is.EqualTo(puts));
        Assert.That(Harness.Emulator.Counters.ApiRequests - api, Is.EqualTo(2), "one listing per run, nothing else");
        Assert.That(Lines(json).Select(l => (string?)l["plan"]).Order(), Is.EqualTo(new[] { "extra", "new", "unchanged" }));
    }

    [Test]
    public async Task Delete_needs_yes_without_a_terminal_asks_on_one_and_spares_what_the_filters_leave_out()
    {
        var (local, cdf) = Tree(("a.txt", 10));
        Assert.That((await Harness.RunAsync("sync", local)).ExitCode, Is.EqualTo(0));
        var gone = await Harness.UploadWithStoredChecksumAsync("gone.txt", cdf, [1], externalId: cdf + "/gone.txt");
        var skipped = await Harness.UploadWithStoredChecksumAsync("notes.md", cdf, [2], externalId: cdf + "/notes.md");

        var refused = await Harness.RunAsync("sync", local, "--delete", "--exclude", "*.md");
        Assert.That(refused.ExitCode, Is.EqualTo(2), refused.ToString());
        Assert.That(refused.Error, Does.Contain("--delete would delete 1 file under " + cdf + "/ and there is no terminal to confirm on: add --yes"));

        var declined = await Harness.RunAsync(["sync", local, "--delete", "--exclude", "*.md"], interactive: true, CancellationToken.None, typed: ["n"]);
        Assert.That(declined.ExitCode, Is.EqualTo(0), declined.ToString());
        Assert.That(declined.Console, Does.Contain("Delete 1 file under " + cdf + "/ from CDF that is not in"));
        Assert.That((await Harness.RunAsync("info", "id:" + gone)).ExitCode, Is.EqualTo(0), "declined: still there");

        var confirmed = await Harness.RunAsync(["sync", local, "--delete", "--exclude", "*.md"], interactive: true, CancellationToken.None, typed: ["y"]);
        Assert.That(confirmed.ExitCode, Is.EqualTo(0), confirmed.ToString());
        Assert.That(confirmed.Console, Does.Contain("deleted gone.txt (id " + gone + ")"));
        Assert.That((await Harness.RunAsync("info", "id:" + gone)).ExitCode, Is.EqualTo(1), "deleted");
        Assert.That((await Harness.RunAsync("info", "id:" + skipped)).ExitCode, Is.EqualTo(0), "an excluded path is not extra");

        var yes = await Harness.RunAsync("sync", local, "--delete", "--yes", "--json");
        Assert.That(yes.ExitCode, Is.EqualTo(0), yes.ToString());
        Assert.That(Lines(yes).Single(l => l["deleted"] is not null)["id"]!.Value<long>(), Is.EqualTo(skipped));
    }

    [Test]
    public async Task An_interrupted_sync_resumes_when_run_again()
    {
        var (local, _) = Tree(("big.bin", (int)(16 * MiB + 1)));
        var cancelled = await Harness.CancelledWhilePartStallsAsync(["sync", local, "--part-size", "5MiB", "--concurrency", "1"]);
        Assert.That(cancelled.ExitCode, Is.EqualTo(130), cancelled.ToString());
        Assert.That(cancelled.Error, Does.Contain("run the same sync again to finish"));

        var again = await Harness.RunAsync("sync", local, "--part-size", "5MiB");

        Assert.That(again.ExitCode, Is.EqualTo(0), again.ToString());
        Assert.That(again.Out, Does.Contain("changed   big.bin (not uploaded").And.Contain("2 already done, 6.0 MiB sent"));
        Assert.That(again.Out, Does.Contain(CliHarness.Checksum(Path.Combine(local, "big.bin"))));
        var third = await Harness.RunAsync("sync", local);
        Assert.That(third.Out, Does.Contain("Plan: 0 new, 0 changed, 1 unchanged, 0 extra"));
    }

    [Test]
    public async Task An_interrupted_sync_whose_file_changed_since_uploads_it_anew_in_the_next_run()
    {
        var (local, _) = Tree(("big.bin", (int)(16 * MiB + 1)));
        var big = Path.Combine(local, "big.bin");
        Assert.That((await Harness.CancelledWhilePartStallsAsync(["sync", local, "--part-size", "5MiB", "--concurrency", "1"])).ExitCode, Is.EqualTo(130));
        File.AppendAllText(big, "edited");

        var again = await Harness.RunAsync("sync", local, "--part-size", "5MiB");

        // The library refuses to finish the earlier upload with other content; sync starts it anew, in this run.
        Assert.That(again.ExitCode, Is.EqualTo(0), again.ToString());
        Assert.That(again.Out, Does.Contain("big.bin: the upload an earlier run began cannot be finished (The file big.bin changed since the upload began: its length is now"));
        Assert.That(again.Out, Does.Contain("): uploading it anew").And.Contain(CliHarness.Checksum(big)));
        Assert.That(again.Out, Does.Not.Contain("already done"), "nothing of the earlier upload is used");
        Assert.That(again.Error, Does.Not.Contain("error:"));
        var third = await Harness.RunAsync("sync", local);
        Assert.That(third.Out, Does.Contain("Plan: 0 new, 0 changed, 1 unchanged, 0 extra"));
    }

    [TestCase(new[] { "sync", "{missing}" }, "does not exist")]
    [TestCase(new[] { "sync", "{file}" }, "sync takes a directory")]
    [TestCase(new[] { "sync", "{dir}", "--directory", "relative" }, "must start with '/'")]
    [TestCase(new[] { "sync", "{dir}", "--include", "/x" }, "patterns are relative")]
    public async Task Usage_errors(string[] args, string message)
    {
        var (dir, _) = Tree(("f.txt", 1));
        var file = Path.Combine(dir, "f.txt");

        var run = await Harness.RunAsync([.. args.Select(a => a.Replace("{missing}", Path.Combine(Harness.Root, "nope"), StringComparison.Ordinal).Replace("{file}", file, StringComparison.Ordinal).Replace("{dir}", dir, StringComparison.Ordinal))]);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain(message));
    }
}
