using Cognite.Files.Models;
using Cognite.Files.Transfer;
using Microsoft.Extensions.Logging;

namespace Cognite.Files;

// Uploads: one verb, overloaded on the target (a new file, or new content of an existing one) and the content (a path
// or a stream). Every call goes through the client's one engine, so that all uploads of this client share one limiter
// of Options.Transfer.MaxConcurrency part PUTs. The engine picks the request shape: one PUT up to
// TransferOptions.SingleUploadThreshold, multipart above.
public sealed partial class CogniteFilesClient
{
    private MultipartUploadEngine? _uploadEngine;

    /// <summary>The transfer engine of this client, created on first use from the validated copy of <see cref="CogniteFilesClientOptions.Transfer"/>.</summary>
    internal MultipartUploadEngine UploadEngine => LazyInitializer.EnsureInitialized(ref _uploadEngine, CreateUploadEngine);

    /// <summary>
    /// Creates the file described by <paramref name="file"/> and uploads the local file at <paramref name="path"/> as its
    /// content. Returns once CDF reports the file as uploaded. Content up to
    /// <see cref="TransferOptions.SingleUploadThreshold"/> goes as one PUT (<c>POST /files</c>), larger content in
    /// concurrent parts (<c>initmultipartupload</c>), each retried on its own.
    /// </summary>
    /// <param name="file">Metadata of the new file (name required).</param>
    /// <param name="path">The local file; it must not change during the upload (checked before completing).</param>
    /// <param name="options">Overwrite, progress, journal and transfer settings of this call.</param>
    /// <param name="cancellationToken">Cancels every in-flight PUT; nothing is completed.</param>
    /// <exception cref="CogniteUploadException">A part failed for good, or the file changed while it was sent.</exception>
    public async Task<UploadResult> UploadAsync(FileCreate file, string path, UploadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var target = NewFileTarget(file, options);
        using var source = OpenFile(path);
        return await UploadEngine.UploadAsync(CreateRequest(source, target, options), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates the file described by <paramref name="file"/> and uploads <paramref name="content"/> (from its current
    /// position; not disposed) as its content. A non-seekable stream needs <see cref="UploadOptions.ContentLength"/>.
    /// </summary>
    /// <param name="file">Metadata of the new file (name required).</param>
    /// <param name="content">The bytes. A seekable stream is read at each part's offset; a non-seekable one in order, at most MaxConcurrency parts held in memory.</param>
    /// <param name="options">Overwrite, progress, journal, content length and transfer settings of this call.</param>
    /// <param name="cancellationToken">Cancels every in-flight PUT; nothing is completed.</param>
    public async Task<UploadResult> UploadAsync(FileCreate file, Stream content, UploadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var target = NewFileTarget(file, options);
        using var source = UploadSource.FromStream(content, options?.ContentLength, leaveOpen: true);
        return await UploadEngine.UploadAsync(CreateRequest(source, target, options), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Uploads the local file at <paramref name="path"/> as the new content of the existing file <paramref name="file"/>
    /// (<c>uploadlink</c> for one PUT, <c>multiuploadlink</c> for parts). A checksum of the previous content stored in
    /// its metadata (<see cref="ContentChecksum.MetadataKey"/>) is replaced with <see cref="UploadOptions.StoreChecksum"/>,
    /// removed without it (<see cref="UploadFailureReason.StaleChecksumNotRemoved"/> if that fails, the content uploaded).
    /// </summary>
    /// <param name="file">The existing file.</param>
    /// <param name="path">The local file; it must not change during the upload.</param>
    /// <param name="options">Progress, journal and transfer settings of this call (<see cref="UploadOptions.Overwrite"/> does not apply).</param>
    /// <param name="cancellationToken">Cancels every in-flight PUT; nothing is completed.</param>
    public async Task<UploadResult> UploadAsync(Identifier file, string path, UploadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var target = UploadTarget.ForExistingFile(file);
        using var source = OpenFile(path);
        return await UploadEngine.UploadAsync(CreateRequest(source, target, options), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Uploads <paramref name="content"/> (from its current position; not disposed) as the new content of the existing
    /// file <paramref name="file"/>; a stored checksum of the previous content is replaced or removed as for
    /// <see cref="UploadAsync(Identifier, string, UploadOptions?, CancellationToken)"/>.
    /// </summary>
    /// <param name="file">The existing file.</param>
    /// <param name="content">The bytes; a non-seekable stream needs <see cref="UploadOptions.ContentLength"/>.</param>
    /// <param name="options">Progress, journal, content length and transfer settings of this call.</param>
    /// <param name="cancellationToken">Cancels every in-flight PUT; nothing is completed.</param>
    public async Task<UploadResult> UploadAsync(Identifier file, Stream content, UploadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var target = UploadTarget.ForExistingFile(file);
        using var source = UploadSource.FromStream(content, options?.ContentLength, leaveOpen: true);
        return await UploadEngine.UploadAsync(CreateRequest(source, target, options), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Finishes an interrupted multipart upload from its journal (see <see cref="UploadOptions.JournalPath"/>), sending
    /// only the missing parts. <paramref name="path"/> must be the same content: a changed length, modification time or
    /// first/last MiB is refused before any request (<see cref="UploadFailureReason.SourceChanged"/>;
    /// <see cref="CogniteUploadException.SourceChange"/> names the check); a session older than a week is
    /// <see cref="UploadFailureReason.SessionExpired"/>, an upload CDF no longer knows (its file was deleted)
    /// <see cref="UploadFailureReason.UploadNotFound"/>. The journal is locked while the resume runs: a second resume of it
    /// at the same time fails at once with <see cref="UploadFailureReason.JournalInUse"/>. The parts already done are trusted, neither re-read locally nor
    /// from CDF; the result's <see cref="UploadResult.Checksum"/> combines the checksums the journal recorded for them (of
    /// the bytes they sent) with the parts sent now, so it describes what CDF stores.
    /// </summary>
    /// <param name="journalPath">The journal written by the interrupted upload; deleted on success.</param>
    /// <param name="path">The same local file as before.</param>
    /// <param name="options">Progress and transfer settings of this call (the journal is <paramref name="journalPath"/>).</param>
    /// <param name="cancellationToken">Cancels every in-flight PUT; nothing is completed and the journal is kept.</param>
    public async Task<UploadResult> ResumeUploadAsync(string journalPath, string path, UploadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(journalPath);
        using var source = OpenFile(path);
        return await UploadEngine.ResumeAsync(journalPath, CreateRequest(source, null, options, journalPath), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Finishes an interrupted multipart upload from its journal with <paramref name="content"/>, which must be the same
    /// bytes as before (from its current position; not disposed). A non-seekable stream can only be checked for its
    /// length; its parts already done are read past and trusted.
    /// </summary>
    /// <param name="journalPath">The journal written by the interrupted upload; deleted on success.</param>
    /// <param name="content">The same content as before.</param>
    /// <param name="options">Progress, content length and transfer settings of this call.</param>
    /// <param name="cancellationToken">Cancels every in-flight PUT; nothing is completed and the journal is kept.</param>
    public async Task<UploadResult> ResumeUploadAsync(string journalPath, Stream content, UploadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(journalPath);
        using var source = UploadSource.FromStream(content, options?.ContentLength, leaveOpen: true);
        return await UploadEngine.ResumeAsync(journalPath, CreateRequest(source, null, options, journalPath), cancellationToken).ConfigureAwait(false);
    }

    private static UploadTarget NewFileTarget(FileCreate file, UploadOptions? options)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentException.ThrowIfNullOrWhiteSpace(file.Name, nameof(file));
        return UploadTarget.ForNewFile(file, options?.Overwrite ?? false);
    }

    private static UploadSource OpenFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return UploadSource.FromFile(path);
    }

    private UploadRequest CreateRequest(UploadSource source, UploadTarget? target, UploadOptions? options, string? journalPath = null) =>
        UploadEngine.CreateRequest(source, target, options, journalPath);

    private MultipartUploadEngine CreateUploadEngine()
    {
        var steps = new CdfMultipartUploadSteps(Api, PresignedUrls, TimeProvider, RootUri);
        return new MultipartUploadEngine(steps, Transfer, TimeProvider, LoggerFactory.CreateLogger("Cognite.Files.Transfer"));
    }
}
