namespace Cognite.Files.Diagnostics;

/// <summary>
/// Makes URLs safe for messages and logs: pre-signed upload and download URLs carry their credentials in
/// the query string, so only scheme, host, port and path are ever shown.
/// </summary>
internal static class UrlRedaction
{
    /// <summary>The path of <paramref name="uri"/> (no query, no fragment); relative URIs are returned up to '?'.</summary>
    public static string PathOnly(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri)
        {
            var s = uri.OriginalString;
            var q = s.IndexOfAny(['?', '#']);
            return q < 0 ? s : s[..q];
        }

        return uri.AbsolutePath;
    }

    /// <summary><paramref name="uri"/> without query or user info, with a marker when a query was removed.</summary>
    public static string Redact(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri)
        {
            var path = PathOnly(uri);
            return path.Length == uri.OriginalString.Length ? path : path + "?REDACTED";
        }

        var left = uri.GetComponents(UriComponents.Scheme | UriComponents.Host | UriComponents.Port | UriComponents.Path, UriFormat.UriEscaped);
        return string.IsNullOrEmpty(uri.Query) ? left : left + "?REDACTED";
    }

    /// <summary>Like <see cref="Redact(Uri)"/> for a string that may not be a valid URI.</summary>
    public static string Redact(string? url)
    {
        if (string.IsNullOrEmpty(url))
        {
            return string.Empty;
        }

        return Uri.TryCreate(url, UriKind.RelativeOrAbsolute, out var uri) ? Redact(uri) : "(unparseable URL)";
    }
}
