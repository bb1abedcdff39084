using Cognite.Files.Models;

namespace Cognite.Files.Transfer;

/// <summary>Progress of one upload. Monotonic; <see cref="BytesTransferred"/> never exceeds <see cref="TotalBytes"/> and ends equal to it.</summary>
/// <param name="BytesTransferred">Bytes of the content sent so far; bytes re-sent by a retry are not counted twice.</param>
/// <param name="TotalBytes">The content length.</param>
/// <param name="PartsCompleted">Parts CDF has accepted (parts done before a resume included).</param>
/// <param name="TotalParts">Parts in the plan.</param>
public readonly record struct UploadProgress(long BytesTransferred, long TotalBytes, int PartsCompleted, int TotalParts)
{
    /// <summary>
    /// Bytes of the parts a resume found already uploaded (in its journal), included in <see cref="BytesTransferred"/>;
    /// the same in every report of one upload, from the first on, and 0 for an upload that is not a resume.
    /// <see cref="BytesTransferred"/> less this is what this run sent, as <see cref="UploadResult.BytesSkipped"/> says at
    /// the end (and <see cref="DownloadProgress.BytesSkipped"/> for a download).
    /// </summary>
    public long BytesSkipped { get; init; }
}

/// <summary>The outcome of a successful upload.</summary>
/// <param name="File">The file's metadata once CDF reports it as uploaded.</param>
/// <param name="Checksum">
/// The checksum of the content CDF stores (<see cref="ContentChecksum"/>: <c>crc64-ecma182:</c> + 16 hex digits), combined
/// from the checksums of the bytes each part sent; after a resume, the parts sent before count with the checksums their
/// journal recorded. Null when <see cref="TransferOptions.ComputeChecksum"/> is off, or after a resume whose journal lacks
/// the checksum of a part sent before (written by an older version, or with the checksum off): the bytes of that part
/// are then known only to CDF.
/// </param>
/// <param name="Bytes">The content length.</param>
/// <param name="Parts">Parts in the plan.</param>
/// <param name="Retries">Part attempts that were retried.</param>
/// <param name="Elapsed">Wall time of the upload, measured with the engine's <see cref="TimeProvider"/>.</param>
public sealed record UploadResult(FileMetadata File, string? Checksum, long Bytes, int Parts, int Retries, TimeSpan Elapsed)
{
    /// <summary>Parts that were already done in the journal and not sent again (non-zero only for a resume).</summary>
    public int PartsSkipped { get; init; }

    /// <summary>
    /// Bytes of those parts: what a resume found already uploaded and did not send again; 0 otherwise. <see cref="Bytes"/>
    /// less this is what this run sent, so a resume's rate is <c>(Bytes - BytesSkipped) / Elapsed</c> (as
    /// <see cref="DownloadResult.BytesSkipped"/> for a download).
    /// </summary>
    public long BytesSkipped { get; init; }

    /// <summary>CDF's id of the multipart upload session; empty for a single-request upload (<see cref="Parts"/> is 1).</summary>
    public string UploadId { get; init; } = string.Empty;
}

/// <summary>
/// Per-call choices of <see cref="CogniteFilesClient.UploadAsync(FileCreate, string, UploadOptions?, CancellationToken)"/>
/// and its overloads. Everything is optional; the defaults upload with the client's <see cref="TransferOptions"/>.
/// </summary>
public sealed class UploadOptions
{
    /// <summary>For a new file: replace the file with the same external id (CDF's <c>overwrite=true</c>).</summary>
    public bool Overwrite { get; set; }

    /// <summary>
    /// Receives bytes and parts done. Reports are coalesced to at most about ten per second per upload, plus the final
    /// one (all bytes, all parts); they are made one at a time from worker threads, in order, never going back. A
    /// resume first reports the parts already done, so even a resume with nothing left to send ends at the full size.
    /// (<see cref="Progress{T}"/> posts each report to the captured synchronization context, or to the thread pool when
    /// there is none, where handlers may then run out of order; implement <see cref="IProgress{T}"/> directly for
    /// strict order.)
    /// </summary>
    public IProgress<UploadProgress>? Progress { get; set; }

    /// <summary>Overrides the client's <see cref="CogniteFilesClientOptions.Transfer"/> for this call (copied and validated when the call starts).</summary>
    public TransferOptions? Transfer { get; set; }

    /// <summary>
    /// When set, a multipart upload writes a journal to this path (atomically, as parts finish) so that
    /// <see cref="CogniteFilesClient.ResumeUploadAsync(string, string, UploadOptions?, CancellationToken)"/> can finish an
    /// interrupted upload; it is deleted on success. The journal holds pre-signed URLs, which are credentials: it is
    /// created readable by the current user only. While the upload (or a resume) runs, the journal is locked (an OS lock
    /// on a file <c>.&lt;journal name&gt;.lock</c> beside it, deleted at the end): another upload or resume of the same
    /// journal, in this process or another, fails at once with <see cref="UploadFailureReason.JournalInUse"/>, before
    /// any request. A single-request upload (content up to <see cref="TransferOptions.SingleUploadThreshold"/>) writes
    /// none: it is retried as a whole instead.
    /// </summary>
    public string? JournalPath { get; set; }

    /// <summary>
    /// The length of a stream that cannot tell it (e.g. a network stream whose size is known from elsewhere). CDF fixes
    /// the number of parts before the first byte is sent, so a non-seekable stream without it is refused before any
    /// request. For a seekable stream it limits the upload to that many bytes from the current position.
    /// </summary>
    public long? ContentLength { get; set; }

    /// <summary>
    /// After the upload is complete and confirmed, store its checksum in the file's metadata under
    /// <see cref="ContentChecksum.MetadataKey"/> (value <see cref="ContentChecksum.FormatMetadataValue"/>: checksum and
    /// length), with <c>POST /files/update</c> adding that one pair (the file's other pairs stay);
    /// <see cref="UploadResult.File"/> is then the updated metadata. Downloads verify against it. Default false. Needs
    /// <see cref="TransferOptions.ComputeChecksum"/> (an <see cref="ArgumentException"/> before any request otherwise).
    /// If the update fails, the content is still uploaded: a <see cref="CogniteUploadException"/> with
    /// <see cref="UploadFailureReason.ChecksumNotStored"/> names the file (and the checksum) and holds the update's error.
    /// <para>
    /// Without it, new content for an existing file (or the resume of such an upload) never keeps a checksum of the
    /// previous content: when the file's metadata holds one that does not describe the new content, the pair is removed
    /// after completion (<c>metadata: {remove: [key]}</c>; no request when there is none), so that downloads do not
    /// verify against it. If that update fails, the content is still uploaded: <see cref="UploadFailureReason.StaleChecksumNotRemoved"/>.
    /// </para>
    /// </summary>
    public bool StoreChecksum { get; set; }
}
