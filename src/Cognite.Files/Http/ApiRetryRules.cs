using System.Net;

namespace Cognite.Files.Http;

/// <summary>
/// Which API requests may be repeated. Follows the Python SDK: GET and every <c>POST /files/…</c> that only
/// reads or is idempotent are retried on 408/429/500/502/503/504, a per-attempt timeout and network errors;
/// <c>POST /files</c> (create) and <c>POST /files/delete</c> are retried only on 429, which CDF answers before
/// doing any work.
/// </summary>
public static class ApiRetryRules
{
    /// <summary>How a request may be retried.</summary>
    public enum RetryClass
    {
        /// <summary>Safe to repeat: retried on transient statuses, timeouts and network errors.</summary>
        SafeToRepeat,

        /// <summary>Not idempotent: retried only on 429 (rejected before any work).</summary>
        RateLimitOnly,
    }

    /// <summary>Classifies <paramref name="request"/> by method and path.</summary>
    public static RetryClass Classify(HttpRequestMessage? request)
    {
        if (request is null)
        {
            return RetryClass.RateLimitOnly;
        }

        if (request.Method == HttpMethod.Get || request.Method == HttpMethod.Head)
        {
            return RetryClass.SafeToRepeat;
        }

        if (request.Method != HttpMethod.Post || request.RequestUri is null)
        {
            return RetryClass.RateLimitOnly;
        }

        var path = request.RequestUri.IsAbsoluteUri ? request.RequestUri.AbsolutePath : request.RequestUri.OriginalString.Split('?')[0];
        path = path.TrimEnd('/');
        var filesAt = path.LastIndexOf("/files", StringComparison.Ordinal);
        if (filesAt < 0)
        {
            return RetryClass.RateLimitOnly;
        }

        var rest = path[(filesAt + "/files".Length)..];
        return rest switch
        {
            "" => RetryClass.RateLimitOnly,          // POST /files creates a file
            "/delete" => RetryClass.RateLimitOnly,   // POST /files/delete
            _ when rest.StartsWith('/') && rest.IndexOf('/', 1) < 0 => RetryClass.SafeToRepeat,
            _ => RetryClass.RateLimitOnly,
        };
    }

    /// <summary>True when a response with <paramref name="status"/> to a request of <paramref name="retryClass"/> may be retried.</summary>
    public static bool ShouldRetry(RetryClass retryClass, HttpStatusCode status) =>
        retryClass == RetryClass.SafeToRepeat ? CogniteApiException.IsTransientStatus((int)status) : status == HttpStatusCode.TooManyRequests;
}
