using System.Net;
using Cognite.Files.Api;
using Refit;

namespace Cognite.Files.Http;

/// <summary>
/// Which API requests may be repeated, as the OpenAPI document says: its <c>x-cognite-retry</c> extension on every
/// operation, emitted by the codegen into <see cref="CogniteFilesApiOperations"/>. <c>safe</c> operations (GET, and the
/// <c>POST /files/…</c> operations that only read or are idempotent) are retried on 408/429/500/502/503/504, a
/// per-attempt timeout and network errors; <c>rate-limit-only</c> ones (<c>POST /files</c>,
/// <c>initmultipartupload</c>, <c>delete</c>) only on 429, which CDF answers before doing any work: a repeat after a
/// lost response would create a second file or fail with a conflict although the first attempt succeeded. A request
/// that matches no operation is treated as not safe to repeat.
/// </summary>
internal static class ApiRetryRules
{
    private const string Safe = "safe";

    private static readonly Dictionary<string, (string OperationId, string Method, string Path, string Retry)> ByMethodName =
        CogniteFilesApiOperations.All.ToDictionary(o => o.OperationId + "Async", o => o, StringComparer.Ordinal);

    /// <summary>How a request may be retried.</summary>
    public enum RetryClass
    {
        /// <summary>Safe to repeat: retried on transient statuses, timeouts and network errors.</summary>
        SafeToRepeat,

        /// <summary>Not idempotent: retried only on 429 (rejected before any work).</summary>
        RateLimitOnly,
    }

    /// <summary>
    /// Classifies <paramref name="request"/>: by the operation of the OpenAPI document it belongs to
    /// (<see cref="Find"/>); a request of no known operation may not be repeated.
    /// </summary>
    public static RetryClass Classify(HttpRequestMessage? request) =>
        Find(request) is { } operation && operation.Retry == Safe ? RetryClass.SafeToRepeat : RetryClass.RateLimitOnly;

    /// <summary>
    /// The operation of the OpenAPI document <paramref name="request"/> belongs to: by the Refit method that made it
    /// (its name is the operation id), or else by method and path against the operations' path templates.
    /// </summary>
    public static (string OperationId, string Method, string Path, string Retry)? Find(HttpRequestMessage? request)
    {
        if (request is null)
        {
            return null;
        }

        // Refit names the interface method on every request it builds (its name is the operation id + "Async").
        if (request.Options.TryGetValue(new HttpRequestOptionsKey<string>(HttpRequestMessageOptions.MethodName), out var methodName)
            && ByMethodName.TryGetValue(methodName, out var byName))
        {
            return byName;
        }

        var path = request.RequestUri is null ? string.Empty
            : request.RequestUri.IsAbsoluteUri ? request.RequestUri.AbsolutePath : request.RequestUri.OriginalString.Split('?')[0];
        var segments = path.TrimEnd('/').Split('/');
        // The most literal template wins: /files/icon is GetIcon, not GetFileById with id "icon".
        return CogniteFilesApiOperations.All
            .Where(o => string.Equals(o.Method, request.Method.Method, StringComparison.OrdinalIgnoreCase) && EndsWithTemplate(segments, o.Path))
            .OrderBy(o => o.Path.Count(c => c == '{'))
            .Select(o => ((string, string, string, string)?)o)
            .FirstOrDefault();
    }

    /// <summary>True when a response with <paramref name="status"/> to a request of <paramref name="retryClass"/> may be retried.</summary>
    public static bool ShouldRetry(RetryClass retryClass, HttpStatusCode status) =>
        retryClass == RetryClass.SafeToRepeat ? CogniteApiException.IsTransientStatus((int)status) : status == HttpStatusCode.TooManyRequests;

    /// <summary>Whether the path ends with the template's segments (<c>{name}</c> matches any one segment).</summary>
    private static bool EndsWithTemplate(string[] segments, string template)
    {
        var parts = template.Trim('/').Split('/');
        if (parts.Length > segments.Length)
        {
            return false;
        }

        var offset = segments.Length - parts.Length;
        for (var i = 0; i < parts.Length; i++)
        {
            var isParameter = parts[i].StartsWith('{') && parts[i].EndsWith('}');
            if (!isParameter && !string.Equals(parts[i], segments[offset + i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
