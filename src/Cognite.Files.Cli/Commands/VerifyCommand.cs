using System.Globalization;
using Cognite.Files.Cli.Output;
using Cognite.Files.Cli.Parsing;
using Cognite.Files.Cli.Transfers;
using Cognite.Files.Models;
using Cognite.Files.Transfer;

namespace Cognite.Files.Cli.Commands;

/// <summary>
/// <c>verify &lt;id|externalId&gt; &lt;local-file&gt;</c>: is the local file the CDF file's content? With the checksum
/// value stored in the file's metadata (<see cref="ContentChecksum.MetadataKey"/>): the lengths, then the local file's
/// checksum against the stored one, nothing downloaded. Without it: the content is downloaded (to no file) and its
/// checksum and length compared, in ranges as <c>download</c> fetches them (<c>-c</c>, <c>--part-size</c>). Exit 0
/// identical, 1 different (the output says how), like <c>cmp</c>.
/// </summary>
internal static class VerifyCommand
{
    internal sealed record Request(string Reference, string LocalPath, bool Json, string? ConfigPath)
    {
        /// <summary>--part-size: the size of the ranges, when the content is downloaded.</summary>
        public long RangeSize { get; init; } = Downloader.DefaultRangeSize;

        /// <summary>-c: ranges in flight at once, when the content is downloaded.</summary>
        public int Concurrency { get; init; } = CliApp.DefaultConcurrency;

        /// <summary>--bwlimit: bytes per second for the whole run, or null.</summary>
        public long? BandwidthLimit { get; init; }
    }

    private sealed record Remote(long Length, string Checksum, string Method);

    public static Task<int> RunAsync(CliContext context, Request request, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(context, cancellationToken, async () =>
        {
            var (reference, localPath, json, configPath) = request;
            var identifier = FileReference.Parse(reference);
            var path = Path.GetFullPath(localPath);
            if (Directory.Exists(path))
            {
                throw new CliUsageException($"'{localPath}' is a directory: verify compares one file");
            }

            var local = UploadCommand.CheckFile(path);
            var transfer = Downloader.Options(request.RangeSize, request.Concurrency);
            await using var connection = await CommandRunner.ConnectAsync(context, configPath, cancellationToken, transfer, request.BandwidthLimit).ConfigureAwait(false);
            var file = await connection.Client.RetrieveAsync(identifier, cancellationToken).ConfigureAwait(false);
            if (!file.Uploaded)
            {
                throw new CliFailureException($"id {file.Id} ({file.Name}) has no content yet (not uploaded): nothing to compare with");
            }

            var remote = await RemoteContentAsync(context, connection.Client, file, json, cancellationToken).ConfigureAwait(false);
            string? localChecksum = null;
            string? difference = null;
            if (local.Length != remote.Length)
            {
                difference = string.Create(CultureInfo.InvariantCulture, $"length {local.Length} bytes here, {remote.Length} in CDF");
            }
            else
            {
                localChecksum = await ContentChecksum.ComputeAsync(path, cancellationToken).ConfigureAwait(false);
                if (localChecksum != remote.Checksum)
                {
                    difference = $"same length ({local.Length} bytes), checksum {localChecksum} here, {remote.Checksum} in CDF";
                }
            }

            var how = remote.Method == "stored-checksum" ? "compared with the checksum stored in CDF" : "compared by downloading the content: CDF stores no checksum for it";
            if (json)
            {
                context.Json(JsonOutput.Object(new
                {
                    path,
                    id = file.Id,
                    externalId = file.ExternalId,
                    name = file.Name,
                    identical = difference is null,
                    method = remote.Method,
                    localBytes = local.Length,
                    remoteBytes = remote.Length,
                    localChecksum,
                    remoteChecksum = remote.Checksum,
                    difference,
                }));
            }
            else if (difference is null)
            {
                context.Markup(
                    $"[green]identical[/]: {Spectre.Console.Markup.Escape(path)} is id {file.Id} ({Spectre.Console.Markup.Escape(file.Name)}): {Format.Bytes(local.Length)}, {remote.Checksum} ({how})",
                    $"identical: {path} is id {file.Id} ({file.Name}): {Format.Bytes(local.Length)}, {remote.Checksum} ({how})");
            }
            else
            {
                context.Markup(
                    $"[red]different[/]: {Spectre.Console.Markup.Escape(path)} is not id {file.Id} ({Spectre.Console.Markup.Escape(file.Name)}): {Spectre.Console.Markup.Escape(difference)} ({how})",
                    $"different: {path} is not id {file.Id} ({file.Name}): {difference} ({how})");
            }

            return difference is null ? ExitCodes.Ok : ExitCodes.Failure;
        });

    /// <summary>The CDF content's length and checksum: from the stored value, else by downloading it to no file.</summary>
    private static async Task<Remote> RemoteContentAsync(CliContext context, CogniteFilesClient client, FileMetadata file, bool json, CancellationToken cancellationToken)
    {
        if (file.Metadata is { } metadata
            && metadata.TryGetValue(ContentChecksum.MetadataKey, out var stored)
            && ContentChecksum.TryParseMetadataValue(stored, out var checksum, out var length))
        {
            return new Remote(length, checksum, "stored-checksum");
        }

        // No stored checksum, so no known size: the display learns it from the first response.
        var result = await TransferDisplay.RunAsync(context, json, "download", null, 1, async reporter =>
        {
            var display = reporter.Start(file.Name, null);
            try
            {
                // To no file: the ranges are checksummed as they arrive, nothing is kept.
                var options = new DownloadOptions { Progress = new Downloader.ProgressFeed(display) };
                var downloaded = await client.DownloadAsync(Identifier.FromId(file.Id), Stream.Null, options, cancellationToken).ConfigureAwait(false);
                display.Completed($"downloaded {file.Name} to compare: {Downloader.Figures(downloaded)}");
                return downloaded;
            }
            catch (Exception)
            {
                display.Failed(cancellationToken.IsCancellationRequested ? $"cancelled {file.Name}" : $"failed {file.Name} (the error follows)");
                throw;
            }
        }).ConfigureAwait(false);
        return new Remote(result.Bytes, result.Checksum ?? throw new CliFailureException("the download computed no checksum"), "download");
    }
}
