using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Cognite.Files.Auth;
using Cognite.Files.Tests.Client;
using Cognite.Files.Transfer;
using Microsoft.Extensions.Time.Testing;

namespace Cognite.Files.Tests.Transfer;

/// <summary>One GET the fake download server saw: its number (from 1), the range asked for, the link generation used, its If-Match.</summary>
internal sealed record FakeGet(int Number, long? From, long? To, int Generation, string? IfMatch = null)
{
    public bool HasRange => From is not null;
}

/// <summary>
/// A fake CDF for downloads, in process: <c>downloadlink</c> and <c>byids</c> for one file on the API side, and its
/// pre-signed download URL (<c>https://dl.example.com/&lt;id&gt;?sig=g&lt;n&gt;</c>, n the link's generation) serving
/// <c>Range</c> as object stores do (206 + Content-Range, 416 beyond the end), generated on the fly so that nothing is
/// buffered. Knobs make it misbehave: ignore ranges, expire links, change the content, and per-GET faults (a status, a
/// body that breaks or stalls after n bytes, any response). Counts what it served.
/// </summary>
internal sealed class FakeDownloadServer
{
    public const string DownloadBase = "https://dl.example.com/";

    private readonly ConcurrentQueue<FakeGet> _gets = new();
    private int _getNumber;
    private int _linkGeneration = -1;
    private int _inFlight;
    private int _maxInFlight;
    private long _served;

    public FakeDownloadServer(long length, int seed = 1)
    {
        Length = length;
        Seed = seed;
    }

    public long FileId { get; set; } = 1;

    /// <summary>The content's length; changing it (or <see cref="Seed"/>) changes the content on the server.</summary>
    public long Length { get; set; }

    /// <summary>Picks the content: byte i is a function of i and the seed.</summary>
    public int Seed { get; set; }

    public long UploadedTime { get; set; } = 1_000;

    public long LastUpdatedTime { get; set; } = 1_000;

    /// <summary>The value under <see cref="ContentChecksum.MetadataKey"/> in the file's metadata; none when null.</summary>
    public string? StoredChecksum { get; set; }

    /// <summary>Answer 200 with the whole content whatever the Range (a server without range support).</summary>
    public bool IgnoreRanges { get; set; }

    /// <summary>The ETag sent with every answer (none when null); changing it is replacing the content.</summary>
    public string? ETag { get; set; }

    /// <summary>Answer 412 to an If-Match that is not <see cref="ETag"/>, as object stores do; false: ignore If-Match.</summary>
    public bool HonourIfMatch { get; set; } = true;

    /// <summary>Links of a generation below this are refused with CDF's 403 for an expired signature.</summary>
    public int ExpireLinksBefore { get; set; }

    /// <summary>Called first for every GET (e.g. to cancel the test's token at the n-th).</summary>
    public Action<FakeGet>? OnGet { get; set; }

    /// <summary>Awaited before the response is made (e.g. to hold some GETs until others arrive).</summary>
    public Func<FakeGet, CancellationToken, Task>? BeforeRespond { get; set; }

    /// <summary>A response instead of the normal one (a status, a wrong Content-Range); null to serve normally.</summary>
    public Func<FakeGet, HttpResponseMessage?>? Respond { get; set; }

    /// <summary>The body of this GET throws an IOException (a reset) after so many bytes; null to serve it whole.</summary>
    public Func<FakeGet, long?>? BreakBodyAfter { get; set; }

    /// <summary>The body of this GET stops (until cancelled) after so many bytes; null to serve it whole.</summary>
    public Func<FakeGet, long?>? StallBodyAfter { get; set; }

    /// <summary>Called for every body read with the bytes served so far, all GETs together.</summary>
    public Action<long>? OnServed { get; set; }

    public IReadOnlyList<FakeGet> Gets => [.. _gets.OrderBy(g => g.Number)];

    public int LinkRequests { get; private set; }

    public int MetadataRequests { get; private set; }

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public long Served => Interlocked.Read(ref _served);

    /// <summary>The current generation of link (the last one handed out).</summary>
    public int LinkGeneration => Volatile.Read(ref _linkGeneration);

    public static byte ByteAt(long i, int seed) => (byte)((i * 31) + (i >> 11) + (seed * 97));

    /// <summary>The current content, materialized (for small content only).</summary>
    public byte[] Content()
    {
        var bytes = new byte[Length];
        for (var i = 0L; i < Length; i++)
        {
            bytes[i] = ByteAt(i, Seed);
        }

        return bytes;
    }

