using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using Cognite.Files.Reliability.Tests.Support;

namespace Cognite.Files.Reliability.Tests.Packaging;

/// <summary>
/// <c>dotnet pack</c> of the library and the CLI, the contents of both packages, and a consumer project outside the
/// solution (tests/consumer) that restores the fresh package from a local folder, compiles against it and uploads one
/// file to an emulator. One pack per run, shared by the tests below.
/// </summary>
[Category("Packaging")]
[NonParallelizable]
public sealed class PackageTests
{
    private static readonly string Version = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
    private string _feed = null!;
    private string _libraryPackage = null!;

    [OneTimeSetUp]
    public async Task PackAsync()
    {
        _feed = Repo.File("tests", "consumer", "local-feed");
        if (Directory.Exists(_feed))
        {
            Directory.Delete(_feed, recursive: true);
        }

        Directory.CreateDirectory(_feed);
        var clock = Stopwatch.StartNew();
        var pack = await DotnetAsync(Repo.Root, TimeSpan.FromMinutes(4), "pack", "src/Cognite.Files/Cognite.Files.csproj", "-c", "Release", "-o", _feed, $"-p:Version={Version}", "-p:ContinuousIntegrationBuild=true", "-nologo", "-v:q");
        Assert.That(pack.ExitCode, Is.Zero, pack.Output);
        _libraryPackage = Path.Combine(_feed, $"Cognite.Files.{Version}.nupkg");
        Assert.That(File.Exists(_libraryPackage), Is.True, string.Join(", ", Directory.GetFiles(_feed)));
        TestContext.Progress.WriteLine($"Packaging: packed Cognite.Files {Version} in {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [OneTimeTearDown]
    public void Clean()
    {
        // The consumer restore put this one-off version into the global packages folder; leave no trace there.
        var cached = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"), "cognite.files", Version.ToLowerInvariant());
        if (Directory.Exists(cached))
        {
            Directory.Delete(cached, recursive: true);
        }
    }

    [Test]
    public void LibraryPackage_HasReadme_XmlDocs_Symbols_Deterministic_WithTheGeneratedCode()
    {
        using var zip = ZipFile.OpenRead(_libraryPackage);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        TestContext.Progress.WriteLine($"Packaging: Cognite.Files.{Version}.nupkg holds: {string.Join(", ", entries.Where(e => !e.StartsWith("package/", StringComparison.Ordinal) && !e.StartsWith('[') && !e.StartsWith("_rels", StringComparison.Ordinal)).Order())}");
        Assert.That(entries, Does.Contain("README.md").And.Contain("lib/net10.0/Cognite.Files.dll").And.Contain("lib/net10.0/Cognite.Files.xml"));
        Assert.That(File.Exists(Path.ChangeExtension(_libraryPackage, ".snupkg")), Is.True, "symbols package");

        var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        XNamespace ns = nuspec.Root!.GetDefaultNamespace();
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.That(metadata.Element(ns + "id")!.Value, Is.EqualTo("Cognite.Files"));
        Assert.That(metadata.Element(ns + "readme")!.Value, Is.EqualTo("README.md"));
        Assert.That(metadata.Element(ns + "description")!.Value, Is.Not.Empty);
        var dependencies = metadata.Descendants(ns + "dependency").Select(d => (string)d.Attribute("id")!).ToList();
        Assert.That(dependencies, Does.Contain("Refit").And.Contain("Newtonsoft.Json"));
        Assert.That(dependencies, Has.None.StartsWith("NSwag").And.None.StartsWith("Microsoft.SourceLink").And.None.StartsWith("Microsoft.CodeAnalysis"), "build-time tools are not dependencies");
        Assert.That(dependencies.Where(d => d.StartsWith("Azure.", StringComparison.OrdinalIgnoreCase)), Is.Empty, "no Azure.Core: the TokenCredential bridge lives in Cognite.Files.Azure");

        var readme = new StreamReader(zip.GetEntry("README.md")!.Open()).ReadToEnd();
        Assert.That(readme, Does.Contain("Cognite.Files"));

        using var dll = new MemoryStream();
        zip.GetEntry("lib/net10.0/Cognite.Files.dll")!.Open().CopyTo(dll);
        dll.Position = 0;
        using var pe = new PEReader(dll);
        Assert.That(pe.ReadDebugDirectory().Select(d => d.Type), Does.Contain(DebugDirectoryEntryType.Reproducible), "built deterministically");
        var reader = pe.GetMetadataReader();
        var types = reader.TypeDefinitions.Select(h => reader.GetTypeDefinition(h)).Select(t => reader.GetString(t.Namespace) + "." + reader.GetString(t.Name)).ToHashSet();
        Assert.That(types, Does.Contain("Cognite.Files.Api.ICogniteFilesApi").And.Contain("Cognite.Files.Models.FileMetadata").And.Contain("Cognite.Files.Models.FileCreate"), "the generated code is inside");
        Assert.That(types, Does.Contain("Cognite.Files.CogniteFilesClient").And.Contain("Cognite.Files.Transfer.MultipartUploadEngine"));
        var publicTypes = reader.TypeDefinitions.Select(h => reader.GetTypeDefinition(h))
            .Where(t => (t.Attributes & TypeAttributes.VisibilityMask) == TypeAttributes.Public)
            .Select(t => reader.GetString(t.Name))
            .ToHashSet();
        Assert.That(PublicApiBaselineTests.InternalMachinery.Where(publicTypes.Contains), Is.Empty, "the engine, planner, HTTP plumbing and parsers are internal in the packaged dll");
        Assert.That(types, Has.None.EndsWith(".TokenCredentialAccessTokenProvider"), "moved to Cognite.Files.Azure");
        var references = reader.AssemblyReferences.Select(h => reader.GetString(reader.GetAssemblyReference(h).Name)).ToList();
        Assert.That(references, Has.None.StartsWith("Azure."), "Cognite.Files.dll does not reference Azure.Core");

        var xml = XDocument.Load(zip.GetEntry("lib/net10.0/Cognite.Files.xml")!.Open());
        var documented = xml.Descendants("member").Select(m => (string)m.Attribute("name")!).ToList();
        Assert.That(documented, Does.Contain("T:Cognite.Files.CogniteFilesClient").And.Contain("T:Cognite.Files.Api.ICogniteFilesApi").And.Contain("T:Cognite.Files.Models.FileCreate").And.Contain("P:Cognite.Files.Models.FileCreate.Directory"), "hand-written and generated docs");

        // SourceLink: on when the repository has a github.com remote (Directory.Build.props), then the package names it.
        var repository = metadata.Element(ns + "repository");
        if (HasGitHubRemote())
        {
            Assert.That((string?)repository?.Attribute("url"), Does.Contain("github.com"));
            Assert.That((string?)repository?.Attribute("commit"), Is.Not.Empty);
        }
        else
        {
            TestContext.Progress.WriteLine("Packaging: no github.com remote in this clone, so SourceLink is off (Directory.Build.props) and the nuspec names no repository.");
            Assert.That(repository?.Attribute("url"), Is.Null);
        }
    }

    [Test]
    public async Task ConsumerProject_RestoresThePackageFromALocalFolder_CompilesAndUploads()
    {
        await using var env = await EmulatorClient.StartAsync();
        var consumer = Repo.File("tests", "consumer");
        foreach (var dir in new[] { "bin", "obj" }.Select(d => Path.Combine(consumer, d)).Where(Directory.Exists))
        {
            Directory.Delete(dir, recursive: true);
        }

        var clock = Stopwatch.StartNew();
        var build = await DotnetAsync(consumer, TimeSpan.FromMinutes(3), "build", "Consumer.csproj", $"-p:CogniteFilesVersion={Version}", "-nologo", "-v:q");
        Assert.That(build.ExitCode, Is.Zero, build.Output);
        var assets = await File.ReadAllTextAsync(Path.Combine(consumer, "obj", "project.assets.json"));
        Assert.That(assets, Does.Contain($"\"Cognite.Files/{Version}\""), "restored the freshly packed package");
        Assert.That(assets, Does.Contain(_feed.Replace("\\", "\\\\", StringComparison.Ordinal)), "from the local folder");

        var run = await DotnetAsync(consumer, TimeSpan.FromMinutes(1), new Dictionary<string, string>
        {
            ["COGNITE_BASE_URL"] = env.Root.ToString(),
            ["COGNITE_PROJECT"] = env.Emulator.Options.Project,
            ["COGNITE_TOKEN"] = EmulatorClient.DefaultToken,
        }, "run", "--no-build", "--project", "Consumer.csproj");
        Assert.That(run.ExitCode, Is.Zero, run.Output);
        Assert.That(run.Output, Does.Contain("downloaded byte-exact"));
        Assert.That(run.Output, Does.Contain("first run failed as planned").And.Contain("in one request"), "the single-request, failed-multipart and resume paths all ran");
        Assert.That(env.Emulator.Counters.UploadPutRequests, Is.GreaterThanOrEqualTo(1));
        TestContext.Progress.WriteLine($"Packaging: consumer restored Cognite.Files {Version} from tests/consumer/local-feed, built and ran in {clock.Elapsed.TotalSeconds:0.0} s: {run.Output.Trim()}");
    }

    [Test]
    public async Task AzurePackage_DependsOnCogniteFilesAndAzureCore()
    {
        var clock = Stopwatch.StartNew();
        var output = Path.Combine(_feed, "azure");
        var pack = await DotnetAsync(Repo.Root, TimeSpan.FromMinutes(4), "pack", "src/Cognite.Files.Azure/Cognite.Files.Azure.csproj", "-c", "Release", "-o", output, $"-p:Version={Version}", "-p:ContinuousIntegrationBuild=true", "-nologo", "-v:q");
        Assert.That(pack.ExitCode, Is.Zero, pack.Output);
        var package = Path.Combine(output, $"Cognite.Files.Azure.{Version}.nupkg");
        Assert.That(File.Exists(package), Is.True, string.Join(", ", Directory.GetFiles(output)));
        using var zip = ZipFile.OpenRead(package);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        Assert.That(entries, Does.Contain("lib/net10.0/Cognite.Files.Azure.dll").And.Contain("lib/net10.0/Cognite.Files.Azure.xml"));
        Assert.That(entries, Has.None.EndsWith("/Cognite.Files.dll"), "Cognite.Files comes as a package dependency, not inside");

        var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        XNamespace ns = nuspec.Root!.GetDefaultNamespace();
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.That(metadata.Element(ns + "id")!.Value, Is.EqualTo("Cognite.Files.Azure"));
        Assert.That(metadata.Element(ns + "version")!.Value, Is.EqualTo(Version));
        var dependencies = metadata.Descendants(ns + "dependency").ToDictionary(d => (string)d.Attribute("id")!, d => (string?)d.Attribute("version"));
        Assert.That(dependencies.Keys, Does.Contain("Cognite.Files").And.Contain("Azure.Core"));
        Assert.That(dependencies["Cognite.Files"], Does.Contain(Version), "the Cognite.Files of the same build");
        Assert.That(dependencies.Keys, Has.None.StartsWith("Microsoft.SourceLink").And.None.StartsWith("Microsoft.CodeAnalysis"), "build-time tools are not dependencies");

        using var dll = new MemoryStream();
        zip.GetEntry("lib/net10.0/Cognite.Files.Azure.dll")!.Open().CopyTo(dll);
        dll.Position = 0;
        using var pe = new PEReader(dll);
        var reader = pe.GetMetadataReader();
        var publicTypes = reader.TypeDefinitions.Select(h => reader.GetTypeDefinition(h))
            .Where(t => (t.Attributes & TypeAttributes.VisibilityMask) == TypeAttributes.Public)
            .Select(t => reader.GetString(t.Namespace) + "." + reader.GetString(t.Name))
            .ToList();
        Assert.That(publicTypes, Does.Contain("Cognite.Files.Azure.TokenCredentialAccessTokenProvider"));
        TestContext.Progress.WriteLine($"Packaging: Cognite.Files.Azure.{Version}.nupkg depends on {string.Join(", ", dependencies.Select(d => $"{d.Key} {d.Value}"))}; packed in {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Test]
    public async Task Cli_PacksAsADotnetTool()
    {
        var clock = Stopwatch.StartNew();
        var output = Path.Combine(_feed, "cli");
        var pack = await DotnetAsync(Repo.Root, TimeSpan.FromMinutes(4), "pack", "src/Cognite.Files.Cli/Cognite.Files.Cli.csproj", "-c", "Release", "-o", output, $"-p:Version={Version}", "-p:ContinuousIntegrationBuild=true", "-nologo", "-v:q");
        Assert.That(pack.ExitCode, Is.Zero, pack.Output);
        var package = Path.Combine(output, $"Cognite.Files.Cli.{Version}.nupkg");
        using var zip = ZipFile.OpenRead(package);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        Assert.That(entries, Does.Contain("tools/net10.0/any/DotnetToolSettings.xml").And.Contain("tools/net10.0/any/Cognite.Files.Cli.dll").And.Contain("README.md"));
        var settings = XDocument.Load(zip.GetEntry("tools/net10.0/any/DotnetToolSettings.xml")!.Open());
        Assert.That(settings.Descendants("Command").Select(c => (string?)c.Attribute("Name")), Does.Contain("cognite-files"));
        var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        Assert.That(nuspec.Descendants().Where(e => e.Name.LocalName == "packageType").Select(e => (string?)e.Attribute("name")), Does.Contain("DotnetTool"));
        TestContext.Progress.WriteLine($"Packaging: Cognite.Files.Cli.{Version}.nupkg is a dotnet tool (command cognite-files), {entries.Count} entries, packed in {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Test]
    public async Task WithAGitHubRemote_ThePackageCarriesSourceLink()
    {
        // A clone of the committed HEAD whose origin is a github.com URL: SourceLink turns on (Directory.Build.props) and
        // needs no network, only the remote URL and the commit.
        var clone = Directory.CreateTempSubdirectory("cf-sourcelink-").FullName;
        try
        {
            Assert.That((await RunAsync("git", Repo.Root, TimeSpan.FromMinutes(1), new Dictionary<string, string>(), "clone", "--quiet", "--no-hardlinks", Repo.Root, clone)).ExitCode, Is.Zero);
            var head = (await RunAsync("git", Repo.Root, TimeSpan.FromSeconds(10), new Dictionary<string, string>(), "rev-parse", "HEAD")).Output.Trim();
            Assert.That((await RunAsync("git", clone, TimeSpan.FromSeconds(10), new Dictionary<string, string>(), "checkout", "--quiet", head)).ExitCode, Is.Zero);
            Assert.That((await RunAsync("git", clone, TimeSpan.FromSeconds(10), new Dictionary<string, string>(), "remote", "set-url", "origin", "https://github.com/example/cognite-files.git")).ExitCode, Is.Zero);
            var output = Path.Combine(clone, "out");
            var pack = await DotnetAsync(clone, TimeSpan.FromMinutes(4), "pack", "src/Cognite.Files/Cognite.Files.csproj", "-c", "Release", "-o", output, "-p:ContinuousIntegrationBuild=true", "-nologo", "-v:q");
            Assert.That(pack.ExitCode, Is.Zero, pack.Output);

            using var zip = ZipFile.OpenRead(Directory.GetFiles(output, "*.nupkg").Single());
            var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            var repository = nuspec.Descendants().Single(e => e.Name.LocalName == "repository");
            Assert.That((string?)repository.Attribute("url"), Is.EqualTo("https://github.com/example/cognite-files.git"));
            Assert.That((string?)repository.Attribute("commit"), Is.EqualTo(head));

            using var symbols = ZipFile.OpenRead(Directory.GetFiles(output, "*.snupkg").Single());
            using var pdbStream = new MemoryStream();
            symbols.GetEntry("lib/net10.0/Cognite.Files.pdb")!.Open().CopyTo(pdbStream);
            pdbStream.Position = 0;
            using var provider = MetadataReaderProvider.FromPortablePdbStream(pdbStream);
            var pdb = provider.GetMetadataReader();
            var sourceLinkKind = new Guid("CC110556-A091-4D38-9FEC-25AB9A351A6A");
            var sourceLink = pdb.CustomDebugInformation.Select(pdb.GetCustomDebugInformation).Where(c => pdb.GetGuid(c.Kind) == sourceLinkKind)
                .Select(c => System.Text.Encoding.UTF8.GetString(pdb.GetBlobBytes(c.Value))).Single();
            Assert.That(sourceLink, Does.Contain($"https://raw.githubusercontent.com/example/cognite-files/{head}/*"));
            var documents = pdb.Documents.Select(d => pdb.GetString(pdb.GetDocument(d).Name)).ToList();
            Assert.That(documents, Has.Some.StartsWith("/_/generated/"), "the generated sources are mapped too (deterministic /_/ paths)");
            TestContext.Progress.WriteLine($"Packaging: with a github.com remote the nuspec names the repository and commit, and the symbols map {documents.Count} sources (generated/ included) through SourceLink: {sourceLink}");
        }
        finally
        {
            Directory.Delete(clone, recursive: true);
        }
    }

    private static bool HasGitHubRemote()
    {
        // The same rule as Directory.Build.props: .git/config, or for a worktree the config of the repository it belongs to.
        var git = Repo.File(".git");
        var config = Directory.Exists(git) ? Path.Combine(git, "config")
            : File.Exists(git) ? Path.Combine(File.ReadAllText(git).Trim()[8..], "..", "..", "config")
            : null;
        return config is not null && File.Exists(config) && File.ReadAllText(config).Contains("github.com", StringComparison.Ordinal);
    }

    private static Task<(int ExitCode, string Output)> DotnetAsync(string directory, TimeSpan timeout, params string[] args) =>
        RunAsync("dotnet", directory, timeout, new Dictionary<string, string>(), args);

    private static Task<(int ExitCode, string Output)> DotnetAsync(string directory, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunAsync("dotnet", directory, timeout, environment, args);

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string directory, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (k, v) in environment)
        {
            info.Environment[k] = v;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {timeout}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
