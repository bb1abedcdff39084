using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace Cognite.Files.Emulator;

/// <summary>What a download answers to its <c>Range</c> header.</summary>
internal enum RangeOutcome
{
    /// <summary>200 with the whole content: no header, or one the server may ignore (RFC 9110 §14.2).</summary>
    Whole,

    /// <summary>206 with <see cref="ByteRange.Start"/> .. <see cref="ByteRange.End"/> and <c>Content-Range</c>.</summary>
    Partial,

    /// <summary>416 with <c>Content-Range: bytes */length</c>.</summary>
    Unsatisfiable,
}

/// <summary>
/// One range of a <c>Range: bytes=…</c> header, as object stores serve it (RFC 9110 §14): <c>bytes=a-b</c>,
/// <c>bytes=a-</c> and <c>bytes=-n</c>. Several ranges, another unit, or a header that does not parse are ignored (the
/// whole content, 200), which RFC 9110 allows; one range that starts at or beyond the end, or <c>bytes=-0</c>, is
/// unsatisfiable (416). Content of zero bytes has no byte to range over and is always served whole.
/// </summary>
internal readonly record struct ByteRange(RangeOutcome Outcome, long Start, long Length)
{
    /// <summary>The last byte of a <see cref="RangeOutcome.Partial"/> range (inclusive).</summary>
    public long End => Start + Length - 1;

    public static ByteRange Evaluate(StringValues header, long contentLength)
    {
        var whole = new ByteRange(RangeOutcome.Whole, 0, contentLength);
        if (header.Count != 1 || contentLength == 0) return whole;
        var value = header[0]!.Trim();
        const string unit = "bytes=";
        if (!value.StartsWith(unit, StringComparison.OrdinalIgnoreCase)) return whole;
        var spec = value[unit.Length..].Trim();
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0 || spec.Contains(',', StringComparison.Ordinal)) return whole;
        var (first, last) = (spec[..dash], spec[(dash + 1)..]);

        if (first.Length == 0)
        {
            // A suffix: the last n bytes (all of them when n is larger than the content).
            if (Digits(last) is not { } suffix) return whole;
            if (suffix == 0) return new ByteRange(RangeOutcome.Unsatisfiable, 0, 0);
            var start = Math.Max(0, contentLength - suffix);
            return new ByteRange(RangeOutcome.Partial, start, contentLength - start);
        }

        if (Digits(first) is not { } from) return whole;
        long to;
        if (last.Length == 0) to = long.MaxValue;
        else if (Digits(last) is { } parsed) to = parsed;
        else return whole;
        if (to < from) return whole; // an invalid range-spec: the header is ignored
        if (from >= contentLength) return new ByteRange(RangeOutcome.Unsatisfiable, 0, 0);
        var end = Math.Min(to, contentLength - 1);
        return new ByteRange(RangeOutcome.Partial, from, end - from + 1);
    }

    /// <summary><c>bytes a-b/length</c> for a partial answer, <c>bytes */length</c> for an unsatisfiable one.</summary>
    public string ContentRange(long contentLength) => Outcome == RangeOutcome.Partial
        ? string.Create(CultureInfo.InvariantCulture, $"bytes {Start}-{End}/{contentLength}")
        : string.Create(CultureInfo.InvariantCulture, $"bytes */{contentLength}");

    /// <summary>A run of ASCII digits (a number too large for 64 bits is as good as infinite here); null for anything else.</summary>
    private static long? Digits(string s)
    {
        if (s.Length == 0 || !s.All(char.IsAsciiDigit)) return null;
        return long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : long.MaxValue;
    }
}

/// <summary>
/// The conditional headers of a download (RFC 9110 §13), against the content's strong ETag (<c>"version"</c>):
/// <c>If-Match</c> (false: 412) and <c>If-Range</c> (false: the <c>Range</c> is ignored and the whole content is served).
/// Comparison is strong: a weak tag never matches. The emulator sends no <c>Last-Modified</c>, so an <c>If-Range</c> date
/// cannot be shown to match and is false.
/// </summary>
internal static class Preconditions
{
    /// <summary>The ETag of a content version.</summary>
    public static string ETag(string version) => "\"" + version + "\"";

    /// <summary>True without the header, for <c>*</c> (the content exists), or when one listed tag is <paramref name="etag"/>.</summary>
    public static bool IfMatch(StringValues header, string etag)
    {
        if (header.Count == 0) return true;
        foreach (var value in header)
        {
            foreach (var tag in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (tag == "*" || string.Equals(tag, etag, StringComparison.Ordinal)) return true;
            }
        }

        return false;
    }

    /// <summary>True without the header (the Range stands), or when it is exactly <paramref name="etag"/>.</summary>
    public static bool IfRange(StringValues header, string etag) =>
        header.Count == 0 || (header.Count == 1 && string.Equals(header[0]?.Trim(), etag, StringComparison.Ordinal));
}
