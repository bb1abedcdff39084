using Cognite.Files.Cli.Transfers;

namespace Cognite.Files.Cli.Tests;

/// <summary>The CLI's record beside an upload journal: owner-only, whatever was there before.</summary>
[TestFixture]
public sealed class JournalSidecarTests
{
    private string _directory = null!;

    [SetUp]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("cognite-files-sidecar-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    [Test]
    public void A_saved_sidecar_is_0600_even_when_a_looser_one_was_there()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("Unix file modes");
            return;
        }

        var source = Path.Combine(_directory, "source.bin");
        File.WriteAllBytes(source, new byte[3000]);
        var journal = Path.Combine(_directory, "x.journal.json");
        var path = JournalSidecar.PathFor(journal);
        File.WriteAllText(path, "{}");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        new JournalSidecar { Source = source, Label = "source.bin", Project = "p", PartSize = 5 << 20, StoreChecksum = true }.Save(journal);

        Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        var loaded = JournalSidecar.Load(journal);
        Assert.That((loaded.Source, loaded.Label, loaded.Project, loaded.PartSize, loaded.StoreChecksum), Is.EqualTo((source, "source.bin", "p", 5L << 20, true)));
        Assert.That(Directory.GetFiles(_directory).Select(Path.GetFileName), Is.EquivalentTo(new[] { "source.bin", "x.journal.json.cli.json" }), "no temporary file left");
    }

    [Test]
    public void A_new_sidecar_is_0600()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("Unix file modes");
            return;
        }

        var source = Path.Combine(_directory, "s.bin");
        File.WriteAllBytes(source, [1, 2, 3]);
        var journal = Path.Combine(_directory, "sub", "y.journal.json");

        new JournalSidecar { Source = source, Label = "s.bin" }.Save(journal);

        Assert.That(File.GetUnixFileMode(JournalSidecar.PathFor(journal)), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }

    [Test]
    public void A_new_uploads_sidecar_never_replaces_another_uploads()
    {
        var journal = Path.Combine(_directory, "z.journal.json");
        new JournalSidecar { Source = "/data/first.bin", Label = "first.bin" }.Save(journal, createNew: true);

        var e = Assert.Throws<CliUsageException>(() => new JournalSidecar { Source = "/data/second.bin", Label = "second.bin" }.Save(journal, createNew: true));

        Assert.That(e!.Message, Does.Contain("is the journal of another upload").And.Contain("give another --journal"));
        Assert.That(JournalSidecar.Load(journal).Source, Is.EqualTo("/data/first.bin"), "the first upload's sidecar stays");
        Assert.That(Directory.GetFiles(_directory).Select(Path.GetFileName), Is.EquivalentTo(new[] { "z.journal.json.cli.json" }), "no temporary file left");
    }

    [Test]
    public void A_sidecar_of_an_older_version_with_a_source_fingerprint_still_loads()
    {
        var journal = Path.Combine(_directory, "old.journal.json");
        File.WriteAllText(JournalSidecar.PathFor(journal), """
            { "version": 1, "source": "/data/old.bin", "label": "old.bin", "embedded": true, "project": "p", "partSize": 5242880,
              "storeChecksum": false, "sourceLength": 3000, "sourceModifiedTicks": 638000000000000000, "headChecksum": "crc64-ecma182:0000000000000000", "tailChecksum": null }
            """);

        var loaded = JournalSidecar.Load(journal);

        Assert.That((loaded.Source, loaded.Label, loaded.Embedded, loaded.PartSize), Is.EqualTo(("/data/old.bin", "old.bin", true, 5L << 20)));
    }
}
