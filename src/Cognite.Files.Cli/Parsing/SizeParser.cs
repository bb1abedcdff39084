using System.Globalization;

namespace Cognite.Files.Cli.Parsing;

/// <summary>
/// Parses byte sizes: a plain number of bytes (<c>5242880</c>) or a number with a unit (<c>64MiB</c>, <c>5MB</c>,
/// <c>1.5GiB</c>, <c>512k</c>). Like the AWS CLI, the units are binary whichever way they are spelt: <c>MB</c> =
/// <c>MiB</c> = <c>M</c> = 1,048,576 bytes.
/// </summary>
internal static class SizeParser
{
    private static readonly (string Suffix, long Factor)[] Units =
    [
        ("kib", 1L << 10), ("mib", 1L << 20), ("gib", 1L << 30), ("tib", 1L << 40),
        ("kb", 1L << 10), ("mb", 1L << 20), ("gb", 1L << 30), ("tb", 1L << 40),
        ("k", 1L << 10), ("m", 1L << 20), ("g", 1L << 30), ("t", 1L << 40),
        ("b", 1),
    ];

    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim().Replace("_", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
        long factor = 1;
        foreach (var (suffix, f) in Units)
        {
            if (s.EndsWith(suffix, StringComparison.Ordinal))
            {
                factor = f;
                s = s[..^suffix.Length].TrimEnd();
                break;
            }
        }

        if (!decimal.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) || number < 0)
        {
            return false;
        }

        var value = number * factor;
        if (value > long.MaxValue || value != decimal.Truncate(value))
        {
            return false;
        }

        bytes = (long)value;
        return true;
    }
}
