using Cognite.Files.Transfer;

namespace Cognite.Files.Cli.Transfers;

/// <summary>
/// The CLI's door to the client's multipart uploads. The client owns one engine (from
/// <see cref="CogniteFilesClientOptions.Transfer"/>), so every file of a run shares its part-PUT limiter.
/// </summary>
internal sealed class Uploader(CogniteFilesClient client)
{
    /// <summary>Transfer options of a CLI run: the part size and the number of part PUTs in flight across all files.</summary>
    public static TransferOptions Options(long partSize, int concurrency)
    {
        var options = new TransferOptions { PartSize = partSize, MaxConcurrency = concurrency };
        options.Validate();
        return options;
    }

    public async Task<UploadResult> UploadAsync(string path, UploadTarget target, string journalPath, IProgress<long> progress, CancellationToken cancellationToken)
    {
        var options = new UploadOptions { BytesProgress = progress, JournalPath = journalPath };
        if (target.NewFile is { } create)
        {
            return await client.UploadFileAsync(create, path, target.Overwrite, options, cancellationToken).ConfigureAwait(false);
        }

        using var source = UploadSource.FromFile(path);
        return await client.UploadAsync(target.Existing!, source, options, cancellationToken).ConfigureAwait(false);
    }

    public async Task<UploadResult> ResumeAsync(string journalPath, string path, IProgress<long> progress, CancellationToken cancellationToken)
    {
        using var source = UploadSource.FromFile(path);
        return await client.ResumeUploadAsync(journalPath, source, new UploadOptions { BytesProgress = progress }, cancellationToken).ConfigureAwait(false);
    }
}
