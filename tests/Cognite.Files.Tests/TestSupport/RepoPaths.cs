namespace Cognite.Files.Tests.TestSupport;

/// <summary>
/// Locates files of the repository from a test run, wherever the test assembly was built to.
/// </summary>
public static class RepoPaths
{
    private static readonly Lazy<string> Root = new(() => FindRepoRoot(AppContext.BaseDirectory));

    /// <summary>The repository root: the nearest folder above the test assembly that holds <c>openapi/</c>.</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>The OpenAPI document the DTOs and the Refit interface are generated from.</summary>
    public static string OpenApiDocument => Path.Combine(RepoRoot, "openapi", "cognite-files.yaml");

    /// <summary>A file under <c>tests/Cognite.Files.Tests/Fixtures/</c>, e.g. <c>Fixture("seeds", "000_x.txt")</c>.</summary>
    public static string Fixture(params string[] relativePath) =>
        Path.Combine([RepoRoot, "tests", "Cognite.Files.Tests", "Fixtures", .. relativePath]);

    /// <summary>
    /// Walks up from <paramref name="startDirectory"/> to the first folder containing an <c>openapi</c> folder.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No such folder above <paramref name="startDirectory"/>.</exception>
    public static string FindRepoRoot(string startDirectory)
    {
        for (var dir = new DirectoryInfo(startDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "openapi")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No folder containing 'openapi/' above '{startDirectory}'.");
    }
}
