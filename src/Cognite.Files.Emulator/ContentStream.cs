namespace Cognite.Files.Emulator;

/// <summary>
/// Reads a file's content kept as numbered segments (the parts of a completed multipart upload) as one stream.
/// Completing an upload then costs a directory rename instead of a copy of every byte, as with object stores.
/// </summary>
internal sealed class SegmentedContentStream : Stream
{
    private const int BufferSize = 81920;
    private readonly string[] _paths;
    private int _index = -1;
    private FileStream? _current;
    private long _position;

    public SegmentedContentStream(string directory, int segmentCount)
    {
        _paths = Enumerable.Range(0, segmentCount)
            .Select(i => Path.Combine(directory, i.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .ToArray();
        Length = _paths.Sum(p => new FileInfo(p).Length); // throws FileNotFoundException when a segment is gone
    }

    public override long Length { get; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            if (!EnsureCurrent()) return 0;
            var n = _current!.Read(buffer);
            if (n > 0) { _position += n; return n; }
            Advance();
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (!EnsureCurrent()) return 0;
            var n = await _current!.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n > 0) { _position += n; return n; }
            Advance();
        }
    }

    private bool EnsureCurrent()
    {
        if (_current is not null) return true;
        if (_index + 1 >= _paths.Length) return false;
        _index++;
        _current = new FileStream(_paths[_index], FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, BufferSize, useAsync: true);
        return true;
    }

    private void Advance()
    {
        _current?.Dispose();
        _current = null;
    }

    public override void Flush() { }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) Advance();
        base.Dispose(disposing);
    }
}
