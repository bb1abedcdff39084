namespace Cognite.Files.Cli.Parsing;

/// <summary>The files under a local directory, as directory uploads and <c>sync</c> see them.</summary>
internal static class LocalTree
{
    /// <summary>
    /// Every file under <paramref name="root"/>, recursively, with its <c>/</c>-separated path relative to it, taken by
    /// <paramref name="filter"/>, in ordinal order of the relative path. Symbolic links and other reparse points are
    /// skipped (a link to a directory could loop).
    /// </summary>
    public static List<(string Path, string Relative)> Files(string root, PathFilter filter) =>
        Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false, AttributesToSkip = FileAttributes.ReparsePoint })
            .Select(path => (Path: path, Relative: Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/')))
            .Where(f => filter.Matches(f.Relative))
            .OrderBy(f => f.Relative, StringComparer.Ordinal)
            .ToList();
}
