using Cognite.Files.Diagnostics;
using Cognite.Files.Http;
using Cognite.Files.Models;

namespace Cognite.Files;

// Single-request content transfer: small uploads (one PUT) and downloads (one GET). Multipart uploads are in
// CogniteFilesClient.Upload.cs (the transfer engine).
public sealed partial class CogniteFilesClient
{
    /// <summary>The largest body CDF accepts in one PUT: 5000 MB. Larger files need the multipart upload.</summary>
    public const long MaxSingleUploadSize = 5_000_000_000;

    private const int CopyBufferSize = 81920;

    /// <summary>
    /// Creates a file (<c>POST /files</c>) and uploads <paramref name="content"/> in one streamed PUT with
    /// Content-Length to the returned URL. The upload URL gets no Authorization header. Returns the created
    /// metadata; CDF sets <c>uploaded</c> shortly after the PUT. The PUT is not retried (the stream is consumed).
    /// </summary>
    /// <param name="file">The metadata of the new file; <c>Name</c> is required.</param>
    /// <param name="content">The bytes, read from the current position.</param>
    /// <param name="length">Bytes to send; defaults to the rest of a seekable stream (required for a non-seekable one).</param>
    /// <param name="overwrite">Replace the file with the same external id (metadata now, content after the PUT).</param>
    /// <param name="progress">Receives the total bytes sent so far.</param>
    /// <param name="cancellationToken">Cancels the create and the PUT.</param>
    public async Task<FileMetadata> UploadSmallAsync(FileCreate file, Stream content, long? length = null, bool overwrite = false, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentException.ThrowIfNullOrWhiteSpace(file.Name, nameof(file));
        var size = ResolveLength(content, length);
        var created = await Api.CreateFileAsync(file, overwrite, cancellationToken).ConfigureAwait(false);
        await PutContentAsync(created.UploadUrl, content, size, file.MimeType, progress, cancellationToken).ConfigureAwait(false);
        return WithoutUploadUrl(created);
    }

    /// <summary>
    /// Replaces the content of an existing file (<c>POST /files/uploadlink</c>, then one streamed PUT with
    /// Content-Length). CDF accepts external ids and instance ids here; internal ids are unverified.
    /// </summary>
    public async Task<FileMetadata> UploadSmallAsync(Identifier file, Stream content, long? length = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        var size = ResolveLength(content, length);
        var links = await Api.GetUploadLinkAsync(new UploadLinkRequest { Items = [file] }, cancellationToken).ConfigureAwait(false);
        var link = links.Items.Count > 0 ? links.Items[0] : throw new CogniteException($"CDF returned no upload link for {file}.");
        await PutContentAsync(link.UploadUrl, content, size, link.MimeType, progress, cancellationToken).ConfigureAwait(false);
        return WithoutUploadUrl(link);
    }

    /// <summary>
    /// Downloads a file's content into <paramref name="destination"/> (<c>POST /files/downloadlink</c>, then one
    /// streamed GET without Authorization). Returns the number of bytes written.
    /// </summary>
    /// <param name="file">Which file.</param>
    /// <param name="destination">Written from its current position; not disposed.</param>
    /// <param name="progress">Receives the total bytes received so far.</param>
    /// <param name="cancellationToken">Cancels the link request and the transfer.</param>
    public async Task<long> DownloadToStreamAsync(Identifier file, Stream destination, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite)
        {
            throw new ArgumentException("The destination stream must be writable.", nameof(destination));
        }

