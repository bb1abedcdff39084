using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Hashing;
using System.Net;
using System.Net.Http.Headers;
using Cognite.Files.Api;
using Cognite.Files.Diagnostics;
using Cognite.Files.Http;
using Cognite.Files.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cognite.Files.Transfer;

/// <summary>
/// Downloads file content: <c>downloadlink</c> and <c>byids</c> side by side (the link, and the metadata that may hold
/// the stored checksum and tells whether a journal still describes the file), then GETs of the pre-signed URL through
/// <see cref="PresignedUrlClient"/> (no token ever reaches it).
/// <list type="bullet">
/// <item>The first GET asks for the first range (<c>Range: bytes=0-(PartSize-1)</c>). Its <c>Content-Range</c> tells the
/// length; content of one range is then done with that one GET. Larger content is fetched in ranges of
/// <see cref="TransferOptions.PartSize"/>, up to <see cref="TransferOptions.MaxConcurrency"/> at once (each holds a
/// slot of the client's transfer limiter, shared with uploads), written where they belong in the destination.</item>
/// <item>A server that answers 200 (the whole content) is read as one stream; so is a destination that takes bytes in
/// order only (a non-seekable stream), which asks for no range at all.</item>
/// <item>A failed range attempt (5xx, a reset, a body that stops for <see cref="TransferOptions.StallTimeout"/>, a short
/// body) is retried with the uploads' backoff (<see cref="TransferRetry"/>) and continues where it stopped
/// (<c>Range: bytes=(offset+received)-end</c>): no byte is fetched twice, progress never goes back, and the CRC of the
/// range carries on. An expired link is renewed (<see cref="DownloadLinks"/>).</item>
/// <item>One version from start to end: the ETag of the first answer (a resume: the journal's) goes with every later GET
/// as <c>If-Match</c> when it is strong, so a server whose content was replaced answers 412 instead of bytes of another
/// version; that, another ETag, or another total length is <see cref="DownloadFailureReason.FileChanged"/>. A server
/// without ETags gets no <c>If-Match</c>.</item>
/// <item>Each range is checksummed as it is written and the CRCs are combined (<see cref="RangeChecksums"/>), so the
/// content is read once. When the file's metadata holds <see cref="ContentChecksum.MetadataKey"/>, the length and the
/// checksum must match it: otherwise <see cref="DownloadFailureReason.ChecksumMismatch"/>.</item>
/// <item>Memory is bounded: each range in flight streams through one pooled buffer (<see cref="BufferSizeFor"/>: 1 MiB,
/// less when more than 16 ranges are in flight, 16 MiB for all of them together); nothing holds a range, let alone the
/// content.</item>
/// </list>
/// </summary>
internal sealed partial class DownloadEngine
{
    /// <summary>
    /// The largest pooled buffer a range in flight streams through: 1 MiB reads from the socket and positional writes
    /// make up to a quarter of the system calls of 256 KiB ones, which on a fast link is most of the client's CPU.
    /// </summary>
    internal const int BufferSize = 1024 * 1024;

    /// <summary>What the buffers of all ranges in flight hold together, at most.</summary>
    internal const int InFlightBufferBudget = 16 * 1024 * 1024;

    /// <summary>The buffer of one range when <paramref name="concurrency"/> ranges are in flight: 256 KiB..1 MiB within <see cref="InFlightBufferBudget"/>.</summary>
    internal static int BufferSizeFor(int concurrency) => Math.Clamp(InFlightBufferBudget / Math.Max(1, concurrency), 256 * 1024, BufferSize);

