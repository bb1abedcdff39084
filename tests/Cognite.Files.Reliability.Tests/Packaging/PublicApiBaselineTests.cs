using System.Text.RegularExpressions;
using System.Xml.Linq;
using Cognite.Files.Reliability.Tests.Support;

namespace Cognite.Files.Reliability.Tests.Packaging;

/// <summary>
/// The public API baseline (Microsoft.CodeAnalysis.PublicApiAnalyzers) covers what users see — the generated DTOs and
/// Refit interface too — and nothing switches its checks off.
/// </summary>
public sealed partial class PublicApiBaselineTests
{
    private static IReadOnlyList<string> Baseline() =>
        System.IO.File.ReadAllLines(Repo.File("src", "Cognite.Files", "PublicAPI.Shipped.txt"))
            .Concat(System.IO.File.ReadAllLines(Repo.File("src", "Cognite.Files", "PublicAPI.Unshipped.txt")))
            .ToList();

    [Test]
    public void EveryPublicGeneratedType_IsInTheBaseline()
    {
        var baseline = Baseline();
        var generated = Directory.GetFiles(Repo.File("generated"), "*.g.cs");
        Assert.That(generated, Is.Not.Empty);
        var types = generated
            .SelectMany(f => PublicType().Matches(System.IO.File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Name: m.Groups["name"].Value)))
            .ToList();
        Assert.That(types, Has.Count.GreaterThan(20), "the generated DTOs and the Refit interface");
        var missing = types.Where(t => !baseline.Any(line => Regex.IsMatch(line, @"(^|\s)Cognite\.Files\.(Models|Api)\." + Regex.Escape(t.Name) + @"(\.|$|\s)"))).ToList();
        Assert.That(missing, Is.Empty, "generated public types absent from src/Cognite.Files/PublicAPI.*.txt (run build/update-public-api.sh)");
    }

    [Test]
    public void TheBaseline_TracksNullability_AndListsTheRefitOperations()
    {
        Assert.That(System.IO.File.ReadLines(Repo.File("src", "Cognite.Files", "PublicAPI.Unshipped.txt")).First(), Is.EqualTo("#nullable enable"));
        Assert.That(System.IO.File.ReadLines(Repo.File("src", "Cognite.Files", "PublicAPI.Shipped.txt")).First(), Is.EqualTo("#nullable enable"));
        var operations = Regex.Matches(System.IO.File.ReadAllText(Repo.File("generated", "Cognite.Files.Api.g.cs")), @"Task<\w+> (\w+Async)\(").Select(m => m.Groups[1].Value).ToList();
        Assert.That(operations, Has.Count.GreaterThanOrEqualTo(14));
        var baseline = Baseline();
        Assert.That(operations.Where(op => !baseline.Any(l => l.StartsWith("Cognite.Files.Api.ICogniteFilesApi." + op + "(", StringComparison.Ordinal))), Is.Empty);
    }

    /// <summary>
    /// The machinery behind <see cref="CogniteFilesClient"/> (the upload engine and its steps, planning, limits, the HTTP
    /// plumbing, serialization, error parsing, redaction): internal, so that it can change without breaking users.
    /// </summary>
    internal static readonly IReadOnlyList<string> InternalMachinery =
    [
        "MultipartUploadEngine", "IMultipartUploadSteps", "CdfMultipartUploadSteps", "MultipartPlanner", "UploadPlan",
        "TransferConcurrencyLimiter", "PresignedUrlClient", "ApiRetryRules", "CdfUrlParameterFormatter", "CogniteRefitSettings",
        "NewtonsoftContentSerializer", "CogniteJson", "BearerTokenHandler", "UrlRedaction", "CogniteErrorParser",
        "UploadSource", "UploadTarget", "UploadSession",
    ];

    [Test]
    public void TheBaseline_ListsNoneOfTheInternalMachinery()
    {
        var unshipped = System.IO.File.ReadAllLines(Repo.File("src", "Cognite.Files", "PublicAPI.Unshipped.txt"));
        Assert.That(unshipped, Has.Length.GreaterThan(100), "the baseline is the real one");
        var listed = InternalMachinery
            .SelectMany(name => unshipped.Where(line => Regex.IsMatch(line, $@"\b{name}\b")).Select(line => $"{name}: {line}"))
            .ToList();
        Assert.That(listed, Is.Empty, "internal machinery in src/Cognite.Files/PublicAPI.Unshipped.txt");
        var shipped = System.IO.File.ReadAllLines(Repo.File("src", "Cognite.Files", "PublicAPI.Shipped.txt"));
        Assert.That(InternalMachinery.Where(name => shipped.Any(line => Regex.IsMatch(line, $@"\b{name}\b"))), Is.Empty, "nor in PublicAPI.Shipped.txt");

        // The list is not stale: every name is a type of the library, and none of them is visible outside it.
        var types = typeof(CogniteFilesClient).Assembly.GetTypes();
        var missing = InternalMachinery.Where(name => !types.Any(t => t.Name == name || t.Name.StartsWith(name + "`", StringComparison.Ordinal))).ToList();
        Assert.That(missing, Is.Empty, "names that are no type of Cognite.Files any more (update the list)");
        var visible = types.Where(t => t.IsVisible && InternalMachinery.Contains(t.Name)).Select(t => t.FullName).ToList();
        Assert.That(visible, Is.Empty, "internal machinery that is public");
    }

    [Test]
    public void TheAzurePackage_HasItsOwnBaseline_WithTheTokenCredentialBridge()
    {
        var azure = System.IO.File.ReadAllLines(Repo.File("src", "Cognite.Files.Azure", "PublicAPI.Shipped.txt"))
            .Concat(System.IO.File.ReadAllLines(Repo.File("src", "Cognite.Files.Azure", "PublicAPI.Unshipped.txt")))
            .ToList();
        Assert.That(azure, Does.Contain("Cognite.Files.Azure.TokenCredentialAccessTokenProvider"));
        Assert.That(Baseline().Where(l => l.Contains("TokenCredential", StringComparison.Ordinal) || l.Contains("Azure.Core", StringComparison.Ordinal)), Is.Empty, "Cognite.Files itself exposes nothing of Azure.Core");
    }

    [Test]
    public void TheTestingPackage_HasItsOwnBaseline_WithTheOneLineStart()
    {
        var project = XDocument.Load(Repo.File("src", "Cognite.Files.Testing", "Cognite.Files.Testing.csproj"));
        Assert.That(project.Descendants("PackageReference").Select(e => (string?)e.Attribute("Include")), Does.Contain("Microsoft.CodeAnalysis.PublicApiAnalyzers"));
        Assert.That(project.Descendants().Where(e => e.Name.LocalName is "NoWarn" or "WarningsNotAsErrors").SelectMany(e => BaselineRule().Matches(e.Value).Select(m => m.Value)).Where(r => r != "RS0026"), Is.Empty);
        var shipped = System.IO.File.ReadAllLines(Repo.File("src", "Cognite.Files.Testing", "PublicAPI.Shipped.txt"));
        var unshipped = System.IO.File.ReadAllLines(Repo.File("src", "Cognite.Files.Testing", "PublicAPI.Unshipped.txt"));
        Assert.That(shipped.First(), Is.EqualTo("#nullable enable"));
        Assert.That(unshipped.First(), Is.EqualTo("#nullable enable"));
        Assert.That(shipped.Concat(unshipped), Has.Some.StartsWith("static Cognite.Files.Testing.CogniteFilesEmulator.StartAsync("));
        Assert.That(shipped.Concat(unshipped), Has.Some.StartsWith("Cognite.Files.Testing.CogniteFilesEmulator.CreateClient("));
    }

    [Test]
    public void TheAnalyzer_IsReferenced_AndNoneOfItsBaselineRulesIsSilenced()
    {
        var project = XDocument.Load(Repo.File("src", "Cognite.Files", "Cognite.Files.csproj"));
        Assert.That(project.Descendants("PackageReference").Select(e => (string?)e.Attribute("Include")), Does.Contain("Microsoft.CodeAnalysis.PublicApiAnalyzers"));
        var msbuildFiles = new[] { "Directory.Build.props", "src/Cognite.Files/Cognite.Files.csproj", "build/Cognite.Files.Codegen.targets" }
            .Select(p => XDocument.Load(Repo.File(p.Split('/'))));
        var silencedInMsbuild = msbuildFiles
            .SelectMany(d => d.Descendants().Where(e => e.Name.LocalName is "NoWarn" or "WarningsNotAsErrors"))
            .SelectMany(e => BaselineRule().Matches(e.Value).Select(m => m.Value));
        var silencedInEditorConfig = Directory.EnumerateFiles(Repo.Root, "*", SearchOption.AllDirectories)
            .Where(p => Path.GetFileName(p) == ".editorconfig" || p.EndsWith(".globalconfig", StringComparison.Ordinal))
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(System.IO.File.ReadAllLines)
            .Where(l => l.TrimStart().StartsWith("dotnet_diagnostic.RS", StringComparison.Ordinal) || l.Contains("generated_code", StringComparison.Ordinal))
            .Select(l => l.Trim());
        var silenced = silencedInMsbuild.Concat(silencedInEditorConfig).ToList();
        // RS0026 (overloads with optional parameters) is the one documented exception; the rules that keep the
        // baseline honest (RS0016 add, RS0017 remove, RS0036/RS0037 nullability, RS0041 oblivious) stay on.
        Assert.That(silenced.Where(r => r != "RS0026"), Is.Empty);
    }

    [GeneratedRegex(@"public (?:partial )?(?:class|interface|enum|record|struct) (?<name>\w+)")]
    private static partial Regex PublicType();

    [GeneratedRegex(@"RS00\d\d")]
    private static partial Regex BaselineRule();
}
