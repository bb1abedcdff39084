using Cognite.Files.Models;
using Cognite.Files.Transfer;
using Microsoft.Extensions.Logging;

namespace Cognite.Files;

// The multipart upload entry points: thin wrappers over one MultipartUploadEngine per client, so that every upload
// of this client shares one limiter of Options.Transfer.MaxConcurrency part PUTs.
public sealed partial class CogniteFilesClient
{
    private MultipartUploadEngine? _uploadEngine;

    /// <summary>
    /// The multipart transfer engine of this client (created on first use from <see cref="CogniteFilesClientOptions.Transfer"/>).
    /// All uploads of this client share its <see cref="MultipartUploadEngine.Limiter"/>.
    /// </summary>
    public MultipartUploadEngine UploadEngine => LazyInitializer.EnsureInitialized(ref _uploadEngine, CreateUploadEngine);

    /// <summary>
    /// Creates the file described by <paramref name="file"/> and uploads <paramref name="source"/> as its content in
    /// parts (<c>initmultipartupload</c> → concurrent part PUTs → complete → confirm). Returns the metadata once CDF
    /// reports it as uploaded, and the content's SHA-256.
    /// </summary>
    /// <param name="file">Metadata of the new file (name required).</param>
    /// <param name="source">The content: <see cref="UploadSource.FromFile"/> or <see cref="UploadSource.FromStream"/>.</param>
    /// <param name="overwrite">Replace an existing file with the same external id.</param>
    /// <param name="uploadOptions">Progress callbacks and an optional resume journal.</param>
    /// <param name="cancellationToken">Cancels every in-flight part; nothing is completed.</param>
    public Task<UploadResult> UploadAsync(FileCreate file, UploadSource source, bool overwrite = false, UploadOptions? uploadOptions = null, CancellationToken cancellationToken = default) =>
        UploadEngine.UploadAsync(source, UploadTarget.ForNewFile(file, overwrite), uploadOptions, cancellationToken);

    /// <summary>
    /// Uploads <paramref name="source"/> as the content of an existing file (<c>multiuploadlink</c> → concurrent part
    /// PUTs → complete → confirm).
    /// </summary>
    /// <param name="file">The existing file.</param>
    /// <param name="source">The content.</param>
    /// <param name="uploadOptions">Progress callbacks and an optional resume journal.</param>
    /// <param name="cancellationToken">Cancels every in-flight part; nothing is completed.</param>
    public Task<UploadResult> UploadAsync(Identifier file, UploadSource source, UploadOptions? uploadOptions = null, CancellationToken cancellationToken = default) =>
        UploadEngine.UploadAsync(source, UploadTarget.ForExistingFile(file), uploadOptions, cancellationToken);

    /// <summary>Creates the file described by <paramref name="file"/> and uploads the file at <paramref name="path"/> in parts.</summary>
    /// <param name="file">Metadata of the new file (name required).</param>
    /// <param name="path">The local file; it must not change during the upload.</param>
    /// <param name="overwrite">Replace an existing file with the same external id.</param>
    /// <param name="uploadOptions">Progress callbacks and an optional resume journal.</param>
    /// <param name="cancellationToken">Cancels every in-flight part; nothing is completed.</param>
    public async Task<UploadResult> UploadFileAsync(FileCreate file, string path, bool overwrite = false, UploadOptions? uploadOptions = null, CancellationToken cancellationToken = default)
    {
        using var source = UploadSource.FromFile(path);
        return await UploadAsync(file, source, overwrite, uploadOptions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Finishes an interrupted upload from its journal (see <see cref="UploadOptions.JournalPath"/>), sending only the
    /// missing parts; <paramref name="source"/> must be the same content.
    /// </summary>
    /// <param name="journalPath">The journal written by the interrupted upload.</param>
    /// <param name="source">The same content as before.</param>
    /// <param name="uploadOptions">Progress callbacks (the journal path is taken from <paramref name="journalPath"/>).</param>
    /// <param name="cancellationToken">Cancels every in-flight part; nothing is completed.</param>
    public Task<UploadResult> ResumeUploadAsync(string journalPath, UploadSource source, UploadOptions? uploadOptions = null, CancellationToken cancellationToken = default) =>
        UploadEngine.ResumeAsync(journalPath, source, uploadOptions, cancellationToken);

    private MultipartUploadEngine CreateUploadEngine()
    {
        var steps = new CdfMultipartUploadSteps(Api, PresignedUrls, Options.Transfer.UploadedConfirmationTimeout, TimeProvider, RootUri);
        return new MultipartUploadEngine(steps, Options.Transfer, TimeProvider, logger: LoggerFactory.CreateLogger("Cognite.Files.Transfer"));
    }
}
