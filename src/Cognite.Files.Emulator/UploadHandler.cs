using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Cognite.Files.Emulator;

/// <summary>
/// The upload listener: <c>PUT /upload/{uploadId}/{partIndex}</c> and <c>GET /download/{fileId}</c>, both pre-signed
/// (<c>expires</c> + HMAC <c>sig</c> in the query), no bearer token. Bodies move between the connection and the
/// <see cref="ContentStore"/> in pieces of up to <see cref="ContentStore.ChunkSize"/>, under one per-connection bandwidth cap.
/// Downloads serve one <c>Range</c> (<see cref="ByteRange"/>) and carry the content version's strong <c>ETag</c>, with
/// <c>If-Match</c> and <c>If-Range</c> honoured (<see cref="Preconditions"/>), as object stores do.
/// </summary>
internal sealed class UploadHandler(EmulatorState state)
{
    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var method = context.Request.Method;
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var isUpload = segments.Length == 3 && segments[0] == "upload";
        var isDownload = segments.Length == 2 && segments[0] == "download";
        if (!isUpload && !isDownload) throw new CdfError(404, "No such upload or download URL.");
        if (isUpload && method != "PUT") throw new CdfError(405, "Upload URLs accept PUT only.");
        if (isDownload && method != "GET" && method != "HEAD") throw new CdfError(405, "Download URLs accept GET only.");

        if (isUpload && int.TryParse(segments[2], NumberStyles.None, CultureInfo.InvariantCulture, out var countedIndex))
            state.Counters.UploadPut(segments[1], countedIndex);
        else if (isDownload) state.Counters.Download();
        EmulatorProcessTotals.SignedUrlRequest();

        if (context.Request.Headers.ContainsKey("Authorization"))
        {
            state.Counters.AuthorizationOnUploadUrl();
            EmulatorProcessTotals.AuthorizationOnSignedUrl();
            throw new CdfError(EmulatorConventions.AuthorizationOnSignedUrlStatus,
                "Pre-signed URLs must not carry an Authorization header: the signature in the URL is the credential.");
        }
        var problem = state.Signer.Check(isUpload ? "PUT" : "GET", path, context.Request.Query["expires"], context.Request.Query["sig"], state.Options.TimeProvider.GetUtcNow());
        if (problem is not null)
        {
            state.Counters.RejectedSignature();
            throw new CdfError(EmulatorConventions.BadSignatureStatus, "Forbidden: " + problem);
        }

