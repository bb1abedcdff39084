using Newtonsoft.Json.Linq;

namespace Cognite.Files.SpecDiff.Tests;

/// <summary>Fixture and repository paths, and fresh copies of the fixture documents to change in a test.</summary>
internal static class Fixtures
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "openapi", "cognite-files.yaml")) && File.Exists(Path.Combine(dir.FullName, "build", "spec-diff")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("no repository root (openapi/cognite-files.yaml, build/spec-diff) above " + AppContext.BaseDirectory);
    });

    /// <summary>The repository root.</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>openapi/cognite-files.yaml.</summary>
    public static string OurDocument => Path.Combine(RepoRoot, "openapi", "cognite-files.yaml");

    /// <summary>A file of Fixtures/ (copied to the output folder).</summary>
    public static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    /// <summary>A fixture document, parsed (JSON or YAML) and checked to be OpenAPI 3.</summary>
    public static JObject Load(string name) => DocumentLoader.LoadOpenApi(FixturePath(name), name);

    /// <summary>Cognite's style: OpenAPI 3.1 JSON, oneOf identifier unions, allOf, type arrays, shared responses.</summary>
    public static JObject Theirs() => Load("cognite-style.json");

    /// <summary>Our style: OpenAPI 3.0.3 YAML, the same operations, identical in substance to <see cref="Theirs"/>.</summary>
    public static JObject Ours() => Load("ours-style.yaml");

    /// <summary>The difference lines between two documents.</summary>
    public static List<string> Lines(JObject theirs, JObject ours) => SpecComparer.Compare(theirs, ours).Select(d => d.Line).ToList();

    /// <summary>The schema object at a JSON path, for changing it.</summary>
    public static JObject At(JObject document, string path) =>
        document.SelectToken(path) as JObject ?? throw new InvalidOperationException("no object at " + path);

    /// <summary>Writes text to a fresh temporary file with the given extension and returns its path.</summary>
    public static string TempFile(string text, string extension)
    {
        var path = Path.Combine(Path.GetTempPath(), "spec-diff-test-" + Guid.NewGuid().ToString("N") + extension);
        File.WriteAllText(path, text);
        return path;
    }
}
