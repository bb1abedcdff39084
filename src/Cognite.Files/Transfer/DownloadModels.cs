using Cognite.Files.Models;

namespace Cognite.Files.Transfer;

/// <summary>Progress of one download. Monotonic; <see cref="BytesTransferred"/> ends equal to <see cref="TotalBytes"/> when that is known.</summary>
/// <param name="BytesTransferred">Bytes at the destination so far (a resume's bytes already there included).</param>
/// <param name="TotalBytes">The content length, when the server announced it.</param>
public readonly record struct DownloadProgress(long BytesTransferred, long? TotalBytes)
{
    /// <summary>
    /// Bytes a resume found already downloaded when it started (in the temporary file, checked), included in
    /// <see cref="BytesTransferred"/>; the same in every report of one download, from the first on, and 0 for a download
    /// that starts from nothing (or starts over). <see cref="BytesTransferred"/> less this is what this call fetched, as
    /// <see cref="DownloadResult.BytesSkipped"/> says at the end.
    /// </summary>
    public long BytesSkipped { get; init; }
}

/// <summary>The outcome of a successful download.</summary>
/// <param name="Bytes">The content length: bytes at the destination (a resume's bytes already there included).</param>
/// <param name="Checksum">The checksum of the whole content (<see cref="ContentChecksum"/>), combined from the ranges' checksums computed as they were written (a resume's ranges re-read from its temporary file); null when <see cref="TransferOptions.ComputeChecksum"/> is off.</param>
/// <param name="Elapsed">Wall time of the download, measured with the client's <see cref="TimeProvider"/>.</param>
public sealed record DownloadResult(long Bytes, string? Checksum, TimeSpan Elapsed)
{
    /// <summary>Ranges in the plan: 1 for content of one range or one stream (a server without ranges, a non-seekable destination), 0 for empty content.</summary>
    public int Ranges { get; init; } = 1;

    /// <summary>Range attempts that were retried.</summary>
    public int Retries { get; init; }

    /// <summary>Bytes a resume found already downloaded (in the temporary file, checked) and did not fetch again; 0 otherwise.</summary>
    public long BytesSkipped { get; init; }

    /// <summary>
    /// True when the file's metadata held a checksum (<see cref="ContentChecksum.MetadataKey"/>) and the content matched it
    /// and its length. False when there was none to check against, or <see cref="TransferOptions.ComputeChecksum"/> is off.
    /// </summary>
    public bool Verified { get; init; }
}

/// <summary>
/// Per-call choices of <see cref="CogniteFilesClient.DownloadAsync(Identifier, string, DownloadOptions?, CancellationToken)"/>
/// and <see cref="CogniteFilesClient.DownloadAsync(Identifier, Stream, DownloadOptions?, CancellationToken)"/>.
/// </summary>
public sealed class DownloadOptions
{
    /// <summary>For a path: replace an existing file (otherwise an existing file is an <see cref="IOException"/> before any request).</summary>
    public bool Overwrite { get; set; }

    /// <summary>
    /// Receives the bytes written so far, coalesced like <see cref="UploadOptions.Progress"/>, with the final report always
    /// made; monotonic (a retried range continues where it stopped). A resume first reports the bytes it already has,
    /// and every report says how many those were (<see cref="DownloadProgress.BytesSkipped"/>).
    /// <see cref="DownloadProgress.TotalBytes"/> is known from the first response on.
    /// </summary>
    public IProgress<DownloadProgress>? Progress { get; set; }

    /// <summary>Overrides the client's <see cref="CogniteFilesClientOptions.Transfer"/> for this call (copied and validated when the call starts).</summary>
    public TransferOptions? Transfer { get; set; }
}
