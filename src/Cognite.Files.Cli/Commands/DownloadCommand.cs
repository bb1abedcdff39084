using System.Diagnostics;
using Cognite.Files.Cli.Output;
using Cognite.Files.Cli.Parsing;
using Cognite.Files.Transfer;

namespace Cognite.Files.Cli.Commands;

/// <summary><c>download &lt;id|externalId&gt; &lt;dest&gt;</c>: streams the content to a file (temporary file, then rename) and prints its SHA-256.</summary>
internal static class DownloadCommand
{
    internal sealed record Request(string Reference, string Destination, bool Overwrite, bool Json, string? ConfigPath)
    {
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

            await using var connection = await CommandRunner.ConnectAsync(context, configPath, cancellationToken, maxBytesPerSecond: request.BandwidthLimit).ConfigureAwait(false);
            var file = await connection.Client.RetrieveAsync(identifier, cancellationToken).ConfigureAwait(false);
            var path = Path.GetFullPath(destinationIsDirectory ? Path.Combine(destination, SafeFileName(file.Name)) : destination);
            if (destinationIsDirectory)
            {
                CheckTarget(path, overwrite);
            }

            var result = await DownloadAsync(context, connection.Client, identifier, file.Name, path, json, cancellationToken).ConfigureAwait(false);
            if (json)
            {
                context.Json(JsonOutput.Object(new { id = file.Id, externalId = file.ExternalId, name = file.Name, path, bytes = result.Bytes, checksum = result.Checksum, seconds = result.Elapsed.TotalSeconds }));
            }
            else
            {
                // The display's one success line said what, where and how fast; the checksum is the one thing to add.
                context.Line($"checksum {result.Checksum}");
            }

            return ExitCodes.Ok;
        });

    internal sealed record DownloadResult(long Bytes, string Checksum, TimeSpan Elapsed);

    /// <summary>Downloads with the transfer display; the checksum is computed as the bytes are written.</summary>
    internal static async Task<DownloadResult> DownloadAsync(CliContext context, CogniteFilesClient client, Models.Identifier identifier, string label, string path, bool json, CancellationToken cancellationToken, long? expectedBytes = null)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await TransferDisplay.RunAsync(context, json, "download", expectedBytes, 1, async reporter =>
        {
            var file = reporter.Start(label, expectedBytes);
            try
            {
                // The destination was checked (and --overwrite honoured) before connecting.
                var options = new DownloadOptions { Overwrite = true, Progress = new SyncProgress<DownloadProgress>(p => file.Report(p.BytesTransferred)) };
                var downloaded = await client.DownloadAsync(identifier, path, options, cancellationToken).ConfigureAwait(false);
                file.Completed($"downloaded {label} to {path}: {Format.Bytes(downloaded.Bytes)} in {Format.Duration(downloaded.Elapsed)} ({Format.Rate(downloaded.Bytes, downloaded.Elapsed)})");
                return downloaded;
            }
            catch (Exception)
            {
                // The error itself is printed once, by the command's error line.
                file.Failed(cancellationToken.IsCancellationRequested ? $"cancelled {label}" : $"failed {label} (the error follows)");
                throw;
            }
        }).ConfigureAwait(false);
        return new DownloadResult(result.Bytes, result.Checksum ?? string.Empty, Stopwatch.GetElapsedTime(started));
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
