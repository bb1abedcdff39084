using System.Buffers;
using Cognite.Files.Diagnostics;
using Cognite.Files.Models;
using Cognite.Files.Transfer;

namespace Cognite.Files;

// Downloads: one streamed GET of the pre-signed download URL, hashed as it is written. Uploads are in
// CogniteFilesClient.Upload.cs (the transfer engine).
public sealed partial class CogniteFilesClient
{
    private const int CopyBufferSize = 81920;

    /// <summary>
    /// Downloads a file's content into <paramref name="destination"/> (<c>POST /files/downloadlink</c>, then one
    /// streamed GET without Authorization), written from its current position; the stream is not disposed.
    /// </summary>
    /// <param name="file">Which file.</param>
    /// <param name="destination">A writable stream.</param>
    /// <param name="options">Progress and transfer settings of this call (<see cref="DownloadOptions.Overwrite"/> does not apply).</param>
    /// <param name="cancellationToken">Cancels the link request and the transfer.</param>
    /// <exception cref="IOException">The server ended the body before its announced length.</exception>
    public async Task<DownloadResult> DownloadAsync(Identifier file, Stream destination, DownloadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite)
        {
            throw new ArgumentException("The destination stream must be writable.", nameof(destination));
        }

        var transfer = options?.Transfer?.ValidatedCopy() ?? Transfer;
        return await DownloadCoreAsync(file, destination, transfer, options?.Progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Downloads a file's content to <paramref name="path"/>. The bytes go to a temporary file beside it that is renamed
    /// only when complete, so a failed or cancelled download never leaves a truncated file at <paramref name="path"/>.
    /// An existing file is replaced only with <see cref="DownloadOptions.Overwrite"/>; otherwise it is an
    /// <see cref="IOException"/> before any request, as is a missing directory (<see cref="DirectoryNotFoundException"/>).
    /// </summary>
    /// <param name="file">Which file.</param>
    /// <param name="path">The local destination.</param>
    /// <param name="options">Overwrite, progress and transfer settings of this call.</param>
    /// <param name="cancellationToken">Cancels the link request and the transfer.</param>
    public async Task<DownloadResult> DownloadAsync(Identifier file, string path, DownloadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var transfer = options?.Transfer?.ValidatedCopy() ?? Transfer;
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"\"{path}\" has no directory.", nameof(path));
        if (!Directory.Exists(directory))
        {
            // Checked up front: otherwise the error would name the hidden temporary file, after a needless request.
            throw new DirectoryNotFoundException($"Cannot download {file} to \"{path}\": the directory \"{directory}\" does not exist.");
        }

        if (options?.Overwrite != true && File.Exists(fullPath))
        {
            throw new IOException($"Cannot download {file} to \"{path}\": the file exists (set {nameof(DownloadOptions)}.{nameof(DownloadOptions.Overwrite)} to replace it).");
        }

        var temp = Path.Combine(directory, "." + Path.GetFileName(fullPath) + "." + Guid.NewGuid().ToString("N")[..8] + ".partial");
        try
        {
            DownloadResult result;
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, CopyBufferSize, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
            {
                result = await DownloadCoreAsync(file, stream, transfer, options?.Progress, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            File.Move(temp, fullPath, overwrite: options?.Overwrite == true);
            return result;
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private async Task<DownloadResult> DownloadCoreAsync(Identifier file, Stream destination, TransferOptions transfer, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var started = TimeProvider.GetTimestamp();
        var links = await Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [file] }, extendedExpiration: null, cancellationToken).ConfigureAwait(false);
        var link = links.Items.Count > 0 ? links.Items[0] : throw new CogniteException($"CDF returned no download link for {file}.");
        var url = ResolveTransferUrl(link.DownloadUrl);

        using var response = await PresignedUrls.GetAsync(url, cancellationToken).ConfigureAwait(false);
        var expected = response.Content.Headers.ContentLength;
        var hash = transfer.ComputeChecksum ? new System.IO.Hashing.Crc64() : null;
        var throttle = new Transfer.ProgressThrottle(TimeProvider);
        var source = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            var total = 0L;
            var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
            try
            {
                int read;
                while ((read = await source.ReadAsync(buffer.AsMemory(0, CopyBufferSize), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    hash?.Append(buffer.AsSpan(0, read));
                    total += read;
                    if (progress is not null && throttle.ShouldReport(force: false))
                    {
                        progress.Report(new DownloadProgress(total, expected));
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            if (expected is { } e && e != total)
            {
                throw new IOException($"The download of {file} from {UrlRedaction.Redact(url)} ended after {total} of {e} bytes.");
            }

            progress?.Report(new DownloadProgress(total, expected ?? total));
            var checksum = hash is null ? null : ContentChecksum.Format(hash.GetCurrentHashAsUInt64());
            return new DownloadResult(total, checksum, TimeProvider.GetElapsedTime(started));
        }
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
}
