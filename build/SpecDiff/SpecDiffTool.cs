using System.Globalization;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.SpecDiff;

/// <summary>The differences of one run, split into those a known-differences entry covers and the rest.</summary>
public sealed class SpecDiffReport
{
    /// <summary>Creates a report by matching <paramref name="differences"/> against <paramref name="known"/>.</summary>
    public SpecDiffReport(IReadOnlyList<Difference> differences, IReadOnlyList<KnownDifference> known)
    {
        ArgumentNullException.ThrowIfNull(differences);
        ArgumentNullException.ThrowIfNull(known);
        Differences = differences;
        var used = new HashSet<KnownDifference>();
        var covered = new Dictionary<Difference, KnownDifference>();
        foreach (var d in differences)
        {
            if (known.FirstOrDefault(k => k.Matches(d.Line)) is { } entry)
            {
                covered[d] = entry;
                used.Add(entry);
            }
        }

        Known = covered;
        Unlisted = differences.Where(d => !covered.ContainsKey(d)).ToList();
        Stale = known.Where(k => !used.Contains(k)).ToList();
    }

    /// <summary>Every difference, grouped by operation, then by kind.</summary>
    public IReadOnlyList<Difference> Differences { get; }

    /// <summary>The differences covered by an entry, with that entry.</summary>
    public IReadOnlyDictionary<Difference, KnownDifference> Known { get; }

    /// <summary>The differences no entry covers: each one fails the run.</summary>
    public IReadOnlyList<Difference> Unlisted { get; }

    /// <summary>Entries that cover no difference (reported, not a failure).</summary>
    public IReadOnlyList<KnownDifference> Stale { get; }

    /// <summary>0 when every difference is known, else 1.</summary>
    public int ExitCode => Unlisted.Count > 0 ? 1 : 0;
}

/// <summary>
/// <c>spec-diff COGNITE_DOCUMENT [--ours FILE] [--known FILE]</c>. Exit codes: 0 no difference outside the known ones,
/// 1 at least one, 2 usage error (bad arguments, a missing or unreadable file, not JSON/YAML, not OpenAPI 3, an entry
/// of the known-differences file without a reason).
/// </summary>
public static class SpecDiffTool
{
    /// <summary>Exit code for "no difference outside the known ones".</summary>
    public const int Same = 0;

    /// <summary>Exit code for "at least one difference not listed in the known-differences file".</summary>
    public const int Drift = 1;

    /// <summary>Exit code for a usage error.</summary>
    public const int UsageError = 2;

    private const string Usage =
        "usage: spec-diff COGNITE_DOCUMENT [--ours FILE] [--known FILE]\n" +
        "  COGNITE_DOCUMENT  Cognite's whole-API OpenAPI document (3.0 or 3.1, JSON or YAML); only its /files operations are read\n" +
        "  --ours FILE       our document (default: openapi/cognite-files.yaml of this repository)\n" +
        "  --known FILE      deliberate differences (default: openapi/known-differences.yaml of this repository)\n" +
        "exit codes: 0 no difference outside the known ones, 1 at least one, 2 usage error";

