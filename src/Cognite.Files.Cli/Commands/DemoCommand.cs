using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Cognite.Files.Cli.Configuration;
using Cognite.Files.Cli.Output;
using Cognite.Files.Cli.Transfers;
using Cognite.Files.Emulator;
using Cognite.Files.Models;
using Cognite.Files.Transfer;

namespace Cognite.Files.Cli.Commands;

/// <summary>
/// <c>demo</c>: needs nothing prepared. Generates a file of pseudo-random bytes in a temporary directory, uploads it
/// multipart with live progress, downloads it back, and checks that the SHA-256 of the source, of what the engine
/// sent, of what the emulator stored (emulator only) and of the download agree. With no CDF configuration it starts
/// an embedded emulator in the temporary directory; with one, it uses that project and deletes the demo file from it
/// afterwards. Removes its temporary directory at the end, also when it fails or is cancelled.
/// </summary>
internal static class DemoCommand
{
    internal sealed record Request(string? ConfigPath, long Size, long PartSize, int Concurrency, long? BandwidthLimit);

    public static Task<int> RunAsync(CliContext context, Request request, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(context, cancellationToken, async () =>
        {
            var settings = CliSettings.Resolve(context, request.ConfigPath);
            var work = Path.Combine(Path.GetTempPath(), "cognite-files-demo-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(work);
            try
            {
                return await RunInAsync(context, settings, work, request, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                TryDeleteDirectory(work);
            }
        });

    private static async Task<int> RunInAsync(CliContext context, CliSettings settings, string work, Request request, CancellationToken cancellationToken)
    {
        var (_, size, partSize, concurrency, _) = request;
        // The part count the engine will plan (it grows the part size only past 250 parts, which a demo never reaches).
        var parts = Math.Max(1, (size + partSize - 1) / partSize);
        context.Markup(
            $"[bold]cognite-files demo[/]: {Format.Bytes(size)} of random bytes → multipart upload ({parts} part{(parts == 1 ? "" : "s")} of {Format.Bytes(partSize)}, {concurrency} at a time) → download → byte-exact check",
            $"cognite-files demo: {Format.Bytes(size)} of random bytes -> multipart upload ({parts} part{(parts == 1 ? "" : "s")} of {Format.Bytes(partSize)}, {concurrency} at a time) -> download -> byte-exact check");

        await using var connection = await ConnectAsync(context, settings, work, Uploader.Options(partSize, concurrency), request.BandwidthLimit, cancellationToken).ConfigureAwait(false);
        long? uploadedId = null;
        try
        {
            return await RoundTripAsync(context, connection, work, size, cancellationToken, id => uploadedId = id).ConfigureAwait(false);
        }
        finally
        {
            if (connection.Emulator is null && uploadedId is { } id)
            {
                await DeleteDemoFileAsync(context, connection, id).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The emulator of the demo when nothing is configured; the configured CDF project otherwise.</summary>
    private static async Task<CliConnection> ConnectAsync(CliContext context, CliSettings settings, string work, TransferOptions transfer, long? maxBytesPerSecond, CancellationToken cancellationToken)
    {
        if (!settings.UseEmbeddedEmulator)
        {
            var cdf = await CliConnection.OpenAsync(context, settings, transfer, maxBytesPerSecond, cancellationToken).ConfigureAwait(false);
            context.Notice($"Using {cdf.Description} ({settings.Source}); the demo file is deleted from it at the end");
            return cdf;
        }

        var dataDirectory = Path.Combine(work, "emulator");
        var options = CliConnection.EmulatorOptionsFor(context, dataDirectory, 0, 0);
        var emulator = await CogniteFilesEmulator.StartAsync(options, cancellationToken).ConfigureAwait(false);
        context.Notice($"Using an embedded emulator at {emulator.ApiBaseUrl} (no CDF configuration found; temporary data in {work}, removed at the end)");
        return CliConnection.ForEmulator(context, emulator, "the demo emulator", transfer, maxBytesPerSecond);
    }

    private static async Task DeleteDemoFileAsync(CliContext context, CliConnection connection, long id)
    {
        try
        {
            // Not the caller's token: the demo file must go even when the demo was cancelled.
            await connection.Client.DeleteAsync(id, CancellationToken.None).ConfigureAwait(false);
            context.Line(string.Create(CultureInfo.InvariantCulture, $"deleted the demo file (id {id}) from {connection.Description}"));
        }
        catch (CogniteException e)
        {
            context.Notice(string.Create(CultureInfo.InvariantCulture, $"warning: could not delete the demo file (id {id}): {CliErrors.Describe(e).Message}"));
        }
    }

    private static async Task<int> RoundTripAsync(CliContext context, CliConnection connection, string work, long size, CancellationToken cancellationToken, Action<long> uploaded)
    {

        // 1. Generate the file, hashing it on the way.
        var source = Path.Combine(work, "demo.bin");
        var started = Stopwatch.GetTimestamp();
        var generated = await TransferDisplay.RunAsync(context, json: false, "generate", size, 1, async reporter =>
        {
            var progress = reporter.Start("demo.bin (random bytes)", size);
            var hashes = await GenerateAsync(source, size, progress, cancellationToken).ConfigureAwait(false);
            progress.Completed($"generated {Format.Bytes(size)} in {Format.Duration(Stopwatch.GetElapsedTime(started))}");
            return hashes;
        }).ConfigureAwait(false);

        // 2. Upload it multipart.
        var uploader = new Uploader(connection.Client);
        var journal = Path.Combine(work, "demo.journal.json");
        var uploadResult = await TransferDisplay.RunAsync(context, json: false, "upload", size, 1, async reporter =>
        {
            var progress = reporter.Start("demo.bin", size);
            var target = UploadDestination.ForNewFile(new FileCreate { Name = "demo.bin", ExternalId = "cognite-files-demo-" + Guid.NewGuid().ToString("N")[..8], Directory = "/demo" });
            var result = await uploader.UploadAsync(source, target, journal, storeChecksum: false, new SyncProgress<UploadProgress>(p => progress.Report(p.BytesTransferred)), cancellationToken).ConfigureAwait(false);
            uploaded(result.File.Id);
            progress.Completed(string.Create(CultureInfo.InvariantCulture, $"uploaded demo.bin → id {result.File.Id}: {Format.Bytes(result.Bytes)} in {result.Parts} part{(result.Parts == 1 ? "" : "s")}, {Format.Duration(result.Elapsed)} ({Format.Rate(result.Bytes, result.Elapsed)}), {result.Retries} retries"));
            return result;
        }).ConfigureAwait(false);
        File.Delete(source); // the hash is known; keep the disk footprint down

        // 3. What the emulator stored (CDF does not tell).
        var storedSha = connection.Emulator is { } emulator
            ? await emulator.GetContentSha256Async(uploadResult.File.Id, cancellationToken).ConfigureAwait(false) ?? "(none)"
            : null;

        // 4. Download it back.
        var downloaded = Path.Combine(work, "demo.download");
        var download = await DownloadCommand.DownloadAsync(context, connection.Client, Identifier.FromId(uploadResult.File.Id), "demo.bin", downloaded, json: false, cancellationToken, size).ConfigureAwait(false);

        // The client's checksum (CRC-64, computed as bytes are sent and written) on both ends; the emulator reports a
        // SHA-256 of what it stored, compared with the source's.
        var (sourceSha, sourceChecksum) = generated;
        var exact = sourceChecksum == uploadResult.Checksum && (storedSha is null || sourceSha == storedSha) && sourceChecksum == download.Checksum && download.Bytes == size;
        context.Line($"source     {sourceChecksum}");
        context.Line($"uploaded   {uploadResult.Checksum}");
        if (storedSha is not null)
        {
            context.Line($"source     sha256 {sourceSha}");
            context.Line($"emulator   sha256 {storedSha}");
        }

        context.Line($"downloaded {download.Checksum}");
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"upload {Format.Rate(uploadResult.Bytes, uploadResult.Elapsed)} ({Format.Duration(uploadResult.Elapsed)}, {uploadResult.Parts} part{(uploadResult.Parts == 1 ? "" : "s")}, {uploadResult.Retries} retries), download {Format.Rate(download.Bytes, download.Elapsed)} ({Format.Duration(download.Elapsed)})");
        if (exact)
        {
            context.Markup($"[green bold]✔ byte-exact[/]: {Format.Bytes(size)} round-tripped; {summary}", $"OK byte-exact: {Format.Bytes(size)} round-tripped; {summary}");
            return ExitCodes.Ok;
        }

        return CliErrors.Report(context, $"the round trip is NOT byte-exact ({download.Bytes} bytes back of {size}); {summary}", ExitCodes.Failure);
    }

    /// <summary>Writes <paramref name="size"/> pseudo-random bytes and returns their SHA-256 (lowercase hex) and checksum.</summary>
    private static async Task<(string Sha256, string Checksum)> GenerateAsync(string path, long size, IFileProgress progress, CancellationToken cancellationToken)
    {
        const int chunk = 4 << 20;
        var random = new Random();
        var buffer = new byte[chunk];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var crc = new System.IO.Hashing.Crc64();
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            long written = 0;
            while (written < size)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var n = (int)Math.Min(chunk, size - written);
                random.NextBytes(buffer.AsSpan(0, n));
                hash.AppendData(buffer, 0, n);
                crc.Append(buffer.AsSpan(0, n));
                await stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                written += n;
                progress.Report(written);
            }
        }

        return (Convert.ToHexStringLower(hash.GetHashAndReset()), ContentChecksum.Format(crc.GetCurrentHashAsUInt64()));
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: it lives under the temp directory.
        }
    }
}
