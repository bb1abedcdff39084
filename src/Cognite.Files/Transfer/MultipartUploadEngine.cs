using System.Diagnostics;
using System.Globalization;
using System.IO.Hashing;
using System.Net;
using Cognite.Files.Diagnostics;
using Cognite.Files.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;

namespace Cognite.Files.Transfer;

/// <summary>
/// Uploads content to CDF: plan → start (a multipart session, or one single upload URL for content up to
/// <see cref="TransferOptions.SingleUploadThreshold"/>) → concurrent streamed part PUTs → complete → confirm.
/// <list type="bullet">
/// <item>At most <see cref="TransferOptions.MaxConcurrency"/> parts in flight: the client's value bounds every upload of
/// the engine together, a call's own <see cref="UploadOptions.Transfer"/> bounds that call.</item>
/// <item>A failed part (or single PUT) is retried alone, with a rebuilt body, jittered exponential backoff and the
/// server's <c>Retry-After</c> honoured (Polly, on the engine's <see cref="TimeProvider"/>), up to
/// <see cref="TransferOptions.MaxAttemptsPerPart"/> attempts; then the upload fails with a
/// <see cref="CogniteUploadException"/> naming the part, and nothing is completed.</item>
/// <item>No whole-request timeout: an attempt that moves no bytes for <see cref="TransferOptions.StallTimeout"/> is
/// aborted and retried.</item>
/// <item>Cancellation aborts every in-flight PUT and never completes the upload.</item>
/// <item>The content is read once. With <see cref="TransferOptions.ComputeChecksum"/> on, every part attempt computes the
/// CRC-64 (<see cref="ContentChecksum"/>) of the very bytes it sends, as they pass through the copy buffer; when CDF
/// accepts the part, that CRC is recorded for its range (and in the journal), and once all parts are accepted the
/// ranges are combined into the checksum of the whole content, whatever order they finished in. A retry computes its
/// own: the accepted attempt's bytes are what the checksum describes. A resume combines the journal's checksums of the
/// parts done before with those it sends, so its checksum too describes what CDF stores.</item>
/// <item>Before completing, the source is asked whether it is unchanged (a file: still there, with its length and
/// modification time): a file rewritten while its parts went out would be stored as a mix of old and new bytes, so it is
/// not completed (<see cref="UploadFailureReason.SourceChanged"/>, with <see cref="CogniteUploadException.SourceChange"/>).
/// A part whose read ends before the planned length (a file that became shorter, a stream shorter than announced) fails
/// the same way at once, without retries.</item>
/// </list>
/// </summary>
internal sealed partial class MultipartUploadEngine
{
    private const int CopyBufferSize = 1024 * 1024;

    private readonly IMultipartUploadSteps _steps;
    private readonly TransferOptions _defaults;
    private readonly TimeProvider _time;
    private readonly TransferConcurrencyLimiter _limiter;
    private readonly ILogger _logger;

    // Built once for the client's settings, so that many small uploads do not each build one; a call with its own
    // settings builds its own.
    private readonly ResiliencePipeline _defaultPartPipeline;

    /// <summary>Creates an engine.</summary>
    /// <param name="steps">The session, part, complete and confirm steps (<see cref="CdfMultipartUploadSteps"/> for CDF).</param>
    /// <param name="defaults">The client's transfer settings (a validated copy is kept); a call may override them.</param>
    /// <param name="timeProvider">Clock for backoff, stall detection, progress coalescing and timing.</param>
    /// <param name="logger">Receives retry and failure events (never URLs with their query).</param>
    public MultipartUploadEngine(IMultipartUploadSteps steps, TransferOptions defaults, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(steps);
        ArgumentNullException.ThrowIfNull(defaults);
        _steps = steps;
        _defaults = defaults.ValidatedCopy();
        _time = timeProvider ?? TimeProvider.System;
        _limiter = new TransferConcurrencyLimiter(_defaults.MaxConcurrency);
        _logger = logger ?? NullLogger.Instance;
        _defaultPartPipeline = BuildPartPipeline(_defaults);
    }

    /// <summary>The steps this engine drives (tests look at the CDF steps' lookup batching).</summary>
    internal IMultipartUploadSteps Steps => _steps;

    /// <summary>The limiter bounding this engine's part PUTs (all calls together).</summary>
    public TransferConcurrencyLimiter Limiter => _limiter;

    /// <summary>The client-wide transfer settings (a validated copy).</summary>
    public TransferOptions Defaults => _defaults;