    /// <summary>Runs the tool: prints the report to <paramref name="stdout"/>, errors to <paramref name="stderr"/>.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        try
        {
            return RunCore(args, stdout);
        }
        catch (SpecDiffUsageException e)
        {
            stderr.WriteLine("error: " + e.Message);
            if (e.Data.Contains("usage"))
            {
                stderr.WriteLine(Usage);
            }

            return UsageError;
        }
    }

    /// <summary>Compares two documents (JSON or YAML files) and matches the differences against a known-differences file.</summary>
    /// <exception cref="SpecDiffUsageException">A file is missing, unreadable, malformed, or not OpenAPI 3.</exception>
    public static SpecDiffReport Evaluate(string theirsPath, string oursPath, string? knownPath)
    {
        var theirs = DocumentLoader.LoadOpenApi(theirsPath, "Cognite's document");
        var ours = DocumentLoader.LoadOpenApi(oursPath, "our document");
        var known = knownPath is null ? [] : KnownDifferences.Load(knownPath, "known differences");
        return Evaluate(theirs, ours, known, $"Cognite's document ({theirsPath})");
    }

    /// <summary>Compares two parsed documents and matches the differences against <paramref name="known"/>.</summary>
    /// <exception cref="SpecDiffUsageException">Cognite's document has no /files operation.</exception>
    public static SpecDiffReport Evaluate(JObject theirs, JObject ours, IReadOnlyList<KnownDifference> known, string theirsLabel = "Cognite's document")
    {
        if (ApiModel.FilesOperations(theirs).Count == 0)
        {
            throw new SpecDiffUsageException($"{theirsLabel}: has no /files operation; is it Cognite's API document?");
        }

        return new SpecDiffReport(SpecComparer.Compare(theirs, ours), known);
    }

    private static int RunCore(IReadOnlyList<string> args, TextWriter stdout)
    {
        string? theirsPath = null, oursPath = null, knownPath = null;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "-h" or "--help":
                    stdout.WriteLine(Usage);
                    return Same;
                case "--ours" or "--known":
                    if (i + 1 >= args.Count)
                    {
                        throw UsageFailure($"{args[i]} needs a file");
                    }

                    if (args[i] == "--ours")
                    {
                        oursPath = args[++i];
                    }
                    else
                    {
                        knownPath = args[++i];
                    }

                    break;
                case var option when option.StartsWith('-') && option.Length > 1:
                    throw UsageFailure($"unknown option {option}");
                default:
                    if (theirsPath is not null)
                    {
                        throw UsageFailure($"one document expected, got a second: {args[i]}");
                    }

                    theirsPath = args[i];
                    break;
            }
        }

        if (theirsPath is null)
        {
            throw UsageFailure("give Cognite's OpenAPI document (the JSON downloaded from Cognite's API reference)");
        }

        var root = FindRepoRoot();
        if (oursPath is null)
        {
            oursPath = root is null
                ? throw UsageFailure("cannot find openapi/cognite-files.yaml above the tool or the current directory; pass --ours")
                : Path.Combine(root, "openapi", "cognite-files.yaml");
        }

        var knownNote = "";
        if (knownPath is null && root is not null)
        {
            knownPath = Path.Combine(root, "openapi", "known-differences.yaml");
            if (!File.Exists(knownPath))
            {
                knownNote = $" ({Display(knownPath, root)} does not exist: no difference is known)";
                knownPath = null;
            }
        }

        var report = Evaluate(theirsPath, oursPath, knownPath);
        var knownLabel = knownPath is null ? "the known differences" : Display(knownPath, root);
        Print(stdout, report, theirsPath, Display(oursPath, root), knownLabel, knownNote);
        return report.ExitCode;
    }

    private static void Print(TextWriter stdout, SpecDiffReport report, string theirsLabel, string oursLabel, string knownLabel, string knownNote)
    {
        stdout.WriteLine($"spec-diff: {theirsLabel} (Cognite's, /files operations only) against {oursLabel}{knownNote}");
        foreach (var group in report.Differences.GroupBy(d => d.Operation, StringComparer.Ordinal))
        {
            stdout.WriteLine();
            stdout.WriteLine("# " + group.Key);
            foreach (var d in group)
            {
                stdout.WriteLine(report.Known.ContainsKey(d) ? "known: " + d.Line : d.Line);
            }
        }

        if (report.Stale.Count > 0)
        {
            stdout.WriteLine();
            foreach (var s in report.Stale)
            {
                stdout.WriteLine($"stale: entry {s.Number} \"{s.Match}\" matches no difference (not a failure; remove or correct it)");
            }
        }

        stdout.WriteLine();
        var stale = report.Stale.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"; {report.Stale.Count} stale entr{(report.Stale.Count == 1 ? "y" : "ies")}");
        stdout.WriteLine(report.Differences.Count == 0
            ? $"spec-diff: no differences{stale}."
            : string.Create(CultureInfo.InvariantCulture,
                $"spec-diff: {report.Differences.Count} difference{(report.Differences.Count == 1 ? "" : "s")}: {report.Unlisted.Count} not listed in {knownLabel}, {report.Known.Count} known{stale}."));
        if (report.Unlisted.Count > 0)
        {
            stdout.WriteLine($"spec-diff: for each unlisted line, adopt Cognite's shape in {oursLabel} or record it with a reason in {knownLabel}.");
        }
    }

    private static SpecDiffUsageException UsageFailure(string message)
    {
        var e = new SpecDiffUsageException(message);
        e.Data["usage"] = true;
        return e;
    }

    /// <summary>The folder holding <c>openapi/cognite-files.yaml</c>, above the tool's own folder or the current one.</summary>
    internal static string? FindRepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "openapi", "cognite-files.yaml")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }

    private static string Display(string path, string? root)
    {
        if (root is null)
        {
            return path;
        }

        var relative = Path.GetRelativePath(root, Path.GetFullPath(path));
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }
}
