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
/// <c>demo</c>: needs nothing prepared. Generates a file of pseudo-random bytes in a temporary directory, starts an
/// embedded emulator there, uploads the file multipart with live progress, downloads it back, and checks that the
/// SHA-256 of the source, of what the engine sent, of what the emulator stored and of the download agree. Removes
/// its temporary directory (file, download and emulator data) at the end, also when it fails or is cancelled.
/// </summary>
internal static class DemoCommand
{
    public static Task<int> RunAsync(CliContext context, long size, long partSize, int concurrency, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(context, cancellationToken, async () =>
        {
            var work = Path.Combine(Path.GetTempPath(), "cognite-files-demo-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(work);
            try
            {
                return await RunInAsync(context, work, size, partSize, concurrency, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                TryDeleteDirectory(work);
            }
        });

    private static async Task<int> RunInAsync(CliContext context, string work, long size, long partSize, int concurrency, CancellationToken cancellationToken)
    {
        var plan = MultipartPlanner.Plan(size, new TransferOptions { PartSize = partSize });
        context.Markup(
            $"[bold]cognite-files demo[/]: {Format.Bytes(size)} of random bytes → multipart upload ({plan.PartCount} parts of {Format.Bytes(plan.PartSize)}, {concurrency} at a time) → download → byte-exact check",
            $"cognite-files demo: {Format.Bytes(size)} of random bytes -> multipart upload ({plan.PartCount} parts of {Format.Bytes(plan.PartSize)}, {concurrency} at a time) -> download -> byte-exact check");

        var dataDirectory = Path.Combine(work, "emulator");
        var options = CliConnection.EmulatorOptionsFor(context, dataDirectory, 0, 0);
        var emulator = await CogniteFilesEmulator.StartAsync(options, cancellationToken).ConfigureAwait(false);
        await using var connection = CliConnection.ForEmulator(emulator, "the demo emulator", Uploader.Options(partSize, concurrency));
        context.Line($"Using an embedded emulator at {emulator.ApiBaseUrl} (temporary data in {work}, removed at the end)");

        // 1. Generate the file, hashing it on the way.
        var source = Path.Combine(work, "demo.bin");
        var started = Stopwatch.GetTimestamp();
        var sourceSha = await TransferDisplay.RunAsync(context, json: false, "generate", size, 1, async reporter =>
        {
            var progress = reporter.Start("demo.bin (random bytes)", size);
            var sha = await GenerateAsync(source, size, progress, cancellationToken).ConfigureAwait(false);
            progress.Completed($"generated {Format.Bytes(size)} in {Format.Duration(Stopwatch.GetElapsedTime(started))}");
            return sha;
        }).ConfigureAwait(false);

        // 2. Upload it multipart.
        var uploader = new Uploader(connection.Client);
        var journal = Path.Combine(work, "demo.journal.json");
        var uploadResult = await TransferDisplay.RunAsync(context, json: false, "upload", size, 1, async reporter =>
        {
            var progress = reporter.Start("demo.bin", size);
            var target = UploadTarget.ForNewFile(new FileCreate { Name = "demo.bin", ExternalId = "cognite-files-demo-" + Guid.NewGuid().ToString("N")[..8], Directory = "/demo" });
            var result = await uploader.UploadAsync(source, target, journal, new SyncProgress<long>(progress.Report), cancellationToken).ConfigureAwait(false);
            progress.Completed(string.Create(CultureInfo.InvariantCulture, $"uploaded demo.bin → id {result.File.Id}: {Format.Bytes(result.Bytes)} in {result.Parts} parts, {Format.Duration(result.Elapsed)} ({Format.Rate(result.Bytes, result.Elapsed)}), {result.Retries} retries"));
            return result;
        }).ConfigureAwait(false);
        File.Delete(source); // the hash is known; keep the disk footprint down

        // 3. What the emulator stored.
        var storedSha = await emulator.GetContentSha256Async(uploadResult.File.Id, cancellationToken).ConfigureAwait(false);

        // 4. Download it back.
        var downloaded = Path.Combine(work, "demo.download");
        var download = await DownloadCommand.DownloadAsync(context, connection.Client, Identifier.FromId(uploadResult.File.Id), "demo.bin", downloaded, json: false, cancellationToken, size).ConfigureAwait(false);

        var exact = sourceSha == uploadResult.Sha256 && sourceSha == storedSha && sourceSha == download.Sha256 && download.Bytes == size;
        context.Line($"source     sha256 {sourceSha}");
        context.Line($"uploaded   sha256 {uploadResult.Sha256}");
        context.Line($"emulator   sha256 {storedSha ?? "(none)"}");
        context.Line($"downloaded sha256 {download.Sha256}");
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"upload {Format.Rate(uploadResult.Bytes, uploadResult.Elapsed)} ({Format.Duration(uploadResult.Elapsed)}, {uploadResult.Parts} parts, {uploadResult.Retries} retries), download {Format.Rate(download.Bytes, download.Elapsed)} ({Format.Duration(download.Elapsed)})");
        if (exact)
        {
            context.Markup($"[green bold]✔ byte-exact[/]: {Format.Bytes(size)} round-tripped; {summary}", $"OK byte-exact: {Format.Bytes(size)} round-tripped; {summary}");
            return ExitCodes.Ok;
        }

        return CliErrors.Report(context, $"the round trip is NOT byte-exact ({download.Bytes} bytes back of {size}); {summary}", ExitCodes.Failure);
    }

    /// <summary>Writes <paramref name="size"/> pseudo-random bytes and returns their SHA-256 (lowercase hex).</summary>
    private static async Task<string> GenerateAsync(string path, long size, IFileProgress progress, CancellationToken cancellationToken)
    {
        const int chunk = 4 << 20;
        var random = new Random();
        var buffer = new byte[chunk];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
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
                await stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                written += n;
                progress.Report(written);
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
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
