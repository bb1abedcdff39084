using Cognite.Files.Cli.Output;
using Cognite.Files.Cli.Parsing;
using Cognite.Files.Cli.Transfers;
using Cognite.Files.Transfer;

namespace Cognite.Files.Cli.Commands;

/// <summary>
/// <c>download &lt;id|externalId&gt; &lt;dest&gt;</c>: the library's ranged download (<c>-c</c> ranges of
/// <c>--part-size</c> in flight, into a temporary file renamed when complete and verified) with live progress; prints
/// the checksum, and whether it was verified against the stored one. Interrupted, it keeps what it fetched, and running
/// the same command again fetches only the rest.
/// </summary>
internal static class DownloadCommand
{
    internal sealed record Request(string Reference, string Destination, bool Overwrite, bool Json, string? ConfigPath)
    {
        /// <summary>--part-size: the size of the ranges fetched in parallel.</summary>
        public long RangeSize { get; init; } = Downloader.DefaultRangeSize;

        /// <summary>-c: ranges in flight at once.</summary>
        public int Concurrency { get; init; } = CliApp.DefaultConcurrency;

        /// <summary>--bwlimit: bytes per second for the whole run, or null.</summary>
        public long? BandwidthLimit { get; init; }
    }

    public static Task<int> RunAsync(CliContext context, Request request, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(context, cancellationToken, async () =>
        {
            var (reference, destination, overwrite, json, configPath) = request;
            var identifier = FileReference.Parse(reference);
            var destinationIsDirectory = Directory.Exists(destination);
            if (!destinationIsDirectory)
            {
                CheckTarget(Path.GetFullPath(destination), overwrite);
            }

            var transfer = Downloader.Options(request.RangeSize, request.Concurrency);
            await using var connection = await CommandRunner.ConnectAsync(context, configPath, cancellationToken, transfer, request.BandwidthLimit).ConfigureAwait(false);
            var file = await connection.Client.RetrieveAsync(identifier, cancellationToken).ConfigureAwait(false);
            var path = Path.GetFullPath(destinationIsDirectory ? Path.Combine(destination, SafeFileName(file.Name)) : destination);
            if (destinationIsDirectory)
            {
                CheckTarget(path, overwrite);
            }

            DownloadResult result;
            try
            {
                result = await DownloadAsync(context, connection.Client, identifier, file.Name, path, json, cancellationToken, FileCommands.Size(file)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && Downloader.HasJournal(path))
            {
                context.Notice("cancelled: run the same command again to resume the download (what was downloaded is kept)");
                throw;
            }
            catch (CogniteDownloadException e)
            {
                var message = Downloader.Describe(e);
                if (json)
                {
                    context.Json(JsonOutput.Object(new { id = file.Id, externalId = file.ExternalId, name = file.Name, path, error = message, resumable = e.JournalPath is not null }));
                }

                throw new CliFailureException(message);
            }

            if (json)
            {
                context.Json(JsonOutput.Object(new
                {
                    id = file.Id,
                    externalId = file.ExternalId,
                    name = file.Name,
                    path,
                    bytes = result.Bytes,
                    bytesSkipped = result.BytesSkipped,
                    ranges = result.Ranges,
                    retries = result.Retries,
                    checksum = result.Checksum,
                    verified = result.Verified,
                    seconds = Math.Round(result.Elapsed.TotalSeconds, 3),
                }));
            }
            else
            {
                // The display's one success line said what, where and how fast; the checksum is the one thing to add.
                context.Line($"checksum {result.Checksum}{(result.Verified ? " (verified against the stored checksum)" : string.Empty)}");
            }

            return ExitCodes.Ok;
        });

    /// <summary>
    /// Downloads with the transfer display (its size learnt from the first response when CDF does not say it); the
    /// checksum is computed as the bytes are written. A resume shows only what it fetches.
    /// </summary>
    internal static async Task<DownloadResult> DownloadAsync(CliContext context, CogniteFilesClient client, Models.Identifier identifier, string label, string path, bool json, CancellationToken cancellationToken, long? expectedBytes = null)
    {
        return await TransferDisplay.RunAsync(context, json, "download", expectedBytes, 1, async reporter =>
        {
            var file = reporter.Start(label, expectedBytes);
            try
            {
                // The destination was checked (and --overwrite honoured) before connecting.
                var options = new DownloadOptions { Overwrite = true, Progress = new Downloader.ProgressFeed(file) };
                var downloaded = await client.DownloadAsync(identifier, path, options, cancellationToken).ConfigureAwait(false);
                file.Completed($"downloaded {label} to {path}: {Downloader.Figures(downloaded)}");
                return downloaded;
            }
            catch (Exception)
            {
                // The error itself is printed once, by the command's error line.
                file.Failed(cancellationToken.IsCancellationRequested ? $"cancelled {label}" : $"failed {label} (the error follows)");
                throw;
            }
        }).ConfigureAwait(false);
    }

    private static void CheckTarget(string path, bool overwrite)
    {
        var directory = Path.GetDirectoryName(path);
        if (directory is null || !Directory.Exists(directory))
        {
            throw new CliUsageException($"destination directory '{directory}' does not exist");
        }

        if (File.Exists(path) && !overwrite)
        {
            throw new CliUsageException($"'{path}' already exists (use --overwrite to replace it)");
        }
    }

    private static string SafeFileName(string name)
    {
        var invalid = Path.GetInvalidFileNameChars();
        var safe = new string(name.Select(c => invalid.Contains(c) ? '_' : c).ToArray()).Trim();
        return safe is "" or "." or ".." ? "download" : safe;
    }
}

/// <summary>An <see cref="IProgress{T}"/> that calls back synchronously on the reporting thread (unlike <see cref="Progress{T}"/>, which posts).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

internal static class SyncProgress
{
    public static SyncProgress<long> Create(Action<long> report) => new(report);
}
