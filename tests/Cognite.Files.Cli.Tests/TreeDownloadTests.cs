using Cognite.Files.Cli.Commands;
using Cognite.Files.Cli.Parsing;
using Cognite.Files.Models;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Cli.Tests;

/// <summary><c>download --directory-prefix / --external-id-prefix / --name &lt;dest-dir&gt;</c>: many files into a tree.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class TreeDownloadTests : CliFixture
{
    private async Task<long> UploadAsync(string path, params string[] options)
    {
        var run = await Harness.RunAsync(["upload", path, .. options, "--json"]);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        return (long)JObject.Parse(run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0])["id"]!;
    }

    [Test]
    public async Task A_directory_prefix_recreates_the_tree_names_duplicates_by_id_and_a_second_run_skips_what_is_there()
    {
        var cdf = "/" + Unique("reports");
        var local = Unique("tree");
        var a = Harness.CreateFile(Path.Combine(local, "a.txt"), 10, seed: 1);
        var b = Harness.CreateFile(Path.Combine(local, "sub", "b.txt"), 20, seed: 2);
        var c = Harness.CreateFile(Path.Combine(local, "sub", "deep", "c.bin"), 6 * MiB, seed: 3);
        Assert.That((await Harness.RunAsync("upload", Path.Combine(Harness.Files, local), "--directory", cdf, "--part-size", "5MiB")).ExitCode, Is.EqualTo(0));
        var first = await UploadAsync(Harness.CreateFile(Unique("d1"), 30, seed: 4), "--name", "dup.txt", "--directory", cdf);
        var second = await UploadAsync(Harness.CreateFile(Unique("d2"), 40, seed: 5), "--name", "dup.txt", "--directory", cdf);
        await UploadAsync(Harness.CreateFile(Unique("sibling"), 10), "--directory", cdf + "2");
        var destination = Path.Combine(Harness.Root, Unique("out"));

        var run = await Harness.RunAsync("download", "--directory-prefix", cdf, destination, "-c", "3");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(File.ReadAllBytes(Path.Combine(destination, "a.txt")), Is.EqualTo(File.ReadAllBytes(a)));
        Assert.That(File.ReadAllBytes(Path.Combine(destination, "sub", "b.txt")), Is.EqualTo(File.ReadAllBytes(b)));
        Assert.That(File.ReadAllBytes(Path.Combine(destination, "sub", "deep", "c.bin")), Is.EqualTo(File.ReadAllBytes(c)));
        // The lowest id keeps the name (ids are not in creation order); the other gets its id.
        var (low, lowSize, high, highSize) = first < second ? (first, 30, second, 40) : (second, 40, first, 30);
        Assert.That(new FileInfo(Path.Combine(destination, "dup.txt")).Length, Is.EqualTo(lowSize), $"id {low} keeps the name");
        Assert.That(new FileInfo(Path.Combine(destination, $"dup (id {high}).txt")).Length, Is.EqualTo(highSize));
        Assert.That(Directory.GetFiles(destination, "*", SearchOption.AllDirectories), Has.Length.EqualTo(5), $"{cdf}2 is not below {cdf}");
        Assert.That(run.Out, Does.Contain($"Downloaded 5 files to {destination}: 5 downloaded"));

        var again = await Harness.RunAsync("download", "--directory-prefix", cdf, destination);
        Assert.That(again.ExitCode, Is.EqualTo(0), again.ToString());
        Assert.That(again.Out, Does.Contain("0 downloaded").And.Contain("5 already there"));
    }

    [Test]
    public async Task A_stored_checksum_tells_identical_files_from_changed_ones_and_overwrite_replaces_them()
    {
        var cdf = "/" + Unique("sums");
        var one = new byte[1000];
        var two = new byte[2000];
        new Random(1).NextBytes(one);
        new Random(2).NextBytes(two);
        await Harness.UploadWithStoredChecksumAsync("one.bin", cdf, one);
        await Harness.UploadWithStoredChecksumAsync("two.bin", cdf, two);
        var destination = Path.Combine(Harness.Root, Unique("out"));
        Assert.That((await Harness.RunAsync("download", "--directory-prefix", cdf, destination)).ExitCode, Is.EqualTo(0));
        File.WriteAllBytes(Path.Combine(destination, "two.bin"), [.. two.Take(1999), (byte)(two[1999] ^ 1)]);

        var json = await Harness.RunAsync("download", "--directory-prefix", cdf, destination, "--json");

        Assert.That(json.ExitCode, Is.EqualTo(1), json.ToString());
        var docs = json.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(JObject.Parse).ToDictionary(d => (string)d["name"]!);
        Assert.That((string?)docs["one.bin"]["status"], Is.EqualTo("skipped"));
        Assert.That((string?)docs["one.bin"]["reason"], Is.EqualTo("identical (same length and checksum)"));
        Assert.That((string?)docs["two.bin"]["status"], Is.EqualTo("failed"));
        Assert.That((string?)docs["two.bin"]["error"], Does.Contain("differs: same length, checksum").And.Contain("use --overwrite to replace it"));
        Assert.That(json.Error, Does.Contain("error: two.bin: "));

        var overwrite = await Harness.RunAsync("download", "--directory-prefix", cdf, destination, "--overwrite");
        Assert.That(overwrite.ExitCode, Is.EqualTo(0), overwrite.ToString());
        Assert.That(File.ReadAllBytes(Path.Combine(destination, "two.bin")), Is.EqualTo(two));
    }

    [Test]
    public async Task External_id_prefix_and_name_place_files_at_their_whole_directory_and_filters_apply()
    {
        var prefix = Unique("ext") + "/";
        var local = Unique("extsrc");
        Harness.CreateFile(Path.Combine(local, "keep.csv"), 10, seed: 1);
        Harness.CreateFile(Path.Combine(local, "drop.txt"), 10, seed: 2);
        Assert.That((await Harness.RunAsync("upload", Path.Combine(Harness.Files, local), "--external-id", prefix, "--directory", "/x/" + local)).ExitCode, Is.EqualTo(0));
        var destination = Path.Combine(Harness.Root, Unique("out"));

        var run = await Harness.RunAsync("download", "--external-id-prefix", prefix, destination, "--include", "**/*.csv");

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(File.Exists(Path.Combine(destination, "x", local, "keep.csv")), Is.True, run.ToString());
        Assert.That(File.Exists(Path.Combine(destination, "x", local, "drop.txt")), Is.False);

        var byName = await Harness.RunAsync("download", "--name", "drop.txt", destination);
        Assert.That(byName.ExitCode, Is.EqualTo(0), byName.ToString());
        Assert.That(File.Exists(Path.Combine(destination, "x", local, "drop.txt")), Is.True);
    }

    [Test]
    public async Task On_a_terminal_a_total_bar_and_a_line_per_file()
    {
        var cdf = "/" + Unique("ttydl");
        await UploadAsync(Harness.CreateFile(Unique("t1"), 3 * MiB, seed: 1), "--directory", cdf);
        await UploadAsync(Harness.CreateFile(Unique("t2"), 2 * MiB, seed: 2), "--directory", cdf);

        var run = await Harness.RunAsync(["download", "--directory-prefix", cdf, Path.Combine(Harness.Root, Unique("out"))], interactive: true, CancellationToken.None);

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Console, Does.Contain("download total (2 files)").And.Contain("✔ downloaded").And.Contain("Downloaded 2 files"));
        Assert.That(run.Out, Is.Empty);
    }

    [TestCase(new[] { "download", "--directory-prefix", "reports", "{out}" }, "must start with '/'")]
    [TestCase(new[] { "download", "--directory-prefix", "/r", "5", "{out}" }, "give only the destination directory")]
    [TestCase(new[] { "download", "5" }, "give the file and the destination")]
    [TestCase(new[] { "download", "5", "{out}", "--include", "*.csv" }, "--include and --exclude select files of a download of several files")]
    [TestCase(new[] { "download", "--name", "x", "{out}", "--exclude", "/abs" }, "patterns are relative")]
    public async Task Usage_errors(string[] args, string message)
    {
        var before = Harness.Emulator.Counters.ApiRequests;

        var run = await Harness.RunAsync([.. args.Select(a => a.Replace("{out}", Path.Combine(Harness.Root, "u-out"), StringComparison.Ordinal))]);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain(message));
        Assert.That(Harness.Emulator.Counters.ApiRequests, Is.EqualTo(before));
    }

    [Test]
    public void The_layout_is_relative_to_the_prefix_safe_and_deterministic()
    {
        static FileMetadata File(long id, string name, string? directory) => new() { Id = id, Name = name, Directory = directory };
        FileMetadata[] files = [File(9, "r.pdf", "/p/q"), File(3, "r.pdf", "/p/q"), File(5, "x:y?.txt", "/p"), File(7, "..", "/p"), File(8, "z", "/p2")];

        var layout = TreeLayout.Plan(files, "/p/", PathFilter.All).Select(e => e.RelativePath.Replace(Path.DirectorySeparatorChar, '/')).ToList();

        Assert.That(layout, Is.EqualTo(new[] { "q/r.pdf", "x:y?.txt".Replace(":", OperatingSystem.IsWindows() ? "_" : ":", StringComparison.Ordinal).Replace("?", OperatingSystem.IsWindows() ? "_" : "?", StringComparison.Ordinal), "_", "q/r (id 9).pdf" }));
        Assert.That(TreeLayout.Plan(files, null, PathFilter.All).Select(e => e.RelativePath.Replace(Path.DirectorySeparatorChar, '/')), Does.Contain("p2/z"));
    }
}
