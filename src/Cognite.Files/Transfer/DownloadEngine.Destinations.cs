using Cognite.Files.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Cognite.Files.Transfer;

// The two destinations: a caller's stream, and a path (a temporary file and a journal beside it, renamed into place
// only when the content is complete and verified).
internal sealed partial class DownloadEngine
{
    /// <summary>Downloads into <paramref name="destination"/> from its current position (positional ranges when it can seek).</summary>
    public Task<DownloadResult> DownloadAsync(Identifier file, Stream destination, TransferOptions transfer, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken) =>
        RunAsync(new DownloadRequest(file, new StreamDownloadSink(destination), transfer, progress), cancellationToken);

    /// <summary>
    /// Downloads to <paramref name="path"/> through <c>.&lt;name&gt;.partial</c> beside it, resumable through
    /// <c>.&lt;name&gt;.partial.json</c>. The checks that need no request come first: the directory exists, the path is not
    /// a directory nor (without <paramref name="overwrite"/>) an existing file, the temporary file can be created, and no
    /// other download holds it. On failure the destination is untouched; the temporary file and the journal are kept
    /// when a later call can continue from them, and deleted otherwise.
    /// </summary>
    public async Task<DownloadResult> DownloadAsync(Identifier file, string path, bool overwrite, TransferOptions transfer, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"\"{path}\" has no directory.", nameof(path));
        if (!Directory.Exists(directory))
        {
            // Checked up front: otherwise the error would name the hidden temporary file, after a needless request.
            throw new DirectoryNotFoundException($"Cannot download {file} to \"{path}\": the directory \"{directory}\" does not exist.");
        }

        if (Directory.Exists(fullPath))
        {
            throw new CogniteDownloadException($"Cannot download {file} to \"{path}\": it is a directory.", DownloadFailureReason.DestinationNotWritable, destination: path);
        }

        if (!overwrite && File.Exists(fullPath))
        {
            throw new IOException($"Cannot download {file} to \"{path}\": the file exists (set {nameof(DownloadOptions)}.{nameof(DownloadOptions.Overwrite)} to replace it).");
        }

        var temp = DownloadJournal.TempPathFor(fullPath);
        var handle = OpenTemporaryFile(file, path, temp);
        var sink = new FileDownloadSink(handle, temp);
        DownloadJournal journal;
        DownloadResult result;
        try
        {
            // Read only now: the handle on the temporary file keeps any other download to this path away from both.
            journal = DownloadJournal.Open(DownloadJournal.PathFor(fullPath));
            using (journal)
            {
                if (journal.Header is null)
                {
                    Truncate(file, path, sink);
                }

                try
                {
                    using (handle)
                    {
                        result = await RunAsync(new DownloadRequest(file, sink, transfer, progress, path, journal), cancellationToken).ConfigureAwait(false);
                    }

                    File.Move(temp, fullPath, overwrite);
                }
                catch (Exception ex)
                {
                    var resumable = journal.OnDisk && ex is not CogniteDownloadException { Reason: DownloadFailureReason.ChecksumMismatch or DownloadFailureReason.FileChanged };
                    if (!resumable)
                    {
                        TryDelete(journal);
                        TryDelete(temp);
                    }

                    if (ex is CogniteDownloadException failure)
                    {
                        failure.JournalPath = resumable ? journal.Path : null;
                    }

                    throw;
                }

                TryDelete(journal);
            }
        }
        finally
        {
            handle.Dispose();
        }

        return result;
    }

    /// <summary>Opens (or creates) the temporary file, exclusively: a second download to the same path fails fast.</summary>
    private static SafeFileHandle OpenTemporaryFile(Identifier file, string path, string temp)
    {
        try
        {
            return File.OpenHandle(temp, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, FileOptions.Asynchronous);
        }
        catch (IOException ex) when (IoErrors.IsInUse(ex))
        {
            throw new CogniteDownloadException(
                $"Cannot download {file} to \"{path}\": another download to it is running (it holds \"{temp}\").", DownloadFailureReason.DestinationInUse, destination: path, innerException: ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw WriteFailed(file, null, path, temp, path, ex);
        }
    }

    /// <summary>Empties a temporary file left by an earlier download that cannot be resumed (before any request).</summary>
    private static void Truncate(Identifier file, string path, FileDownloadSink sink)
    {
        try
        {
            sink.Truncate();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw WriteFailed(file, null, path, sink.Path, path, ex);
        }
    }

    private void TryDelete(DownloadJournal journal)
    {
        try
        {
            journal.Delete();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogNotDeleted(_logger, journal.Path, ex.Message);
        }
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogNotDeleted(_logger, path, ex.Message);
        }
    }

    [LoggerMessage(EventId = 6107, Level = LogLevel.Warning, Message = "Could not delete {Path}: {Error}")]
    private static partial void LogNotDeleted(ILogger logger, string path, string error);
}