    /// <summary>
    /// The engine's view of one call: the call's own transfer settings as a validated copy (else <see cref="Defaults"/>),
    /// its progress and journal (<paramref name="journalPath"/> wins: a resume's journal). A call's own, lower
    /// MaxConcurrency bounds that call; the engine's limiter keeps bounding all calls together.
    /// </summary>
    public UploadRequest CreateRequest(UploadSource source, UploadTarget? target, UploadOptions? options, string? journalPath = null)
    {
        var transfer = options?.Transfer?.ValidatedCopy() ?? _defaults;
        if (options is { StoreChecksum: true } && !transfer.ComputeChecksum)
        {
            throw new ArgumentException(
                $"{nameof(UploadOptions.StoreChecksum)} needs the checksum: it cannot be stored with {nameof(TransferOptions)}.{nameof(TransferOptions.ComputeChecksum)} off.", nameof(options));
        }

        var callLimiter = transfer.MaxConcurrency < _defaults.MaxConcurrency ? new TransferConcurrencyLimiter(transfer.MaxConcurrency) : null;
        return new UploadRequest(source, target, transfer, options?.Progress, journalPath ?? options?.JournalPath, callLimiter) { StoreChecksum = options?.StoreChecksum ?? false };
    }

    /// <summary>
    /// Uploads <paramref name="request"/>'s source to its target and returns the file's metadata once CDF reports it as
    /// uploaded, with the content's checksum. Throws <see cref="ArgumentOutOfRangeException"/> before any request when the
    /// content is too large for CDF, <see cref="CogniteUploadException"/> when a part fails for good, and
    /// <see cref="OperationCanceledException"/> when cancelled (the journal, if any, is kept for a resume).
    /// </summary>
    public Task<UploadResult> UploadAsync(UploadRequest request, CancellationToken cancellationToken) =>
        CountedAsync(() => UploadCoreAsync(request, cancellationToken), cancellationToken);

    /// <summary>
    /// Finishes the upload recorded in the journal at <paramref name="journalPath"/>, sending only the parts not yet
    /// done; every option of <paramref name="request"/> applies as to a new upload. Its source must be the same content:
    /// a different length or fingerprint gives a <see cref="CogniteUploadException"/> with
    /// <see cref="UploadFailureReason.SourceChanged"/>; a session older than CDF's URL lifetime (one week, less an hour)
    /// or whose URLs are refused with 403 gives <see cref="UploadFailureReason.SessionExpired"/>, and one CDF no longer
    /// knows (a part answered 404, the file gone when completing) <see cref="UploadFailureReason.UploadNotFound"/> — start
    /// a new upload then.
    /// <para>
    /// What "the same content" is checked against (<see cref="SourceFingerprint"/>), in this order: the length, and for a
    /// file its modification time and the SHA-256 of its first and last MiB, for a seekable stream those two hashes;
    /// each as far as the journal and the source both know it. The first that differs is named by
    /// <see cref="CogniteUploadException.SourceChange"/> and, with both values, by the message. For a <b>non-seekable
    /// stream</b> only the length can be checked (it cannot be peeked at without consuming it), so a different stream of
    /// the same length is accepted. The parts recorded as done in the journal are not re-sent and are <b>trusted</b> to
    /// be the same bytes as the corresponding range of the source: they are not read (a non-seekable stream is read past
    /// them) and never compared with what CDF holds. The returned <see cref="UploadResult.Checksum"/> combines the checksums the journal
    /// recorded for those parts (of the bytes they sent) with those of the parts sent now: it describes the content CDF
    /// stores, even when the local content given here differs in the skipped ranges. A journal that lacks the checksum
    /// of a done part (written by an older version, or with <see cref="TransferOptions.ComputeChecksum"/> off) still
    /// resumes, but the result's checksum is then null (and a warning is logged): the stored content of those parts is
    /// known only to CDF.
    /// </para>
    /// </summary>
    public Task<UploadResult> ResumeAsync(string journalPath, UploadRequest request, CancellationToken cancellationToken) =>
        CountedAsync(() => ResumeCoreAsync(journalPath, request, cancellationToken), cancellationToken);

    /// <summary>Counts every upload that does not complete, whatever the cause (a bad argument, a failed start, a part, the completion).</summary>
    private static async Task<UploadResult> CountedAsync(Func<Task<UploadResult>> upload, CancellationToken cancellationToken)
    {
        try
        {
            var result = await upload().ConfigureAwait(false);
            TransferMetrics.UploadsCompleted.Add(1, new KeyValuePair<string, object?>("outcome", "completed"));
            return result;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            TransferMetrics.UploadsCompleted.Add(1, new KeyValuePair<string, object?>("outcome", "cancelled"));
            throw;
        }
        catch
        {
            TransferMetrics.UploadsCompleted.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
            throw;
        }
    }