    /// <summary>The checksum of the current content, computed in chunks (for any size).</summary>
    public string Checksum()
    {
        var crc = new System.IO.Hashing.Crc64();
        var chunk = new byte[1 << 16];
        for (var at = 0L; at < Length; at += chunk.Length)
        {
            var n = (int)Math.Min(chunk.Length, Length - at);
            for (var i = 0; i < n; i++)
            {
                chunk[i] = ByteAt(at + i, Seed);
            }

            crc.Append(chunk.AsSpan(0, n));
        }

        return ContentChecksum.Format(crc.GetCurrentHashAsUInt64());
    }

    /// <summary>Stores the checksum of the current content in the metadata, as an upload with the checksum option does.</summary>
    public void StoreChecksum() => StoredChecksum = ContentChecksum.FormatMetadataValue(Checksum(), Length);

    /// <summary>A client for this server; <paramref name="transfer"/> defaults to small ranges the tests can count.</summary>
    public CogniteFilesClient Client(TransferOptions? transfer = null, FakeTimeProvider? time = null) => new(
        ClientFixture.Options(o => o.Transfer = transfer ?? Transfer()),
        new StaticAccessTokenProvider(ClientFixture.Token),
        null,
        time ?? new FakeTimeProvider(),
        new LambdaHandler(ApiAsync),
        new LambdaHandler(GetAsync));

    /// <summary>Transfer settings for tests: ranges of <paramref name="rangeSize"/> bytes (below CDF's minimum part size).</summary>
    public static TransferOptions Transfer(long rangeSize = 64 * 1024, int concurrency = 4, int attempts = 3) => new()
    {
        MinimumPartSize = 1,
        PartSize = rangeSize,
        MaxConcurrency = concurrency,
        MaxAttemptsPerPart = attempts,
        RetryBaseDelay = TimeSpan.FromMilliseconds(100),
        MaxRetryDelay = TimeSpan.FromSeconds(1),
        StallTimeout = TimeSpan.FromSeconds(10),
    };

    private Task<HttpResponseMessage> ApiAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        if (path.EndsWith("/files/downloadlink", StringComparison.Ordinal))
        {
            LinkRequests++;
            var generation = Interlocked.Increment(ref _linkGeneration);
            return Task.FromResult(ClientFixture.Json(HttpStatusCode.OK, $$"""{"items":[{"id":{{FileId}},"downloadUrl":"{{DownloadBase}}{{FileId}}?sig=g{{generation}}"}]}"""));
        }

        if (path.EndsWith("/files/byids", StringComparison.Ordinal))
        {
            MetadataRequests++;
            var metadata = StoredChecksum is null ? string.Empty : $$""","metadata":{"{{ContentChecksum.MetadataKey}}":"{{StoredChecksum}}"}""";
            return Task.FromResult(ClientFixture.Json(
                HttpStatusCode.OK,
                $$"""{"items":[{"id":{{FileId}},"name":"f.bin","uploaded":true,"uploadedTime":{{UploadedTime}},"createdTime":1,"lastUpdatedTime":{{LastUpdatedTime}}{{metadata}}}]}"""));
        }

