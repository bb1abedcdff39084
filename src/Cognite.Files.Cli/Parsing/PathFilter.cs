using Microsoft.Extensions.FileSystemGlobbing;

namespace Cognite.Files.Cli.Parsing;

/// <summary>
/// The <c>--include</c> / <c>--exclude</c> globs of directory uploads, <c>sync</c> and recursive downloads
/// (Microsoft.Extensions.FileSystemGlobbing). Patterns are relative to the directory root, with <c>/</c> between
/// segments: <c>*</c> matches within one segment, <c>**</c> any number of segments (<c>*.csv</c> is a top-level file,
/// <c>**/*.csv</c> one at any depth, <c>logs/**</c> everything under <c>logs</c>). A path is taken when it matches an
/// include (every path when there is none) and no exclude: an exclude wins. Case-sensitive, except on Windows.
/// </summary>
internal sealed class PathFilter
{
    private readonly Matcher _matcher;

    private PathFilter(Matcher matcher, bool any)
    {
        _matcher = matcher;
        IsActive = any;
    }

    /// <summary>A filter that takes every path.</summary>
    public static PathFilter All { get; } = Create([], []);

    /// <summary>True when at least one pattern was given.</summary>
    public bool IsActive { get; }

    /// <summary>Builds the filter; a pattern that is empty, absolute or climbs out of the root (<c>..</c>) is a usage error.</summary>
    public static PathFilter Create(IReadOnlyList<string> includes, IReadOnlyList<string> excludes)
    {
        var matcher = new Matcher(OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
        foreach (var pattern in includes)
        {
            matcher.AddInclude(Check("--include", pattern));
        }

        if (includes.Count == 0)
        {
            matcher.AddInclude("**/*");
        }

        foreach (var pattern in excludes)
        {
            matcher.AddExclude(Check("--exclude", pattern));
        }

        return new PathFilter(matcher, includes.Count + excludes.Count > 0);
    }

    /// <summary>True when <paramref name="relativePath"/> (<c>/</c>-separated, relative to the root) is taken.</summary>
    public bool Matches(string relativePath) => !IsActive || _matcher.Match(relativePath).HasMatches;

    private static string Check(string option, string pattern)
    {
        var trimmed = pattern.Trim().Replace('\\', '/');
        if (trimmed.StartsWith("./", StringComparison.Ordinal))
        {
            trimmed = trimmed[2..];
        }

        if (trimmed.Length == 0)
        {
            throw new CliUsageException($"{option} needs a pattern (e.g. '**/*.csv')");
        }

        if (trimmed.StartsWith('/') || Path.IsPathRooted(trimmed) || trimmed.Split('/').Contains(".."))
        {
            throw new CliUsageException($"{option} '{pattern}': patterns are relative to the directory (no leading '/', no '..'), e.g. 'logs/**' or '**/*.csv'");
        }

        return trimmed;
    }
}
