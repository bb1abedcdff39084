using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.SpecDiff;

/// <summary>
/// One entry of <c>openapi/known-differences.yaml</c>: a <see cref="Match"/> (an exact difference line, or a pattern in
/// which each <c>*</c> stands for any run of characters, spaces included) and the <see cref="Reason"/> it is deliberate.
/// </summary>
public sealed class KnownDifference
{
    private readonly Regex? _pattern;

    /// <summary>Creates an entry.</summary>
    public KnownDifference(int number, string match, string reason)
    {
        ArgumentNullException.ThrowIfNull(match);
        Number = number;
        Match = match;
        Reason = reason;
        if (match.Contains('*', StringComparison.Ordinal))
        {
            var body = string.Join(".*", match.Split('*').Select(Regex.Escape));
            _pattern = new Regex("^" + body + "$", RegexOptions.Singleline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>1-based position in the file, for messages.</summary>
    public int Number { get; }

    /// <summary>The exact line or the <c>*</c> pattern.</summary>
    public string Match { get; }

    /// <summary>Why the difference is deliberate.</summary>
    public string Reason { get; }

    /// <summary>Whether this entry covers <paramref name="line"/>.</summary>
    public bool Matches(string line) => _pattern?.IsMatch(line) ?? string.Equals(Match, line, StringComparison.Ordinal);
}

/// <summary>Reads <c>openapi/known-differences.yaml</c> (or JSON): a list of <c>{match, reason}</c> entries.</summary>
public static class KnownDifferences
{
    /// <summary>Reads and checks the file; every entry needs a non-empty <c>match</c> and <c>reason</c>.</summary>
    /// <exception cref="SpecDiffUsageException">The file is unreadable or an entry is malformed.</exception>
    public static IReadOnlyList<KnownDifference> Load(string path, string label)
    {
        var token = DocumentLoader.LoadFile(path, label);
        return Parse(token, $"{label} ({path})");
    }

    /// <summary>Checks a parsed file.</summary>
    /// <exception cref="SpecDiffUsageException">An entry is malformed.</exception>
    public static IReadOnlyList<KnownDifference> Parse(JToken token, string label)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (token.Type == JTokenType.Null)
        {
            return [];
        }

        if (token is not JArray entries)
        {
            throw new SpecDiffUsageException($"{label}: expected a list of entries, each with 'match' and 'reason'");
        }

        var result = new List<KnownDifference>();
        var number = 0;
        foreach (var entry in entries)
        {
            number++;
            if (entry is not JObject obj)
            {
                throw new SpecDiffUsageException($"{label}: entry {number} is not a mapping with 'match' and 'reason'");
            }

            if (obj.Properties().FirstOrDefault(p => p.Name is not ("match" or "reason")) is { } unknown)
            {
                throw new SpecDiffUsageException($"{label}: entry {number} has an unknown key '{unknown.Name}' (only 'match' and 'reason' are allowed)");
            }

            if (obj["match"] is not JValue { Type: JTokenType.String } m || string.IsNullOrWhiteSpace((string?)m))
            {
                throw new SpecDiffUsageException($"{label}: entry {number} has no 'match'");
            }

            var match = (string)m!;
            if (obj["reason"] is not JValue { Type: JTokenType.String } r || string.IsNullOrWhiteSpace((string?)r))
            {
                throw new SpecDiffUsageException($"{label}: entry {number} (match \"{match}\") has no reason: say why the difference is deliberate");
            }

            result.Add(new KnownDifference(number, match, ((string)r!).Trim()));
        }

        return result;
    }
}
