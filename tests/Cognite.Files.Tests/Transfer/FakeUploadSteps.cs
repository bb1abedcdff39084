using System.Collections.Concurrent;
using System.Net;
using Cognite.Files.Models;
using Cognite.Files.Transfer;

namespace Cognite.Files.Tests.Transfer;

/// <summary>What a fake PUT attempt sees: the part, its attempt number (1-based) and the body.</summary>
internal sealed record PutCall(int PartIndex, int Attempt, Stream Body, CancellationToken CancellationToken);

/// <summary>
/// In-memory multipart "server": records every attempt per part, keeps the last accepted bytes per part, tracks
/// PUTs in flight. <see cref="OnPut"/> may read part of the body, stall or throw to simulate faults.
/// </summary>
internal sealed class FakeUploadSteps(TimeProvider time, int partsForUrls = 0) : IMultipartUploadSteps
{
    private int _inFlight;
    private int _maxInFlight;

    public ConcurrentDictionary<int, int> Attempts { get; } = new();

    public ConcurrentDictionary<int, byte[]> Parts { get; set; } = new();

    public ConcurrentQueue<(int Part, int Attempt, DateTimeOffset At, byte[] Received)> Log { get; } = new();

    public Func<PutCall, Task>? OnPut { get; set; }

    /// <summary>Runs once an attempt's bytes were accepted (stored), before the PUT returns.</summary>
    public Action<int>? OnAccepted { get; set; }

    /// <summary>
    /// When set, the body is sent the way HttpClient sends it (<see cref="HttpContent.CopyToAsync(Stream, CancellationToken)"/>)
    /// into the stream this returns, which may throttle or stop its writes; what is written is recorded.
    /// </summary>
    public Func<PutCall, Stream>? Destination { get; set; }

    public int StartCalls { get; private set; }

    public int CompleteCalls { get; private set; }

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public UploadSession? Session { get; private set; }

    public static CogniteApiException Status(HttpStatusCode status, TimeSpan? retryAfter = null) =>
        CogniteErrorParser.Create(new CogniteErrorDetails(status, (int)status, "injected", [], [], "req-fake", retryAfter, "PUT", "/upload/part"));

    public Task<UploadSession> StartAsync(UploadTarget target, int partCount, CancellationToken cancellationToken)
    {
        StartCalls++;
        var urls = Enumerable.Range(0, partsForUrls > 0 ? partsForUrls : partCount).Select(i => new Uri($"https://upload.example/u/{i}?sig=SECRET{i}")).ToList();
        Session = new UploadSession(42, "upload-1", urls);
        return Task.FromResult(Session);
    }

    public int StartSingleCalls { get; private set; }

    public Task<UploadSession> StartSingleAsync(UploadTarget target, CancellationToken cancellationToken)
    {
        StartSingleCalls++;
        Session = new UploadSession(42, string.Empty, [new Uri("https://upload.example/single?sig=SECRET")]) { SingleRequest = true, ContentType = "application/octet-stream" };
        return Task.FromResult(Session);
    }

