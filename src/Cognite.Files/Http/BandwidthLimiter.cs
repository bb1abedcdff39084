using System.Net;

namespace Cognite.Files.Http;

/// <summary>
/// One client's cap on the total rate of its pre-signed URL traffic (<see cref="CogniteFilesClientOptions.MaxTransferBytesPerSecond"/>),
/// shared by all its connections: a token bucket on the client's <see cref="TimeProvider"/> (the generic cell-rate form:
/// each grant moves a theoretical time forward by its bytes ÷ rate, and waits until that time, less the bucket's
/// <see cref="Burst"/>, has come). Grants are reserved in the order they are asked, so connections share the rate
/// fairly, in chunks of at most <see cref="ChunkBytes"/> (50 ms of the rate): no connection waits long for its turn.
/// </summary>
internal sealed class BandwidthLimiter
{
    /// <summary>How far ahead of the rate bytes may go after an idle spell.</summary>
    public static readonly TimeSpan Burst = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly long _origin;
    private TimeSpan _theoretical;

    public BandwidthLimiter(long bytesPerSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytesPerSecond, 1);
        ArgumentNullException.ThrowIfNull(time);
        BytesPerSecond = bytesPerSecond;
        ChunkBytes = (int)Math.Clamp(bytesPerSecond / 20, 1024, 64 * 1024);
        _time = time;
        _origin = time.GetTimestamp();
    }

    public long BytesPerSecond { get; }

    /// <summary>The largest grant one read or write asks for: 50 ms of the rate, between 1 KiB and 64 KiB.</summary>
    public int ChunkBytes { get; }

    /// <summary>Waits until <paramref name="bytes"/> may move.</summary>
    public Task WaitAsync(int bytes, CancellationToken cancellationToken)
    {
        var wait = Reserve(bytes);
        return wait > TimeSpan.Zero ? Task.Delay(wait, _time, cancellationToken) : Task.CompletedTask;
    }

    /// <summary>Waits, blocking the thread, until <paramref name="bytes"/> may move (the synchronous stream methods).</summary>
    public void Wait(int bytes)
    {
        var wait = Reserve(bytes);
        if (wait > TimeSpan.Zero)
        {
            using var elapsed = new ManualResetEventSlim();
            using var timer = _time.CreateTimer(static s => ((ManualResetEventSlim)s!).Set(), elapsed, wait, Timeout.InfiniteTimeSpan);
            elapsed.Wait();
        }
    }

    /// <summary>Reserves <paramref name="bytes"/> and returns how long to wait before moving them.</summary>
    private TimeSpan Reserve(int bytes)
    {
        var cost = TimeSpan.FromTicks((long)Math.Ceiling(bytes * (double)TimeSpan.TicksPerSecond / BytesPerSecond));
        lock (_gate)
        {
            var now = _time.GetElapsedTime(_origin);
            var start = _theoretical > now ? _theoretical : now;
            _theoretical = start + cost;
            return _theoretical - Burst - now;
        }
    }
}

/// <summary>
/// Content whose sender wants to hear that its bytes are moving while the bandwidth cap paces them: the upload engine's
/// part body, whose stall watchdog must not take a capped but moving transfer for a stall.
/// </summary>
internal interface ITransferActivityListener
{
    /// <summary>Some bytes of the body were written to the connection.</summary>
    void BytesMoved();
}

/// <summary>
/// The pre-signed URL client's bandwidth cap: paces every request body (upload PUTs) and response body (download
/// GETs) through the client's one <see cref="BandwidthLimiter"/>. A body is written in chunks of at most
/// <see cref="BandwidthLimiter.ChunkBytes"/>, each after its grant, and the sender hears of each
/// (<see cref="ITransferActivityListener"/>); a response body read returns at most one chunk, so a reader that feeds a
/// stall watchdog per read sees movement at least every chunk. API calls never pass here.
/// </summary>
internal sealed class BandwidthLimitHandler(BandwidthLimiter limiter) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is { } body)
        {
            request.Content = new PacedRequestContent(body, limiter);
        }

        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        response.Content = new PacedResponseContent(response.Content, limiter);
        return response;
    }

    /// <summary>
    /// A body passed through the cap: the original's headers (Content-Length included), its length and its disposal;
    /// the two kinds below differ only in which direction they pace.
    /// </summary>
    private abstract class PacedContent : HttpContent
    {
        protected PacedContent(HttpContent inner, BandwidthLimiter limiter)
        {
            Inner = inner;
            Limiter = limiter;
            foreach (var header in inner.Headers)
            {
                if (!string.Equals(header.Key, "Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    Headers.TryAddWithoutValidation(header.Key, header.Value);
                }
            }

            Headers.ContentLength = inner.Headers.ContentLength;
        }

        protected HttpContent Inner { get; }

        protected BandwidthLimiter Limiter { get; }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = Inner.Headers.ContentLength ?? -1;
            return length >= 0;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>A request body written through the cap.</summary>
    private sealed class PacedRequestContent(HttpContent inner, BandwidthLimiter limiter) : PacedContent(inner, limiter)
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
            Inner.CopyToAsync(new PacedWriteStream(stream, Limiter, Inner as ITransferActivityListener), cancellationToken);

        protected override void SerializeToStream(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
            Inner.CopyTo(new PacedWriteStream(stream, Limiter, Inner as ITransferActivityListener), context, cancellationToken);
    }

    /// <summary>A response body read through the cap.</summary>
    private sealed class PacedResponseContent(HttpContent inner, BandwidthLimiter limiter) : PacedContent(inner, limiter)
    {
        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new PacedReadStream(await Inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), Limiter);

        protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

        protected override Stream CreateContentReadStream(CancellationToken cancellationToken) =>
            new PacedReadStream(Inner.ReadAsStream(cancellationToken), Limiter);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var body = await CreateContentReadStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                await body.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes to the connection in granted chunks, telling the sender after each.</summary>
    private sealed class PacedWriteStream(Stream inner, BandwidthLimiter limiter, ITransferActivityListener? listener) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (!buffer.IsEmpty)
            {
                var n = Math.Min(buffer.Length, limiter.ChunkBytes);
                await limiter.WaitAsync(n, cancellationToken).ConfigureAwait(false);
                await inner.WriteAsync(buffer[..n], cancellationToken).ConfigureAwait(false);
                listener?.BytesMoved();
                buffer = buffer[n..];
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                var n = Math.Min(buffer.Length, limiter.ChunkBytes);
                limiter.Wait(n);
                inner.Write(buffer[..n]);
                listener?.BytesMoved();
                buffer = buffer[n..];
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>Reads at most one chunk at a time and pays for what it read before returning it.</summary>
    private sealed class PacedReadStream(Stream inner, BandwidthLimiter limiter) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, limiter.ChunkBytes)], cancellationToken).ConfigureAwait(false);
            if (read > 0)
            {
                await limiter.WaitAsync(read, cancellationToken).ConfigureAwait(false);
            }

            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer[..Math.Min(buffer.Length, limiter.ChunkBytes)]);
            if (read > 0)
            {
                limiter.Wait(read);
            }

            return read;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