    private async Task<UploadResult> UploadCoreAsync(UploadRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var target = request.Target ?? throw new ArgumentException("An upload needs a target.", nameof(request));
        var source = request.Source;
        var options = request.Transfer;
        var plan = MultipartPlanner.Plan(source.Length, options);
        var started = _time.GetTimestamp();
        using var activity = StartUploadActivity(plan, target, resumed: false);

        // A single request is retried as a whole, never resumed: it has no session to journal.
        var journalPath = plan.SingleRequest ? null : request.JournalPath;
        using var journalLock = journalPath is null ? null : UploadJournalLock.Acquire(journalPath, newJournal: true);
        var fingerprint = journalPath is null ? null : await source.ComputeFingerprintAsync(cancellationToken).ConfigureAwait(false);
        var session = plan.SingleRequest
            ? await _steps.StartSingleAsync(target, cancellationToken).ConfigureAwait(false)
            : await _steps.StartAsync(target, plan.PartCount, cancellationToken).ConfigureAwait(false);
        activity?.SetTag("cognite.files.file_id", session.FileId);
        if (session.UploadUrls.Count != plan.PartCount)
        {
            throw new CogniteUploadException(
                $"CDF returned {session.UploadUrls.Count} upload URLs for {plan.PartCount} parts.", UploadFailureReason.InvalidSession, uploadId: session.UploadId, fileId: session.FileId);
        }

        UploadJournal? journal = null;
        if (journalPath is not null)
        {
            journal = UploadJournal.Create(journalPath, session, plan, fingerprint!, _time.GetUtcNow(), target);
            journal.Save();
        }

        var run = new RunContext(request, plan, session, journal, [], Resumed: false, started, activity);
        return await RunAsync(run, cancellationToken).ConfigureAwait(false);
    }

    private async Task<UploadResult> ResumeCoreAsync(string journalPath, UploadRequest request, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(journalPath);
        ArgumentNullException.ThrowIfNull(request);
        var source = request.Source;
        // Locked before it is read: a run that held the lock may have changed it.
        using var journalLock = UploadJournalLock.Acquire(journalPath, newJournal: false);
        var journal = UploadJournal.Load(journalPath);
        var plan = journal.Plan;
        var started = _time.GetTimestamp();
        using var activity = StartUploadActivity(plan, null, resumed: true);
        activity?.SetTag("cognite.files.file_id", journal.FileId);

        var fingerprint = await source.ComputeFingerprintAsync(cancellationToken).ConfigureAwait(false);
        if (fingerprint.FirstDifferenceFrom(journal.Source!) is { } change)
        {
            throw new CogniteUploadException(
                $"The {source.Description} changed since the upload began: {change.Detail}. A resume cannot finish this upload: start a new upload.",
                UploadFailureReason.SourceChanged,
                uploadId: journal.UploadId,
                fileId: journal.FileId,
                sourceChange: change.Change);
        }

        if (_time.GetUtcNow() > journal.CreatedTime + UploadJournal.SessionLifetime - UploadJournal.ExpiryMargin)
        {
            throw new CogniteUploadException(
                string.Create(CultureInfo.InvariantCulture, $"The upload session begun {journal.CreatedTime:u} has expired (CDF upload URLs last one week): start a new upload."),
                UploadFailureReason.SessionExpired,
                uploadId: journal.UploadId,
                fileId: journal.FileId);
        }

        var run = new RunContext(request, plan, journal.ToSession(), journal, journal.SnapshotPartsDone(), Resumed: true, started, activity);
        return await RunAsync(run, cancellationToken).ConfigureAwait(false);
    }

    private async Task<UploadResult> RunAsync(RunContext run, CancellationToken cancellationToken)
    {
        using var uploadCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var checksums = run.Request.Transfer.ComputeChecksum ? new RangeChecksums(run.Plan.Length) : null;
        if (checksums is not null && run.Journal is { } journal)
        {
            foreach (var i in run.PartsDone)
            {
                if (journal.TryGetPartChecksum(i, out var crc))
                {
                    checksums.Add(run.Plan.GetPartOffset(i), run.Plan.GetPartLength(i), crc);
                }
            }
        }

        var state = new RunState(run, new ProgressTracker(run.Plan, run.PartsDone, run.Request.Progress, _time), uploadCts, ReferenceEquals(run.Request.Transfer, _defaults) ? _defaultPartPipeline : BuildPartPipeline(run.Request.Transfer), checksums);
        state.Progress.ReportAlreadyDone();
        return await RunPartsAndCompleteAsync(state, cancellationToken).ConfigureAwait(false);
    }

