using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using Cognite.Files.Reliability.Tests.Support;

namespace Cognite.Files.Reliability.Tests.Packaging;

/// <summary>
/// <c>dotnet pack</c> of the library, the Azure bridge, the CLI, the emulator (a library and a dotnet tool) and
/// Cognite.Files.Testing, the contents of those packages, and a consumer project outside the solution (tests/consumer)
/// that restores the fresh packages from a local folder, compiles against them and uploads to an emulator: one it is
/// pointed at, and one it starts itself with Cognite.Files.Testing. One pack per run, shared by the tests below.
/// </summary>
[Category("Packaging")]
[NonParallelizable]
public sealed class PackageTests
{
    private static readonly string Version = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
    private string _feed = null!;
    private string _libraryPackage = null!;
    private string _emulatorPackage = null!;
    private string _testingPackage = null!;

    /// <summary>The packages the consumer restores from local-feed/ (tests/consumer/nuget.config maps these ids to it).</summary>
    private static readonly string[] FeedPackages = ["Cognite.Files", "Cognite.Files.Emulator", "Cognite.Files.Testing"];

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

        // The consumer also needs Cognite.Files.Testing and the Cognite.Files.Emulator package it depends on.
        foreach (var id in new[] { "Cognite.Files.Emulator", "Cognite.Files.Testing" })
        {
            clock.Restart();
            var packed = await DotnetAsync(Repo.Root, TimeSpan.FromMinutes(4), "pack", $"src/{id}/{id}.csproj", "-c", "Release", "-o", _feed, $"-p:Version={Version}", "-p:ContinuousIntegrationBuild=true", "-nologo", "-v:q");
            Assert.That(packed.ExitCode, Is.Zero, packed.Output);
            Assert.That(File.Exists(Path.Combine(_feed, $"{id}.{Version}.nupkg")), Is.True, string.Join(", ", Directory.GetFiles(_feed)));
            TestContext.Progress.WriteLine($"Packaging: packed {id} {Version} in {clock.Elapsed.TotalSeconds:0.0} s");
        }

