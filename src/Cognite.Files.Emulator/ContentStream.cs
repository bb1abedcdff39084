namespace Cognite.Files.Emulator;

/// <summary>
/// Reads a file's content kept as numbered segments (the parts of a completed multipart upload) as one stream.
/// Completing an upload then costs a directory rename instead of a copy of every byte, as with object stores.
/// Every segment is opened up front: a download that is streaming while a newer upload of the file completes keeps
/// reading the version it started with (the replaced files live on while open), never a mix of two.
/// </summary>
internal sealed class SegmentedContentStream : Stream
{
    private const int BufferSize = 81920;
    private readonly FileStream[] _segments;
    private int _index;
    private long _position;

    public SegmentedContentStream(string directory, int segmentCount)
    {
        _segments = new FileStream[segmentCount];
        try
        {
            for (var i = 0; i < segmentCount; i++)
            {
                // Throws FileNotFoundException when a segment is gone.
                _segments[i] = new FileStream(Path.Combine(directory, i.ToString(System.Globalization.CultureInfo.InvariantCulture)), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, BufferSize, useAsync: true);
            }
        }
        catch
        {
            foreach (var s in _segments) s?.Dispose();
            throw;
        }

        Length = _segments.Sum(s => s.Length);
    }

    public override long Length { get; }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            if (!EnsureCurrent()) return 0;
            var n = Current!.Read(buffer);
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
            var n = await Current!.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n > 0) { _position += n; return n; }
            Advance();
        }
    }

    private FileStream? Current => _index < _segments.Length ? _segments[_index] : null;

    private bool EnsureCurrent() => _index < _segments.Length;

    private void Advance() => _index++;

    public override void Flush() { }

    /// <summary>Moves to an absolute position (a range request): the segment holding it, at the offset within it.</summary>
    public override long Seek(long offset, SeekOrigin origin)
    {
        if (origin != SeekOrigin.Begin || offset < 0) throw new NotSupportedException("Only absolute, non-negative positions.");
        var skipped = 0L;
        _index = 0;
        while (_index < _segments.Length && skipped + _segments[_index].Length <= offset)
        {
            skipped += _segments[_index].Length;
            _index++;
        }

        if (_index < _segments.Length) _segments[_index].Position = offset - skipped;
        for (var i = _index + 1; i < _segments.Length; i++) _segments[i].Position = 0;
        _position = offset;
        return offset;
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var s in _segments) s.Dispose();
        }

        base.Dispose(disposing);
    }
}
