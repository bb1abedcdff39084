using Cognite.Files.Models;

namespace Cognite.Files.Transfer;

/// <summary>
/// What is uploaded to: a new file (<c>initmultipartupload</c>) or the content of an existing one
/// (<c>multiuploadlink</c>).
/// </summary>
internal sealed class UploadTarget
{
    private UploadTarget(FileCreate? newFile, bool overwrite, Identifier? existing)
    {
        NewFile = newFile;
        Overwrite = overwrite;
        Existing = existing;
    }

    /// <summary>The metadata of the file to create, or null for an existing file.</summary>
    public FileCreate? NewFile { get; }

    /// <summary>For a new file: replace a file with the same external id.</summary>
    public bool Overwrite { get; }

    /// <summary>The existing file whose content is uploaded, or null for a new file.</summary>
    public Identifier? Existing { get; }

    /// <summary>Creates the file described by <paramref name="metadata"/> and uploads its content.</summary>
    public static UploadTarget ForNewFile(FileCreate metadata, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentException.ThrowIfNullOrEmpty(metadata.Name);
        return new UploadTarget(metadata, overwrite, null);
    }

    /// <summary>Uploads the content of an existing file (one without content, or one whose content is replaced).</summary>
    public static UploadTarget ForExistingFile(Identifier file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return new UploadTarget(null, false, file);
    }

    /// <inheritdoc />
    public override string ToString() => NewFile is { } f ? $"new file \"{f.Name}\"" : $"existing file {Existing}";
}

/// <summary>An open multipart upload session: the file, CDF's upload id and one pre-signed URL per part.</summary>
/// <param name="FileId">The CDF id of the file.</param>
/// <param name="UploadId">CDF's id of the multipart upload, needed to complete it.</param>
/// <param name="UploadUrls">Pre-signed URLs, one per part, in part order. They are credentials: never log them.</param>
internal sealed record UploadSession(long FileId, string UploadId, IReadOnlyList<Uri> UploadUrls)
{
    /// <summary>The Content-Type a single upload URL was signed for (the file's mime type); null for multipart parts.</summary>
    public string? ContentType { get; init; }

    /// <summary>A single-request upload: one URL, no upload id, nothing to complete.</summary>
    public bool SingleRequest { get; init; }

    /// <summary>Hides the URLs, which carry credentials.</summary>
    public override string ToString() => $"UploadSession {{ FileId = {FileId}, UploadId = {UploadId}, Parts = {UploadUrls.Count} }}";
}

/// <summary>
/// The steps the <see cref="MultipartUploadEngine"/> drives. <see cref="CdfMultipartUploadSteps"/> does them over
/// HTTP; tests and other transports substitute their own, so the algorithm is testable without HTTP.
/// </summary>
internal interface IMultipartUploadSteps
{
    /// <summary>Opens a session with <paramref name="partCount"/> upload URLs for <paramref name="target"/>.</summary>
    Task<UploadSession> StartAsync(UploadTarget target, int partCount, CancellationToken cancellationToken);

    /// <summary>Gets one upload URL for the whole content (<c>POST /files</c> or <c>uploadlink</c>): a session with <see cref="UploadSession.SingleRequest"/> set.</summary>
    Task<UploadSession> StartSingleAsync(UploadTarget target, CancellationToken cancellationToken);

    /// <summary>
    /// Sends one part. <paramref name="content"/> has its Content-Length set and may be read only once; a retry gets
    /// a new one. Throw <see cref="CogniteApiException"/> for an error response.
    /// </summary>
    Task PutPartAsync(UploadSession session, int partIndex, HttpContent content, CancellationToken cancellationToken);

    /// <summary>Asks CDF to assemble the parts (<c>completemultipartupload</c>).</summary>
    Task CompleteAsync(UploadSession session, CancellationToken cancellationToken);

    /// <summary>Waits (bounded by <paramref name="timeout"/>; zero: look once) until CDF reports the file as uploaded and returns its metadata.</summary>
    Task<FileMetadata> ConfirmUploadedAsync(UploadSession session, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Adds (or replaces) one metadata pair of the file, keeping its other pairs, and returns the updated metadata.</summary>
    Task<FileMetadata> AddMetadataAsync(long fileId, string key, string value, CancellationToken cancellationToken);

    /// <summary>Removes one metadata pair of the file, keeping its other pairs, and returns the updated metadata.</summary>
    Task<FileMetadata> RemoveMetadataAsync(long fileId, string key, CancellationToken cancellationToken);
}
