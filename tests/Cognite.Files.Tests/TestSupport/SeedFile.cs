namespace Cognite.Files.Tests.TestSupport;

/// <summary>
/// Reads the seed files under <c>tests/Cognite.Files.Tests/Fixtures/seeds/</c>: pages copied from the CDF API
/// docs (a curl request, its response, then page text), where JSON sits inline with other text.
/// </summary>
public static class SeedFile
{
    /// <summary>The text of a seed file.</summary>
    public static string Read(string fileName) => File.ReadAllText(RepoPaths.Fixture("seeds", fileName));

    /// <summary>
    /// Every top-level JSON object in <paramref name="text"/> that starts with an <c>"items"</c> property,
    /// in order of appearance, as raw JSON text. Braces inside JSON strings are honoured.
    /// </summary>
    public static IReadOnlyList<string> ItemsObjects(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var found = new List<string>();
        for (var start = text.IndexOf('{', StringComparison.Ordinal); start >= 0; start = text.IndexOf('{', start + 1))
        {
            var end = MatchingBrace(text, start);
            if (end < 0)
            {
                continue;
            }

            var candidate = text[start..(end + 1)];
            if (candidate[1..].TrimStart().StartsWith("\"items\"", StringComparison.Ordinal))
            {
                found.Add(candidate);
                start = end;
            }
        }

        return found;
    }

    private static int MatchingBrace(string text, int open)
    {
        var depth = 0;
        var inString = false;
        for (var i = open; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }
            }
            else if (c == '"')
            {
                inString = true;
            }
            else if (c == '{')
            {
                depth++;
            }
            else if (c == '}' && --depth == 0)
            {
                return i;
            }
        }

        return -1;
    }
}