        _emulatorPackage = Path.Combine(_feed, $"Cognite.Files.Emulator.{Version}.nupkg");
        _testingPackage = Path.Combine(_feed, $"Cognite.Files.Testing.{Version}.nupkg");
    }

    [OneTimeTearDown]
    public void Clean()
    {
        // The consumer restore put this one-off version into the global packages folder; leave no trace there.
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var cached in FeedPackages.Select(id => Path.Combine(packages, id.ToLowerInvariant(), Version.ToLowerInvariant())).Where(Directory.Exists))
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
        foreach (var id in FeedPackages)
        {
            Assert.That(assets, Does.Contain($"\"{id}/{Version}\""), $"restored the freshly packed {id}");
        }

        Assert.That(assets, Does.Contain(_feed.Replace("\\", "\\\\", StringComparison.Ordinal)), "from the local folder");
        var runtimeConfig = await File.ReadAllTextAsync(Directory.GetFiles(Path.Combine(consumer, "bin"), "Consumer.runtimeconfig.json", SearchOption.AllDirectories).Single());
        Assert.That(runtimeConfig, Does.Contain("Microsoft.AspNetCore.App"), "the emulator package brought the ASP.NET Core shared framework to a plain console project");

        var run = await DotnetAsync(consumer, TimeSpan.FromMinutes(1), new Dictionary<string, string?>
        {
            ["COGNITE_BASE_URL"] = env.Root.ToString(),
            ["COGNITE_PROJECT"] = env.Emulator.Options.Project,
            ["COGNITE_TOKEN"] = EmulatorClient.DefaultToken,
        }, "run", "--no-build", "--project", "Consumer.csproj");
        Assert.That(run.ExitCode, Is.Zero, run.Output);
        Assert.That(run.Output, Does.Contain("downloaded byte-exact"));
        Assert.That(run.Output, Does.Contain("first run failed as planned").And.Contain("in one request"), "the single-request, failed-multipart and resume paths all ran");
        Assert.That(run.Output, Does.Not.Contain("started its own emulator"));
        Assert.That(env.Emulator.Counters.UploadPutRequests, Is.GreaterThanOrEqualTo(1));
        TestContext.Progress.WriteLine($"Packaging: consumer restored {string.Join(", ", FeedPackages)} {Version} from tests/consumer/local-feed, built and ran in {clock.Elapsed.TotalSeconds:0.0} s: {run.Output.Trim()}");

        // Without COGNITE_BASE_URL the consumer starts its own emulator through the Cognite.Files.Testing package.
        clock.Restart();
        var own = await DotnetAsync(consumer, TimeSpan.FromMinutes(1), new Dictionary<string, string?>
        {
            ["COGNITE_BASE_URL"] = null,
            ["COGNITE_PROJECT"] = null,
            ["COGNITE_TOKEN"] = null,
        }, "run", "--no-build", "--project", "Consumer.csproj");
        Assert.That(own.ExitCode, Is.Zero, own.Output);
        Assert.That(own.Output, Does.Contain("started its own emulator (Cognite.Files.Testing)").And.Contain("downloaded byte-exact"));
        Assert.That(own.Output, Does.Contain("stored content hashes match, and a scheduled 503 on part 1 was retried once"));
        TestContext.Progress.WriteLine($"Packaging: consumer with its own emulator (Cognite.Files.Testing) ran in {clock.Elapsed.TotalSeconds:0.0} s: {own.Output.Trim()}");
    }

    [Test]
    public void TestingPackage_DependsOnCogniteFilesAndTheEmulatorPackage_WhichBringsAspNetCore()
    {
        using var zip = ZipFile.OpenRead(_testingPackage);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        Assert.That(entries, Does.Contain("README.md").And.Contain("lib/net10.0/Cognite.Files.Testing.dll").And.Contain("lib/net10.0/Cognite.Files.Testing.xml"));
        Assert.That(entries, Has.None.EndsWith("/Cognite.Files.dll").And.None.EndsWith("/Cognite.Files.Emulator.dll"), "both come as package dependencies, not inside");
        Assert.That(File.Exists(Path.ChangeExtension(_testingPackage, ".snupkg")), Is.True, "symbols package");
        var metadata = Metadata(zip, out var ns);
        Assert.That(metadata.Element(ns + "id")!.Value, Is.EqualTo("Cognite.Files.Testing"));
        Assert.That(metadata.Element(ns + "readme")!.Value, Is.EqualTo("README.md"));
        var dependencies = metadata.Descendants(ns + "dependency").ToDictionary(d => (string)d.Attribute("id")!, d => (string?)d.Attribute("version"));
        Assert.That(dependencies.Keys, Does.Contain("Cognite.Files").And.Contain("Cognite.Files.Emulator").And.Contain("Microsoft.Extensions.TimeProvider.Testing"));
        Assert.That(dependencies["Cognite.Files"], Does.Contain(Version), "the Cognite.Files of the same build");
        Assert.That(dependencies["Cognite.Files.Emulator"], Does.Contain(Version), "the emulator of the same build");
        Assert.That(dependencies.Keys, Has.None.StartsWith("Microsoft.SourceLink").And.None.StartsWith("Microsoft.CodeAnalysis"), "build-time tools are not dependencies");
        var publicTypes = PublicTypes(zip, "lib/net10.0/Cognite.Files.Testing.dll");
        Assert.That(publicTypes, Does.Contain("Cognite.Files.Testing.CogniteFilesEmulator").And.Contain("Cognite.Files.Testing.EmulatorStartOptions").And.Contain("Cognite.Files.Testing.EmulatorFaults"));

        // The emulator package: a library (not a tool) whose nuspec carries the ASP.NET Core framework reference.
        using var emulator = ZipFile.OpenRead(_emulatorPackage);
        var emulatorEntries = emulator.Entries.Select(e => e.FullName).ToList();
        Assert.That(emulatorEntries, Does.Contain("lib/net10.0/Cognite.Files.Emulator.dll").And.Contain("lib/net10.0/Cognite.Files.Emulator.xml").And.Contain("README.md"));
        Assert.That(File.Exists(Path.ChangeExtension(_emulatorPackage, ".snupkg")), Is.True, "symbols package");
        var emulatorMetadata = Metadata(emulator, out var ens);
        Assert.That(emulatorMetadata.Element(ens + "id")!.Value, Is.EqualTo("Cognite.Files.Emulator"));
        Assert.That(emulatorMetadata.Descendants(ens + "packageType").Select(e => (string?)e.Attribute("name")), Has.None.EqualTo("DotnetTool"));
        Assert.That(emulatorMetadata.Descendants(ens + "frameworkReference").Select(e => (string?)e.Attribute("name")), Does.Contain("Microsoft.AspNetCore.App"));
        var emulatorDependencies = emulatorMetadata.Descendants(ens + "dependency").Select(d => (string)d.Attribute("id")!).ToList();
        Assert.That(emulatorDependencies, Does.Contain("Microsoft.Data.Sqlite").And.Not.Contain("Cognite.Files"), "the emulator is independent of the SDK");
        Assert.That(PublicTypes(emulator, "lib/net10.0/Cognite.Files.Emulator.dll"), Does.Contain("Cognite.Files.Emulator.CogniteFilesEmulator"));
        TestContext.Progress.WriteLine($"Packaging: Cognite.Files.Testing.{Version}.nupkg depends on {string.Join(", ", dependencies.Select(d => $"{d.Key} {d.Value}"))}; Cognite.Files.Emulator.{Version}.nupkg references the framework Microsoft.AspNetCore.App and depends on {string.Join(", ", emulatorDependencies)}");
    }

    [Test]
    public async Task EmulatorTool_PacksAsADotnetTool_ThatInstallsAndServes()
    {
        var clock = Stopwatch.StartNew();
        var output = Path.Combine(_feed, "emulator-tool");
        var pack = await DotnetAsync(Repo.Root, TimeSpan.FromMinutes(4), "pack", "src/Cognite.Files.Emulator.Tool/Cognite.Files.Emulator.Tool.csproj", "-c", "Release", "-o", output, $"-p:Version={Version}", "-p:ContinuousIntegrationBuild=true", "-nologo", "-v:q");
        Assert.That(pack.ExitCode, Is.Zero, pack.Output);
        var package = Path.Combine(output, $"cognite-files-emulator.{Version}.nupkg");
        Assert.That(File.Exists(package), Is.True, string.Join(", ", Directory.GetFiles(output)));
        using (var zip = ZipFile.OpenRead(package))
        {
            var entries = zip.Entries.Select(e => e.FullName).ToList();
            Assert.That(entries, Does.Contain("tools/net10.0/any/DotnetToolSettings.xml").And.Contain("tools/net10.0/any/Cognite.Files.Emulator.Tool.dll").And.Contain("tools/net10.0/any/Cognite.Files.Emulator.dll").And.Contain("README.md"));
            var settings = XDocument.Load(zip.GetEntry("tools/net10.0/any/DotnetToolSettings.xml")!.Open());
            Assert.That(settings.Descendants("Command").Select(c => (string?)c.Attribute("Name")), Does.Contain("cognite-files-emulator"));
            var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            Assert.That(nuspec.Descendants().Where(e => e.Name.LocalName == "packageType").Select(e => (string?)e.Attribute("name")), Does.Contain("DotnetTool"));
            Assert.That(nuspec.Descendants().Single(e => e.Name.LocalName == "id").Value, Is.EqualTo("cognite-files-emulator"));
        }

        // Install it as a user would (into a tool path, not globally), start it on free ports and ask it for its health.
        var tools = Directory.CreateTempSubdirectory("cf-emulator-tool-").FullName;
        try
        {
            var install = await DotnetAsync(tools, TimeSpan.FromMinutes(2), "tool", "install", "cognite-files-emulator", "--tool-path", Path.Combine(tools, "bin"), "--add-source", output, "--version", Version);
            Assert.That(install.ExitCode, Is.Zero, install.Output);
            var command = Path.Combine(tools, "bin", OperatingSystem.IsWindows() ? "cognite-files-emulator.exe" : "cognite-files-emulator");
            var help = await RunAsync(command, tools, TimeSpan.FromSeconds(30), new Dictionary<string, string?>(), "--help");
            Assert.That(help.ExitCode, Is.Zero, help.Output);
            Assert.That(help.Output, Does.Contain("--port").And.Contain("--data"));

            var info = new ProcessStartInfo(command) { WorkingDirectory = tools, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "--port", "0", "--upload-port", "0", "--data", Path.Combine(tools, "data") })
            {
                info.ArgumentList.Add(a);
            }

            using var process = Process.Start(info)!;
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                string? api = null;
                while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line && !line.StartsWith("ready", StringComparison.Ordinal))
                {
                    api = line.StartsWith("api: ", StringComparison.Ordinal) ? line["api: ".Length..].Trim() : api;
                }

                Assert.That(api, Is.Not.Null, "the tool prints its api: line before ready");
                using var http = new HttpClient();
                using var health = await http.GetAsync(new Uri(new Uri(api!).GetLeftPart(UriPartial.Authority) + "/_emulator/health"), timeout.Token);
                Assert.That((int)health.StatusCode, Is.EqualTo(200));
                TestContext.Progress.WriteLine($"Packaging: cognite-files-emulator.{Version}.nupkg is a dotnet tool; installed with `dotnet tool install --tool-path`, it served {api} (packed and checked in {clock.Elapsed.TotalSeconds:0.0} s)");
            }
            finally
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        finally
        {
            Directory.Delete(tools, recursive: true);
        }
    }

    private static XElement Metadata(ZipArchive zip, out XNamespace ns)
    {
        var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        ns = nuspec.Root!.GetDefaultNamespace();
        return nuspec.Root.Element(ns + "metadata")!;
    }

    private static List<string> PublicTypes(ZipArchive zip, string entry)
    {
        using var dll = new MemoryStream();
        zip.GetEntry(entry)!.Open().CopyTo(dll);
        dll.Position = 0;
        using var pe = new PEReader(dll);
        var reader = pe.GetMetadataReader();
        return reader.TypeDefinitions.Select(h => reader.GetTypeDefinition(h))
            .Where(t => (t.Attributes & TypeAttributes.VisibilityMask) == TypeAttributes.Public)
            .Select(t => reader.GetString(t.Namespace) + "." + reader.GetString(t.Name))
            .ToList();
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
            Assert.That((await RunAsync("git", Repo.Root, TimeSpan.FromMinutes(1), new Dictionary<string, string?>(), "clone", "--quiet", "--no-hardlinks", Repo.Root, clone)).ExitCode, Is.Zero);
            var head = (await RunAsync("git", Repo.Root, TimeSpan.FromSeconds(10), new Dictionary<string, string?>(), "rev-parse", "HEAD")).Output.Trim();
            Assert.That((await RunAsync("git", clone, TimeSpan.FromSeconds(10), new Dictionary<string, string?>(), "checkout", "--quiet", head)).ExitCode, Is.Zero);
            Assert.That((await RunAsync("git", clone, TimeSpan.FromSeconds(10), new Dictionary<string, string?>(), "remote", "set-url", "origin", "https://github.com/example/cognite-files.git")).ExitCode, Is.Zero);
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
        RunAsync("dotnet", directory, timeout, new Dictionary<string, string?>(), args);

    private static Task<(int ExitCode, string Output)> DotnetAsync(string directory, TimeSpan timeout, IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        RunAsync("dotnet", directory, timeout, environment, args);

    /// <summary>Runs <paramref name="program"/>; an <paramref name="environment"/> entry with a null value removes that variable.</summary>
    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string directory, TimeSpan timeout, IReadOnlyDictionary<string, string?> environment, params string[] args)
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
            if (v is null)
            {
                info.Environment.Remove(k);
            }
            else
            {
                info.Environment[k] = v;
            }
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
