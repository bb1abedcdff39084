namespace Cognite.Files;

/// <summary>Why a download failed; see <see cref="CogniteDownloadException.Reason"/>.</summary>
public enum DownloadFailureReason
{
    /// <summary>A range (or the one stream) failed on every allowed attempt, or with an error that is not worth retrying.</summary>
    RangeFailed,

    /// <summary>
    /// The server refused a range it should serve: 416, a <c>Content-Range</c> other than the one asked for, or a whole
    /// answer (200) after it had served ranges of the same content.
    /// </summary>
    RangeRefused,

    /// <summary>
    /// The pre-signed download URL was refused (403 or 400) on its first use, or again after it was renewed, or no new
    /// one could be obtained. An expired URL is renewed (a new <c>downloadlink</c> request) and the range retried; only
    /// when that does not help is it this error.
    /// </summary>
    LinkRefused,

    /// <summary>The destination (or its temporary file beside it) cannot be created or written.</summary>
    DestinationNotWritable,

    /// <summary>Another download to the same path is running (it holds the temporary file).</summary>
    DestinationInUse,

    /// <summary>The disk of the destination is full (or the user's quota is used up).</summary>
    DiskFull,

    /// <summary>
    /// The content does not match the checksum or the length stored in the file's metadata under
    /// <see cref="Transfer.ContentChecksum.MetadataKey"/>.
    /// </summary>
    ChecksumMismatch,

    /// <summary>
    /// The file's content changed on the server while it was downloaded: a range asked for the first answer's ETag
    /// (<c>If-Match</c>) and got 412, or its ETag or total length differed. Nothing is kept; downloading again gets the
    /// new content.
    /// </summary>
    FileChanged,
}

/// <summary>
/// A download failed. Names the file, the destination and, when one range is to blame, the range; the message never
/// holds a pre-signed URL or its query string. The underlying error (often a <see cref="CogniteApiException"/> or an
/// <see cref="IOException"/>) is the <see cref="Exception.InnerException"/>. Nothing is ever left at the destination
/// path; when <see cref="JournalPath"/> is set, the bytes already downloaded were kept beside it and calling
/// <c>DownloadAsync</c> again with the same path continues from them.
/// </summary>
public sealed class CogniteDownloadException : CogniteException
{
    /// <summary>Creates the exception.</summary>
    public CogniteDownloadException(
        string message,
        DownloadFailureReason reason,
        long? fileId = null,
        string? destination = null,
        int? rangeIndex = null,
        int attempts = 0,
        Exception? innerException = null)
        : base(message, (innerException as CogniteException)?.RequestId, innerException)
    {
        Reason = reason;
        FileId = fileId;
        Destination = destination;
        RangeIndex = rangeIndex;
        Attempts = attempts;
    }

    /// <summary>What went wrong.</summary>
    public DownloadFailureReason Reason { get; }

    /// <summary>The CDF id of the file, when known.</summary>
    public long? FileId { get; }

    /// <summary>The destination path, for a download to a path.</summary>
    public string? Destination { get; }

    /// <summary>The zero-based index of the failed range, when one range is to blame.</summary>
    public int? RangeIndex { get; }

    /// <summary>Attempts made for <see cref="RangeIndex"/> (0 when not about one range).</summary>
    public int Attempts { get; }

    /// <summary>
    /// The download journal kept for a resume (see <see cref="CogniteFilesClient.GetDownloadJournalPath"/>), or null
    /// when nothing was kept: calling <c>DownloadAsync</c> again to the same path then starts from the beginning.
    /// </summary>
    public string? JournalPath { get; internal set; }
}
