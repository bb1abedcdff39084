using Microsoft.Win32.SafeHandles;

namespace Cognite.Files.Transfer;

/// <summary>A file on disk: one shared read handle, positional reads per part attempt.</summary>
internal sealed class FileUploadSource : UploadSource
{
    private readonly SafeFileHandle _handle;
    private readonly string _path;
    private readonly DateTime _lastWriteUtc;

    public FileUploadSource(string path)
    {
        _path = Path.GetFullPath(path);
        _handle = File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.Asynchronous);
        Length = RandomAccess.GetLength(_handle);
        _lastWriteUtc = File.GetLastWriteTimeUtc(_path);
    }

    public override long Length { get; }

    public override string Description => $"file {Path.GetFileName(_path)}";

    internal override ValueTask<PartBody> ReadPartAsync(long offset, long length, CancellationToken cancellationToken) =>
        ValueTask.FromResult<PartBody>(new DelegatePartBody(length, () => Slice(offset, length)));

    internal override async ValueTask<SourceFingerprint> ComputeFingerprintAsync(CancellationToken cancellationToken)
    {
        var (first, last) = await HashEdgesAsync(Length, Slice, cancellationToken).ConfigureAwait(false);
        var file = new FileInfo(_path);
        return new SourceFingerprint(file.Length, file.LastWriteTimeUtc, first, last);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _handle.Dispose();
        }
    }

    /// <summary>Null when the file still exists with the length and modification time seen when the source was opened.</summary>
    internal override SourceChangeFinding? FindChange()
    {
        var file = new FileInfo(_path);
        return !file.Exists ? SourceChangeFinding.OfDeletion()
            : file.Length != Length ? SourceChangeFinding.OfLength(file.Length, Length)
            : file.LastWriteTimeUtc != _lastWriteUtc ? SourceChangeFinding.OfModificationTime(file.LastWriteTimeUtc, _lastWriteUtc)
            : null;
    }

    private FileSliceStream Slice(long offset, long length) => new(_handle, offset, length, Length);
}

/// <summary>
/// A read-only, forward-only view of <c>[offset, offset + length)</c> of a file, read with <see cref="RandomAccess"/>; a
/// file that ends inside it is a <see cref="SourceEndedEarlyException"/> (against the <paramref name="plannedLength"/>).
/// </summary>
internal sealed class FileSliceStream(SafeFileHandle handle, long offset, long length, long plannedLength) : ReadOnlyForwardStream(length)
{
    protected override int ReadCore(Span<byte> buffer, long position) =>
        NotShort(RandomAccess.Read(handle, buffer, offset + position), position);

    protected override async ValueTask<int> ReadCoreAsync(Memory<byte> buffer, long position, CancellationToken cancellationToken) =>
        NotShort(await RandomAccess.ReadAsync(handle, buffer, offset + position, cancellationToken).ConfigureAwait(false), position);

    private int NotShort(int read, long position) =>
        read == 0 ? throw new SourceEndedEarlyException(offset + position, plannedLength) : read;
}
