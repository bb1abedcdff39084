using Cognite.Files.Transfer;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Cli.Tests;

/// <summary>
/// After a resume the checksum the CLI prints describes what CDF stores (the parts sent before as they were sent), or
/// it says plainly that it could not verify it; never the local file's checksum presented as the stored one.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class ResumeChecksumTests : CliFixture
{
    private async Task<string> StoredChecksumAsync(long id)
    {
        await using var stored = Harness.Emulator.OpenStoredContent(id) ?? throw new AssertionException("no stored content");
        return await ContentChecksum.ComputeAsync(stored);
    }

    /// <summary>
    /// Cancels an upload of 16 MiB + 1 after parts 0 and 1, then edits byte 3 MiB (in part 0, outside the first and last
    /// MiB the resume checks) in place and restores the modification time: the edit goes unnoticed by the resume.
    /// </summary>
    private async Task<(string Path, string Journal, string Original, string Edited)> EditedAfterCancelAsync()
    {
        var path = Harness.CreateFile(Unique("edited") + ".bin", (16 * MiB) + 1, seed: 31);
        var original = CliHarness.Checksum(path);
        var (_, journal) = await Harness.CancelledUploadAsync(path, []);
        var modified = File.GetLastWriteTimeUtc(path);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = 3 * MiB;
            var b = stream.ReadByte();
            stream.Position = 3 * MiB;
            stream.WriteByte((byte)(b ^ 0xFF));
        }

        File.SetLastWriteTimeUtc(path, modified);
        return (path, journal, original, CliHarness.Checksum(path));
    }

    [Test]
    public async Task A_resume_after_an_unnoticed_edit_of_a_finished_part_prints_the_checksum_of_what_CDF_stores()
    {
        var (_, journal, original, edited) = await EditedAfterCancelAsync();
        Assert.That(edited, Is.Not.EqualTo(original));

        var run = await Harness.RunAsync("resume", journal, "--json");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var doc = JObject.Parse(run.Out.Trim());
        var printed = (string?)doc["checksum"];
        Assert.That(printed, Is.EqualTo(await StoredChecksumAsync((long)doc["id"]!)), "the checksum describes the stored content");
        Assert.That(printed, Is.EqualTo(original), "CDF stores the parts as they were sent: the original content");
        Assert.That(printed, Is.Not.EqualTo(edited), "never the edited file's checksum");
        Assert.That(run.All, Does.Not.Contain(edited));
    }

    [Test]
    public async Task Plain_and_terminal_output_print_the_stored_contents_checksum_after_a_resume()
    {
        var (_, journal, original, edited) = await EditedAfterCancelAsync();
        var run = await Harness.RunAsync("resume", journal);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Out, Does.Contain(original + ")").And.Not.Contain(edited));

        var (_, journal2, original2, edited2) = await EditedAfterCancelAsync();
        var tty = await Harness.RunAsync(["resume", journal2], interactive: true, CancellationToken.None);
        Assert.That(tty.ExitCode, Is.EqualTo(0), tty.ToString());
        Assert.That(tty.Console, Does.Contain(original2 + ")").And.Not.Contain(edited2));
    }

    /// <summary>A journal as an older version wrote it: no checksums of the parts done.</summary>
    private static void ForgetPartChecksums(string journal)
    {
        var doc = JObject.Parse(File.ReadAllText(journal));
        Assert.That(doc["partChecksums"]?.HasValues, Is.True, "this version records them");
        doc["partChecksums"] = new JObject();
        File.WriteAllText(journal, doc.ToString());
    }

    [Test]
    public async Task A_resume_of_a_journal_without_part_checksums_says_it_could_not_verify_the_stored_checksum()
    {
        const string Unknown = "checksum unknown: the resume could not verify the stored content's checksum, as its journal records no checksums of the parts sent before";
        var (_, journal, original, edited) = await EditedAfterCancelAsync();
        ForgetPartChecksums(journal);

        var plain = await Harness.RunAsync("resume", journal);

        Assert.That(plain.ExitCode, Is.EqualTo(0), plain.ToString());
        Assert.That(plain.Out, Does.Contain(Unknown));
        Assert.That(plain.All, Does.Not.Contain(edited).And.Not.Contain(original), "no checksum is presented as the stored one");

        var (_, journal2, _, edited2) = await EditedAfterCancelAsync();
        ForgetPartChecksums(journal2);
        var json = await Harness.RunAsync("resume", journal2, "--json");
        Assert.That(json.ExitCode, Is.EqualTo(0), json.ToString());
        Assert.That(JObject.Parse(json.Out.Trim())["checksum"], Is.Null, "no checksum (--json leaves out what is null)");
        Assert.That(json.Error, Does.Contain(Unknown));
        Assert.That(json.All, Does.Not.Contain(edited2));

        var (_, journal3, _, _) = await EditedAfterCancelAsync();
        ForgetPartChecksums(journal3);
        var tty = await Harness.RunAsync(["resume", journal3], interactive: true, CancellationToken.None);
        Assert.That(tty.ExitCode, Is.EqualTo(0), tty.ToString());
        // The ✔ line wraps at the terminal's width.
        Assert.That(System.Text.RegularExpressions.Regex.Replace(tty.Console, @"\s+", " "), Does.Contain(Unknown));
    }

    [Test]
    public async Task Storing_the_checksum_after_such_a_resume_fails_plainly_with_the_content_uploaded()
    {
        var (_, journal, _, _) = await EditedAfterCancelAsync();
        ForgetPartChecksums(journal);

        var run = await Harness.RunAsync("resume", journal, "--store-checksum");

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.Error, Does.Contain("but its checksum is unknown (the resumed journal did not record the checksum of every part sent before), so none was stored in its metadata")
            .And.Contain("the content is in CDF, only its checksum is missing (nothing to resume): to store one, upload it again with --store-checksum (cognite-files upload --to id:"));
        Assert.That(run.All, Does.Not.Contain("can be resumed"));
        Assert.That(File.Exists(journal), Is.False);
    }
}
