using Cognite.Files.Emulator;
using Cognite.Files.Models;
using Cognite.Files.Transfer;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Cli.Tests;

/// <summary>
/// <c>download</c> on the library's ranged downloads: <c>-c</c> and <c>--part-size</c>, a resume by running the same
/// command again (its figures from what it skipped), verification against the stored checksum, and what a failure says.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class DownloadTests : CliFixture
{
    /// <summary>Uploads a file of 16 MiB + 1 (four ranges of 5 MiB) and returns its id and local path.</summary>
    private async Task<(long Id, string Path)> UploadAsync(bool storeChecksum = false, long size = (16 * MiB) + 1)
    {
        var path = Harness.CreateFile(Unique("dl") + ".bin", size, seed: 17);
        var run = await Harness.RunAsync(["upload", path, "--part-size", "5MiB", "--json", .. storeChecksum ? new[] { "--store-checksum" } : []]);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        return ((long)JObject.Parse(run.Out.Trim())["id"]!, path);
    }

    private string Destination() => Path.Combine(Harness.Root, Unique("copy") + ".bin");

    [Test]
    public async Task Part_size_and_concurrency_map_onto_ranges()
    {
        var (id, path) = await UploadAsync();
        var destination = Destination();
        var gets = Harness.Emulator.Counters.DownloadRequests;

        var run = await Harness.RunAsync("download", "id:" + id, destination, "--part-size", "5MiB", "-c", "3", "--json");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var doc = JObject.Parse(run.Out.Trim());
        Assert.That(((int)doc["ranges"]!, (long)doc["bytesSkipped"]!, (bool)doc["verified"]!), Is.EqualTo((4, 0L, false)));
        Assert.That(Harness.Emulator.Counters.DownloadRequests - gets, Is.EqualTo(4), "one GET per range of 5 MiB");
        Assert.That(CliHarness.Sha256(destination), Is.EqualTo(CliHarness.Sha256(path)));

        var whole = await Harness.RunAsync("download", "id:" + id, Destination(), "--part-size", "20MiB", "--json");
        Assert.That((int)JObject.Parse(whole.Out.Trim())["ranges"]!, Is.EqualTo(1), "one range when it fits");
    }

    [Test]
    public async Task A_stored_checksum_is_verified_and_says_so()
    {
        var (id, path) = await UploadAsync(storeChecksum: true, size: 6 * MiB);

        var plain = await Harness.RunAsync("download", "id:" + id, Destination(), "--part-size", "5MiB");
        var json = await Harness.RunAsync("download", "id:" + id, Destination(), "--json");
        var tty = await Harness.RunAsync(["download", "id:" + id, Destination()], interactive: true, CancellationToken.None);

        Assert.That(plain.Out, Does.Contain($"checksum {CliHarness.Checksum(path)} (verified against the stored checksum)"));
        Assert.That((bool)JObject.Parse(json.Out.Trim())["verified"]!, Is.True);
        Assert.That(tty.Console, Does.Contain("(verified against the stored checksum)"));
    }

    /// <summary>Starts a download of four 5 MiB ranges one at a time and cancels it while the third stalls.</summary>
    private async Task<CliRun> CancelledDownloadAsync(long id, string destination, bool interactive = false)
    {
        Harness.Emulator.Faults.Set(new FaultOptions
        {
            Schedule = [new ScheduledFault { DownloadNumber = 3, Kind = FaultKind.Stall }],
            StallDuration = TimeSpan.FromMinutes(5),
        });
        var before = Harness.Emulator.Counters.FaultsInjected;
        using var cts = new CancellationTokenSource();
        var download = Harness.RunAsync(["download", "id:" + id, destination, "--part-size", "5MiB", "-c", "1"], interactive, cts.Token, recordEscapes: interactive);
        await Task.WhenAny(Harness.Emulator.Counters.WaitForAsync(c => c.FaultsInjected > before, cts.Token), download);
        await cts.CancelAsync();
        var run = await download;
        Harness.Emulator.Faults.Clear();
        return run;
    }

    [Test]
    public async Task A_cancelled_download_resumes_when_the_same_command_runs_again_and_counts_only_what_it_fetches()
    {
        var (id, path) = await UploadAsync();
        var destination = Destination();

        var cancelled = await CancelledDownloadAsync(id, destination);

        Assert.That(cancelled.ExitCode, Is.EqualTo(130), cancelled.ToString());
        Assert.That(cancelled.Error, Does.Contain("cancelled: run the same command again to resume the download (what was downloaded is kept)"));
        Assert.That(File.Exists(destination), Is.False, "nothing at the destination until it is complete");
        Assert.That(File.Exists(CogniteFilesClient.GetDownloadJournalPath(destination)), Is.True);

        var sent = Harness.Emulator.Counters.DownloadBytesSent;
        var again = await Harness.RunAsync("download", "id:" + id, destination, "--part-size", "5MiB", "-c", "1", "--json");

        Assert.That(again.ExitCode, Is.EqualTo(0), again.ToString());
        var doc = JObject.Parse(again.Out.Trim());
        var skipped = (long)doc["bytesSkipped"]!;
        Assert.That(skipped, Is.GreaterThanOrEqualTo(10 * MiB), "the two ranges done are kept");
        // Plus the one byte of the resume's version check (If-Match with the journal's ETag).
        Assert.That(Harness.Emulator.Counters.DownloadBytesSent - sent, Is.EqualTo((16 * MiB) + 1 - skipped + 1), "only the rest is fetched");
        Assert.That((string?)doc["checksum"], Is.EqualTo(CliHarness.Checksum(path)));
        Assert.That(CliHarness.Sha256(destination), Is.EqualTo(CliHarness.Sha256(path)));
        Assert.That(File.Exists(CogniteFilesClient.GetDownloadJournalPath(destination)), Is.False);
    }

    [Test]
    public async Task On_a_terminal_a_resumed_download_shows_what_was_already_downloaded()
    {
        var (id, path) = await UploadAsync();
        var destination = Destination();
        var cancelled = await CancelledDownloadAsync(id, destination, interactive: true);
        Assert.That(cancelled.ExitCode, Is.EqualTo(130), cancelled.ToString());
        Assert.That(TerminalScreen.Replay(cancelled.Console), Has.Some.EqualTo("✘ cancelled " + Path.GetFileName(path)).And.None.Contain("━"), "no frozen bar");

        var plain = await Harness.RunAsync(["download", "id:" + id, destination, "--part-size", "5MiB", "-c", "1"], interactive: true, CancellationToken.None, recordEscapes: true);

        Assert.That(plain.ExitCode, Is.EqualTo(0), plain.ToString());
        var screen = TerminalScreen.Replay(plain.Console);
        TestContext.Out.WriteLine(string.Join('\n', screen));
        // The ✔ line may wrap at the terminal's width.
        var text = string.Join(' ', screen);
        Assert.That(text, Does.Match(@"✔ downloaded \S+ to \S+: 16\.0 MiB \([0-9.]+ MiB now, 1[0-9]\.[0-9] MiB already downloaded\) in [0-9.]+ s \([0-9.]+\s+MiB/s, 4 ranges\)"));
        Assert.That(text, Does.Contain("MiB already downloaded) ━"), "the bar says what was there and counts only the rest");
        Assert.That(CliHarness.Sha256(destination), Is.EqualTo(CliHarness.Sha256(path)));
    }

    [Test]
    public async Task A_plain_resume_says_what_was_already_downloaded()
    {
        var (id, _) = await UploadAsync();
        var destination = Destination();
        Assert.That((await CancelledDownloadAsync(id, destination)).ExitCode, Is.EqualTo(130));

        var run = await Harness.RunAsync("download", "id:" + id, destination, "--part-size", "5MiB");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Does.Match(@"download: [^\n]+: 1[0-9]\.[0-9] MiB already downloaded, [0-9.]+ MiB to download"));
        Assert.That(run.Out, Does.Contain("MiB already downloaded) in "));
    }

    [Test]
    public async Task A_resume_that_starts_over_because_the_file_changed_shows_nothing_as_already_downloaded()
    {
        var path = Harness.CreateFile(Unique("changing") + ".bin", (16 * MiB) + 1, seed: 18);
        var externalId = Unique("changing");
        var upload = await Harness.RunAsync("upload", path, "--part-size", "5MiB", "--external-id", externalId, "--json");
        var id = (long)JObject.Parse(upload.Out.Trim())["id"]!;
        var destination = Destination();
        Assert.That((await CancelledDownloadAsync(id, destination)).ExitCode, Is.EqualTo(130));
        var replacement = Harness.CreateFile(Unique("replacement") + ".bin", (16 * MiB) + 1, seed: 19);
        Assert.That((await Harness.RunAsync("upload", "--to", "ext:" + externalId, replacement, "--part-size", "5MiB")).ExitCode, Is.EqualTo(0));

        var plain = await Harness.RunAsync("download", "id:" + id, destination, "--part-size", "5MiB");
        var json = await Harness.RunAsync("download", "id:" + id, Destination(), "--json");

        // The kept ranges are of the old content: the library starts over, and its progress says nothing was there.
        Assert.That(plain.ExitCode, Is.EqualTo(0), plain.ToString());
        Assert.That(plain.Out, Does.Not.Contain("already downloaded"), plain.ToString());
        Assert.That(plain.Out, Does.Match(@"downloaded \S+ to \S+: 16\.0 MiB in "));
        Assert.That(CliHarness.Sha256(destination), Is.EqualTo(CliHarness.Sha256(replacement)));
        Assert.That((long)JObject.Parse(json.Out.Trim())["bytesSkipped"]!, Is.Zero);
    }

    [Test]
    public async Task A_failed_download_that_kept_its_ranges_says_to_run_the_same_command_again_and_nothing_else()
    {
        var (id, path) = await UploadAsync();
        var destination = Destination();
        Harness.Emulator.Faults.Set(new FaultOptions { Schedule = [new ScheduledFault { DownloadNumber = 3, Kind = FaultKind.Status500 }] });

        // One attempt per range: the 500 fails the download for good (instead of being retried after a backoff).
        var run = await Harness.RunAsync(["download", "id:" + id, destination, "--part-size", "5MiB", "-c", "1"], interactive: false, CancellationToken.None, configureClient: o => o.Transfer.MaxAttemptsPerPart = 1);

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        var error = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single(l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.That(error, Does.EndWith("; run the same command again to resume it"));
        Assert.That(error, Does.Not.Contain("--overwrite").And.Not.Contain("nothing was kept"));
        Assert.That(File.Exists(CogniteFilesClient.GetDownloadJournalPath(destination)), Is.True);

        // The same with --json: a document says what failed and that a run of the same command resumes it.
        // The resume's first GET is its one-byte check that the content is still the version the journal describes
        // (If-Match with the journal's ETag); the next range then succeeds and the one after fails.
        Harness.Emulator.Faults.Set(new FaultOptions { Schedule = [new ScheduledFault { DownloadNumber = 3, Kind = FaultKind.Status500 }] });
        var json = await Harness.RunAsync(["download", "id:" + id, destination, "--part-size", "5MiB", "-c", "1", "--json"], interactive: false, CancellationToken.None, configureClient: o => o.Transfer.MaxAttemptsPerPart = 1);
        Assert.That(json.ExitCode, Is.EqualTo(1), json.ToString());
        var failure = JObject.Parse(json.Out.Trim());
        Assert.That(((long)failure["id"]!, (bool)failure["resumable"]!), Is.EqualTo((id, true)));
        Assert.That((string?)failure["error"], Does.EndWith("; run the same command again to resume it"));

        var again = await Harness.RunAsync("download", "id:" + id, destination, "--part-size", "5MiB", "--json");
        Assert.That(again.ExitCode, Is.EqualTo(0), again.ToString());
        Assert.That((long)JObject.Parse(again.Out.Trim())["bytesSkipped"]!, Is.EqualTo(15 * MiB), "the ranges both failed runs kept");
        Assert.That(CliHarness.Sha256(destination), Is.EqualTo(CliHarness.Sha256(path)));
    }

    [Test]
    public async Task A_failed_download_that_kept_nothing_says_what_to_do()
    {
        var (id, _) = await UploadAsync(size: 6 * MiB);
        using (var client = Harness.CreateClient())
        {
            await client.UpdateAsync(Identifier.FromId(id), new FileUpdate
            {
                Metadata = new MetadataUpdate { Add = new Dictionary<string, string> { [ContentChecksum.MetadataKey] = ContentChecksum.FormatMetadataValue(ContentChecksum.Compute([1, 2, 3]), 6 * MiB) } },
            });
        }

        var destination = Destination();
        var run = await Harness.RunAsync("download", "id:" + id, destination, "--part-size", "5MiB");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.Error, Does.Contain("does not match its stored checksum").And.Contain("; nothing was kept: run the command again to download it anew; if it fails the same way, the content CDF stores does not match the checksum stored with it"));
        Assert.That(run.Error, Does.Not.Contain("resume"));
        Assert.That(File.Exists(destination), Is.False);
    }

    [Test]
    public async Task A_download_of_many_files_uses_ranges_and_resumes_a_file_cut_short()
    {
        var directory = "/" + Unique("ranged");
        var first = Harness.CreateFile(Path.Combine(Unique("src"), "a.bin"), 11 * MiB, seed: 1);
        var second = Harness.CreateFile(Path.Combine(Unique("src"), "b.bin"), 11 * MiB, seed: 2);
        foreach (var path in new[] { first, second })
        {
            Assert.That((await Harness.RunAsync("upload", path, "--directory", directory, "--part-size", "5MiB")).ExitCode, Is.EqualTo(0));
        }

        var destination = Path.Combine(Harness.Root, Unique("tree"));
        var gets = Harness.Emulator.Counters.DownloadRequests;
        Harness.Emulator.Faults.Set(new FaultOptions { Schedule = [new ScheduledFault { DownloadNumber = 2, Kind = FaultKind.Status500 }] });

        var failed = await Harness.RunAsync(["download", "--directory-prefix", directory, destination, "--part-size", "5MiB", "-c", "1"], interactive: false, CancellationToken.None, configureClient: o => o.Transfer.MaxAttemptsPerPart = 1);

        Assert.That(failed.ExitCode, Is.EqualTo(1), failed.ToString());
        // Files go in the order of their ids (one at a time here): the first one's second range fails.
        var error = failed.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single(l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.That(error, Does.Match(@"^error: [ab]\.bin: Range 2 of 3 .*; run the same command again to resume it$"));
        var cut = error["error: ".Length..error.IndexOf(':', "error: ".Length)];
        Assert.That(Harness.Emulator.Counters.DownloadRequests - gets, Is.EqualTo(5), "the first file: two GETs (the second failed); the other: three ranges");

        var again = await Harness.RunAsync("download", "--directory-prefix", directory, destination, "--part-size", "5MiB", "--json");

        Assert.That(again.ExitCode, Is.EqualTo(0), again.ToString());
        var docs = again.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(JObject.Parse).ToDictionary(d => Path.GetFileName((string)d["path"]!));
        Assert.That((string?)docs[cut]["status"], Is.EqualTo("downloaded"));
        Assert.That((long)docs[cut]["bytesSkipped"]!, Is.EqualTo(5 * MiB), "the first range was kept");
        Assert.That((string?)docs[cut == "a.bin" ? "b.bin" : "a.bin"]["status"], Is.EqualTo("skipped"));
        Assert.That(CliHarness.Sha256(Path.Combine(destination, "a.bin")), Is.EqualTo(CliHarness.Sha256(first)));
        Assert.That(CliHarness.Sha256(Path.Combine(destination, "b.bin")), Is.EqualTo(CliHarness.Sha256(second)));
    }

    [TestCase("--part-size", "4MiB", "--part-size must be between 5 MiB and 4000 MiB")]
    [TestCase("-c", "0", "--concurrency must be between 1 and 64")]
    public async Task Usage_errors(string option, string value, string message)
    {
        var before = Harness.Emulator.Counters.ApiRequests;

        var run = await Harness.RunAsync("download", "id:1", Destination(), option, value);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain(message));
        Assert.That(Harness.Emulator.Counters.ApiRequests, Is.EqualTo(before));
    }
}
