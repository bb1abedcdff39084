namespace Cognite.Files.Reliability.Tests.Support;

/// <summary>Paths in the repository, found by walking up from the test directory to the solution file.</summary>
internal static class Repo
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "Cognite.Files.Generated.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Cognite.Files.Generated.sln not found above " + TestContext.CurrentContext.TestDirectory);
    });

    public static string Root => RootPath.Value;

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);
}
