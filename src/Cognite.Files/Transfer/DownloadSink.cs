using Microsoft.Win32.SafeHandles;

namespace Cognite.Files.Transfer;

/// <summary>
/// Where a download's bytes go. A positional sink takes writes at any offset, from several ranges at once; the others
/// take them in order only, so the download is one stream.
/// </summary>
internal abstract class DownloadSink
{
    /// <summary>True when bytes may be written at any offset, concurrently.</summary>
    public abstract bool Positional { get; }

    /// <summary>What is written to, for messages: a quoted path, or the stream's type.</summary>
    public abstract string Description { get; }

    /// <summary>The path written to, for the disk-full and not-writable errors; null for a stream.</summary>
    public virtual string? Path => null;

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/> from the start of the content.</summary>
    public abstract ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>The bytes written so far, as far as the sink can tell (a resume's check of its temporary file).</summary>
    public virtual long Length => 0;

    /// <summary>Reads back bytes written before (a resume checks the ranges its journal records); positional files only.</summary>
    public virtual ValueTask<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    /// <summary>Drops everything written (a download that starts over).</summary>
    public virtual void Truncate()
    {
    }

    /// <summary>Called once all <paramref name="length"/> bytes are written.</summary>
    public virtual ValueTask CompleteAsync(long length, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

/// <summary>A temporary file, written with positional writes (<see cref="RandomAccess"/>): ranges land in parallel.</summary>
internal sealed class FileDownloadSink(SafeFileHandle handle, string path) : DownloadSink
{
    public override bool Positional => true;

    public override string Description => "\"" + path + "\"";

    public override string Path => path;

    public override long Length => RandomAccess.GetLength(handle);

    public override ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        RandomAccess.WriteAsync(handle, data, offset, cancellationToken);

    public override ValueTask<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken) =>
        RandomAccess.ReadAsync(handle, buffer, offset, cancellationToken);

    public override void Truncate()
    {
        if (RandomAccess.GetLength(handle) > 0)
        {
            RandomAccess.SetLength(handle, 0);
        }
    }

    public override ValueTask CompleteAsync(long length, CancellationToken cancellationToken)
    {
        // Ranges only write inside the content, but a resumed file may hold more (never trusted): cut it to size.
        if (RandomAccess.GetLength(handle) != length)
        {
            RandomAccess.SetLength(handle, length);
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// A caller's stream. Seekable: positional, each write seeks to the stream's start position plus the offset (one write
/// at a time), and the stream ends positioned after the content. Not seekable: in order only.
/// </summary>
internal sealed class StreamDownloadSink : DownloadSink
{
    private readonly Stream _stream;
    private readonly long _start;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _written;

    public StreamDownloadSink(Stream stream)
    {
        _stream = stream;
        Positional = stream.CanSeek;
        _start = stream.CanSeek ? stream.Position : 0;
    }

    public override bool Positional { get; }

    public override string Description => "the destination " + _stream.GetType().Name + (_stream is FileStream file ? $" \"{file.Name}\"" : string.Empty);

    public override string? Path => (_stream as FileStream)?.Name;

    public override async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Positional)
            {
                _stream.Position = _start + offset;
            }
            else if (offset != _written)
            {
                throw new InvalidOperationException("A non-seekable destination takes its bytes in order.");
            }

            await _stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            _written = Math.Max(_written, offset + data.Length);
        }
        finally
        {
            _gate.Release();
        }
    }

    public override ValueTask CompleteAsync(long length, CancellationToken cancellationToken)
    {
        if (Positional)
        {
            _stream.Position = _start + length;
        }

        return ValueTask.CompletedTask;
    }
}
