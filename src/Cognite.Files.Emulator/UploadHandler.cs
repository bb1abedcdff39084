using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Cognite.Files.Emulator;

/// <summary>
/// The upload listener: <c>PUT /upload/{uploadId}/{partIndex}</c> and <c>GET /download/{fileId}</c>, both pre-signed
/// (<c>expires</c> + HMAC <c>sig</c> in the query), no bearer token. Bodies are streamed to disk through a 64 KiB buffer.
/// </summary>
internal sealed class UploadHandler(EmulatorState state)
{
    private const int BufferSize = 64 * 1024;

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

        var fault = state.Faults.NextUploadFault(uploadId, index);
        if (fault is { } f) state.Counters.UploadFault(uploadId, f);
        var midBody = (long)Math.Floor(length * state.Faults.MidBodyFraction);

        if (fault is FaultKind.Status500 or FaultKind.Status503 or FaultKind.Status429WithRetryAfter)
        {
            await CopyBodyAsync(context, uploadId, Stream.Null, long.MaxValue).ConfigureAwait(false); // drain, so the client sees a clean response
            await state.Api.WriteFaultAsync(context, fault.Value).ConfigureAwait(false);
            return;
        }

        var temp = state.Store.NewTempPath();
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true))
            {
                if (fault is FaultKind.ResetMidBody)
                {
                    await CopyBodyAsync(context, uploadId, file, midBody).ConfigureAwait(false);
                    context.Abort();
                    return;
                }
                if (fault is FaultKind.Stall)
                {
                    await CopyBodyAsync(context, uploadId, file, midBody).ConfigureAwait(false);
                    try
                    {
                        await Task.Delay(state.Faults.StallDuration, context.RequestAborted).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return; // the client gave up
                    }
                }
                var total = await CopyBodyAsync(context, uploadId, file, long.MaxValue).ConfigureAwait(false);
                if (file.Length != length) throw CdfError.BadRequest("The body is shorter than Content-Length.");
                _ = total;
            }

            state.Store.WithLock(() =>
            {
                var current = state.Store.GetUpload(uploadId);
                if (current is null || current.Completed) throw CdfError.BadRequest("The upload was completed or deleted during the PUT.");
                if (upload.Multipart)
                {
                    Directory.CreateDirectory(Path.Combine(state.Store.PartsDir, uploadId));
                    File.Move(temp, state.Store.PartPath(uploadId, index), overwrite: true);
                    state.Store.PutPart(uploadId, index, length);
                }
                else
                {
                    var row = state.Store.Get(upload.FileId) ?? throw new CdfError(404, "The file was deleted.");
                    state.Store.ReplaceContentWithFile(upload.FileId, temp);
                    state.Api.CommitContent(row);
                }
                return 0;
            });
        }
        finally
        {
            FileStore.TryDelete(temp);
        }
        context.Response.StatusCode = 200;
        context.Response.ContentLength = 0;
    }

    /// <summary>Copies up to <paramref name="max"/> body bytes, honouring the per-connection bandwidth cap; returns the bytes copied.</summary>
    private async Task<long> CopyBodyAsync(HttpContext context, string uploadId, Stream target, long max)
    {
        var buffer = new byte[BufferSize];
        long copied = 0;
        var bucket = Bucket(context);
        using var idle = new BodyIdleGuard(state.Options.TimeProvider, state.Options.RequestBodyIdleTimeout, context.RequestAborted);
        while (copied < max)
        {
            var rate = state.Faults.BandwidthBytesPerSecondPerConnection;
            var want = (int)Math.Min(buffer.Length, max - copied);
            if (rate is { } r) want = (int)Math.Min(want, Math.Max(1024, r / 50));
            var n = await idle.ReadAsync(context.Request.Body, buffer.AsMemory(0, want)).ConfigureAwait(false);
            if (n == 0) break;
            await target.WriteAsync(buffer.AsMemory(0, n), context.RequestAborted).ConfigureAwait(false);
            copied += n;
            state.Counters.UploadBytes(uploadId, n);
            if (rate is { } limit)
            {
                var wait = bucket.Consume(n, limit);
                if (wait > TimeSpan.Zero)
                {
                    state.Counters.ThrottleWait();
                    await Task.Delay(wait, context.RequestAborted).ConfigureAwait(false);
                }
            }
        }
        return copied;
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
        Stream content;
        try
        {
            content = state.Store.OpenContent(fileId);
        }
        catch (FileNotFoundException)
        {
            throw new CdfError(404, "The file has no uploaded content.");
        }
        await using (content)
        {
            var length = content.Length;
            var response = context.Response;
            var serveRanges = !state.Faults.IgnoreRangeRequests;
            var range = serveRanges ? ByteRange.Evaluate(context.Request.Headers.Range, length) : new ByteRange(RangeOutcome.Whole, 0, length);
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
            content.Seek(range.Start, SeekOrigin.Begin);
            var buffer = new byte[BufferSize];
            var left = range.Length;
            while (left > 0)
            {
                var n = await content.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), context.RequestAborted).ConfigureAwait(false);
                if (n == 0) break;
                await context.Response.Body.WriteAsync(buffer.AsMemory(0, n), context.RequestAborted).ConfigureAwait(false);
                state.Counters.DownloadBytes(n);
                left -= n;
            }
        }
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
