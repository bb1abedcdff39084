using Cognite.Files.Models;

namespace Cognite.Files.Transfer;

/// <summary>Progress of one upload. Monotonic; <see cref="BytesTransferred"/> never exceeds <see cref="TotalBytes"/> and ends equal to it.</summary>
/// <param name="BytesTransferred">Bytes of the content sent so far; bytes re-sent by a retry are not counted twice.</param>
/// <param name="TotalBytes">The content length.</param>
/// <param name="PartsCompleted">Parts CDF has accepted (parts done before a resume included).</param>
/// <param name="TotalParts">Parts in the plan.</param>
public readonly record struct UploadProgress(long BytesTransferred, long TotalBytes, int PartsCompleted, int TotalParts);

/// <summary>The outcome of a successful upload.</summary>
/// <param name="File">The file's metadata once CDF reports it as uploaded.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the whole content (see <see cref="MultipartUploadEngine"/> for how it is computed); null when <see cref="TransferOptions.ComputeSha256"/> is off.</param>
/// <param name="Bytes">The content length.</param>
/// <param name="Parts">Parts in the plan.</param>
/// <param name="Retries">Part attempts that were retried.</param>
/// <param name="Elapsed">Wall time of the upload, measured with the engine's <see cref="TimeProvider"/>.</param>
public sealed record UploadResult(FileMetadata File, string? Sha256, long Bytes, int Parts, int Retries, TimeSpan Elapsed)
{
    /// <summary>Parts that were already done in the journal and not sent again (non-zero only for a resume).</summary>
    public int PartsSkipped { get; init; }

    /// <summary>CDF's id of the multipart upload session.</summary>
    public string UploadId { get; init; } = string.Empty;
}

/// <summary>Per-upload choices: progress callbacks and the resume journal.</summary>
public sealed class UploadOptions
{
    /// <summary>
    /// Receives bytes and parts done. Reports are made from worker threads, one at a time and never going back.
    /// A resume first reports the parts already done (once, before sending any), so even a resume with nothing left
    /// to send ends at the full size.
    /// (<see cref="Progress{T}"/> posts each report to the captured synchronization context, or to the thread pool when
    /// there is none, where handlers may then run out of order; implement <see cref="IProgress{T}"/> directly for
    /// strict order.)
    /// </summary>
    public IProgress<UploadProgress>? Progress { get; init; }

    /// <summary>Receives the bytes sent so far (like Azure's <c>ProgressHandler</c>), with the same rules as <see cref="Progress"/>.</summary>
    public IProgress<long>? BytesProgress { get; init; }

    /// <summary>
    /// When set, a journal is written to this path (atomically, as parts finish) so that
    /// <see cref="MultipartUploadEngine.ResumeAsync"/> can finish an interrupted upload. It is deleted on success.
    /// The journal holds pre-signed URLs, which are credentials: it is created readable by the current user only.
    /// </summary>
    public string? JournalPath { get; init; }
}