        if (isUpload) await PutAsync(context, segments[1], int.Parse(segments[2], CultureInfo.InvariantCulture)).ConfigureAwait(false);
        else await GetAsync(context, long.Parse(segments[1], CultureInfo.InvariantCulture)).ConfigureAwait(false);
    }

    private async Task PutAsync(HttpContext context, string uploadId, int index)
    {
        if (context.Request.ContentLength is not { } length)
            throw new CdfError(411, "Length Required: upload PUTs need a Content-Length header (chunked bodies are refused).");
        var upload = state.Store.GetUpload(uploadId) ?? throw new CdfError(404, "The upload does not exist (the file may have been deleted).");
        if (upload.Completed) throw CdfError.BadRequest("The upload has already been completed.");
        if (index >= upload.Parts) throw CdfError.BadRequest("Part index out of range.");
        var limit = upload.Multipart ? EmulatorConventions.MaxPartBytes : EmulatorConventions.MaxSingleUploadBytes;
        if (length > limit)
        {
            // Refused from the headers, before any byte of the body is read (a client that sent Expect: 100-continue
            // is never asked for it). Connection: close tells the client to stop sending and not to reuse the connection
            // (Kestrel discards what still arrives for at most 5 s, then closes it). Written here, not thrown: the
            // dispatcher's error path clears headers, and Connection: close must stay.
            var what = upload.Multipart
                ? $"a part of a multipart upload is at most {EmulatorConventions.MaxPartBytes} bytes (4000 MiB)"
                : $"a single-upload PUT is at most {EmulatorConventions.MaxSingleUploadBytes} bytes (5000 MB); upload larger content in parts (initmultipartupload)";
            context.Response.Headers.Connection = "close";
            await HttpJson.WriteErrorAsync(context, EmulatorConventions.PutTooLargeStatus, $"Payload Too Large: {what}, and this PUT announces {length}.").ConfigureAwait(false);
            return;
        }

        var fault = state.Faults.NextUploadFault(uploadId, index);
        if (fault is { } f) state.Counters.UploadFault(uploadId, f);
        var midBody = (long)Math.Floor(length * state.Faults.MidBodyFraction);

        if (fault is FaultKind.Status500 or FaultKind.Status503 or FaultKind.Status429WithRetryAfter)
        {
            using (var drain = ContentWriter.Discard())
            {
                await ReceiveAsync(context, uploadId, drain, long.MaxValue).ConfigureAwait(false); // so the client sees a clean response
            }

            await state.Api.WriteFaultAsync(context, fault.Value).ConfigureAwait(false);
            return;
        }

        var content = state.Store.Content;
        using (var staged = content.CreateWriter(length))
        {
            if (fault is FaultKind.ResetMidBody)
            {
                await ReceiveAsync(context, uploadId, staged, midBody).ConfigureAwait(false);
                context.Abort();
                return;
            }
            if (fault is FaultKind.Stall)
            {
                await ReceiveAsync(context, uploadId, staged, midBody).ConfigureAwait(false);
                try
                {
                    await Task.Delay(state.Faults.StallDuration, context.RequestAborted).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return; // the client gave up
                }
            }
            await ReceiveAsync(context, uploadId, staged, long.MaxValue).ConfigureAwait(false);
            if (staged.Length != length) throw CdfError.BadRequest("The body is shorter than Content-Length.");
            staged.Complete();

            state.Store.WithLock(() =>
            {
                var current = state.Store.GetUpload(uploadId);
                if (current is null || current.Completed) throw CdfError.BadRequest("The upload was completed or deleted during the PUT.");
                if (upload.Multipart)
                {
                    content.StorePart(uploadId, index, staged);
                    state.Store.PutPart(uploadId, index, length);
                }
                else
                {
                    var row = state.Store.Get(upload.FileId) ?? throw new CdfError(404, "The file was deleted.");
                    content.StoreContent(upload.FileId, staged);
                    state.Api.CommitContent(row);
                }
                return 0;
            });
        }
        context.Response.StatusCode = 200;
        context.Response.ContentLength = 0;
    }

    /// <summary>
    /// Reads up to <paramref name="max"/> body bytes (fewer when <paramref name="target"/> is full) straight into the
    /// target's large buffers, honouring the per-connection bandwidth cap and the idle timeout; returns the bytes read.
    /// <c>Request.Body</c> is Kestrel's stream over its <c>BodyReader</c> pipe: each read copies whatever the pipe holds
    /// into the target in one go, the one copy a <c>PipeReader</c> loop would make, and keeps <see cref="BodyIdleGuard"/>
    /// the one place of the idle timeout.
    /// </summary>
    private async Task<long> ReceiveAsync(HttpContext context, string uploadId, ContentWriter target, long max)
    {
        long copied = 0;
        var bucket = Bucket(context);
        using var idle = new BodyIdleGuard(state.Options.TimeProvider, state.Options.RequestBodyIdleTimeout, context.RequestAborted);
        while (copied < max)
        {
            var space = target.GetSpace();
            if (space.IsEmpty) break; // the declared length is in
            var rate = state.Faults.BandwidthBytesPerSecondPerConnection;
            var want = (int)Math.Min(space.Length, max - copied);
            if (rate is { } r) want = Math.Min(want, ThrottleSlice(r));
            var n = await idle.ReadAsync(context.Request.Body, space[..want]).ConfigureAwait(false);
            if (n == 0) break;
            target.Advance(n);
            copied += n;
            state.Counters.UploadBytes(uploadId, n);
            if (rate is { } limit) await ThrottleAsync(bucket, n, limit, context.RequestAborted).ConfigureAwait(false);
        }
        return copied;
    }

    /// <summary>The most the cap lets through in one go: 20 ms of traffic (the bucket's capacity), at least 1 KiB.</summary>
    private static int ThrottleSlice(long rate) => (int)Math.Clamp(rate / 50, 1024, ContentStore.ChunkSize);

    private async ValueTask ThrottleAsync(TokenBucket bucket, int bytes, long rate, CancellationToken cancellationToken)
    {
        var wait = bucket.Consume(bytes, rate);
        if (wait <= TimeSpan.Zero) return;
        state.Counters.ThrottleWait();
        await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
    }

    private static TokenBucket Bucket(HttpContext context)
    {
        var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
        if (items is null) return new TokenBucket();
        if (items.TryGetValue(typeof(TokenBucket), out var b) && b is TokenBucket bucket) return bucket;
        bucket = new TokenBucket();
        items[typeof(TokenBucket)] = bucket;
        return bucket;
    }

    private async Task GetAsync(HttpContext context, long fileId)
    {
        var row = state.Store.Get(fileId) ?? throw new CdfError(404, "The file does not exist.");
        if (!state.Api.Materialize(row).Uploaded || !row.HasContent) throw new CdfError(404, "The file has no uploaded content.");
        using var content = state.Store.OpenSnapshot(fileId) ?? throw new CdfError(404, "The file has no uploaded content.");
        var fault = context.Request.Method == "GET" ? state.Faults.NextDownloadFault() : null;
        if (fault is { } f) state.Counters.Fault(f);
        if (fault is FaultKind.Status500 or FaultKind.Status503 or FaultKind.Status429WithRetryAfter)
        {
            await state.Api.WriteFaultAsync(context, fault.Value).ConfigureAwait(false);
            return;
        }

        var length = content.Length;
        var response = context.Response;
        var headers = context.Request.Headers;
        var etag = Preconditions.ETag(content.Version);
        response.Headers.ETag = etag;
        if (!Preconditions.IfMatch(headers.IfMatch, etag))
        {
            // Another version than the one the client has ranges of: it must not stitch this one to them. Written here
            // (not thrown) so that the ETag header stays.
            await HttpJson.WriteErrorAsync(context, 412, $"Precondition Failed: the file's content is not the version asked for (If-Match); its ETag is now {etag}.").ConfigureAwait(false);
            return;
        }

        var serveRanges = !state.Faults.IgnoreRangeRequests;
        var range = serveRanges && Preconditions.IfRange(headers.IfRange, etag)
            ? ByteRange.Evaluate(headers.Range, length)
            : new ByteRange(RangeOutcome.Whole, 0, length);
        if (serveRanges) response.Headers.AcceptRanges = "bytes";
        if (range.Outcome == RangeOutcome.Unsatisfiable)
        {
            // Written here rather than thrown: the dispatcher's error path clears headers, and Content-Range must stay.
            response.Headers.ContentRange = range.ContentRange(length);
            await HttpJson.WriteErrorAsync(context, 416, $"Range Not Satisfiable: the content is {length} bytes long.").ConfigureAwait(false);
            return;
        }

        response.StatusCode = range.Outcome == RangeOutcome.Partial ? 206 : 200;
        if (range.Outcome == RangeOutcome.Partial) response.Headers.ContentRange = range.ContentRange(length);
        response.ContentType = "application/octet-stream";
        response.ContentLength = range.Length;
        if (context.Request.Method == "HEAD") return;

        var (start, end) = (range.Start, range.Start + range.Length);
        if (fault is FaultKind.ResetMidBody or FaultKind.Stall)
        {
            var midBody = start + (long)Math.Floor(range.Length * state.Faults.MidBodyFraction);
            if (!await SendAsync(context, content, start, midBody).ConfigureAwait(false)) return;
            if (fault is FaultKind.ResetMidBody)
            {
                // Ending short of Content-Length makes Kestrel close the connection after what was written has gone
                // out, so the client reliably sees part of the body and then the end; context.Abort() sends an RST at
                // once and could lose the part in flight.
                return;
            }

            try
            {
                await Task.Delay(state.Faults.StallDuration, context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return; // the client gave up
            }

            start = midBody;
        }

        await SendAsync(context, content, start, end).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends bytes <paramref name="start"/> to <paramref name="end"/> (exclusive) in large pieces straight from the store
    /// into Kestrel's response pipe (one copy), capped like uploads; false when the client went away.
    /// </summary>
    private async Task<bool> SendAsync(HttpContext context, ContentSnapshot content, long start, long end)
    {
        var writer = context.Response.BodyWriter;
        var bucket = Bucket(context);
        for (var offset = start; offset < end;)
        {
            var rate = state.Faults.BandwidthBytesPerSecondPerConnection;
            var max = (int)Math.Min(ContentStore.ChunkSize, end - offset);
            if (rate is { } r) max = Math.Min(max, ThrottleSlice(r));
            var piece = content.Read(offset, max);
            if (piece.IsEmpty) throw new InvalidOperationException("The stored content ended before its length.");
            var flushed = await writer.WriteAsync(piece, context.RequestAborted).ConfigureAwait(false);
            offset += piece.Length;
            state.Counters.DownloadBytes(piece.Length);
            if (flushed.IsCanceled || flushed.IsCompleted) return false;
            if (rate is { } limit) await ThrottleAsync(bucket, piece.Length, limit, context.RequestAborted).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Per-connection token bucket (real time): capacity of 20 ms of traffic, refilled at the current rate.</summary>
    private sealed class TokenBucket
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private double _tokens;
        private TimeSpan _last;

        public TimeSpan Consume(int bytes, long rate)
        {
            lock (this)
            {
                var now = _clock.Elapsed;
                var capacity = Math.Max(1024, rate / 50.0);
                _tokens = Math.Min(capacity, _tokens + (now - _last).TotalSeconds * rate);
                _last = now;
                _tokens -= bytes;
                return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / rate);
            }
        }
    }
}
