using System.Globalization;

namespace Cognite.Files.Cli.Parsing;

/// <summary>
/// Parses byte sizes and rates.
/// <list type="bullet">
/// <item>Sizes (<see cref="TryParse"/>): a plain number of bytes (<c>5242880</c>) or a number with a unit (<c>64MiB</c>,
/// <c>5MB</c>, <c>1.5GiB</c>, <c>512k</c>). Like the AWS CLI, the units are binary whichever way they are spelt:
/// <c>MB</c> = <c>MiB</c> = <c>M</c> = 1,048,576 bytes.</item>
/// <item>Rates (<see cref="TryParseRate"/>, <c>--bwlimit</c>): bytes per second, a unit and an optional <c>/s</c>
/// (<c>50MiB/s</c>, <c>800KiB/s</c>, <c>1.5GB/s</c>). Here the two families differ, as network speeds are quoted:
/// <c>KiB</c>, <c>MiB</c>, <c>GiB</c> (and the bare <c>K</c>, <c>M</c>, <c>G</c>, as rclone reads them) are binary;
/// <c>kB</c>, <c>MB</c>, <c>GB</c> are decimal (1,000,000 bytes per MB). Always bytes, never bits.</item>
/// </list>
/// Units are case-insensitive.
/// </summary>
internal static class SizeParser
{
    private static readonly (string Suffix, long Factor)[] SizeUnits =
    [
        ("kib", 1L << 10), ("mib", 1L << 20), ("gib", 1L << 30), ("tib", 1L << 40),
        ("kb", 1L << 10), ("mb", 1L << 20), ("gb", 1L << 30), ("tb", 1L << 40),
        ("k", 1L << 10), ("m", 1L << 20), ("g", 1L << 30), ("t", 1L << 40),
        ("b", 1),
    ];

    private static readonly (string Suffix, long Factor)[] RateUnits =
    [
        ("kib", 1L << 10), ("mib", 1L << 20), ("gib", 1L << 30),
        ("kb", 1_000), ("mb", 1_000_000), ("gb", 1_000_000_000),
        ("k", 1L << 10), ("m", 1L << 20), ("g", 1L << 30),
        ("b", 1),
    ];

    public static bool TryParse(string? text, out long bytes) => TryParse(text, SizeUnits, out bytes);

    /// <summary>A rate in bytes per second (see the class remarks); a fraction of a byte is dropped.</summary>
    public static bool TryParseRate(string? text, out long bytesPerSecond)
    {
        bytesPerSecond = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim();
        if (s.EndsWith("/s", StringComparison.OrdinalIgnoreCase))
        {
            s = s[..^2];
        }

        return TryParse(s, RateUnits, out bytesPerSecond, allowFraction: true);
    }

    private static bool TryParse(string? text, (string Suffix, long Factor)[] units, out long bytes, bool allowFraction = false)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim().Replace("_", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
        long factor = 1;
        foreach (var (suffix, f) in units)
        {
            if (s.EndsWith(suffix, StringComparison.Ordinal))
            {
                factor = f;
                s = s[..^suffix.Length].TrimEnd();
                break;
            }
        }

        // Checked before multiplying, so that no number is too large for the product.
        if (!decimal.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) || number < 0 || number > long.MaxValue / factor)
        {
            return false;
        }

        var value = number * factor;
        if (value > long.MaxValue || (!allowFraction && value != decimal.Truncate(value)))
        {
            return false;
        }

        bytes = (long)decimal.Truncate(value);
        return true;
    }
}
