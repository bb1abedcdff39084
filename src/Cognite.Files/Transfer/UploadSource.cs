using System.Globalization;
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
    /// Asked before completing: is the content still what was planned and sent? A file checks that it still exists with
    /// its length and modification time; a stream cannot tell and says yes (null). (The checksum describes the bytes sent
    /// whatever the answer; this catches a file rewritten while its parts went out, whose parts would then mix old and
    /// new content.)
    /// </summary>
    internal virtual SourceChangeFinding? FindChange() => null;

    /// <summary>What a resume compares with the journal: the length, plus (where possible) the modification time and hashes of the first and last MiB.</summary>
    internal abstract ValueTask<SourceFingerprint> ComputeFingerprintAsync(CancellationToken cancellationToken);

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

    /// <summary>
    /// Hex SHA-256 of the first <see cref="FingerprintEdgeBytes"/> of a range and of its last ones (those after the
    /// first, so null for content of at most one MiB; both null for empty content), read through <paramref name="open"/>.
    /// </summary>
    private protected static async ValueTask<(string? First, string? Last)> HashEdgesAsync(long length, Func<long, long, Stream> open, CancellationToken cancellationToken)
    {
        var head = Math.Min(length, FingerprintEdgeBytes);
        var tailStart = Math.Max(head, length - FingerprintEdgeBytes);
        return (await HashAsync(0, head).ConfigureAwait(false), await HashAsync(tailStart, length - tailStart).ConfigureAwait(false));

        async ValueTask<string?> HashAsync(long start, long len)
        {
            if (len == 0)
            {
                return null;
            }

            var s = open(start, len);
            await using (s.ConfigureAwait(false))
            {
                return Convert.ToHexStringLower(await HashStreamAsync(s, cancellationToken).ConfigureAwait(false));
            }
        }
    }
}

/// <summary>
/// What a resume checks of its source against the journal: the length; a file's modification time; the SHA-256 of the
/// first and of the last MiB of a file or a seekable stream (null where not known: a non-seekable stream has only its
/// length). Kept in the journal as it is, so that a refused resume can say which check failed, with both values.
/// </summary>
/// <param name="Length">The content length.</param>
/// <param name="ModifiedTime">A file's last write time (UTC); null for a stream.</param>
/// <param name="FirstMiBSha256">Hex SHA-256 of the first MiB (of all the content when shorter); null for a non-seekable stream or empty content.</param>
/// <param name="LastMiBSha256">Hex SHA-256 of the last MiB (of the bytes after the first MiB when shorter than two); null when there are none.</param>
internal sealed record SourceFingerprint(long Length, DateTime? ModifiedTime, string? FirstMiBSha256, string? LastMiBSha256)
{
    /// <summary>
    /// The first difference from <paramref name="earlier"/>, in the order length, modification time, first MiB, last MiB,
    /// each compared only when both fingerprints know it (a file's journal resumed from a stream compares no time); null
    /// when none.
    /// </summary>
    public SourceChangeFinding? FirstDifferenceFrom(SourceFingerprint earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        if (Length != earlier.Length)
        {
            return SourceChangeFinding.OfLength(Length, earlier.Length);
        }

        if (ModifiedTime is { } now && earlier.ModifiedTime is { } then && now != then)
        {
            return SourceChangeFinding.OfModificationTime(now, then);
        }

        var sameTime = ModifiedTime is not null && earlier.ModifiedTime is not null;
        if (Differs(FirstMiBSha256, earlier.FirstMiBSha256))
        {
            return SourceChangeFinding.OfContent(SourceChange.FirstMiB, sameTime);
        }

        return Differs(LastMiBSha256, earlier.LastMiBSha256) ? SourceChangeFinding.OfContent(SourceChange.LastMiB, sameTime) : null;
    }

    private static bool Differs(string? now, string? then) => now is not null && then is not null && !string.Equals(now, then, StringComparison.Ordinal);
}

/// <summary>
/// Which check found a source changed, and what it saw, worded to end a sentence about the source
/// ("The file a.bin changed since the upload began: its length is now 10 bytes, it was 20.").
/// </summary>
internal readonly record struct SourceChangeFinding(SourceChange Change, string Detail)
{
    public static SourceChangeFinding OfLength(long now, long then) =>
        new(SourceChange.Length, string.Create(CultureInfo.InvariantCulture, $"its length is now {now} bytes, it was {then}"));

    public static SourceChangeFinding OfModificationTime(DateTime now, DateTime then) =>
        new(SourceChange.ModificationTime, string.Create(CultureInfo.InvariantCulture, $"its modification time is now {now:O}, it was {then:O} (same length)"));

    public static SourceChangeFinding OfContent(SourceChange edge, bool sameModificationTime) => new(
        edge,
        $"the content of its {(edge == SourceChange.FirstMiB ? "first" : "last")} MiB differs (same length{(sameModificationTime ? " and modification time" : string.Empty)})");

    public static SourceChangeFinding OfDeletion() => new(SourceChange.Deleted, "it no longer exists at its path (deleted or moved)");

    public static SourceChangeFinding OfEndedEarly(SourceEndedEarlyException ended) =>
        new(SourceChange.Length, string.Create(CultureInfo.InvariantCulture, $"it ended after {ended.Position} of the {ended.PlannedLength} bytes planned"));
}

/// <summary>
/// A source ended before the length planned (a file that became shorter, a stream shorter than announced): its content
/// is not what was planned, so this is a change of the source, never retried.
/// </summary>
internal sealed class SourceEndedEarlyException(long position, long plannedLength)
    : EndOfStreamException(string.Create(CultureInfo.InvariantCulture, $"The content ended after {position} of the {plannedLength} bytes planned."))
{
    /// <summary>Where the content ended: its length when it was read.</summary>
    public long Position => position;

    /// <summary>The length the upload was planned with.</summary>
    public long PlannedLength => plannedLength;

    /// <summary>The <see cref="SourceEndedEarlyException"/> in <paramref name="ex"/> or its inner exceptions (HttpClient wraps what a body's read throws).</summary>
    public static SourceEndedEarlyException? Find(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is SourceEndedEarlyException ended)
            {
                return ended;
            }
        }

        return null;
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