    private async Task<UploadResult> RunPartsAndCompleteAsync(RunState state, CancellationToken cancellationToken)
    {
        var run = state.Run;
        var (source, plan, session) = (run.Request.Source, run.Plan, run.Session);
        var token = state.Cancellation.Token;
        var done = new HashSet<int>(run.PartsDone);
        var tasks = new List<Task>(plan.PartCount);
        var callLimiter = run.Request.CallLimiter;

        try
        {
            for (var i = 0; i < plan.PartCount; i++)
            {
                var offset = plan.GetPartOffset(i);
                var length = plan.GetPartLength(i);
                if (done.Contains(i))
                {
                    await source.SkipPartAsync(offset, length, token).ConfigureAwait(false);
                    continue;
                }

                await AcquireAsync(callLimiter, token).ConfigureAwait(false);
                PartBody body;
                try
                {
                    body = await source.ReadPartAsync(offset, length, token).ConfigureAwait(false);
                }
                catch
                {
                    Release(callLimiter);
                    throw;
                }

                tasks.Add(RunPartAsync(state, i, body));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Reading the source failed, or a part failed and cancelled the run: stop the other parts first.
            await state.Cancellation.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(tasks).ConfigureAwait(false);
            if (state.Failure is null)
            {
                if (ex is OperationCanceledException)
                {
                    throw;
                }

                // A stream shorter than announced is content that is not what was planned, not a failed part.
                throw SourceEndedEarlyException.Find(ex) is { } ended
                    ? ChangedWhileUploaded(source, session, SourceChangeFinding.OfEndedEarly(ended), null, 0, ex)
                    : new CogniteUploadException($"Reading the {source.Description} failed: {ex.Message}", UploadFailureReason.PartFailed, uploadId: session.UploadId, fileId: session.FileId, innerException: ex);
            }
        }
        finally
        {
            // Every started part ends by itself (it catches its own errors) once it succeeds, fails or is cancelled.
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }

        // A caller's cancellation wins over part errors it provoked.
        cancellationToken.ThrowIfCancellationRequested();
        if (state.Failure is { } failure)
        {
            run.Activity?.SetStatus(ActivityStatusCode.Error, failure.Reason.ToString());
            throw failure;
        }

        var checksum = CombineChecksum(state);
        if (source.FindChange() is { } change)
        {
            throw ChangedWhileUploaded(source, session, change, null, 0, null);
        }

        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            await _steps.CompleteAsync(session, cancellationToken).ConfigureAwait(false);
        }
        catch (CogniteApiException ex) when (IsUploadGone(ex))
        {
            throw new CogniteUploadException(
                string.Create(CultureInfo.InvariantCulture, $"Completing upload {session.UploadId} (file id {session.FileId}) failed: {ex.Message} {UploadGoneAdvice}"),
                UploadFailureReason.UploadNotFound, uploadId: session.UploadId, fileId: session.FileId, innerException: ex);
        }

        var metadata = await _steps.ConfirmUploadedAsync(session, run.Request.Transfer.UploadedConfirmationTimeout, cancellationToken).ConfigureAwait(false);
        DeleteJournal(run.Journal);
        state.Progress.ReportFinal();
        metadata = await UpdateChecksumMetadataAsync(run, session, metadata, checksum, cancellationToken).ConfigureAwait(false);

        run.Activity?.SetTag("cognite.files.checksum", checksum);
        run.Activity?.SetTag("cognite.files.retries", state.Retries);
        return new UploadResult(metadata, checksum, plan.Length, plan.PartCount, state.Retries, _time.GetElapsedTime(run.Started))
        {
            PartsSkipped = run.PartsDone.Length,
            BytesSkipped = run.PartsDone.Sum(plan.GetPartLength),
            UploadId = session.UploadId,
        };
    }

    /// <summary>
    /// Leaves the file's stored checksum (<see cref="ContentChecksum.MetadataKey"/>) describing the content just uploaded,
    /// or absent. With <see cref="UploadRequest.StoreChecksum"/> the new value is written (replacing any). New content of an
    /// existing file (an upload to one, or the resume of such an upload) whose confirmed metadata holds another value, that
    /// of its previous content, has the pair removed: left there, every download that verifies would fail. A request is
    /// made only then: a file without the pair, or whose pair already describes this content, costs none.
    /// </summary>
    private async Task<FileMetadata> UpdateChecksumMetadataAsync(RunContext run, UploadSession session, FileMetadata confirmed, string? checksum, CancellationToken cancellationToken)
    {
        var length = run.Plan.Length;
        if (run.Request.StoreChecksum && checksum is not null)
        {
            return await StoreChecksumAsync(session, checksum, length, cancellationToken).ConfigureAwait(false);
        }

        var replacedContent = run.Request.Target?.Existing is not null || run.Journal is { ExistingFile: true };
        if (replacedContent
            && confirmed.Metadata is { } pairs
            && pairs.TryGetValue(ContentChecksum.MetadataKey, out var held)
            && (checksum is null || held != ContentChecksum.FormatMetadataValue(checksum, length)))
        {
            confirmed = await RemoveStaleChecksumAsync(session, held, checksum, length, cancellationToken).ConfigureAwait(false);
        }

        return run.Request.StoreChecksum
            ? await StoreChecksumAsync(session, checksum, length, cancellationToken).ConfigureAwait(false) // unknown: says so
            : confirmed;
    }