        return Task.FromResult(ClientFixture.Json(HttpStatusCode.NotFound, """{"error":{"code":404,"message":"Not found"}}"""));
    }

    private async Task<HttpResponseMessage> GetAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // In flight from its arrival until its body is disposed (or it ends without one).
        var now = Interlocked.Increment(ref _inFlight);
        int max;
        while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
        {
        }

        HttpResponseMessage? response = null;
        try
        {
            response = await ServeAsync(request, cancellationToken);
            response.RequestMessage = request; // as a real handler does: error messages name the method and path
            return response;
        }
        finally
        {
            if (response?.Content is not StreamContent)
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    private async Task<HttpResponseMessage> ServeAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Assert.That(request.Headers.Authorization, Is.Null, "no token on a pre-signed URL");
        var generation = int.Parse(request.RequestUri!.Query.Split("sig=g")[1], CultureInfo.InvariantCulture);
        var range = request.Headers.Range?.Ranges.Single();
        var ifMatch = request.Headers.IfMatch.Count > 0 ? request.Headers.IfMatch.ToString() : null;
        var get = new FakeGet(Interlocked.Increment(ref _getNumber), range?.From, range?.To, generation, ifMatch);
        _gets.Enqueue(get);
        OnGet?.Invoke(get);
        cancellationToken.ThrowIfCancellationRequested();
        await Task.Yield();

        if (generation < ExpireLinksBefore)
        {
            return ClientFixture.Json(HttpStatusCode.Forbidden, """{"error":{"code":403,"message":"Forbidden: The URL has expired."}}""", requestId: null);
        }

        if (BeforeRespond is { } before)
        {
            await before(get, cancellationToken);
        }

        if (Respond?.Invoke(get) is { } custom)
        {
            return custom;
        }

        if (ifMatch is not null && HonourIfMatch && ifMatch != "*" && ifMatch != ETag)
        {
            var failed = ClientFixture.Json(HttpStatusCode.PreconditionFailed, """{"error":{"code":412,"message":"Precondition Failed"}}""", requestId: null);
            if (ETag is not null)
            {
                failed.Headers.ETag = EntityTagHeaderValue.Parse(ETag);
            }

            return failed;
        }

        var length = Length;
        long from = 0, to = length - 1;
        var partial = false;
        if (range is not null && !IgnoreRanges)
        {
            if (range.From is not { } first || first >= length)
            {
                var refused = ClientFixture.Json(HttpStatusCode.RequestedRangeNotSatisfiable, """{"error":{"code":416,"message":"Range Not Satisfiable"}}""", requestId: null);
                refused.Content.Headers.ContentRange = new ContentRangeHeaderValue(length);
                return refused;
            }

            (from, to, partial) = (first, Math.Min(range.To ?? long.MaxValue, length - 1), true);
        }

        var body = new GeneratedBody(this, get, from, to - from + 1);
        var response = new HttpResponseMessage(partial ? HttpStatusCode.PartialContent : HttpStatusCode.OK) { Content = new StreamContent(body) };
        response.Content.Headers.ContentLength = to - from + 1;
        if (partial)
        {
            response.Content.Headers.ContentRange = new ContentRangeHeaderValue(from, to, length);
        }

        if (ETag is not null)
        {
            response.Headers.ETag = EntityTagHeaderValue.Parse(ETag); // strong or weak (W/"…")
        }

        return response;
    }

    /// <summary>The body of one GET: generated bytes, read as they are asked for; counts in-flight bodies and bytes served.</summary>
    private sealed class GeneratedBody : Stream
    {
        private readonly FakeDownloadServer _server;
        private readonly long _start;
        private readonly long _length;
        private readonly int _seed;
        private readonly long? _breakAfter;
        private readonly long? _stallAfter;
        private long _position;
        private bool _done;

        public GeneratedBody(FakeDownloadServer server, FakeGet get, long start, long length)
        {
            _server = server;
            _start = start;
            _length = length;
            _seed = server.Seed;
            _breakAfter = server.BreakBodyAfter?.Invoke(get);
            _stallAfter = server.StallBodyAfter?.Invoke(get);
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => _length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("read asynchronously");

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_stallAfter is { } stall && _position >= stall)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            if (_breakAfter is { } breakAt && _position >= breakAt)
            {
                throw new IOException("Connection reset by peer (fake).");
            }

            var limit = _length - _position;
            limit = Math.Min(limit, (_breakAfter ?? long.MaxValue) - _position);
            limit = Math.Min(limit, (_stallAfter ?? long.MaxValue) - _position);

            // Socket-like: at most 16 KiB per read.
            var n = (int)Math.Min(Math.Min(buffer.Length, 16 * 1024), limit);
            var span = buffer.Span;
            for (var i = 0; i < n; i++)
            {
                span[i] = ByteAt(_start + _position + i, _seed);
            }

            _position += n;
            if (n > 0)
            {
                _server.OnServed?.Invoke(Interlocked.Add(ref _server._served, n));
            }

            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (!_done)
            {
                _done = true;
                Interlocked.Decrement(ref _server._inFlight);
            }

            base.Dispose(disposing);
        }
    }
}

/// <summary>A seekable destination that keeps nothing: counts bytes written and checksums them in offset order.</summary>
internal sealed class CountingDestination : Stream
{
    private readonly Lock _gate = new();
    private long _position;
    private long _written;

    public long Written => Interlocked.Read(ref _written);

    public override bool CanRead => false;

    public override bool CanSeek => true;

    public override bool CanWrite => true;

    public override long Length => _position;

    public override long Position { get => _position; set => _position = value; }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_gate)
        {
            _position += buffer.Length;
        }

        Interlocked.Add(ref _written, buffer.Length);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => _position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => _position + offset,
    };

    public override void SetLength(long value) => _position = Math.Min(_position, value);
}

/// <summary>A stream that cannot seek, over a <see cref="MemoryStream"/>.</summary>
internal sealed class ForwardOnlyStream : MemoryStream
{
    public override bool CanSeek => false;

    public override long Position { get => base.Position; set => throw new NotSupportedException(); }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
}

internal static class FakeResponses
{
    public static HttpResponseMessage Status(HttpStatusCode status) =>
        ClientFixture.Json(status, "{\"error\":{\"code\":" + ((int)status).ToString(CultureInfo.InvariantCulture) + ",\"message\":\"fake " + status + "\"}}", requestId: null);

    public static HttpResponseMessage WithContentRange(long from, long to, long length, byte[] body)
    {
        var response = new HttpResponseMessage(HttpStatusCode.PartialContent) { Content = new ByteArrayContent(body) };
        response.Content.Headers.ContentRange = new ContentRangeHeaderValue(from, to, length);
        return response;
    }
}
