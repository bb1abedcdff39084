using Cognite.Files.Cli.Commands;
using Cognite.Files.Models;
using Cognite.Files.Transfer;

namespace Cognite.Files.Cli.Transfers;

/// <summary>Where one file of a CLI run goes: a new file (with its metadata), or new content of an existing one.</summary>
internal sealed record UploadDestination(FileCreate? NewFile, bool Overwrite, Identifier? Existing)
{
    public static UploadDestination ForNewFile(FileCreate file, bool overwrite = false) => new(file, overwrite, null);

    public static UploadDestination ForExistingFile(Identifier file) => new(null, false, file);
}

/// <summary>
/// The CLI's door to the client's uploads. The client owns one engine (from
/// <see cref="CogniteFilesClientOptions.Transfer"/>), so every file of a run shares its part-PUT limiter.
/// </summary>
internal sealed class Uploader(CogniteFilesClient client)
{
    /// <summary>
    /// Transfer options of a CLI run: the part size and the number of part PUTs in flight across all files. A file that
    /// fits in one part (and in the library's 16 MiB single-request default) goes as one PUT, without a journal: a
    /// larger one is multipart and resumable.
    /// </summary>
    public static TransferOptions Options(long partSize, int concurrency)
    {
        var options = new TransferOptions { PartSize = partSize, MaxConcurrency = concurrency };
        options.SingleUploadThreshold = Math.Min(options.SingleUploadThreshold, partSize);
        options.Validate();
        return options;
    }

    /// <summary>True when the file goes multipart, so it writes the journal a resume needs.</summary>
    public bool IsResumable(long length) => length > client.Options.Transfer.SingleUploadThreshold;

    /// <summary>
    /// Uploads <paramref name="path"/> to <paramref name="target"/>. With <paramref name="storeChecksum"/> the library
    /// then writes the content's checksum into the file's metadata (<see cref="ContentChecksum.MetadataKey"/>), so that
    /// later runs (sync, download, verify, ls) compare checksums; a failure to do so, the content being uploaded, is a
    /// <see cref="CogniteUploadException"/> with <see cref="UploadFailureReason.ChecksumNotStored"/>. Without it, new
    /// content for an existing file has a checksum of the old content removed by the library
    /// (<see cref="UploadFailureReason.StaleChecksumNotRemoved"/> if that fails).
    /// </summary>
    public Task<UploadResult> UploadAsync(string path, UploadDestination target, string journalPath, bool storeChecksum, IProgress<UploadProgress> progress, CancellationToken cancellationToken)
    {
        var options = new UploadOptions { Overwrite = target.Overwrite, Progress = progress, JournalPath = journalPath, StoreChecksum = storeChecksum };
        return target.NewFile is { } create
            ? client.UploadAsync(create, path, options, cancellationToken)
            : client.UploadAsync(target.Existing!, path, options, cancellationToken);
    }

    /// <summary>Finishes the upload of <paramref name="journalPath"/>; <paramref name="storeChecksum"/> as for <see cref="UploadAsync"/>.</summary>
    public Task<UploadResult> ResumeAsync(string journalPath, string path, bool storeChecksum, IProgress<UploadProgress> progress, CancellationToken cancellationToken) =>
        client.ResumeUploadAsync(journalPath, path, new UploadOptions { Progress = progress, StoreChecksum = storeChecksum }, cancellationToken);
}