    private readonly ICogniteFilesApi _api;
    private readonly PresignedUrlClient _presigned;
    private readonly Func<string, Uri> _resolveUrl;
    private readonly TransferConcurrencyLimiter _limiter;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates an engine.</summary>
    /// <param name="api">The Files API (with auth): <c>downloadlink</c> and <c>byids</c>.</param>
    /// <param name="presigned">The client for pre-signed URLs (without auth).</param>
    /// <param name="resolveUrl">Resolves a download URL that CDF may return relative to its root.</param>
    /// <param name="limiter">Bounds the GETs in flight across all downloads (and uploads) of the client.</param>
    /// <param name="timeProvider">Clock for backoff, stall detection, progress coalescing and timing.</param>
    /// <param name="logger">Receives retry, renewal and failure events (never URLs with their query).</param>
    public DownloadEngine(ICogniteFilesApi api, PresignedUrlClient presigned, Func<string, Uri> resolveUrl, TransferConcurrencyLimiter limiter, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(presigned);
        ArgumentNullException.ThrowIfNull(resolveUrl);
        ArgumentNullException.ThrowIfNull(limiter);
        _api = api;
        _presigned = presigned;
        _resolveUrl = resolveUrl;
        _limiter = limiter;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// Downloads <paramref name="request"/>'s file into its sink. Throws <see cref="CogniteDownloadException"/> for a
    /// failed transfer, the API's exceptions for a failed <c>downloadlink</c>/<c>byids</c>, and
    /// <see cref="OperationCanceledException"/> when cancelled.
    /// </summary>
    public async Task<DownloadResult> RunAsync(DownloadRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            var result = await RunCoreAsync(request, cancellationToken).ConfigureAwait(false);
            DownloadMetrics.DownloadsCompleted.Add(1, new KeyValuePair<string, object?>("outcome", "completed"));
            return result;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            DownloadMetrics.DownloadsCompleted.Add(1, new KeyValuePair<string, object?>("outcome", "cancelled"));
            throw;
        }
        catch
        {
            DownloadMetrics.DownloadsCompleted.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
            throw;
        }
    }

