namespace Cognite.Files;

/// <summary>Why an upload failed; see <see cref="CogniteUploadException.Reason"/>.</summary>
public enum UploadFailureReason
{
    /// <summary>A part failed on every allowed attempt, or with an error that is not worth retrying.</summary>
    PartFailed,

    /// <summary>
    /// The source is not the content that was planned: its length, modification time or the content of its first or last
    /// MiB changed since the upload (or its journal) began, or it ended before the length announced.
    /// <see cref="CogniteUploadException.SourceChange"/> says which check failed.
    /// </summary>
    SourceChanged,

    /// <summary>The upload session of a journal is past its expiry, or its URLs were refused (403) when resuming.</summary>
    SessionExpired,

    /// <summary>The journal cannot be read or does not belong to this source.</summary>
    InvalidJournal,

    /// <summary>CDF returned an upload session that does not match the request (e.g. the wrong number of URLs).</summary>
    InvalidSession,

    /// <summary>The upload was completed but CDF did not report the file as uploaded in time.</summary>
    NotConfirmed,

    /// <summary>
    /// The content is uploaded and confirmed, but its checksum could not be stored in the file's metadata
    /// (<see cref="Transfer.UploadOptions.StoreChecksum"/>): the update was refused or failed, or the checksum is unknown
    /// (a resume whose journal lacks part checksums). <see cref="CogniteUploadException.FileId"/> names the file.
    /// </summary>
    ChecksumNotStored,

    /// <summary>
    /// CDF no longer knows the upload: a part PUT was answered 404 (or 410), or completing it found no such file (the
    /// file was deleted, or its upload is gone). A resume cannot finish it: start a new upload. The error of CDF is the
    /// <see cref="System.Exception.InnerException"/>.
    /// </summary>
    UploadNotFound,

    /// <summary>
    /// The upload journal is in use by another upload or resume, in this process or another: that run holds the
    /// journal's lock, and two runs of one journal would each send every missing part. Nothing was sent.
    /// </summary>
    JournalInUse,

    /// <summary>
    /// New content was uploaded and confirmed into an existing file whose metadata held the checksum of its previous
    /// content (<see cref="Transfer.ContentChecksum.MetadataKey"/>), and removing that pair failed: until it is removed
    /// or replaced, every download that verifies against it fails. <see cref="CogniteUploadException.FileId"/> names the
    /// file; the update's error is the <see cref="System.Exception.InnerException"/>.
    /// </summary>
    StaleChecksumNotRemoved,
}

/// <summary>Which check found that an upload's source changed; see <see cref="CogniteUploadException.SourceChange"/>.</summary>
public enum SourceChange
{
    /// <summary>Its length differs from the length planned (or, for a stream, announced): it is longer, or it ended early.</summary>
    Length,

    /// <summary>A file's modification time differs (the length is the same).</summary>
    ModificationTime,

    /// <summary>The content of its first MiB differs (the length and, for a file, the modification time are the same).</summary>
    FirstMiB,

    /// <summary>The content of its last MiB differs (the rest that is checked is the same).</summary>
    LastMiB,

    /// <summary>The file no longer exists at its path (deleted or moved) while it was uploaded.</summary>
    Deleted,
}

/// <summary>
/// A multipart upload failed. Names the part, the upload id and the file id when known; the message never holds
/// a pre-signed URL or its query string. The underlying error (often a <see cref="CogniteApiException"/>) is the
/// <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class CogniteUploadException : CogniteException
{
    /// <summary>Creates the exception.</summary>
    public CogniteUploadException(string message, UploadFailureReason reason, int? partIndex = null, string? uploadId = null, long? fileId = null, int attempts = 0, Exception? innerException = null, SourceChange? sourceChange = null)
        : base(message, (innerException as CogniteException)?.RequestId, innerException)
    {
        Reason = reason;
        SourceChange = sourceChange;
        PartIndex = partIndex;
        UploadId = uploadId;
        FileId = fileId;
        Attempts = attempts;
    }

    /// <summary>What went wrong.</summary>
    public UploadFailureReason Reason { get; }

    /// <summary>For <see cref="UploadFailureReason.SourceChanged"/>: which check failed (null for any other reason).</summary>
    public SourceChange? SourceChange { get; }

    /// <summary>The zero-based index of the failed part, when one part is to blame.</summary>
    public int? PartIndex { get; }

    /// <summary>CDF's upload id of the multipart session, when one was started.</summary>
    public string? UploadId { get; }

    /// <summary>The CDF id of the file, when known.</summary>
    public long? FileId { get; }

    /// <summary>Attempts made for <see cref="PartIndex"/> (0 when not about one part).</summary>
    public int Attempts { get; }
}
