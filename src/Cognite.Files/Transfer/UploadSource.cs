using System.Security.Cryptography;

namespace Cognite.Files.Transfer;

/// <summary>
/// Where the bytes of an upload come from. Create one with <see cref="FromFile"/> or <see cref="FromStream"/>.
/// <list type="bullet">
/// <item><b>File</b>: every part attempt opens its own view at the part's offset (positional reads on one shared
/// handle); nothing is buffered beyond the HTTP stack's copy buffer, so memory does not grow with file or part size.</item>
/// <item><b>Seekable stream</b>: parts are streamed from their offsets through one lock (each read seeks, then reads),
/// so concurrent parts share the stream safely; no whole-part buffering.</item>
/// <item><b>Non-seekable stream of known length</b>: parts are read in order into 1 MiB segments pooled by the source;
/// at most <see cref="TransferOptions.MaxConcurrency"/> parts are held (and ever allocated), each until CDF accepts it,
/// so a retry re-sends the very same bytes. A resume can check only its length against the journal: the parts already
/// done are read past (not sent, not checksummed) and trusted to be the same bytes (see
/// <see cref="MultipartUploadEngine.ResumeAsync"/>).</item>
/// <item><b>Unknown length</b> (a non-seekable stream without <see cref="UploadOptions.ContentLength"/>): refused with an
/// <see cref="ArgumentException"/> before any request, because CDF fixes the part count before the first byte is
/// sent. Pass the length, or copy such a stream to a temporary file first and upload the file.</item>
/// </list>
/// </summary>
internal abstract class UploadSource : IDisposable
{
    /// <summary>Bytes hashed at each end of a file or seekable stream for its fingerprint.</summary>
    internal const int FingerprintEdgeBytes = 1024 * 1024;

    private bool _disposed;

    private protected UploadSource()
    {
    }

    /// <summary>The number of bytes to upload.</summary>
    public abstract long Length { get; }

    /// <summary>A short description for logs and errors (a file name, never content).</summary>
    public abstract string Description { get; }

    /// <summary>Uploads the file at <paramref name="path"/>. The file must not change while it is uploaded (checked before completing).</summary>
    public static UploadSource FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new FileUploadSource(path);
    }

    /// <summary>
    /// Uploads <paramref name="length"/> bytes of <paramref name="stream"/> from its current position. For a seekable
    /// stream the length defaults to the rest of the stream; a non-seekable stream needs it (see the class remarks).
    /// </summary>
    /// <param name="stream">The content. It is not disposed unless <paramref name="leaveOpen"/> is false.</param>
    /// <param name="length">Bytes to upload; required when <paramref name="stream"/> cannot seek.</param>
    /// <param name="leaveOpen">Leave the stream open when the source is disposed (default true).</param>
    public static UploadSource FromStream(Stream stream, long? length = null, bool leaveOpen = true)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream must be readable.", nameof(stream));
        }

        if (length is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "The length must not be negative.");
        }

        if (stream.CanSeek)
        {
            var available = stream.Length - stream.Position;
            var len = length ?? available;
            if (len > available)
            {
                throw new ArgumentOutOfRangeException(nameof(length), length, $"The stream holds only {available} bytes after its position.");
            }

            return new SeekableStreamUploadSource(stream, len, leaveOpen);
        }

        if (length is null)
        {
            throw new ArgumentException(
                $"A non-seekable stream needs its length: CDF fixes the number of parts before the first byte is sent. " +
                $"Set {nameof(UploadOptions)}.{nameof(UploadOptions.ContentLength)}, or copy the stream to a temporary file and upload the file.",
                "content");
        }

        return new NonSeekableStreamUploadSource(stream, length.Value, leaveOpen);
    }

    /// <summary>Opens part content at <paramref name="offset"/>. The engine calls this (and <see cref="SkipPartAsync"/>) in part order.</summary>
    internal abstract ValueTask<PartBody> ReadPartAsync(long offset, long length, CancellationToken cancellationToken);

    /// <summary>Passes over a part that is already uploaded (a resume). Only a non-seekable stream has to read it.</summary>
    internal virtual ValueTask SkipPartAsync(long offset, long length, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// Asked before completing: is the content still what was planned and sent? A file checks its length and
    /// modification time; a stream cannot tell and says yes. (The checksum describes the bytes sent whatever the answer;
    /// this catches a file rewritten while its parts went out, whose parts would then mix old and new content.)
    /// </summary>
    internal virtual bool IsUnchanged() => true;

    /// <summary>A fingerprint of the source, compared by a resume: length, plus (where possible) modification time and hashes of the first and last MiB.</summary>
    internal abstract ValueTask<string> ComputeFingerprintAsync(CancellationToken cancellationToken);

    /// <summary>Releases the source.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            Dispose(true);
            GC.SuppressFinalize(this);
        }
    }

    /// <summary>Releases resources.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>SHA-256 of a stream, read sequentially with a pooled buffer (the fingerprint's edge hashes).</summary>
    private protected static async Task<byte[]> HashStreamAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1024 * 1024);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }

            return hash.GetHashAndReset();
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Hex SHA-256 of the first and last <see cref="FingerprintEdgeBytes"/> of a range, read through <paramref name="open"/>.</summary>
    private protected static async ValueTask<string> HashEdgesAsync(long length, Func<long, long, Stream> open, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var head = Math.Min(length, FingerprintEdgeBytes);
        var tailStart = Math.Max(head, length - FingerprintEdgeBytes);
        foreach (var (start, len) in new[] { (0L, head), (tailStart, length - tailStart) })
        {
            if (len == 0)
            {
                continue;
            }

            var s = open(start, len);
            await using (s.ConfigureAwait(false))
            {
                hash.AppendData(await HashStreamAsync(s, cancellationToken).ConfigureAwait(false));
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

/// <summary>The content of one part, replayable: every attempt gets a fresh stream positioned at the part's start.</summary>
internal abstract class PartBody : IDisposable
{
    protected PartBody(long length) => Length = length;

    public long Length { get; }

    /// <summary>A fresh stream of exactly <see cref="Length"/> bytes for one attempt.</summary>
    public abstract Stream OpenAttempt();

    public virtual void Dispose()
    {
    }
}

/// <summary>A part whose attempts are produced by a factory (file and seekable-stream views: nothing retained).</summary>
internal sealed class DelegatePartBody(long length, Func<Stream> open) : PartBody(length)
{
    public override Stream OpenAttempt() => open();
}