    private async Task<DownloadResult> RunCoreAsync(DownloadRequest request, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        using var activity = CogniteFilesTelemetry.ActivitySource.StartActivity("Cognite.Files.Download");
        var (url, file) = await StartAsync(request.File, cancellationToken).ConfigureAwait(false);
        activity?.SetTag("cognite.files.file_id", file.Id);
        var byId = Identifier.FromId(file.Id);
        using var links = new DownloadLinks(url, file.Id, ct => FetchLinkAsync(byId, ct));
        using var runCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var transfer = request.Transfer;
        var run = new RunState(request, file, links, runCts, new DownloadProgressTracker(request.Progress, _time));
        run.Pipeline = TransferRetry.Build(transfer, _time, IsRetryable, (attempt, delay, failure) =>
        {
            run.AddRetry();
            DownloadMetrics.RangeRetries.Add(1);
            LogRangeRetry(_logger, file.Id, attempt, delay.TotalMilliseconds, failure is null ? "?" : MultipartUploadEngine.Reason(failure));
        });

        var stored = StoredContent.From(file);
        var journal = request.Journal;
        var resumed = await ResumableAsync(run, cancellationToken).ConfigureAwait(false);

        HttpResponseMessage? firstResponse = null;
        var holdsSlot = false;
        try
        {
            if (resumed is not null && journal is not null)
            {
                run.Plan = new DownloadPlan(resumed.Length, resumed.RangeSize, Ranged: true);
                CheckStoredLength(run, stored);
                await RestoreDoneRangesAsync(run, journal, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _limiter.WaitAsync(cancellationToken).ConfigureAwait(false);
                holdsSlot = true;
                firstResponse = await ProbeAsync(run, cancellationToken).ConfigureAwait(false);
                CheckStoredLength(run, stored);
                if (run.Plan.Ranged && run.Plan.RangeCount > 1)
                {
                    journal?.Begin(DownloadJournalHeader.For(file, run.Plan.Length!.Value, run.Plan.RangeSize, run.ETag));
                }
            }
        }
        catch
        {
            firstResponse?.Dispose();
            if (holdsSlot)
            {
                _limiter.Release();
            }

            throw;
        }

        activity?.SetTag("cognite.files.ranges", run.Plan.RangeCount);
        activity?.SetTag("cognite.files.resumed", run.BytesSkipped > 0);
        run.Progress.Start(run.Plan.Length, run.BytesSkipped);
        await RunRangesAsync(run, holdsSlot, firstResponse, cancellationToken).ConfigureAwait(false);

        var length = run.Plan.Length ?? run.SingleStreamLength;
        var checksum = run.Checksums is { } checksums
            ? checksums.TryCombine() is { } crc ? ContentChecksum.Format(crc) : throw new InvalidOperationException("The ranges do not cover the content.")
            : null;
        var verified = Verify(run, stored, length, checksum);
        await request.Sink.CompleteAsync(length, cancellationToken).ConfigureAwait(false);
        run.Progress.ReportFinal(length);
        activity?.SetTag("cognite.files.bytes", length);
        activity?.SetTag("cognite.files.retries", run.Retries);
        return new DownloadResult(length, checksum, _time.GetElapsedTime(started))
        {
            Ranges = run.Plan.RangeCount,
            Retries = run.Retries,
            BytesSkipped = run.BytesSkipped,
            Verified = verified,
        };
    }

    /// <summary>
    /// The journal's header when its temporary file can be continued: the same file and content version
    /// (<see cref="DownloadJournalHeader.Describes"/>) and, when the journal has an ETag, a server that still serves that
    /// version (<see cref="StillServedAsync"/>). Otherwise the journal is dropped and the temporary file emptied: the
    /// download starts over. Null for a new download.
    /// </summary>
    private async Task<DownloadJournalHeader?> ResumableAsync(RunState run, CancellationToken cancellationToken)
    {
        var request = run.Request;
        if (request.Journal is not { Header: { } header } journal)
        {
            return null;
        }

        if (request.Sink.Positional && header.Describes(run.File) && (header.ETag is null || await StillServedAsync(run, header, cancellationToken).ConfigureAwait(false)))
        {
            return header;
        }

        LogStartingOver(_logger, run.File.Id, Path.GetFileName(journal.Path));
        try
        {
            journal.Discard();
            request.Sink.Truncate();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw WriteFailed(request.File, run.File.Id, request.Destination, request.Sink.Path, request.Sink.Description, ex);
        }

        return null;
    }

    /// <summary>
    /// Asks the server whether it still has the version a journal was written for: one byte (<c>bytes=0-0</c>) with
    /// <c>If-Match</c> (a strong ETag), which must come back 206 with the journal's length and ETag. 412, another ETag or
    /// length, 416 (the content is empty now) or a whole answer mean the bytes kept are of another version: false (and
    /// <see cref="RunState.ETag"/> forgotten). Failures to get an answer fail the download, the journal kept.
    /// </summary>
    private async Task<bool> StillServedAsync(RunState run, DownloadJournalHeader header, CancellationToken cancellationToken)
    {
        run.ETag = header.ETag;
        var attempts = 0;
        var same = false;
        await _limiter.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var response = await run.Pipeline.ExecuteAsync(
                async ct =>
                {
                    attempts++;
                    return await SendWithStallCheckAsync(run, -1, new RangeHeaderValue(0, 0), ct).ConfigureAwait(false);
                },
                cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.Length == header.Length)
            {
                CheckETag(run, response);
                same = true;
            }
        }
        catch (CogniteDownloadException e) when (e.Reason == DownloadFailureReason.FileChanged)
        {
        }
        catch (CogniteApiException e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
        }
        catch (Exception ex) when (ex is not (CogniteDownloadException or OperationCanceledException))
        {
            throw Failed(run, 0, attempts, ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw Failed(run, 0, attempts, ex);
        }
        finally
        {
            _limiter.Release();
            if (!same)
            {
                run.ETag = null; // starting over: the first response of the new run sets it
            }
        }

        return same;
    }

    /// <summary>The link and the metadata, side by side; a failure of the link request is the one reported (it names the file).</summary>
    private async Task<(Uri Url, FileMetadata File)> StartAsync(Identifier file, CancellationToken cancellationToken)
    {
        var linkTask = FetchLinkAsync(file, cancellationToken);
        var fileTask = _api.RetrieveFilesAsync(new FileRetrieveRequest { Items = [file], IgnoreUnknownIds = false }, cancellationToken);
        await Task.WhenAll(linkTask, fileTask).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var url = await linkTask.ConfigureAwait(false);
        var files = await fileTask.ConfigureAwait(false);
        return files.Items.Count > 0 ? (url, files.Items[0]) : throw new CogniteException($"CDF returned no file for {file}.");
    }

    private async Task<Uri> FetchLinkAsync(Identifier file, CancellationToken cancellationToken)
    {
        var links = await _api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [file] }, extendedExpiration: null, cancellationToken).ConfigureAwait(false);
        return links.Items.Count > 0 ? _resolveUrl(links.Items[0].DownloadUrl) : throw new CogniteException($"CDF returned no download link for {file}.");
    }

    /// <summary>
    /// The first GET: the first range for a positional sink, the whole content otherwise. Its answer sets the plan: 206
    /// gives the length (<c>Content-Range</c>), 200 means one stream, 416 to <c>bytes=0-…</c> means no content at all.
    /// Retried like a range. Returns the response whose body is the first range (null for empty content).
    /// </summary>
    private async Task<HttpResponseMessage?> ProbeAsync(RunState run, CancellationToken cancellationToken)
    {
        var rangeSize = run.Request.Transfer.PartSize;
        var range = run.Request.Sink.Positional ? new RangeHeaderValue(0, rangeSize - 1) : null;
        var attempts = 0;
        try
        {
            return await run.Pipeline.ExecuteAsync(
                async ct =>
                {
                    attempts++;
                    HttpResponseMessage response;
                    try
                    {
                        response = await SendWithStallCheckAsync(run, 0, range, ct).ConfigureAwait(false);
                    }
                    catch (CogniteApiException e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && range is not null)
                    {
                        // Only a content of zero bytes has no byte 0 (RFC 9110 §14.1.2): S3 and Azure answer 416 then.
                        run.Plan = DownloadPlan.Empty;
                        return null;
                    }

                    try
                    {
                        if (response.StatusCode == HttpStatusCode.PartialContent && range is not null)
                        {
                            var total = CheckPartial(run, response, 0, rangeSize - 1, rangeIndex: 0);
                            run.Plan = new DownloadPlan(total, rangeSize, Ranged: true);
                        }
                        else if (response.StatusCode == HttpStatusCode.OK)
                        {
                            var length = response.Content.Headers.ContentLength;
                            if (length == 0)
                            {
                                run.Plan = DownloadPlan.Empty;
                                response.Dispose();
                                return null;
                            }

                            run.Plan = DownloadPlan.OneStream(length);
                            if (range is not null)
                            {
                                LogNoRanges(_logger, run.File.Id);
                            }
                        }
                        else
                        {
                            throw Refused(run, 0, $"answered {(int)response.StatusCode} ({response.StatusCode}) to its first GET");
                        }

                        CheckETag(run, response);
                        return response;
                    }
                    catch
                    {
                        response.Dispose();
                        throw;
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not (CogniteDownloadException or OperationCanceledException))
        {
            throw Failed(run, 0, attempts, ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw Failed(run, 0, attempts, ex);
        }
    }

    /// <summary>
    /// Runs the ranges still to do: as many workers as the call's MaxConcurrency (never more than ranges), each taking
    /// the next range and a slot of the client's limiter per range. The first failure cancels the others.
    /// </summary>
    private async Task RunRangesAsync(RunState run, bool holdsSlot, HttpResponseMessage? firstResponse, CancellationToken cancellationToken)
    {
        var count = run.Plan.RangeCount;
        var pending = count - run.DoneCount;
        if (holdsSlot && firstResponse is null)
        {
            _limiter.Release(); // empty content: the probe was all there was
            holdsSlot = false;
        }

        var workers = new List<Task>();
        if (holdsSlot)
        {
            run.Claim(0);
            workers.Add(WorkerAsync(run, 0, firstResponse));
            pending--;
        }

        var concurrency = run.Plan.Ranged ? run.Request.Transfer.MaxConcurrency : 1;
        var total = Math.Min(concurrency, workers.Count + pending);
        while (workers.Count < total)
        {
            workers.Add(WorkerAsync(run, -1, null));
        }

        await Task.WhenAll(workers).ConfigureAwait(false);

        // A caller's cancellation wins over range errors it provoked.
        cancellationToken.ThrowIfCancellationRequested();
        if (run.Failure is { } failure)
        {
            throw failure;
        }
    }

    private async Task WorkerAsync(RunState run, int firstIndex, HttpResponseMessage? firstResponse)
    {
        await Task.Yield();
        var token = run.Token;
        if (firstIndex >= 0)
        {
            try
            {
                await FetchRangeAsync(run, firstIndex, firstResponse).ConfigureAwait(false);
            }
            finally
            {
                _limiter.Release();
            }
        }

        while (!token.IsCancellationRequested && run.TakeNext() is var index && index >= 0)
        {
            try
            {
                await _limiter.WaitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await FetchRangeAsync(run, index, null).ConfigureAwait(false);
            }
            finally
            {
                _limiter.Release();
            }
        }
    }

    /// <summary>Fetches one range (or the one stream), retried; records its CRC and journals it. Never throws: a failure cancels the run.</summary>
    private async Task FetchRangeAsync(RunState run, int index, HttpResponseMessage? firstResponse)
    {
        var token = run.Token;
        var cursor = new RangeCursor(run.Plan.GetOffset(index), run.Plan.GetLength(index), run.Request.Transfer.ComputeChecksum ? new Crc64() : null);
        var attempts = 0;
        try
        {
            await run.Pipeline.ExecuteAsync(
                async ct =>
                {
                    attempts++;
                    var response = Interlocked.Exchange(ref firstResponse, null);
                    using var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    using var watchdog = new StallWatchdog(_time, run.Request.Transfer.StallTimeout, attemptCts);
                    try
                    {
                        response ??= await SendAsync(run, index, cursor.NextRange(run.Plan.Ranged), attemptCts.Token).ConfigureAwait(false);
                        using (response)
                        {
                            await CopyAsync(run, index, response, cursor, watchdog, attemptCts.Token).ConfigureAwait(false);
                        }
                    }
                    catch (Exception ex) when (watchdog.Fired && !ct.IsCancellationRequested && ex is not CogniteDownloadException)
                    {
                        throw new RangeStalledException(index, run.Request.Transfer.StallTimeout, ex);
                    }
                },
                token).ConfigureAwait(false);

            run.RangeDone(index, cursor);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The run was cancelled (by the caller or another range's failure).
        }
        catch (Exception ex)
        {
            var failure = ex as CogniteDownloadException ?? Failed(run, index, attempts, ex);
            LogRangeFailed(_logger, run.File.Id, index + 1, run.Plan.RangeCount, attempts, failure.Message);
            run.Fail(failure);
        }
        finally
        {
            firstResponse?.Dispose();
        }
    }

    /// <summary>One GET with a stall check on the wait for its headers (the body's reads have their own).</summary>
    private async Task<HttpResponseMessage> SendWithStallCheckAsync(RunState run, int index, RangeHeaderValue? range, CancellationToken cancellationToken)
    {
        using var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var watchdog = new StallWatchdog(_time, run.Request.Transfer.StallTimeout, attemptCts);
        try
        {
            return await SendAsync(run, index, range, attemptCts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (watchdog.Fired && !cancellationToken.IsCancellationRequested && ex is not CogniteDownloadException)
        {
            throw new RangeStalledException(index, run.Request.Transfer.StallTimeout, ex);
        }
    }

    /// <summary>
    /// One GET of the current link; a link refused with 403/400 is renewed and the GET sent again with the new one. Once
    /// an ETag is known, the GET carries it as <c>If-Match</c>: a server whose content was replaced meanwhile answers 412
    /// instead of bytes of another version, and that is <see cref="DownloadFailureReason.FileChanged"/>.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(RunState run, int index, RangeHeaderValue? range, CancellationToken cancellationToken)
    {
        while (true)
        {
            var lease = run.Links.Current;
            var ifMatch = run.IfMatch;
            try
            {
                var response = await _presigned.GetAsync(lease.Url, range, ifMatch, cancellationToken).ConfigureAwait(false);
                lease.MarkServed();
                return response;
            }
            catch (CogniteApiException e) when (e.StatusCode == HttpStatusCode.PreconditionFailed && ifMatch is not null)
            {
                throw Changed(run, $"the server no longer has the version with ETag {ifMatch} (412 Precondition Failed)", e);
            }
            catch (CogniteApiException e) when (DownloadLinks.IsRefusal(e))
            {
                await run.Links.RenewAsync(lease, e, cancellationToken).ConfigureAwait(false);
                LogLinkRenewed(_logger, run.File.Id, (int)e.StatusCode);
            }
            catch (CogniteApiException e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && range is not null && index >= 0 && run.Plan.Length is not null)
            {
                throw Refused(run, index, $"refused {Describe(range)} with 416 (Range Not Satisfiable); the file may have become shorter", e);
            }
        }
    }

    /// <summary>Streams one attempt's body into the sink through a pooled buffer, from where the range stands.</summary>
    private async Task CopyAsync(RunState run, int index, HttpResponseMessage response, RangeCursor cursor, StallWatchdog watchdog, CancellationToken cancellationToken)
    {
        var skip = 0L;
        if (response.StatusCode == HttpStatusCode.PartialContent && cursor.Length is { } length)
        {
            CheckPartial(run, response, cursor.Offset + cursor.Received, cursor.Offset + length - 1, index);
        }
        else if (response.StatusCode == HttpStatusCode.PartialContent && !run.Plan.Ranged)
        {
            CheckPartial(run, response, cursor.Received, null, index);
        }
        else if (response.StatusCode == HttpStatusCode.OK && !run.Plan.Ranged)
        {
            // The whole content again: the bytes this stream already has are read past.
            skip = cursor.Received;
            if (run.Plan.Length is { } expected && response.Content.Headers.ContentLength is { } announced && announced != expected)
            {
                throw Changed(run, $"its length changed from {expected} to {announced} bytes during the download");
            }
        }
        else
        {
            throw Refused(run, index, $"answered {(int)response.StatusCode} ({response.StatusCode}) to {Describe(cursor.NextRange(run.Plan.Ranged))} after serving ranges of the same content");
        }

        CheckETag(run, response);
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            var most = BufferSizeFor(run.Request.Transfer.MaxConcurrency);
            var size = cursor.Length is { } l ? (int)Math.Clamp(l, 1, most) : most;
            var buffer = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                while (skip > 0)
                {
                    var n = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(size, skip)), cancellationToken).ConfigureAwait(false);
                    watchdog.Touch();
                    skip -= n > 0 ? n : throw new IOException("The body ended before the bytes already downloaded.");
                }

                while (cursor.Remaining is not 0)
                {
                    // Fill the buffer before writing it: one positional write per buffer, not one per socket read.
                    var want = (int)Math.Min(size, cursor.Remaining ?? size);
                    var filled = 0;
                    var ended = false;
                    while (filled < want)
                    {
                        var n = await body.ReadAsync(buffer.AsMemory(filled, want - filled), cancellationToken).ConfigureAwait(false);
                        watchdog.Touch();
                        if (n == 0)
                        {
                            ended = true;
                            break;
                        }

                        filled += n;
                    }

                    if (filled > 0)
                    {
                        await WriteAsync(run, cursor.Offset + cursor.Received, buffer.AsMemory(0, filled), cancellationToken).ConfigureAwait(false);
                        watchdog.Touch();
                        cursor.Advance(buffer.AsSpan(0, filled));
                        run.Progress.Advance(filled);
                        DownloadMetrics.BytesDownloaded.Add(filled);
                    }

                    if (ended)
                    {
                        break;
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        if (cursor.Remaining is > 0)
        {
            // Retried: the next attempt asks for the rest only.
            throw new IOException(string.Create(CultureInfo.InvariantCulture, $"The body of range {index + 1} ended after {cursor.Received} of {cursor.Length} bytes."));
        }
    }

    private static async ValueTask WriteAsync(RunState run, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            await run.Request.Sink.WriteAsync(offset, data, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw WriteFailed(run.Request.File, run.File.Id, run.Request.Destination, run.Request.Sink.Path, run.Request.Sink.Description, ex);
        }
    }

    /// <summary>The typed error of a failed local write: the disk is full, or the destination is not writable.</summary>
    /// <param name="file">The file as the caller named it (<see cref="Identifier.ToString"/>).</param>
    /// <param name="fileId">The file's id, when known.</param>
    /// <param name="destination">The caller's path, or null for a stream.</param>
    /// <param name="path">The path actually written (the temporary file, the journal), when there is one.</param>
    /// <param name="what">The destination for the message when there is no path: the stream.</param>
    /// <param name="ex">The local failure.</param>
    internal static CogniteDownloadException WriteFailed(Identifier file, long? fileId, string? destination, string? path, string what, Exception ex)
    {
        var target = destination is null ? what : $"\"{destination}\"";
        var at = path is not null && path != destination ? $" (writing \"{path}\")" : string.Empty;
        return IoErrors.IsDiskFull(ex)
            ? new CogniteDownloadException($"Cannot download {file} to {target}: the disk is full{at}: {ex.Message}", DownloadFailureReason.DiskFull, fileId, destination, innerException: ex)
            : new CogniteDownloadException($"Cannot download {file} to {target}: it cannot be written{at}: {ex.Message}", DownloadFailureReason.DestinationNotWritable, fileId, destination, innerException: ex);
    }

    /// <summary>A resume: the ranges the journal records, checked against the temporary file (their CRCs recomputed) before they are trusted.</summary>
    private async Task RestoreDoneRangesAsync(RunState run, DownloadJournal journal, CancellationToken cancellationToken)
    {
        var sink = run.Request.Sink;
        var available = sink.Length;
        var compute = run.Request.Transfer.ComputeChecksum;
        var buffer = compute ? ArrayPool<byte>.Shared.Rent(BufferSize) : null;
        try
        {
            foreach (var range in journal.Ranges)
            {
                var index = run.Plan.IndexOf(range.Offset, range.Length);
                ulong? recorded = range.Crc is { } hex && ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
                if (index < 0 || range.Offset + range.Length > available || (range.Crc is not null && recorded is null))
                {
                    continue;
                }

                ulong? crc = null;
                if (buffer is not null)
                {
                    crc = await ReadCrcAsync(sink, range.Offset, range.Length, buffer, cancellationToken).ConfigureAwait(false);
                    if (crc is null || (recorded is { } r && r != crc))
                    {
                        LogRangeRefetched(_logger, run.File.Id, index + 1);
                        continue;
                    }
                }

                run.RestoreDone(index, range.Length, crc);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw WriteFailed(run.Request.File, run.File.Id, run.Request.Destination, sink.Path, sink.Description, ex);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static async Task<ulong?> ReadCrcAsync(DownloadSink sink, long offset, long length, byte[] buffer, CancellationToken cancellationToken)
    {
        var crc = new Crc64();
        for (var done = 0L; done < length;)
        {
            var n = await sink.ReadAsync(offset + done, buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - done)), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return null;
            }

            crc.Append(buffer.AsSpan(0, n));
            done += n;
        }

        return crc.GetCurrentHashAsUInt64();
    }

    /// <summary>Checks a 206's <c>Content-Range</c> against the range asked for; returns the content's total length.</summary>
    private static long CheckPartial(RunState run, HttpResponseMessage response, long from, long? to, int rangeIndex)
    {
        var asked = new RangeHeaderValue(from, to);
        if (response.Content.Headers.ContentRange is not { Unit: "bytes", From: { } first, To: { } last, Length: { } total })
        {
            throw Refused(run, rangeIndex, $"answered {Describe(asked)} with 206 but a Content-Range of '{response.Content.Headers.ContentRange}'");
        }

        if (run.Plan.Length is { } expected && total != expected)
        {
            throw Changed(run, string.Create(CultureInfo.InvariantCulture, $"its length changed from {expected} to {total} bytes during the download"));
        }

        if (first != from || last != Math.Min(to ?? long.MaxValue, total - 1))
        {
            throw Refused(run, rangeIndex, $"answered {Describe(asked)} with bytes {first}-{last}/{total}");
        }

        return total;
    }

    /// <summary>The first ETag seen (or the journal's) must stay: another one means the content was replaced meanwhile.</summary>
    private static void CheckETag(RunState run, HttpResponseMessage response)
    {
        if (response.Headers.ETag?.ToString() is not { } etag)
        {
            return;
        }

        var known = Interlocked.CompareExchange(ref run.ETag, etag, null);
        if (known is not null && !string.Equals(known, etag, StringComparison.Ordinal))
        {
            throw Changed(run, $"its ETag changed from {known} to {etag} during the download");
        }
    }

    /// <summary>As soon as the length is known it must be the stored one (before the bytes are fetched for nothing).</summary>
    private static void CheckStoredLength(RunState run, StoredContent? stored)
    {
        if (stored is { } s && run.Request.Transfer.ComputeChecksum && run.Plan.Length is { } length && length != s.Length)
        {
            throw Mismatch(run, string.Create(CultureInfo.InvariantCulture, $"the server has {length} bytes, but the checksum stored in its metadata ({ContentChecksum.MetadataKey}) is of {s.Length} bytes"));
        }
    }

    /// <summary>Compares the downloaded content with the stored checksum and length; true when there was one and it matched.</summary>
    private static bool Verify(RunState run, StoredContent? stored, long length, string? checksum)
    {
        if (stored is not { } s || checksum is null)
        {
            return false;
        }

        if (length != s.Length)
        {
            throw Mismatch(run, string.Create(CultureInfo.InvariantCulture, $"{length} bytes arrived, but the checksum stored in its metadata ({ContentChecksum.MetadataKey}) is of {s.Length} bytes"));
        }

        if (!string.Equals(checksum, s.Checksum, StringComparison.Ordinal))
        {
            throw Mismatch(run, $"the bytes received have the checksum {checksum}, but its metadata ({ContentChecksum.MetadataKey}) says {s.Checksum}");
        }

        return true;
    }

    private static CogniteDownloadException Mismatch(RunState run, string what)
    {
        var outcome = run.Request.Destination is { } destination ? $"nothing was written to \"{destination}\"" : "the destination stream holds bytes that failed the check";
        return new CogniteDownloadException(
            string.Create(CultureInfo.InvariantCulture, $"The content of file id {run.File.Id} does not match its stored checksum: {what}; {outcome}."),
            DownloadFailureReason.ChecksumMismatch,
            run.File.Id,
            run.Request.Destination);
    }

    private static CogniteDownloadException Changed(RunState run, string what, Exception? inner = null) => new(
        string.Create(CultureInfo.InvariantCulture, $"File id {run.File.Id} changed on the server: {what}. Download it again."),
        DownloadFailureReason.FileChanged,
        run.File.Id,
        run.Request.Destination,
        innerException: inner);

    private static CogniteDownloadException Refused(RunState run, int rangeIndex, string what, Exception? inner = null) => new(
        string.Create(CultureInfo.InvariantCulture, $"The server of file id {run.File.Id} {what}."),
        DownloadFailureReason.RangeRefused,
        run.File.Id,
        run.Request.Destination,
        rangeIndex,
        innerException: inner);

    private static CogniteDownloadException Failed(RunState run, int index, int attempts, Exception ex)
    {
        var what = run.Plan.Ranged && run.Plan.RangeCount > 1
            ? string.Create(CultureInfo.InvariantCulture, $"Range {index + 1} of {run.Plan.RangeCount} (bytes {run.Plan.GetOffset(index)}-{run.Plan.GetOffset(index) + run.Plan.GetLength(index)!.Value - 1}) of file id {run.File.Id}")
            : string.Create(CultureInfo.InvariantCulture, $"The download of file id {run.File.Id}");
        return new CogniteDownloadException(
            string.Create(CultureInfo.InvariantCulture, $"{what} failed after {attempts} attempt(s): {MultipartUploadEngine.Reason(ex)}"),
            DownloadFailureReason.RangeFailed,
            run.File.Id,
            run.Request.Destination,
            index,
            attempts,
            ex);
    }

    private static string Describe(RangeHeaderValue? range) => range is null ? "a GET of the whole content" : range.ToString().Replace('=', ' ');

    private static bool IsRetryable(Exception? ex) => ex switch
    {
        null or CogniteDownloadException => false,
        CogniteApiException api => api.IsTransient,
        RangeStalledException => true,
        HttpRequestException or IOException => true,
        _ => false,
    };

    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning, Message = "Download of file id {FileId}: attempt {Attempt} failed; retrying in {DelayMs} ms: {Error}")]
    private static partial void LogRangeRetry(ILogger logger, long fileId, int attempt, double delayMs, string error);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Error, Message = "Download of file id {FileId}: range {Range} of {Ranges} failed after {Attempts} attempt(s): {Error}")]
    private static partial void LogRangeFailed(ILogger logger, long fileId, int range, int ranges, int attempts, string error);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Information, Message = "Download of file id {FileId}: the journal {Journal} is of another file or an older version of it; starting over")]
    private static partial void LogStartingOver(ILogger logger, long fileId, string journal);

    [LoggerMessage(EventId = 6104, Level = LogLevel.Information, Message = "Download of file id {FileId}: the download URL was refused ({Status}); renewed it")]
    private static partial void LogLinkRenewed(ILogger logger, long fileId, int status);

    [LoggerMessage(EventId = 6105, Level = LogLevel.Information, Message = "Download of file id {FileId}: the server does not serve ranges; reading one stream")]
    private static partial void LogNoRanges(ILogger logger, long fileId);

    [LoggerMessage(EventId = 6106, Level = LogLevel.Warning, Message = "Download of file id {FileId}: range {Range} in the temporary file does not match its journal; fetching it again")]
    private static partial void LogRangeRefetched(ILogger logger, long fileId, int range);
}

/// <summary>
/// One call of the download engine: the file, where its bytes go, the call's effective transfer settings (a validated
/// copy), progress, and for a download to a path its destination and journal.
/// </summary>
internal sealed record DownloadRequest(Identifier File, DownloadSink Sink, TransferOptions Transfer, IProgress<DownloadProgress>? Progress, string? Destination = null, DownloadJournal? Journal = null);

/// <summary>A range attempt moved no bytes for the stall timeout and was aborted; it is retried (from where it stopped).</summary>
internal sealed class RangeStalledException(int rangeIndex, TimeSpan timeout, Exception? inner)
    : TimeoutException(string.Create(CultureInfo.InvariantCulture, $"Range {rangeIndex + 1} moved no bytes for {timeout.TotalSeconds:0.###} s and was aborted."), inner);

/// <summary>What an <see cref="IOException"/> from a local write means.</summary>
internal static class IoErrors
{
    /// <summary>ENOSPC / EDQUOT on Linux and macOS (the errno is the HResult there), ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows.</summary>
    public static bool IsDiskFull(Exception ex) => ex is IOException io && (OperatingSystem.IsWindows()
        ? (io.HResult & 0xFFFF) is 39 or 112
        : io.HResult is 28 || (OperatingSystem.IsLinux() && io.HResult == 122) || (OperatingSystem.IsMacOS() && io.HResult == 69));

    /// <summary>Another handle holds the file (FileShare.None): EWOULDBLOCK on Unix, a sharing or lock violation on Windows.</summary>
    public static bool IsInUse(Exception ex) => ex is IOException io && (OperatingSystem.IsWindows()
        ? (io.HResult & 0xFFFF) is 32 or 33
        : io.HResult is 11 or 35);
}
