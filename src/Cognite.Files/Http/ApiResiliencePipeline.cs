using System.Diagnostics.Metrics;
using Cognite.Files.Diagnostics;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Cognite.Files.Http;

/// <summary>
/// The Polly pipeline of API calls: a retry (jittered exponential backoff, <c>Retry-After</c> honoured up to
/// <see cref="CogniteFilesClientOptions.MaxRetryDelay"/>, rules of <see cref="ApiRetryRules"/>) around a
/// per-attempt timeout. Time comes from the given <see cref="TimeProvider"/>.
/// </summary>
internal static partial class ApiResiliencePipeline
{
    private static readonly Counter<long> Retries = CogniteFilesTelemetry.Meter.CreateCounter<long>(
        "cognite.files.api.retries", "{retry}", "API call attempts that were retried.");

    public static ResiliencePipeline<HttpResponseMessage> Build(CogniteFilesClientOptions options, TimeProvider timeProvider, ILogger logger)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { Name = "Cognite.Files.Api", TimeProvider = timeProvider };
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new HttpRetryStrategyOptions
            {
                Name = "Cognite.Files.Api.Retry",
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.MaxRetryDelay,
                // Read below, clamped to MaxDelay (Polly's own reading is not clamped).
                ShouldRetryAfterHeader = false,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Context.GetRequestMessage(), args.Outcome)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, timeProvider, options.MaxRetryDelay)),
                OnRetry = args =>
                {
                    var request = args.Context.GetRequestMessage();
                    var method = request?.Method.Method ?? "?";
                    var path = request?.RequestUri is { } u ? UrlRedaction.PathOnly(u) : "?";
                    var reason = args.Outcome.Result is { } r ? ((int)r.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture) : args.Outcome.Exception?.GetType().Name ?? "?";
                    Retries.Add(1, new KeyValuePair<string, object?>("http.request.method", method), new KeyValuePair<string, object?>("cdf.retry.reason", reason));
                    LogRetry(logger, method, path, args.AttemptNumber + 1, reason, args.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            });
        }

        builder.AddTimeout(new HttpTimeoutStrategyOptions { Name = "Cognite.Files.Api.AttemptTimeout", Timeout = options.RequestTimeout });
        return builder.Build();
    }

    internal static bool ShouldRetry(HttpRequestMessage? request, Outcome<HttpResponseMessage> outcome)
    {
        var retryClass = ApiRetryRules.Classify(request);
        if (outcome.Result is { } response)
        {
            return ApiRetryRules.ShouldRetry(retryClass, response.StatusCode);
        }

        return retryClass == ApiRetryRules.RetryClass.SafeToRepeat && outcome.Exception is HttpRequestException or TimeoutRejectedException;
    }

    internal static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeProvider timeProvider, TimeSpan max)
    {
        // null: exponential backoff with jitter
        var delay = response is null ? null : CogniteErrorParser.RetryAfter(response.Headers, timeProvider);
        return delay > max ? max : delay;
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Retrying CDF {Method} {Path} (attempt {Attempt}) after {Reason} in {DelayMs:F0} ms")]
    private static partial void LogRetry(ILogger logger, string method, string path, int attempt, string reason, double delayMs);
}
