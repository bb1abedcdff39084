using System.Globalization;
using System.Net;
using System.Text;
using Cognite.Files.Diagnostics;
using Newtonsoft.Json.Linq;

namespace Cognite.Files;

/// <summary>
/// A CDF request that got an error response. Built from the CDF error body
/// <c>{"error":{"code","message","missing","duplicated"}}</c>; a non-JSON body becomes the message.
/// Use the subclasses to tell "not found", "conflict", "rate limited", "unauthorized" and "forbidden" apart.
/// </summary>
public class CogniteApiException : CogniteException
{
    private const int MaxBodyChars = 4096;
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
    public static bool IsTransientStatus(int statusCode) =>
        statusCode is 408 or 429 or 500 or 502 or 503 or 504;

    /// <summary>Reads an error response (body included) and returns the matching exception subclass.</summary>
    public static async Task<CogniteApiException> FromResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = await ReadBodyOrEmptyAsync(response, cancellationToken).ConfigureAwait(false);
        return Create(ParseDetails(response, body));
    }

    /// <summary>
    /// Like <see cref="FromResponseAsync"/> for a response from a pre-signed (object-store) URL. Object stores'
    /// error bodies can echo signing material (S3's SignatureDoesNotMatch holds the signature and string to sign),
    /// so a body that is not a CDF error is reduced to the store's error code.
    /// </summary>
    internal static async Task<CogniteApiException> FromPresignedResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = await ReadBodyOrEmptyAsync(response, cancellationToken).ConfigureAwait(false);
        return Create(ParseDetails(response, TryParseError(body, out _) ? body : StorageErrorSummary(response, body)));
    }

    /// <summary>The start of the error body; empty when the connection broke while reading it (the status still counts).</summary>
    private static async Task<string> ReadBodyOrEmptyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadBoundedAsync(response.Content, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return string.Empty;
        }
    }

    private static string StorageErrorSummary(HttpResponseMessage response, string body)
    {
        var code = response.Headers.TryGetValues("x-ms-error-code", out var ms) ? ms.FirstOrDefault()
            : System.Text.RegularExpressions.Regex.Match(body, "<Code>([A-Za-z0-9.]{1,64})</Code>") is { Success: true } m ? m.Groups[1].Value
            : null;
        return code is not null
            ? $"The storage service refused the request: {code}."
            : string.IsNullOrWhiteSpace(body) ? string.Empty : $"The storage service refused the request (a {body.Length}-character body, not shown: it may echo signing details).";
    }

    /// <summary>Picks the subclass for the status and body.</summary>
    public static CogniteApiException Create(CogniteErrorDetails details, Exception? innerException = null)
    {
        ArgumentNullException.ThrowIfNull(details);
        var status = (int)details.StatusCode;
        return status switch
        {
            401 => new CogniteUnauthorizedException(details, innerException),
            403 => new CogniteForbiddenException(details, innerException),
            409 => new CogniteConflictException(details, innerException),
            429 => new CogniteRateLimitedException(details, innerException),
            404 => new CogniteNotFoundException(details, innerException),
            400 or 422 when details.Missing.Count > 0 => new CogniteNotFoundException(details, innerException),
            400 when details.Duplicated.Count > 0 => new CogniteConflictException(details, innerException),
            _ => new CogniteApiException(details, innerException),
        };
    }

    /// <summary>Parses the CDF error body (tolerating any other body) and the headers of <paramref name="response"/>.</summary>
    public static CogniteErrorDetails ParseDetails(HttpResponseMessage response, string body)
    {
        ArgumentNullException.ThrowIfNull(response);
        var request = response.RequestMessage;
        var requestId = response.Headers.TryGetValues("x-request-id", out var ids) ? ids.FirstOrDefault() : null;
        TimeSpan? retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow is { } d && d > TimeSpan.Zero ? d : TimeSpan.Zero,
            _ => null,
        };

        int? code = null;
        var message = body;
        var missing = Array.Empty<IReadOnlyDictionary<string, object?>>() as IReadOnlyList<IReadOnlyDictionary<string, object?>>;
        var duplicated = missing;
        if (TryParseError(body, out var error))
        {
            code = error.Value<int?>("code");
            message = error.Value<string>("message") ?? string.Empty;
            missing = ReadItems(error["missing"]);
            duplicated = ReadItems(error["duplicated"]);
        }

        if (string.IsNullOrWhiteSpace(message))
        {
            message = response.ReasonPhrase ?? response.StatusCode.ToString();
        }

        return new CogniteErrorDetails(
            response.StatusCode,
            code,
            message.Trim(),
            missing,
            duplicated,
            requestId,
            retryAfter,
            request?.Method.Method ?? "?",
            request?.RequestUri is { } uri ? UrlRedaction.PathOnly(uri) : "?");
    }

    private static bool TryParseError(string body, out JObject error)
    {
        error = null!;
        if (string.IsNullOrWhiteSpace(body) || body.TrimStart()[0] != '{')
        {
            return false;
        }

        try
        {
            if (JObject.Parse(body)["error"] is JObject e)
            {
                error = e;
                return true;
            }
        }
        catch (Newtonsoft.Json.JsonException)
        {
            // Not CDF JSON: the raw text is the message.
        }

        return false;
    }

    private static IReadOnlyList<IReadOnlyDictionary<string, object?>> ReadItems(JToken? token)
    {
        if (token is not JArray array)
        {
            return [];
        }

        return array.OfType<JObject>()
            .Select(o => (IReadOnlyDictionary<string, object?>)o.Properties().ToDictionary(p => p.Name, p => ToPlain(p.Value)))
            .ToList();
    }

    private static object? ToPlain(JToken token) => token switch
    {
        JValue v => v.Value,
        JObject o => o.Properties().ToDictionary(p => p.Name, p => ToPlain(p.Value)),
        JArray a => a.Select(ToPlain).ToList(),
        _ => token.ToString(),
    };

    private static async Task<string> ReadBoundedAsync(HttpContent? content, CancellationToken cancellationToken)
    {
        if (content is null)
        {
            return string.Empty;
        }

        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var buffer = new char[MaxBodyChars];
            var read = await reader.ReadBlockAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
            return new string(buffer, 0, read);
        }
    }

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
