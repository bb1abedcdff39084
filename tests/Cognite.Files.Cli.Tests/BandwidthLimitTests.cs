using Cognite.Files.Cli.Parsing;
using Cognite.Files.Cli.Transfers;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Cli.Tests;

/// <summary><c>--bwlimit</c>: parsed with binary and decimal units, handed to the client of every command that moves content.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class BandwidthLimitTests : CliFixture
{
    [TestCase("50MiB/s", 50L * 1024 * 1024)]
    [TestCase("800KiB/s", 800L * 1024)]
    [TestCase("1.5GB/s", 1_500_000_000L)]
    [TestCase("10MB/s", 10_000_000L)]
    [TestCase("64 kB/s", 64_000L)]
    [TestCase("2M", 2L * 1024 * 1024)]
    [TestCase("1gib/S", 1L << 30)]
    [TestCase("4096", 4096L)]
    [TestCase("1.5KiB", 1536L)]
    public void Rates_take_binary_and_decimal_units(string text, long expected)
    {
        Assert.That(SizeParser.TryParseRate(text, out var rate), Is.True);
        Assert.That(rate, Is.EqualTo(expected));
    }

    [TestCase("fast")]
    [TestCase("")]
    [TestCase("-1MiB/s")]
    [TestCase("10Mbit/s")]
    [TestCase("MiB/s")]
    [TestCase("99999999999999999999GB/s")]
    public void Other_text_is_not_a_rate(string text) => Assert.That(SizeParser.TryParseRate(text, out _), Is.False);

    [TestCase("fast", "--bwlimit 'fast' is not a rate (use bytes per second with a unit: 50MiB/s, 800KiB/s, 1.5GB/s)")]
    [TestCase("1000", "--bwlimit must be at least 1KiB/s (got 1000 = 1000 bytes per second)")]
    [TestCase("1kB/s", "--bwlimit must be at least 1KiB/s (got 1kB/s = 1000 bytes per second)")]
    public async Task A_bad_rate_is_a_usage_error_before_any_request(string rate, string message)
    {
        var before = Harness.Emulator.Counters.ApiRequests;

        var run = await Harness.RunAsync("upload", Harness.CreateFile(Unique("bad") + ".bin", 10), "--bwlimit", rate);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error.Trim(), Is.EqualTo($"error: {message} (see 'cognite-files upload --help')"));
        Assert.That(Harness.Emulator.Counters.ApiRequests, Is.EqualTo(before));
    }

    private static IEnumerable<TestCaseData> ContentCommands()
    {
        yield return new TestCaseData((object)new[] { "upload", "{file}" }).SetName("--bwlimit reaches the client: upload");
        yield return new TestCaseData((object)new[] { "resume", "{journal}" }).SetName("--bwlimit reaches the client: resume");
        yield return new TestCaseData((object)new[] { "sync", "{dir}", "--dry-run" }).SetName("--bwlimit reaches the client: sync");
        yield return new TestCaseData((object)new[] { "download", "id:424242", "{root}/x.bin" }).SetName("--bwlimit reaches the client: download");
        yield return new TestCaseData((object)new[] { "download", "--directory-prefix", "/nothing-here", "{root}/tree" }).SetName("--bwlimit reaches the client: download of many files");
        yield return new TestCaseData((object)new[] { "verify", "id:424242", "{file}" }).SetName("--bwlimit reaches the client: verify");
        yield return new TestCaseData((object)new[] { "demo", "--size", "1KiB" }).SetName("--bwlimit reaches the client: demo");
        yield return new TestCaseData((object)new[] { "bench", "--size", "1KiB", "--part-sizes", "5MiB", "--concurrency", "1" }).SetName("--bwlimit reaches the client: bench");
    }

    [TestCaseSource(nameof(ContentCommands))]
    public async Task Every_command_that_moves_content_hands_the_cap_to_its_client(string[] args)
    {
        var dir = Path.Combine(Harness.Files, Unique("cap"));
        var file = Harness.CreateFile(Path.Combine(Path.GetFileName(dir), "f.bin"), 100);
        // A journal for resume: the CLI connects before the library reads it (this one is no real journal, so the
        // resume then fails; the client was made all the same).
        var journal = Path.Combine(Harness.Root, Unique("j") + ".journal.json");
        File.WriteAllText(journal, "{}");
        new JournalSidecar { Source = file, Label = "f.bin", Project = Harness.Emulator.Options.Project, PartSize = 5 * MiB }.Save(journal);
        var expanded = args.Select(a => a.Replace("{file}", file, StringComparison.Ordinal).Replace("{dir}", dir, StringComparison.Ordinal).Replace("{journal}", journal, StringComparison.Ordinal).Replace("{root}", Harness.Root, StringComparison.Ordinal));
        var caps = new List<long?>();

        var run = await Harness.RunAsync([.. expanded, "--bwlimit", "3MB/s"], interactive: false, CancellationToken.None, configureClient: o => caps.Add(o.MaxTransferBytesPerSecond));

        Assert.That(caps, Is.Not.Empty.And.All.EqualTo(3_000_000L), run.ToString());
        Assert.That(run.Error, Does.Contain("bandwidth cap: 2.9 MiB/s for all transfers of this run together"));
    }

    [Test]
    public async Task Without_the_option_there_is_no_cap()
    {
        var caps = new List<long?>();

        var run = await Harness.RunAsync(["upload", Harness.CreateFile(Unique("free") + ".bin", 10)], interactive: false, CancellationToken.None, configureClient: o => caps.Add(o.MaxTransferBytesPerSecond));

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(caps, Is.EqualTo(new long?[] { null }));
        Assert.That(run.Error, Does.Not.Contain("bandwidth cap"));
    }

    [Test]
    public async Task A_capped_multipart_upload_and_ranged_download_complete_byte_exact_and_send_each_byte_once()
    {
        // 11 MiB in 5 MiB parts at 64 MiB/s for the run: a few tenths of a second, paced by the client's token bucket.
        var path = Harness.CreateFile(Unique("capped") + ".bin", 11 * MiB, seed: 5);
        var received = Harness.Emulator.Counters.UploadBytesReceived;

        var upload = await Harness.RunAsync("upload", path, "--part-size", "5MiB", "-c", "3", "--bwlimit", "64MiB/s", "--json");

        Assert.That(upload.ExitCode, Is.EqualTo(0), upload.ToString());
        var result = JObject.Parse(upload.Out.Trim());
        Assert.That(((long)result["bytes"]!, (long)result["bytesSent"]!, (int)result["parts"]!, (int)result["retries"]!), Is.EqualTo((11 * MiB, 11 * MiB, 3, 0)), "no part was taken for stalled while it was paced");
        Assert.That(Harness.Emulator.Counters.UploadBytesReceived - received, Is.EqualTo(11 * MiB), "each byte sent once");
        Assert.That(upload.Error, Does.Contain("bandwidth cap: 64.0 MiB/s"));
        var id = (long)result["id"]!;
        Assert.That(await Harness.Emulator.GetContentSha256Async(id), Is.EqualTo(CliHarness.Sha256(path)));

        var destination = Path.Combine(Harness.Root, Unique("capped-copy") + ".bin");
        var sent = Harness.Emulator.Counters.DownloadBytesSent;
        var download = await Harness.RunAsync(["download", "id:" + id, destination, "--bwlimit", "64MiB/s"], interactive: true, CancellationToken.None);

        Assert.That(download.ExitCode, Is.EqualTo(0), download.ToString());
        Assert.That(CliHarness.Sha256(destination), Is.EqualTo(CliHarness.Sha256(path)));
        Assert.That(Harness.Emulator.Counters.DownloadBytesSent - sent, Is.EqualTo(11 * MiB));
        Assert.That(download.Console, Does.Contain("✔ downloaded "));
        Assert.That(download.Error, Does.Contain("bandwidth cap: 64.0 MiB/s"), "the notice goes to stderr, also on a terminal");
    }

    [Test]
    public async Task A_small_cap_on_a_small_file_completes()
    {
        // 96 KiB at 256 KiB/s: the bucket lets 100 ms through at once, then paces the rest.
        var path = Harness.CreateFile(Unique("slow") + ".bin", 96 * 1024, seed: 6);

        var run = await Harness.RunAsync("upload", path, "--bwlimit", "256KiB/s");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Does.Contain("uploaded ").And.Contain(CliHarness.Checksum(path)));
    }
}
