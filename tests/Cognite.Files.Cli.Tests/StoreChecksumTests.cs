using Cognite.Files.Models;
using Cognite.Files.Transfer;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Cli.Tests;

/// <summary><c>--store-checksum</c> on upload and resume; a checksum that could not be stored is said plainly.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class StoreChecksumTests : CliFixture
{
    private async Task<string?> StoredValueAsync(long id)
    {
        using var client = Harness.CreateClient();
        var file = await client.RetrieveAsync(Identifier.FromId(id));
        return file.Metadata?.TryGetValue(ContentChecksum.MetadataKey, out var value) == true ? value : null;
    }

    private static string Expected(string path) => ContentChecksum.FormatMetadataValue(CliHarness.Checksum(path), new FileInfo(path).Length);

    [TestCase(1000L, TestName = "--store-checksum: one request")]
    [TestCase(11 * MiB, TestName = "--store-checksum: multipart")]
    public async Task Upload_stores_the_checksum_in_the_metadata(long size)
    {
        var path = Harness.CreateFile(Unique("stored") + ".bin", size, seed: 3);

        var run = await Harness.RunAsync("upload", path, "--part-size", "5MiB", "--store-checksum", "--json");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var doc = JObject.Parse(run.Out.Trim());
        Assert.That((bool)doc["checksumStored"]!, Is.True);
        Assert.That((string?)doc["checksum"], Is.EqualTo(CliHarness.Checksum(path)));
        Assert.That(await StoredValueAsync((long)doc["id"]!), Is.EqualTo(Expected(path)));
        var ls = await Harness.RunAsync("ls", "--name", Path.GetFileName(path));
        Assert.That(ls.Out, Does.Contain(Path.GetFileName(path) + "\t" + size + "\tyes"), "ls shows the size the stored value holds");
    }

    [Test]
    public async Task Without_the_flag_nothing_is_stored_and_the_terminal_says_stored_when_it_is()
    {
        var plain = Harness.CreateFile(Unique("plain") + ".bin", 100);
        var stored = Harness.CreateFile(Unique("tty") + ".bin", 100);

        var without = await Harness.RunAsync("upload", plain, "--json");
        var tty = await Harness.RunAsync(["upload", stored, "--store-checksum"], interactive: true, CancellationToken.None);

        Assert.That((bool)JObject.Parse(without.Out.Trim())["checksumStored"]!, Is.False);
        Assert.That(await StoredValueAsync((long)JObject.Parse(without.Out.Trim())["id"]!), Is.Null);
        Assert.That(tty.ExitCode, Is.EqualTo(0), tty.ToString());
        Assert.That(tty.Console, Does.Contain("✔ uploaded " + Path.GetFileName(stored)).And.Contain(CliHarness.Checksum(stored) + ", stored)"));
    }

    [Test]
    public async Task A_resume_stores_it_when_the_upload_asked_for_it_or_when_the_resume_does()
    {
        var asked = Harness.CreateFile(Unique("asked") + ".bin", 16 * MiB + 1, seed: 8);
        var late = Harness.CreateFile(Unique("late") + ".bin", 16 * MiB + 1, seed: 9);
        var (_, askedJournal) = await Harness.CancelledUploadAsync(asked, ["--store-checksum"]);
        var (_, lateJournal) = await Harness.CancelledUploadAsync(late, []);

        var first = await Harness.RunAsync("resume", askedJournal, "--json");
        var second = await Harness.RunAsync("resume", lateJournal, "--store-checksum", "--json");

        Assert.That(first.ExitCode, Is.EqualTo(0), first.ToString());
        Assert.That(second.ExitCode, Is.EqualTo(0), second.ToString());
        Assert.That(await StoredValueAsync((long)JObject.Parse(first.Out.Trim())["id"]!), Is.EqualTo(Expected(asked)));
        Assert.That(await StoredValueAsync((long)JObject.Parse(second.Out.Trim())["id"]!), Is.EqualTo(Expected(late)));
    }

    /// <summary>
    /// A file whose metadata is full (256 pairs): CDF refuses the pair the checksum would add. With an external id, as
    /// new content for an existing file needs one.
    /// </summary>
    private async Task<long> FullMetadataFileAsync()
    {
        using var client = Harness.CreateClient();
        var full = Enumerable.Range(0, 256).ToDictionary(i => $"k{i}", _ => "v");
        var created = await client.UploadAsync(new FileCreate { Name = "full.bin", ExternalId = Unique("full"), Metadata = full }, new MemoryStream([1, 2, 3]));
        return created.File.Id;
    }

    [Test]
    public async Task A_checksum_that_cannot_be_stored_says_the_content_is_uploaded_and_what_to_do()
    {
        var id = await FullMetadataFileAsync();
        var path = Harness.CreateFile(Unique("refused") + ".bin", 1000, seed: 4);
        var name = Path.GetFileName(path);

        var run = await Harness.RunAsync("upload", "--to", "id:" + id, path, "--store-checksum");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.Out, Does.Contain($"uploaded {name} → id {id} (1000 B), but its checksum was not stored (the error follows)"));
        Assert.That(run.Out, Does.Contain("Uploaded 1 file, 1000 B").And.Contain($"; checksum not stored for 1: {name}"));
        var error = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single(l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.That(error, Does.StartWith($"error: {name}: File id {id} is uploaded (1000 bytes, complete and confirmed) with checksum {CliHarness.Checksum(path)}, but storing the checksum in its metadata"));
        Assert.That(error, Does.Contain("at most 256 key-value pairs"));
        Assert.That(error, Does.EndWith($"; the content is in CDF, only its checksum is missing (nothing to resume): to store one, upload it again with --store-checksum (cognite-files upload --to id:{id} {path} --store-checksum)"));
        Assert.That(run.All, Does.Not.Contain("can be resumed"));
        Assert.That(await Harness.Emulator.GetContentSha256Async(id), Is.EqualTo(CliHarness.Sha256(path)), "the content is uploaded");

        var json = await Harness.RunAsync("upload", "--to", "id:" + id, path, "--store-checksum", "--json");
        Assert.That(json.ExitCode, Is.EqualTo(1), json.ToString());
        var doc = JObject.Parse(json.Out.Trim());
        Assert.That(((long)doc["id"]!, (bool)doc["uploaded"]!, (bool)doc["checksumStored"]!), Is.EqualTo((id, true, false)));
        Assert.That((string?)doc["error"], Does.Contain("only its checksum is missing"));

        var tty = await Harness.RunAsync(["upload", "--to", "id:" + id, path, "--store-checksum"], interactive: true, CancellationToken.None);
        Assert.That(tty.ExitCode, Is.EqualTo(1), tty.ToString());
        Assert.That(tty.Console, Does.Contain($"✔ uploaded {name} → id {id} (1000 B), but its checksum was not stored"));
    }

    [Test]
    public async Task New_content_for_a_file_with_a_stored_checksum_removes_it_or_with_store_checksum_replaces_it()
    {
        var first = Harness.CreateFile(Unique("v1") + ".bin", 1000, seed: 1);
        var second = Harness.CreateFile(Unique("v2") + ".bin", 2000, seed: 2);
        var id = (long)JObject.Parse((await Harness.RunAsync("upload", first, "--external-id", Unique("v"), "--store-checksum", "--json")).Out.Trim())["id"]!;

        var run = await Harness.RunAsync("upload", "--to", "id:" + id, second);

        // The library takes the old content's checksum off the file: downloads no longer check against it.
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(await StoredValueAsync(id), Is.Null, "not the old content's");
        var download = await Harness.RunAsync("download", "id:" + id, Path.Combine(Harness.Root, Unique("v2-copy") + ".bin"));
        Assert.That(download.ExitCode, Is.EqualTo(0), "the download's check passes: " + download);

        var stored = await Harness.RunAsync("upload", "--to", "id:" + id, first, "--store-checksum");
        Assert.That(stored.ExitCode, Is.EqualTo(0), stored.ToString());
        Assert.That(await StoredValueAsync(id), Is.EqualTo(Expected(first)));
        var replaced = await Harness.RunAsync("upload", "--to", "id:" + id, second, "--store-checksum");
        Assert.That(replaced.ExitCode, Is.EqualTo(0), replaced.ToString());
        Assert.That(await StoredValueAsync(id), Is.EqualTo(Expected(second)), "the new content's replaces the old");
    }

    [Test]
    public async Task A_resumed_upload_into_a_file_with_a_stored_checksum_removes_it()
    {
        var first = Harness.CreateFile(Unique("r1") + ".bin", 1000, seed: 3);
        var second = Harness.CreateFile(Unique("r2") + ".bin", 16 * MiB + 1, seed: 4);
        var id = (long)JObject.Parse((await Harness.RunAsync("upload", first, "--external-id", Unique("r"), "--store-checksum", "--json")).Out.Trim())["id"]!;
        var (_, journal) = await Harness.CancelledUploadAsync(second, ["--to", "id:" + id]);

        var run = await Harness.RunAsync("resume", journal);

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(await StoredValueAsync(id), Is.Null);
        var download = await Harness.RunAsync("download", "id:" + id, Path.Combine(Harness.Root, Unique("r2-copy") + ".bin"));
        Assert.That(download.ExitCode, Is.EqualTo(0), "the download's check passes: " + download);
    }
}