        var links = await Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [file] }, extendedExpiration: null, cancellationToken).ConfigureAwait(false);
        var link = links.Items.Count > 0 ? links.Items[0] : throw new CogniteException($"CDF returned no download link for {file}.");
        var url = ResolveTransferUrl(link.DownloadUrl);

        using var response = await PresignedUrls.GetAsync(url, cancellationToken).ConfigureAwait(false);
        var expected = response.Content.Headers.ContentLength;
        var source = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            var total = 0L;
            var buffer = new byte[CopyBufferSize];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                total += read;
                progress?.Report(total);
            }

            if (expected is { } e && e != total)
            {
                throw new IOException($"The download of {file} from {UrlRedaction.Redact(url)} ended after {total} of {e} bytes.");
            }

            return total;
        }
    }

    /// <summary>
    /// Downloads a file's content to <paramref name="path"/>, replacing an existing file. The bytes go to a
    /// temporary file beside it that is renamed only when complete, so a failed or cancelled download never
    /// leaves a truncated file at <paramref name="path"/>. Returns the number of bytes written.
    /// </summary>
    public async Task<long> DownloadToFileAsync(Identifier file, string path, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"\"{path}\" has no directory.", nameof(path));
        if (!Directory.Exists(directory))
        {
            // Checked up front: otherwise the error would name the hidden temporary file, after a needless request.
            throw new DirectoryNotFoundException($"Cannot download {file} to \"{path}\": the directory \"{directory}\" does not exist.");
        }

        var temp = Path.Combine(directory, "." + Path.GetFileName(fullPath) + "." + Guid.NewGuid().ToString("N")[..8] + ".partial");
        try
        {
            long written;
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, CopyBufferSize, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
            {
                written = await DownloadToStreamAsync(file, stream, progress, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            File.Move(temp, fullPath, overwrite: true);
            return written;
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private async Task PutContentAsync(string uploadUrl, Stream content, long size, string? mimeType, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var url = ResolveTransferUrl(uploadUrl);
        var body = new ProgressReadStream(content, size, progress);
        await using (body.ConfigureAwait(false))
        {
            using var httpContent = PresignedUrlClient.CreateStreamContent(body, size, mimeType);
            try
            {
                await PresignedUrls.PutAsync(url, httpContent, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (ex.InnerException is EndOfStreamException ended)
            {
                // HttpClient reports it as "Error while copying content to a stream"; say what actually happened.
                throw new EndOfStreamException($"{ended.Message} The upload to {UrlRedaction.Redact(url)} was aborted; nothing was stored.", ex);
            }
        }
    }

    private static long ResolveLength(Stream content, long? length)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (!content.CanRead)
        {
            throw new ArgumentException("The content stream must be readable.", nameof(content));
        }

        long size;
        if (length is { } l)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(l, nameof(length));
            size = l;
        }
        else if (content.CanSeek)
        {
            size = content.Length - content.Position;
        }
        else
        {
            throw new ArgumentException("Pass the length of a non-seekable stream: the upload needs a Content-Length.", nameof(length));
        }

        if (size > MaxSingleUploadSize)
        {
            throw new ArgumentOutOfRangeException(nameof(length), size, $"A single-request upload takes at most {MaxSingleUploadSize} bytes; use the multipart upload for larger files.");
        }

        return size;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the temp file is hidden and named *.partial.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }

    /// <summary>
    /// A plain <see cref="FileMetadata"/> copy of an upload response: the response's pre-signed URL is a credential, and
    /// a caller serialising or logging the returned object (typed as FileMetadata but still the subclass) would leak it.
    /// </summary>
    private static FileMetadata WithoutUploadUrl(FileUploadResponse response)
    {
        var metadata = Serialization.CogniteJson.Deserialize<FileMetadata>(Serialization.CogniteJson.Serialize(response))!;
        metadata.AdditionalProperties.Remove("uploadUrl"); // kept there as an unknown field otherwise
        return metadata;
    }

    /// <summary>Reads at most <c>length</c> bytes of the inner stream (left open) and reports progress.</summary>
    private sealed class ProgressReadStream(Stream inner, long length, IProgress<long>? progress) : Transfer.ReadOnlyForwardStream(length)
    {
        protected override int ReadCore(Span<byte> buffer, long position) => Advance(inner.Read(buffer), position);

        protected override async ValueTask<int> ReadCoreAsync(Memory<byte> buffer, long position, CancellationToken cancellationToken) =>
            Advance(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false), position);

        private int Advance(int n, long position)
        {
            if (n == 0)
            {
                throw new EndOfStreamException($"The content stream ended after {position} of the {Length} bytes announced.");
            }

            progress?.Report(position + n);
            return n;
        }
    }
}
