using Polly;
using Polly.Retry;

namespace Cognite.Files.Transfer;

/// <summary>
/// The retry pipeline of one transfer request (an upload part, a download range): jittered exponential backoff from
/// <see cref="TransferOptions.RetryBaseDelay"/> up to <see cref="TransferOptions.MaxRetryDelay"/>, a server's
/// <c>Retry-After</c> honoured up to that bound, <see cref="TransferOptions.MaxAttemptsPerPart"/> attempts, on the
/// transfer's <see cref="TimeProvider"/>. Shared by uploads and downloads so that both retry alike; each says which
/// errors are worth retrying and what to record on a retry.
/// </summary>
internal static class TransferRetry
{
    /// <summary>Builds the pipeline; with one attempt allowed it runs the callback once.</summary>
    /// <param name="options">The transfer's validated settings.</param>
    /// <param name="time">The clock of the delays.</param>
    /// <param name="isRetryable">Whether a failure is worth another attempt.</param>
    /// <param name="onRetry">Called before each delay with the attempt that failed (1-based), the delay and the failure.</param>
    public static ResiliencePipeline Build(TransferOptions options, TimeProvider time, Func<Exception?, bool> isRetryable, Action<int, TimeSpan, Exception?> onRetry)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (options.MaxAttemptsPerPart > 1)
        {
            var maxDelay = options.MaxRetryDelay;
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxAttemptsPerPart - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = maxDelay,
                ShouldHandle = args => ValueTask.FromResult(isRetryable(args.Outcome.Exception)),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(
                    args.Outcome.Exception is CogniteApiException { RetryAfter: { } retryAfter } ? (retryAfter < maxDelay ? retryAfter : maxDelay) : null),
                OnRetry = args =>
                {
                    onRetry(args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception);
                    return ValueTask.CompletedTask;
                },
            });
        }

        return builder.Build();
    }
}
