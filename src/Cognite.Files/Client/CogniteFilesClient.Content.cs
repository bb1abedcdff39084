using Cognite.Files.Models;
using Cognite.Files.Transfer;
using Microsoft.Extensions.Logging;

namespace Cognite.Files;

// Downloads: parallel ranges of the pre-signed download URL, checksummed as they are written, resumable to a path
// (Transfer/DownloadEngine.cs). Uploads are in CogniteFilesClient.Upload.cs.
public sealed partial class CogniteFilesClient
{
    private DownloadEngine? _downloadEngine;

    /// <summary>The download engine of this client; its GETs share the upload engine's limiter of MaxConcurrency transfers.</summary>
    internal DownloadEngine DownloadEngine => LazyInitializer.EnsureInitialized(ref _downloadEngine, CreateDownloadEngine);

    /// <summary>
    /// The journal that <see cref="DownloadAsync(Identifier, string, DownloadOptions?, CancellationToken)"/> keeps beside
    /// <paramref name="path"/> while a download to it is unfinished: <c>.&lt;name&gt;.partial.json</c> in the same
    /// directory, next to the bytes so far in <c>.&lt;name&gt;.partial</c>. When it exists, downloading the same file to
    /// the same path again continues from it.
    /// </summary>
    /// <param name="path">The destination of the download.</param>
    public static string GetDownloadJournalPath(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return DownloadJournal.PathFor(path);
    }

    /// <summary>
    /// Downloads a file's content into <paramref name="destination"/>, written from its current position; the stream is
    /// not disposed. A seekable stream gets ranges in parallel (each written at its offset from the start position; the
    /// stream ends positioned after the content), any other one stream in order. The content is checked against the
    /// checksum stored in the file's metadata, when there is one, once it has all been written: on a mismatch the stream
    /// holds the bytes received and a <see cref="CogniteDownloadException"/> says so.
    /// </summary>
    /// <param name="file">Which file.</param>
    /// <param name="destination">A writable stream.</param>
    /// <param name="options">Progress and transfer settings of this call (<see cref="DownloadOptions.Overwrite"/> does not apply).</param>
    /// <param name="cancellationToken">Cancels the requests and the transfer.</param>
    /// <exception cref="CogniteDownloadException">A range failed for good, the server refused ranges, the link could not be renewed, the stream could not be written, or the content failed its checksum.</exception>
    public async Task<DownloadResult> DownloadAsync(Identifier file, Stream destination, DownloadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite)
        {
            throw new ArgumentException("The destination stream must be writable.", nameof(destination));
        }

        var transfer = options?.Transfer?.ValidatedCopy() ?? Transfer;
        return await DownloadEngine.DownloadAsync(file, destination, transfer, options?.Progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Downloads a file's content to <paramref name="path"/>, in ranges of <see cref="TransferOptions.PartSize"/> fetched
    /// up to <see cref="TransferOptions.MaxConcurrency"/> at once (content of one range is one GET) into a temporary file
    /// beside it, <c>.&lt;name&gt;.partial</c>, which is renamed to <paramref name="path"/> only when complete and
    /// verified: a failed or cancelled download never leaves a partial file at <paramref name="path"/>.
    /// <para>
    /// Resumable: while it runs, a journal (<see cref="GetDownloadJournalPath"/>) records the finished ranges. If the
    /// download is cancelled or fails, the two files stay, and calling this method again for the same file and path
    /// fetches only the missing ranges (those recorded are re-read from the temporary file and their checksums checked
    /// first). It starts over instead when the content changed since: another ETag than the one the journal recorded
    /// (asked with one byte and <c>If-Match</c>), or, from a server without ETags, another upload time, last-updated time
    /// or stored checksum on CDF (any update of the file counts). Both are deleted on success, and when what they hold
    /// cannot be used (a checksum mismatch, a file that changed during the download).
    /// </para>
    /// <para>
    /// Checked before any request: the directory exists (<see cref="DirectoryNotFoundException"/>); an existing file is
    /// replaced only with <see cref="DownloadOptions.Overwrite"/> (<see cref="IOException"/>); the temporary file can be
    /// created and no other download to this path is running (<see cref="CogniteDownloadException"/>).
    /// </para>
    /// </summary>
    /// <param name="file">Which file.</param>
    /// <param name="path">The local destination.</param>
    /// <param name="options">Overwrite, progress and transfer settings of this call.</param>
    /// <param name="cancellationToken">Cancels the requests and the transfer; the journal is kept for a resume.</param>
    /// <exception cref="CogniteDownloadException">A range failed for good, the server refused ranges, the link could not be renewed, the disk is full or not writable, the content failed its stored checksum, or it changed during the download.</exception>
    public async Task<DownloadResult> DownloadAsync(Identifier file, string path, DownloadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var transfer = options?.Transfer?.ValidatedCopy() ?? Transfer;
        return await DownloadEngine.DownloadAsync(file, path, options?.Overwrite == true, transfer, options?.Progress, cancellationToken).ConfigureAwait(false);
    }

    private DownloadEngine CreateDownloadEngine() =>
        new(Api, PresignedUrls, ResolveTransferUrl, UploadEngine.Limiter, TimeProvider, LoggerFactory.CreateLogger("Cognite.Files.Transfer"));
}
