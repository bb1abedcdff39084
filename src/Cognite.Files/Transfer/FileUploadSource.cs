using System.Globalization;
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
        ValueTask.FromResult<PartBody>(new DelegatePartBody(length, () => new FileSliceStream(_handle, offset, length)));

    internal override async ValueTask<string> ComputeFingerprintAsync(CancellationToken cancellationToken)
    {
        var edges = await HashEdgesAsync(Length, (o, l) => new FileSliceStream(_handle, o, l), cancellationToken).ConfigureAwait(false);
        var lastWrite = File.GetLastWriteTimeUtc(_path);
        var length = new FileInfo(_path).Length;
        return string.Create(CultureInfo.InvariantCulture, $"file:{length}:{lastWrite.Ticks}:{edges}");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _handle.Dispose();
        }
    }

    /// <summary>True when the file still has the length and modification time seen when the source was opened.</summary>
    internal override bool IsUnchanged() => new FileInfo(_path) is { Exists: true } f && f.Length == Length && f.LastWriteTimeUtc == _lastWriteUtc;
}

/// <summary>A read-only, forward-only view of <c>[offset, offset + length)</c> of a file, read with <see cref="RandomAccess"/>.</summary>
internal sealed class FileSliceStream(SafeFileHandle handle, long offset, long length) : ReadOnlyForwardStream(length)
{
    protected override int ReadCore(Span<byte> buffer, long position) =>
        NotShort(RandomAccess.Read(handle, buffer, offset + position));

    protected override async ValueTask<int> ReadCoreAsync(Memory<byte> buffer, long position, CancellationToken cancellationToken) =>
        NotShort(await RandomAccess.ReadAsync(handle, buffer, offset + position, cancellationToken).ConfigureAwait(false));

    private static int NotShort(int read) =>
        read == 0 ? throw new IOException("The file is shorter than when the upload was planned.") : read;
}
