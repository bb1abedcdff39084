using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Http.Headers;
using Cognite.Files.Diagnostics;
using Microsoft.Extensions.Logging;
using Polly.Timeout;

namespace Cognite.Files.Http;

/// <summary>
/// Outermost handler of API calls: adds the SDK headers, opens one <see cref="Activity"/> per call, counts and
/// logs it, and turns every non-success response into the <see cref="CogniteApiException"/> family (so Refit never
/// throws its own ApiException) and an exhausted per-attempt timeout into <see cref="CogniteTimeoutException"/>.
/// Logs show method, path, status and request id — never tokens or query strings.
/// </summary>
internal sealed partial class CogniteApiHandler : DelegatingHandler
{
    internal const string CdfVersion = "20230101";

    private static readonly Counter<long> Requests = CogniteFilesTelemetry.Meter.CreateCounter<long>(
        "cognite.files.api.requests", "{request}", "API calls made (retries of one call count once; see cognite.files.api.retries).");

    private static readonly Histogram<double> Duration = CogniteFilesTelemetry.Meter.CreateHistogram<double>(
        "cognite.files.api.duration", "s", "Duration of API calls, retries included.");

    private readonly CogniteFilesClientOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly ProductInfoHeaderValue _userAgent = new("Cognite.Files", CogniteFilesTelemetry.Version);
    private readonly string _sdkHeader = "CogniteFilesDotNet:" + CogniteFilesTelemetry.Version;

    public CogniteApiHandler(CogniteFilesClientOptions options, ILogger logger, TimeProvider timeProvider)
    {
        _options = options;
        _logger = logger;
        _timeProvider = timeProvider;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        AddHeaders(request.Headers);

        var method = request.Method.Method;
        var path = request.RequestUri is { } uri ? UrlRedaction.PathOnly(uri) : "?";
        // The document's path template when the request is one of its operations (low cardinality by construction).
        var operation = ApiRetryRules.Find(request)?.Path ?? Operation(path);
        var host = request.RequestUri is { IsAbsoluteUri: true } absolute ? (absolute.IsDefaultPort ? absolute.Host : absolute.Authority) : "?";
        using var activity = CogniteFilesTelemetry.ActivitySource.StartActivity("CDF " + method + " " + operation, ActivityKind.Client);
        activity?.SetTag("http.request.method", method);
        activity?.SetTag("cdf.operation", operation);
        activity?.SetTag("cdf.project", _options.Project);

        var started = _timeProvider.GetTimestamp();
        var statusTag = "error";
        try
        {
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutRejectedException ex)
            {
                statusTag = "timeout";
                activity?.SetStatus(ActivityStatusCode.Error, "timeout");
                LogTimeout(_logger, method, path, _options.RequestTimeout.TotalSeconds);
                throw new CogniteTimeoutException(
                    string.Create(CultureInfo.InvariantCulture, $"CDF {method} {path} on {host} timed out after {_options.RequestTimeout.TotalSeconds:0.###} s (per attempt)."),
                    host,
                    method + " " + operation,
                    ex);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or System.Security.Authentication.AuthenticationException)
            {
                activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
                LogTransportFailure(_logger, method, path, ex.GetType().Name);
                var root = ex.GetBaseException();
                var cause = ReferenceEquals(root, ex) || ex.Message.Contains(root.Message, StringComparison.Ordinal) ? ex.Message : $"{ex.Message} ({root.Message})";
                throw new CogniteTransportException($"CDF {method} {path} on {host} got no response: {cause}", host, method + " " + operation, ex);
            }

            var status = (int)response.StatusCode;
            statusTag = status.ToString(CultureInfo.InvariantCulture);
            var requestId = response.Headers.TryGetValues("x-request-id", out var ids) ? ids.FirstOrDefault() : null;
            activity?.SetTag("http.response.status_code", status);
            activity?.SetTag("cdf.request_id", requestId);
            var elapsedMs = _timeProvider.GetElapsedTime(started).TotalMilliseconds;
            if (response.IsSuccessStatusCode)
            {
                LogSuccess(_logger, method, path, status, elapsedMs, requestId);
                return response;
            }

            activity?.SetStatus(ActivityStatusCode.Error, statusTag);
            using (response)
            {
                var exception = await CogniteErrorParser.FromResponseAsync(response, _timeProvider, cancellationToken).ConfigureAwait(false);
                LogFailure(_logger, method, path, status, elapsedMs, requestId, exception.ErrorMessage);
                throw exception;
            }
        }
        finally
        {
            var tags = new TagList
            {
                { "http.request.method", method },
                { "cdf.operation", operation },
                { "http.response.status_code", statusTag },
            };
            Requests.Add(1, tags);
            Duration.Record(_timeProvider.GetElapsedTime(started).TotalSeconds, tags);
        }
    }

    private void AddHeaders(HttpRequestHeaders headers)
    {
        headers.UserAgent.Clear();
        headers.UserAgent.Add(_userAgent);
        headers.Remove("x-cdp-sdk");
        headers.TryAddWithoutValidation("x-cdp-sdk", _sdkHeader);
        headers.Remove("x-cdp-app");
        headers.TryAddWithoutValidation("x-cdp-app", _options.AppName);
        headers.Remove("cdf-version");
        headers.TryAddWithoutValidation("cdf-version", CdfVersion);
        if (headers.Accept.Count == 0)
        {
            headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        }
    }

    /// <summary>A low-cardinality name: the path after <c>/projects/{project}</c>, numeric segments as <c>{id}</c>.</summary>
    internal static string Operation(string path)
    {
        var filesAt = path.IndexOf("/files", StringComparison.Ordinal);
        var tail = filesAt >= 0 ? path[filesAt..] : path;
        var segments = tail.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            if (segments[i].Length > 0 && segments[i].All(char.IsAsciiDigit))
            {
                segments[i] = "{id}";
            }
        }

        return string.Join('/', segments);
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "CDF {Method} {Path} answered {Status} in {ElapsedMs:F0} ms (request id {RequestId})")]
    private static partial void LogSuccess(ILogger logger, string method, string path, int status, double elapsedMs, string? requestId);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "CDF {Method} {Path} failed with {Status} in {ElapsedMs:F0} ms (request id {RequestId}): {ErrorMessage}")]
    private static partial void LogFailure(ILogger logger, string method, string path, int status, double elapsedMs, string? requestId, string errorMessage);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "CDF {Method} {Path} timed out after {TimeoutSeconds} s per attempt")]
    private static partial void LogTimeout(ILogger logger, string method, string path, double timeoutSeconds);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "CDF {Method} {Path} failed before a response: {ExceptionType}")]
    private static partial void LogTransportFailure(ILogger logger, string method, string path, string exceptionType);
}