    /// <summary>
    /// Removes the checksum of the file's previous content from its metadata. The new content is uploaded whatever
    /// happens here, so any failure (but the caller's cancellation) says so:
    /// <see cref="UploadFailureReason.StaleChecksumNotRemoved"/>.
    /// </summary>
    private async Task<FileMetadata> RemoveStaleChecksumAsync(UploadSession session, string held, string? checksum, long length, CancellationToken cancellationToken)
    {
        try
        {
            return await _steps.RemoveMetadataAsync(session.FileId, ContentChecksum.MetadataKey, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var uploaded = string.Create(CultureInfo.InvariantCulture, $"File id {session.FileId} is uploaded ({length} bytes, complete and confirmed){(checksum is null ? string.Empty : " with checksum " + checksum)}");
            throw new CogniteUploadException(
                $"{uploaded}, but its metadata still holds the checksum of its previous content (\"{ContentChecksum.MetadataKey}\": \"{held}\"), and removing it failed: {ex.Message} "
                + "Until it is removed or replaced, downloads that verify the content fail: upload the content again with StoreChecksum, or remove the pair.",
                UploadFailureReason.StaleChecksumNotRemoved, uploadId: session.UploadId, fileId: session.FileId, innerException: ex);
        }
    }

    /// <summary>
    /// Stores the checksum of a completed upload in the file's metadata. The content is uploaded whatever happens here,
    /// so any failure (but the caller's cancellation) says so: <see cref="UploadFailureReason.ChecksumNotStored"/>.
    /// </summary>
    private async Task<FileMetadata> StoreChecksumAsync(UploadSession session, string? checksum, long length, CancellationToken cancellationToken)
    {
        var uploaded = string.Create(CultureInfo.InvariantCulture, $"File id {session.FileId} is uploaded ({length} bytes, complete and confirmed)");
        if (checksum is null)
        {
            throw new CogniteUploadException(
                $"{uploaded}, but its checksum is unknown (the resumed journal did not record the checksum of every part sent before), so none was stored in its metadata.",
                UploadFailureReason.ChecksumNotStored, uploadId: session.UploadId, fileId: session.FileId);
        }

        try
        {
            return await _steps.AddMetadataAsync(session.FileId, ContentChecksum.MetadataKey, ContentChecksum.FormatMetadataValue(checksum, length), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new CogniteUploadException(
                $"{uploaded} with checksum {checksum}, but storing the checksum in its metadata (\"{ContentChecksum.MetadataKey}\") failed: {ex.Message}",
                UploadFailureReason.ChecksumNotStored, uploadId: session.UploadId, fileId: session.FileId, innerException: ex);
        }
    }

    /// <summary>
    /// The whole-content checksum from the parts' ranges; null when checksums are off, or when a range has none (a
    /// resume from a journal that did not record the checksum of a part done before), which is logged.
    /// </summary>
    private string? CombineChecksum(RunState state)
    {
        if (state.Checksums is not { } checksums)
        {
            return null;
        }

        if (checksums.TryCombine() is { } crc)
        {
            return ContentChecksum.Format(crc);
        }

        var plan = state.Run.Plan;
        var covered = checksums.Snapshot().Select(r => r.Offset).ToHashSet();
        var missing = Enumerable.Range(0, plan.PartCount).Count(i => !covered.Contains(plan.GetPartOffset(i)));
        LogChecksumNotCombined(_logger, missing, plan.PartCount);
        return null;
    }

    private async Task AcquireAsync(TransferConcurrencyLimiter? callLimiter, CancellationToken cancellationToken)
    {
        if (callLimiter is not null)
        {
            await callLimiter.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await _limiter.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            callLimiter?.Release();
            throw;
        }
    }

    private void Release(TransferConcurrencyLimiter? callLimiter)
    {
        _limiter.Release();
        callLimiter?.Release();
    }

    /// <summary>
    /// Deletes the journal of a completed upload, best-effort: the upload has succeeded, so a journal that cannot be
    /// deleted (locked, read-only directory) is logged and left behind rather than turning the success into an error.
    /// Such a leftover journal describes an upload that is already complete: delete it, do not resume from it.
    /// </summary>
    private void DeleteJournal(UploadJournal? journal)
    {
        try
        {
            journal?.Delete();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogJournalNotDeleted(_logger, Path.GetFileName(journal!.Path), ex.Message);
        }
    }

    private async Task RunPartAsync(RunState run, int partIndex, PartBody body)
    {
        // Yield so that the scheduling loop can start the next part while this one runs.
        await Task.Yield();
        var token = run.Cancellation.Token;
        var stallTimeout = run.Run.Request.Transfer.StallTimeout;
        var attempts = 0;
        using var activity = CogniteFilesTelemetry.ActivitySource.StartActivity("Cognite.Files.UploadPart");
        activity?.SetTag("cognite.files.part_index", partIndex);
        activity?.SetTag("cognite.files.part_bytes", body.Length);
        try
        {
            var crc = await run.PartPipeline.ExecuteAsync(
                async ct =>
                {
                    attempts++;
                    if (attempts > 1)
                    {
                        run.AddRetry();
                    }

                    return await SendAttemptAsync(run, partIndex, body, stallTimeout, ct).ConfigureAwait(false);
                },
                token).ConfigureAwait(false);

            if (crc is { } sent)
            {
                run.Checksums?.Add(run.Run.Plan.GetPartOffset(partIndex), body.Length, sent);
            }

            run.Progress.PartCompleted(partIndex);
            run.Run.Journal?.MarkDone(partIndex, crc);
            TransferMetrics.PartsUploaded.Add(1);
            TransferMetrics.BytesUploaded.Add(body.Length);
            activity?.SetTag("cognite.files.attempts", attempts);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "cancelled");
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            var failure = Describe(run, partIndex, attempts, ex);
            LogPartFailed(_logger, partIndex + 1, run.Run.Plan.PartCount, attempts, Reason(ex));
            if (run.TrySetFailure(failure))
            {
                await run.Cancellation.CancelAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            body.Dispose();
            Release(run.Run.Request.CallLimiter);
        }
    }

    /// <summary>Sends one attempt of a part; returns the CRC-64 of the bytes it sent (null when checksums are off).</summary>
    private async Task<ulong?> SendAttemptAsync(RunState run, int partIndex, PartBody body, TimeSpan stallTimeout, CancellationToken cancellationToken)
    {
        using var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var watchdog = new StallWatchdog(_time, stallTimeout, attemptCts);
        // A streamed body with Content-Length (object stores refuse chunked uploads). The 1 MiB copy buffer (pooled by
        // Stream.CopyToAsync) halves the syscalls of the 80 KiB default; measured faster on loopback (bench/results.md).
        // PartProgressStream keeps these large reads (and checksums them) but writes them in slices (240 KiB for the default
        // stall timeout, PartProgressStream.WriteSliceFor), feeding the
        // watchdog after each, so a slow but moving link is never taken for a stall.
        var sent = new PartProgressStream(body.OpenAttempt(), partIndex, run.Progress, watchdog, PartProgressStream.WriteSliceFor(stallTimeout), run.Checksums is null ? null : new Crc64());
        // A small part gets a buffer of its own size, not 1 MiB.
        using var content = new PartContent(sent, body.Length, (int)Math.Clamp(body.Length, 1, CopyBufferSize), watchdog);
        try
        {
            await _steps.PutPartAsync(run.Run.Session, partIndex, content, attemptCts.Token).ConfigureAwait(false);
            run.PartSucceeded();
            // Accepted with its Content-Length, the body was read to its end: the checksum covers the whole part.
            return sent.Position == body.Length ? sent.SentChecksum : null;
        }
        catch (Exception ex) when (watchdog.Fired && !cancellationToken.IsCancellationRequested)
        {
            throw new PartStalledException(partIndex, stallTimeout, ex);
        }
    }

    /// <summary>
    /// The source is not the content planned, found before completing or by a read that ended early (<paramref name="ex"/>
    /// holds a <see cref="SourceEndedEarlyException"/> then): nothing is completed.
    /// </summary>
    private static CogniteUploadException ChangedWhileUploaded(UploadSource source, UploadSession session, SourceChangeFinding change, int? partIndex, int attempts, Exception? ex) => new(
        SourceEndedEarlyException.Find(ex) is null
            ? $"The {source.Description} changed while it was uploaded: {change.Detail}. The upload was not completed: upload it again."
            : $"The {source.Description} is shorter than planned: {change.Detail}. The upload was not completed.",
        UploadFailureReason.SourceChanged,
        partIndex,
        session.SingleRequest ? null : session.UploadId,
        session.FileId,
        attempts,
        ex,
        change.Change);

    private static CogniteUploadException Describe(RunState run, int partIndex, int attempts, Exception ex)
    {
        var s = run.Run.Session;
        var n = run.Run.Plan.PartCount;
        if (SourceEndedEarlyException.Find(ex) is { } ended)
        {
            return ChangedWhileUploaded(run.Run.Request.Source, s, SourceChangeFinding.OfEndedEarly(ended), partIndex, attempts, ex);
        }

        if (s.SingleRequest)
        {
            return IsUploadGone(ex)
                ? new CogniteUploadException(
                    string.Create(CultureInfo.InvariantCulture, $"The upload of file id {s.FileId} (one request) failed: {Reason(ex)} {UploadGoneAdvice}"),
                    UploadFailureReason.UploadNotFound, partIndex, null, s.FileId, attempts, ex)
                : new CogniteUploadException(
                    string.Create(CultureInfo.InvariantCulture, $"The upload of file id {s.FileId} (one request) failed after {attempts} attempt(s): {Reason(ex)}"),
                    UploadFailureReason.PartFailed, partIndex, null, s.FileId, attempts, ex);
        }

        if (IsUploadGone(ex))
        {
            return new CogniteUploadException(
                string.Create(CultureInfo.InvariantCulture, $"Part {partIndex + 1} of {n} of upload {s.UploadId} (file id {s.FileId}) failed: {Reason(ex)} {UploadGoneAdvice}"),
                UploadFailureReason.UploadNotFound, partIndex, s.UploadId, s.FileId, attempts, ex);
        }

        if (ex is CogniteApiException { StatusCode: HttpStatusCode.Forbidden } && run.Run.Resumed && !run.AnyPartSucceeded)
        {
            return new CogniteUploadException(
                $"The upload URLs of the resumed session were refused (403): the session has probably expired. Start a new upload.",
                UploadFailureReason.SessionExpired, partIndex, s.UploadId, s.FileId, attempts, ex);
        }

        return new CogniteUploadException(
            string.Create(CultureInfo.InvariantCulture, $"Part {partIndex + 1} of {n} of upload {s.UploadId} (file id {s.FileId}) failed after {attempts} attempt(s): {Reason(ex)}"),
            UploadFailureReason.PartFailed, partIndex, s.UploadId, s.FileId, attempts, ex);
    }

    private const string UploadGoneAdvice = "The upload no longer exists in CDF (was the file deleted?): a resume cannot finish it, start a new upload.";

    /// <summary>
    /// CDF does not know the upload (or its file) any more: a pre-signed part URL answered 404 or 410 (as object stores
    /// answer for an upload that was aborted), or completing named the file as missing. Never retried (not transient).
    /// </summary>
    private static bool IsUploadGone(Exception ex) =>
        ex is CogniteNotFoundException or CogniteApiException { StatusCode: HttpStatusCode.NotFound or HttpStatusCode.Gone };

    /// <summary>
    /// The message of a part failure. HttpClient reports any failure while sending a body as "Error while copying
    /// content to a stream."; the cause that tells the user what to do (a read error of the source file, a connection
    /// reset) is the innermost exception, so it is named too. None of these messages holds the URL's query.
    /// </summary>
    internal static string Reason(Exception ex)
    {
        if (ex is HttpRequestException { InnerException: { } inner })
        {
            var root = inner.GetBaseException();
            return string.Create(CultureInfo.InvariantCulture, $"{ex.Message} ({root.GetType().Name}: {root.Message})");
        }

        return ex.Message;
    }

    private Activity? StartUploadActivity(UploadPlan plan, UploadTarget? target, bool resumed)
    {
        var activity = CogniteFilesTelemetry.ActivitySource.StartActivity("Cognite.Files.Upload");
        activity?.SetTag("cognite.files.bytes", plan.Length);
        activity?.SetTag("cognite.files.parts", plan.PartCount);
        activity?.SetTag("cognite.files.part_size", plan.PartSize);
        activity?.SetTag("cognite.files.resumed", resumed);
        if (target is not null)
        {
            activity?.SetTag("cognite.files.target", target.NewFile is null ? "existing" : "new");
        }

        activity?.SetTag("cognite.files.single_request", plan.SingleRequest);

        return activity;
    }

    private ResiliencePipeline BuildPartPipeline(TransferOptions options) => TransferRetry.Build(options, _time, IsRetryable, (attempt, delay, failure) =>
    {
        TransferMetrics.PartRetries.Add(1);
        LogPartRetry(_logger, attempt, delay.TotalMilliseconds, failure is null ? "?" : Reason(failure));
    });

    private static bool IsRetryable(Exception? ex) => ex switch
    {
        null => false,
        _ when SourceEndedEarlyException.Find(ex) is not null => false, // the source changed: a retry reads the same
        CogniteApiException api => api.IsTransient,
        PartStalledException => true,
        HttpRequestException or IOException => true,
        _ => false,
    };

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Part attempt {Attempt} failed; retrying in {DelayMs} ms: {Error}")]
    private static partial void LogPartRetry(ILogger logger, int attempt, double delayMs, string error);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Error, Message = "Part {Part} of {Parts} failed after {Attempts} attempt(s): {Error}")]
    private static partial void LogPartFailed(ILogger logger, int part, int parts, int attempts, string error);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "The upload completed, but its journal {Journal} could not be deleted: {Error}")]
    private static partial void LogJournalNotDeleted(ILogger logger, string? journal, string error);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "No checksum for this upload: {Missing} of {Parts} parts have none (parts done before a resume whose journal did not record their checksum)")]
    private static partial void LogChecksumNotCombined(ILogger logger, int missing, int parts);

    /// <summary>What one upload or resume works on: the request, its plan and session, and what is already done.</summary>
    private sealed record RunContext(UploadRequest Request, UploadPlan Plan, UploadSession Session, UploadJournal? Journal, int[] PartsDone, bool Resumed, long Started, Activity? Activity);

    /// <summary>The mutable state of one run: progress, cancellation, retries, checksums, the first failure.</summary>
    private sealed class RunState(RunContext run, ProgressTracker progress, CancellationTokenSource cancellation, ResiliencePipeline partPipeline, RangeChecksums? checksums)
    {
        private CogniteUploadException? _failure;
        private int _retries;
        private int _succeeded;

        public RunContext Run => run;

        public ProgressTracker Progress => progress;

        public CancellationTokenSource Cancellation => cancellation;

        public ResiliencePipeline PartPipeline => partPipeline;

        /// <summary>The CRC-64 of every part accepted so far (done parts of a resume from the journal); null when checksums are off.</summary>
        public RangeChecksums? Checksums => checksums;

        public int Retries => Volatile.Read(ref _retries);

        public bool AnyPartSucceeded => Volatile.Read(ref _succeeded) > 0;

        public CogniteUploadException? Failure => Volatile.Read(ref _failure);

        public void AddRetry() => Interlocked.Increment(ref _retries);

        public void PartSucceeded() => Interlocked.Increment(ref _succeeded);

        public bool TrySetFailure(CogniteUploadException failure) => Interlocked.CompareExchange(ref _failure, failure, null) is null;
    }
}

