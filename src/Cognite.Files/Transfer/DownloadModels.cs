using Cognite.Files.Models;

namespace Cognite.Files.Transfer;

/// <summary>Progress of one download. Monotonic; <see cref="BytesTransferred"/> ends equal to <see cref="TotalBytes"/> when that is known.</summary>
/// <param name="BytesTransferred">Bytes written to the destination so far.</param>
/// <param name="TotalBytes">The content length, when the server announced it.</param>
public readonly record struct DownloadProgress(long BytesTransferred, long? TotalBytes);

/// <summary>The outcome of a successful download.</summary>
/// <param name="Bytes">Bytes written.</param>
/// <param name="Checksum">The checksum of the bytes written (<see cref="ContentChecksum"/>), computed as they were written; null when <see cref="TransferOptions.ComputeChecksum"/> is off.</param>
/// <param name="Elapsed">Wall time of the download, measured with the client's <see cref="TimeProvider"/>.</param>
public sealed record DownloadResult(long Bytes, string? Checksum, TimeSpan Elapsed);

/// <summary>
/// Per-call choices of <see cref="CogniteFilesClient.DownloadAsync(Identifier, string, DownloadOptions?, CancellationToken)"/>
/// and <see cref="CogniteFilesClient.DownloadAsync(Identifier, Stream, DownloadOptions?, CancellationToken)"/>.
/// </summary>
public sealed class DownloadOptions
{
    /// <summary>For a path: replace an existing file (otherwise an existing file is an <see cref="IOException"/> before any request).</summary>
    public bool Overwrite { get; set; }

    /// <summary>Receives the bytes written so far, coalesced like <see cref="UploadOptions.Progress"/>, with the final report always made.</summary>
    public IProgress<DownloadProgress>? Progress { get; set; }

    /// <summary>Overrides the client's <see cref="CogniteFilesClientOptions.Transfer"/> for this call (copied and validated when the call starts).</summary>
    public TransferOptions? Transfer { get; set; }
}