    public async Task PutPartAsync(UploadSession session, int partIndex, HttpContent content, CancellationToken cancellationToken)
    {
        Assert.That(content.Headers.ContentLength, Is.Not.Null, "every PUT carries Content-Length");
        var attempt = Attempts.AddOrUpdate(partIndex, 1, (_, n) => n + 1);
        var now = Interlocked.Increment(ref _inFlight);
        int seen;
        while ((seen = Volatile.Read(ref _maxInFlight)) < now && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
        {
        }

        var recorder = new MemoryStream();
        try
        {
            if (Destination is { } destination)
            {
                var sink = destination(new PutCall(partIndex, attempt, Stream.Null, cancellationToken));
                await content.CopyToAsync(new TeeWriteStream(sink, recorder), cancellationToken);
            }
            else
            {
                var body = await content.ReadAsStreamAsync(cancellationToken);
                var tee = new TeeReadStream(body, recorder);
                if (OnPut is { } onPut)
                {
                    await onPut(new PutCall(partIndex, attempt, tee, cancellationToken));
                }

                await tee.CopyToAsync(Stream.Null, cancellationToken);
            }

            var bytes = recorder.ToArray();
            Assert.That(bytes.LongLength, Is.EqualTo(content.Headers.ContentLength));
            Parts[partIndex] = bytes;
            OnAccepted?.Invoke(partIndex);
        }
        finally
        {
            Log.Enqueue((partIndex, attempt, time.GetUtcNow(), recorder.ToArray()));
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>Runs when the upload is completed, before it is confirmed.</summary>
    public Action? OnComplete { get; set; }

    public Task CompleteAsync(UploadSession session, CancellationToken cancellationToken)
    {
        CompleteCalls++;
        OnComplete?.Invoke();
        return Task.CompletedTask;
    }

    /// <summary>The confirmation timeouts the engine passed, in call order.</summary>
    public ConcurrentQueue<TimeSpan> ConfirmTimeouts { get; } = new();

    /// <summary>The metadata pairs the confirmed file holds (none by default).</summary>
    public Dictionary<string, string>? ConfirmedMetadata { get; set; }

    public Task<FileMetadata> ConfirmUploadedAsync(UploadSession session, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ConfirmTimeouts.Enqueue(timeout);
        return Task.FromResult(new FileMetadata { Id = session.FileId, Name = "fake", Uploaded = true, Metadata = ConfirmedMetadata is null ? null : new Dictionary<string, string>(ConfirmedMetadata) });
    }

    /// <summary>The metadata pairs added, in call order.</summary>
    public ConcurrentQueue<(long FileId, string Key, string Value)> MetadataAdded { get; } = new();

    /// <summary>When set, throws instead of adding metadata.</summary>
    public Func<Exception>? OnAddMetadata { get; set; }

    public Task<FileMetadata> AddMetadataAsync(long fileId, string key, string value, CancellationToken cancellationToken)
    {
        if (OnAddMetadata is { } fail)
        {
            throw fail();
        }

        MetadataAdded.Enqueue((fileId, key, value));
        return Task.FromResult(new FileMetadata { Id = fileId, Name = "fake", Uploaded = true, Metadata = new Dictionary<string, string> { [key] = value } });
    }

    /// <summary>The metadata keys removed, in call order.</summary>
    public ConcurrentQueue<(long FileId, string Key)> MetadataRemoved { get; } = new();

    /// <summary>When set, throws instead of removing metadata.</summary>
    public Func<Exception>? OnRemoveMetadata { get; set; }

    public Task<FileMetadata> RemoveMetadataAsync(long fileId, string key, CancellationToken cancellationToken)
    {
        if (OnRemoveMetadata is { } fail)
        {
            throw fail();
        }

        MetadataRemoved.Enqueue((fileId, key));
        var left = new Dictionary<string, string>(ConfirmedMetadata ?? []);
        left.Remove(key);
        return Task.FromResult(new FileMetadata { Id = fileId, Name = "fake", Uploaded = true, Metadata = left });
    }

    public byte[] Assembled() => Parts.OrderBy(p => p.Key).SelectMany(p => p.Value).ToArray();

    /// <summary>Copies what is read from the body into a recorder, so a test can see exactly what was sent.</summary>
    private sealed class TeeReadStream(Stream inner, Stream recorder) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            recorder.Write(buffer, offset, n);
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            recorder.Write(buffer.Span[..n]);
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
    }
}

/// <summary>The members every write-only test sink shares; array writes go to the memory overload.</summary>
internal abstract class WriteOnlyTestStream : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>Writes to a destination, then records what was written once the destination accepted it.</summary>
internal sealed class TeeWriteStream(Stream inner, Stream recorder) : WriteOnlyTestStream
{
    public override void Write(byte[] buffer, int offset, int count)
    {
        inner.Write(buffer, offset, count);
        recorder.Write(buffer, offset, count);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken);
        recorder.Write(buffer.Span);
    }
}

/// <summary>
/// A slow link on fake time: every write takes <c>count / bytesPerSecond</c> seconds of the <see cref="TimeProvider"/>;
/// once <paramref name="stopAfterWrites"/> writes have been accepted, further writes never complete (a dead connection).
/// Records the size of every write.
/// </summary>
internal sealed class ThrottledWriteStream(TimeProvider time, int bytesPerSecond, int stopAfterWrites = int.MaxValue) : WriteOnlyTestStream
{
    public ConcurrentQueue<int> Writes { get; } = new();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Writes.Count >= stopAfterWrites)
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, time, cancellationToken);
        }

        Writes.Enqueue(buffer.Length);
        await Task.Delay(TimeSpan.FromSeconds((double)buffer.Length / bytesPerSecond), time, cancellationToken);
    }

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("async only");
}

/// <summary>A seekable stream that counts the bytes read from it (to prove the content is read once) and records each read's size.</summary>
internal sealed class CountingStream(Stream inner) : Stream
{
    private long _bytesRead;

    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>The size of every non-empty read, in order.</summary>
    public ConcurrentQueue<int> ReadSizes { get; } = new();

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position { get => inner.Position; set => inner.Position = value; }

    public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => Counted(inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Counted(await inner.ReadAsync(buffer, cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Counted(int read)
    {
        Interlocked.Add(ref _bytesRead, read);
        if (read > 0)
        {
            ReadSizes.Enqueue(read);
        }

        return read;
    }
}

/// <summary>A stream that refuses to seek (like a network or pipe stream).</summary>
internal sealed class NonSeekableStream(Stream inner) : Stream
{
    public int Reads { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        Reads++;
        return inner.Read(buffer, offset, count);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Records log entries (level and formatted message).</summary>
internal sealed class CapturingLogger : Microsoft.Extensions.Logging.ILogger
{
    public ConcurrentQueue<(Microsoft.Extensions.Logging.LogLevel Level, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception)));
}

/// <summary>Records progress synchronously, in report order.</summary>
internal sealed class RecordingProgress<T> : IProgress<T>
{
    private readonly Lock _gate = new();

    public List<T> Values { get; } = [];

    public void Report(T value)
    {
        lock (_gate)
        {
            Values.Add(value);
        }
    }
}

/// <summary>Calls <paramref name="onReport"/> synchronously for every report (e.g. to signal a test that bytes are moving).</summary>
internal sealed class CallbackProgress<T>(Action<T> onReport) : IProgress<T>
{
    public void Report(T value) => onReport(value);
}
