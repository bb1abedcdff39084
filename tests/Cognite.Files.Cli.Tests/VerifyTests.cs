using Newtonsoft.Json.Linq;

namespace Cognite.Files.Cli.Tests;

/// <summary><c>verify &lt;id|externalId&gt; &lt;local-file&gt;</c>.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class VerifyTests : CliFixture
{
    private static byte[] Content(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private string Local(byte[] content)
    {
        var path = Path.Combine(Harness.Files, Unique("local") + ".bin");
        File.WriteAllBytes(path, content);
        return path;
    }

    [Test]
    public async Task With_a_stored_checksum_it_compares_without_downloading()
    {
        var content = Content(1000, 1);
        var id = await Harness.UploadWithStoredChecksumAsync(Unique("v") + ".bin", "/verify", content);
        var downloads = Harness.Emulator.Counters.DownloadRequests;

        var same = await Harness.RunAsync("verify", "id:" + id, Local(content));
        var shorter = await Harness.RunAsync("verify", "id:" + id, Local(content[..999]));
        var edited = content.ToArray();
        edited[500] ^= 0xff;
        var changed = await Harness.RunAsync("verify", "id:" + id, Local(edited));

        Assert.That(same.ExitCode, Is.EqualTo(0), same.ToString());
        Assert.That(same.Out, Does.StartWith("identical: ").And.Contain("(compared with the checksum stored in CDF)"));
        Assert.That(shorter.ExitCode, Is.EqualTo(1), shorter.ToString());
        Assert.That(shorter.Out, Does.StartWith("different: ").And.Contain("length 999 bytes here, 1000 in CDF"));
        Assert.That(changed.ExitCode, Is.EqualTo(1), changed.ToString());
        Assert.That(changed.Out, Does.Contain("same length (1000 bytes), checksum crc64-ecma182:"));
        Assert.That(shorter.Error + changed.Error, Is.Empty, "a difference is the answer, not an error");
        Assert.That(Harness.Emulator.Counters.DownloadRequests, Is.EqualTo(downloads), "nothing was downloaded");
    }

    [Test]
    public async Task Without_a_stored_checksum_it_downloads_and_says_so()
    {
        var content = Content(3000, 2);
        var path = Local(content);
        var upload = await Harness.RunAsync("upload", path, "--external-id", Unique("plain"), "--json");
        var externalId = (string)JObject.Parse(upload.Out)["externalId"]!;
        var other = content.ToArray();
        other[0] ^= 1;

        var same = await Harness.RunAsync("verify", "ext:" + externalId, path);
        var different = await Harness.RunAsync("verify", "ext:" + externalId, Local(other), "--json");

        Assert.That(same.ExitCode, Is.EqualTo(0), same.ToString());
        Assert.That(same.Out, Does.Contain("identical: ").And.Contain("(compared by downloading the content: CDF stores no checksum for it)"));
        Assert.That(different.ExitCode, Is.EqualTo(1), different.ToString());
        var doc = JObject.Parse(different.Out);
        Assert.That((bool)doc["identical"]!, Is.False);
        Assert.That((string?)doc["method"], Is.EqualTo("download"));
        Assert.That((long)doc["remoteBytes"]!, Is.EqualTo(3000));
        Assert.That((string?)doc["difference"], Does.StartWith("same length (3000 bytes)"));
    }

    [Test]
    public async Task When_it_downloads_it_takes_part_size_and_concurrency_as_download_does()
    {
        const int MiB = 1024 * 1024;
        var content = Content((16 * MiB) + 1, 4);
        var path = Local(content);
        var upload = await Harness.RunAsync("upload", path, "--part-size", "5MiB", "--external-id", Unique("ranged"), "--json");
        var externalId = (string)JObject.Parse(upload.Out)["externalId"]!;

        var gets = Harness.Emulator.Counters.DownloadRequests;
        var ranged = await Harness.RunAsync("verify", "ext:" + externalId, path, "--part-size", "5MiB", "-c", "3");
        var rangedGets = Harness.Emulator.Counters.DownloadRequests - gets;
        gets = Harness.Emulator.Counters.DownloadRequests;
        var byDefault = await Harness.RunAsync("verify", "ext:" + externalId, path);
        var defaultGets = Harness.Emulator.Counters.DownloadRequests - gets;

        Assert.That(ranged.ExitCode, Is.EqualTo(0), ranged.ToString());
        Assert.That(ranged.Out, Does.Contain("downloaded ").And.Contain("4 ranges").And.Contain("identical: "));
        Assert.That(rangedGets, Is.EqualTo(4), "ranges of 5 MiB");
        Assert.That(byDefault.ExitCode, Is.EqualTo(0), byDefault.ToString());
        Assert.That(defaultGets, Is.EqualTo(2), "ranges of 16 MiB by default, as download");

        var bad = await Harness.RunAsync("verify", "ext:" + externalId, path, "--part-size", "1MiB");
        Assert.That(bad.ExitCode, Is.EqualTo(2), bad.ToString());
        Assert.That(bad.Error, Does.Contain("--part-size must be between 5 MiB and 4000 MiB"));
        var help = await Harness.RunAsync("verify", "--help");
        Assert.That(help.Out, Does.Contain("-c, --concurrency <n>").And.Contain("--part-size <size>"));
    }

    [Test]
    public async Task On_a_terminal_the_answer_is_one_line()
    {
        var content = Content(100, 3);
        var id = await Harness.UploadWithStoredChecksumAsync(Unique("t") + ".bin", "/verify", content);

        var run = await Harness.RunAsync(["verify", "id:" + id, Local(content)], interactive: true, CancellationToken.None);

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Console, Does.Contain("identical: "));
        Assert.That(run.Out, Is.Empty);
    }

    [Test]
    public async Task A_missing_local_file_is_a_usage_error()
    {
        var run = await Harness.RunAsync("verify", "id:1", Path.Combine(Harness.Root, "none.bin"));

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("does not exist"));
    }
}
