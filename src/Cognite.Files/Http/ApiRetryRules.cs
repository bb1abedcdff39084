using System.Net;

namespace Cognite.Files.Http;

/// <summary>
/// Which API requests may be repeated. GET and the <c>POST /files/…</c> operations that only read or are
/// idempotent (list, byids, search, aggregate, downloadlink, uploadlink, multiuploadlink, update, and
/// completemultipartupload, which names its upload) are retried on 408/429/500/502/503/504, a per-attempt timeout
/// and network errors. Operations that create something — <c>POST /files</c>, <c>POST /files/initmultipartupload</c>
/// — and <c>POST /files/delete</c> are retried only on 429, which CDF answers before doing any work: a repeat after
/// a lost response would create a second file or fail with a conflict although the first attempt succeeded.
/// (Stricter than the Python SDK, which also repeats initmultipartupload.) Operations not listed here are treated
/// as not safe to repeat.
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
        return SafePosts.Contains(rest) ? RetryClass.SafeToRepeat : RetryClass.RateLimitOnly;
    }

    private static readonly HashSet<string> SafePosts = new(StringComparer.Ordinal)
    {
        "/list", "/byids", "/search", "/aggregate", "/downloadlink", "/uploadlink", "/multiuploadlink", "/update", "/completemultipartupload",
    };

    /// <summary>True when a response with <paramref name="status"/> to a request of <paramref name="retryClass"/> may be retried.</summary>
    public static bool ShouldRetry(RetryClass retryClass, HttpStatusCode status) =>
        retryClass == RetryClass.SafeToRepeat ? CogniteApiException.IsTransientStatus((int)status) : status == HttpStatusCode.TooManyRequests;
}