/// <summary>
/// A part attempt's body, streamed once with its Content-Length. When the client's bandwidth cap paces it
/// (<see cref="Http.BandwidthLimitHandler"/>), each chunk written feeds the attempt's stall watchdog: a capped but moving
/// transfer is not a stall. (Not a StreamContent subclass: StreamContent passes the cancellation token on to the copy
/// only when it is not derived from, and an aborted attempt must stop its copy.)
/// </summary>
internal sealed class PartContent : HttpContent, Http.ITransferActivityListener
{
    private readonly Stream _body;
    private readonly int _bufferSize;
    private readonly StallWatchdog _watchdog;

    public PartContent(Stream body, long length, int bufferSize, StallWatchdog watchdog)
    {
        _body = body;
        _bufferSize = bufferSize;
        _watchdog = watchdog;
        Headers.ContentLength = length;
    }

    public void BytesMoved() => _watchdog.Touch();

    protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
        _body.CopyToAsync(stream, _bufferSize, CancellationToken.None);

    protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken) =>
        _body.CopyToAsync(stream, _bufferSize, cancellationToken);

    protected override void SerializeToStream(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken) =>
        _body.CopyTo(stream, _bufferSize);

    protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult(_body);

    protected override bool TryComputeLength(out long length)
    {
        length = Headers.ContentLength ?? -1;
        return length >= 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _body.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// One call of the engine: the source, the target (null for a resume), the call's effective transfer settings (a
/// validated copy) and everything else the caller chose. Replaces a long parameter list.
/// </summary>
internal sealed class UploadRequest
{
    public UploadRequest(UploadSource source, UploadTarget? target, TransferOptions transfer, IProgress<UploadProgress>? progress, string? journalPath, TransferConcurrencyLimiter? callLimiter = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(transfer);
        Source = source;
        Target = target;
        Transfer = transfer;
        Progress = progress;
        JournalPath = journalPath;
        CallLimiter = callLimiter;
    }

    public UploadSource Source { get; }

    public UploadTarget? Target { get; }

    public TransferOptions Transfer { get; }

    public IProgress<UploadProgress>? Progress { get; }

    public string? JournalPath { get; }

    /// <summary>Bounds this call's parts when it has its own <see cref="TransferOptions.MaxConcurrency"/>; the engine's limiter still bounds all calls.</summary>
    public TransferConcurrencyLimiter? CallLimiter { get; }

    /// <summary>Store the checksum in the file's metadata once the upload is confirmed (<see cref="UploadOptions.StoreChecksum"/>).</summary>
    public bool StoreChecksum { get; init; }
}
