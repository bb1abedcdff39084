using System.Globalization;
using System.Net;
using System.Text;

namespace Cognite.Files;

/// <summary>
/// A CDF request that got an error response. Built from the CDF error body
/// <c>{"error":{"code","message","missing","duplicated"}}</c>; a non-JSON body becomes the message.
/// Use the subclasses to tell "not found", "conflict", "rate limited", "unauthorized" and "forbidden" apart.
/// </summary>
public class CogniteApiException : CogniteException
{
    private const int MaxItemsInMessage = 10;

    /// <summary>Creates an exception from the parts of an error response.</summary>
    public CogniteApiException(CogniteErrorDetails details, Exception? innerException = null)
        : base(BuildMessage(details ?? throw new ArgumentNullException(nameof(details))), details.RequestId, innerException)
    {
        StatusCode = details.StatusCode;
        ErrorCode = details.ErrorCode;
        ErrorMessage = details.ErrorMessage;
        Missing = details.Missing;
        Duplicated = details.Duplicated;
        RetryAfter = details.RetryAfter;
        Method = details.Method;
        RequestPath = details.RequestPath;
    }

    /// <summary>The HTTP status code of the response.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The <c>error.code</c> of the CDF body (usually the HTTP status), when present.</summary>
    public int? ErrorCode { get; }

    /// <summary>The <c>error.message</c> of the CDF body, or the raw body text when it was not CDF JSON.</summary>
    public string ErrorMessage { get; }

    /// <summary>Identifier objects CDF reported as missing (e.g. <c>{"id": 1}</c>).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, object?>> Missing { get; }

    /// <summary>Identifier objects CDF reported as duplicated (e.g. <c>{"externalId": "a"}</c>).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, object?>> Duplicated { get; }

    /// <summary>The server's <c>Retry-After</c>, when it sent one.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The HTTP method of the failed request.</summary>
    public string Method { get; }

    /// <summary>The path of the failed request, without query string (which may hold signatures).</summary>
    public string RequestPath { get; }

    /// <summary>True for statuses that a request which is safe to repeat may be retried on (408, 429, 5xx but 501).</summary>
    public bool IsTransient => IsTransientStatus((int)StatusCode);

    /// <summary>True for statuses worth retrying for a request that is safe to repeat.</summary>
    internal static bool IsTransientStatus(int statusCode) =>
        statusCode is 408 or 429 or 500 or 502 or 503 or 504;

    private static string BuildMessage(CogniteErrorDetails d)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"CDF {d.Method} {d.RequestPath} failed with {(int)d.StatusCode} ({d.StatusCode}): {d.ErrorMessage}");
        AppendItems(sb, "Missing", d.Missing);
        AppendItems(sb, "Duplicated", d.Duplicated);
        if (d.RequestId is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $" (request id {d.RequestId})");
        }

        return sb.ToString();
    }

    private static void AppendItems(StringBuilder sb, string label, IReadOnlyList<IReadOnlyDictionary<string, object?>> items)
    {
        if (items.Count == 0)
        {
            return;
        }

        var shown = items.Take(MaxItemsInMessage).Select(i => "{" + string.Join(", ", i.Select(kv => $"{kv.Key}: {FormatValue(kv.Value)}")) + "}");
        sb.Append(CultureInfo.InvariantCulture, $" {label}: [{string.Join(", ", shown)}{(items.Count > MaxItemsInMessage ? $", … {items.Count - MaxItemsInMessage} more" : string.Empty)}].");
    }

    private static string FormatValue(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        IDictionary<string, object?> d => "{" + string.Join(", ", d.Select(kv => $"{kv.Key}: {FormatValue(kv.Value)}")) + "}",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}

/// <summary>The parsed parts of a CDF error response.</summary>
/// <param name="StatusCode">HTTP status.</param>
/// <param name="ErrorCode">The body's <c>error.code</c>.</param>
/// <param name="ErrorMessage">The body's <c>error.message</c> or raw text.</param>
/// <param name="Missing">The body's <c>error.missing</c> items.</param>
/// <param name="Duplicated">The body's <c>error.duplicated</c> items.</param>
/// <param name="RequestId">The <c>x-request-id</c> header.</param>
/// <param name="RetryAfter">The <c>Retry-After</c> header.</param>
/// <param name="Method">The request's HTTP method.</param>
/// <param name="RequestPath">The request's path, without query.</param>
public sealed record CogniteErrorDetails(
    HttpStatusCode StatusCode,
    int? ErrorCode,
    string ErrorMessage,
    IReadOnlyList<IReadOnlyDictionary<string, object?>> Missing,
    IReadOnlyList<IReadOnlyDictionary<string, object?>> Duplicated,
    string? RequestId,
    TimeSpan? RetryAfter,
    string Method,
    string RequestPath);

/// <summary>Items do not exist: 404, or 400/422 with <c>missing</c> items.</summary>
public sealed class CogniteNotFoundException(CogniteErrorDetails details, Exception? innerException = null)
    : CogniteApiException(details, innerException);

/// <summary>Items already exist: 409, or 400 with <c>duplicated</c> items.</summary>
public sealed class CogniteConflictException(CogniteErrorDetails details, Exception? innerException = null)
    : CogniteApiException(details, innerException);

/// <summary>429: too many requests; see <see cref="CogniteApiException.RetryAfter"/>.</summary>
public sealed class CogniteRateLimitedException(CogniteErrorDetails details, Exception? innerException = null)
    : CogniteApiException(details, innerException);

/// <summary>401: the token is missing, invalid or expired.</summary>
public sealed class CogniteUnauthorizedException(CogniteErrorDetails details, Exception? innerException = null)
    : CogniteApiException(details, innerException);

/// <summary>403: the token is valid but lacks access (ACL, data set scope), or a pre-signed URL was rejected.</summary>
public sealed class CogniteForbiddenException(CogniteErrorDetails details, Exception? innerException = null)
    : CogniteApiException(details, innerException);
