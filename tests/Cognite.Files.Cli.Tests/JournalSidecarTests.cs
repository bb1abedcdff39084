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

        new JournalSidecar { Source = source, Label = "source.bin", Project = "p", PartSize = 5 << 20, StoreChecksum = true }.WithSourceFingerprint().Save(journal);

        Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        var loaded = JournalSidecar.Load(journal);
        Assert.That((loaded.Source, loaded.Label, loaded.Project, loaded.PartSize, loaded.StoreChecksum, loaded.SourceLength), Is.EqualTo((source, "source.bin", "p", 5L << 20, true, (long?)3000)));
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

        new JournalSidecar { Source = source, Label = "s.bin" }.WithSourceFingerprint().Save(journal);

        Assert.That(File.GetUnixFileMode(JournalSidecar.PathFor(journal)), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }
}
