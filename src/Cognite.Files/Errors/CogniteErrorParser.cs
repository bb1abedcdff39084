using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Cognite.Files.Diagnostics;
using Cognite.Files.Models;
using Cognite.Files.Serialization;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Cognite.Files;

/// <summary>
/// The one reader of error responses: CDF's body <c>{"error":{"code","message","missing","duplicated"}}</c> is read
/// as the generated <see cref="ErrorResponse"/>; any other body becomes the message (or, from object storage, only the
/// store's error code). Builds the matching <see cref="CogniteApiException"/> subclass.
/// </summary>
internal static partial class CogniteErrorParser
{
    private const int MaxBodyChars = 4096;

    /// <summary>Reads an error response (body included) and returns the matching exception subclass.</summary>
    public static async Task<CogniteApiException> FromResponseAsync(HttpResponseMessage response, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = await ReadBodyOrEmptyAsync(response, cancellationToken).ConfigureAwait(false);
        return Create(ParseDetails(response, body, timeProvider));
    }

    /// <summary>
    /// Like <see cref="FromResponseAsync"/> for a response from a pre-signed (object-store) URL. Object stores'
    /// error bodies can echo signing material (S3's SignatureDoesNotMatch holds the signature and string to sign),
    /// so a body that is not a CDF error is reduced to the store's error code.
    /// </summary>
    public static async Task<CogniteApiException> FromPresignedResponseAsync(HttpResponseMessage response, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = await ReadBodyOrEmptyAsync(response, cancellationToken).ConfigureAwait(false);
        return Create(ParseDetails(response, TryParse(body) is not null ? body : StorageErrorSummary(response, body), timeProvider));
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
    public static CogniteErrorDetails ParseDetails(HttpResponseMessage response, string body, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(response);
        var request = response.RequestMessage;
        var requestId = response.Headers.TryGetValues("x-request-id", out var ids) ? ids.FirstOrDefault() : null;
        var error = TryParse(body);
        var message = error is null ? body : error.Message ?? string.Empty;
        if (string.IsNullOrWhiteSpace(message))
        {
            message = response.ReasonPhrase ?? response.StatusCode.ToString();
        }

        return new CogniteErrorDetails(
            response.StatusCode,
            error?.Code,
            message.Trim(),
            ToPlain(error?.Missing),
            ToPlain(error?.Duplicated),
            requestId,
            RetryAfter(response.Headers, timeProvider),
            request?.Method.Method ?? "?",
            request?.RequestUri is { } uri ? UrlRedaction.PathOnly(uri) : "?");
    }

    /// <summary>
    /// The one <c>Retry-After</c> reading: a delay as given, a date relative to <paramref name="timeProvider"/>'s now
    /// (never negative); null when absent.
    /// </summary>
    public static TimeSpan? RetryAfter(HttpResponseHeaders headers, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(headers);
        return headers.RetryAfter switch
        {
            { Delta: { } delta } => delta < TimeSpan.Zero ? TimeSpan.Zero : delta,
            { Date: { } date } => date - timeProvider.GetUtcNow() is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero,
            _ => null,
        };
    }

    /// <summary>The body's <c>error</c> object when the body is CDF's error JSON; null for anything else.</summary>
    private static Error? TryParse(string body)
    {
        if (string.IsNullOrWhiteSpace(body) || body.TrimStart()[0] != '{')
        {
            return null;
        }

        try
        {
            return CogniteJson.Deserialize<ErrorResponse>(body)?.Error;
        }
        catch (JsonException)
        {
            return null; // not CDF's error shape: the raw text is the message
        }
    }

    /// <summary>The start of the error body; empty when the connection broke while reading it (the status still counts).</summary>
    private static async Task<string> ReadBodyOrEmptyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                using var reader = new StreamReader(stream, Encoding.UTF8);
                var buffer = new char[MaxBodyChars];
                var read = await reader.ReadBlockAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
                return new string(buffer, 0, read);
            }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return string.Empty;
        }
    }

    private static string StorageErrorSummary(HttpResponseMessage response, string body)
    {
        var code = response.Headers.TryGetValues("x-ms-error-code", out var ms) ? ms.FirstOrDefault()
            : StorageErrorCode().Match(body) is { Success: true } m ? m.Groups[1].Value
            : null;
        return code is not null
            ? $"The storage service refused the request: {code}."
            : string.IsNullOrWhiteSpace(body) ? string.Empty : $"The storage service refused the request (a {body.Length}-character body, not shown: it may echo signing details).";
    }

    private static IReadOnlyList<IReadOnlyDictionary<string, object?>> ToPlain(IList<ErrorItem>? items) =>
        items is null ? [] : items.Select(i => (IReadOnlyDictionary<string, object?>)i.ToDictionary(kv => kv.Key, kv => ToPlain(kv.Value))).ToList();

    private static object? ToPlain(object? value) => value switch
    {
        JValue v => v.Value,
        JObject o => o.Properties().ToDictionary(p => p.Name, p => ToPlain(p.Value)),
        JArray a => a.Select(ToPlain).ToList(),
        _ => value,
    };

    [GeneratedRegex("<Code>([A-Za-z0-9.]{1,64})</Code>")]
    private static partial Regex StorageErrorCode();
}
