using System.Diagnostics;
using System.Globalization;
using Cognite.Files.Cli.Configuration;
using Cognite.Files.Cli.Output;
using Cognite.Files.Cli.Parsing;
using Cognite.Files.Cli.Transfers;
using Cognite.Files.Models;
using Cognite.Files.Transfer;
using Spectre.Console;

namespace Cognite.Files.Cli.Commands;

/// <summary>
/// <c>bench</c> (like <c>azcopy bench</c>): uploads generated data (made in memory as it is read, never written to
/// disk) and downloads it back (to no file) at each part size and concurrency asked for, against the configured target
/// (the embedded emulator by default); prints MiB/s up and down per configuration and recommends the fastest upload
/// setting. Every file it creates is deleted, also when it fails or is cancelled.
/// </summary>
internal static class BenchCommand
{
    /// <summary>Where the bench's files go in CDF (each deleted after its round).</summary>
    public const string Directory = "/cognite-files-bench";

    internal sealed record Request(long Size, IReadOnlyList<long> PartSizes, IReadOnlyList<int> Concurrencies, bool Json, string? ConfigPath)
    {
        /// <summary>--bwlimit: bytes per second for the whole run, or null.</summary>
        public long? BandwidthLimit { get; init; }
    }

    private sealed record Row(long PartSize, int Concurrency, int Parts, double UploadMiBps, double DownloadMiBps);

    public static Task<int> RunAsync(CliContext context, Request request, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(context, cancellationToken, async () =>
        {
            var settings = CliSettings.Resolve(context, request.ConfigPath);
            // The client's own limit is the highest concurrency asked for; each round's lower value is its call's own.
            var transfer = Uploader.Options(request.PartSizes.Max(), request.Concurrencies.Max());
            await using var connection = await CliConnection.OpenAsync(context, settings, transfer, request.BandwidthLimit, cancellationToken).ConfigureAwait(false);
            var rounds = request.PartSizes.Count * request.Concurrencies.Count;
            context.Notice(string.Create(CultureInfo.InvariantCulture,
                $"bench: {rounds} round{(rounds == 1 ? string.Empty : "s")} of {Format.Bytes(request.Size)} up and down against {connection.Description}; files in {Directory}, deleted after each round"));
            var rows = new List<Row>();
            var created = new List<string>();
            // On a terminal a bar per round (up, then down) and a total, so the run is not silent until its table;
            // otherwise the line per round (or JSON document) is the progress.
            var live = context.Interactive && !request.Json;
            try
            {
                await TransferDisplay.RunAsync(context, json: !live, "bench", 2 * request.Size * rounds, rounds, reporter => RoundsAsync(context, connection.Client, request, live ? reporter : null, rows, created, cancellationToken), unit: "rounds").ConfigureAwait(false);
            }
            finally
            {
                await DeleteAsync(context, connection.Client, created).ConfigureAwait(false);
            }

            var best = rows.MaxBy(r => r.UploadMiBps)!;
            var bestDown = rows.MaxBy(r => r.DownloadMiBps)!;
            var advice = $"--part-size {SizeText(best.PartSize)} --concurrency {best.Concurrency.ToString(CultureInfo.InvariantCulture)}";
            if (request.Json)
            {
                context.Json(JsonOutput.Object(new { recommendation = new { partSize = best.PartSize, concurrency = best.Concurrency, uploadMiBps = Math.Round(best.UploadMiBps, 1) }, fastestDownload = new { partSize = bestDown.PartSize, concurrency = bestDown.Concurrency, downloadMiBps = Math.Round(bestDown.DownloadMiBps, 1) } }));
                return ExitCodes.Ok;
            }

            if (context.Interactive)
            {
                var table = new Table().Border(TableBorder.Simple).BorderColor(Color.Grey);
                table.AddColumn(new TableColumn("part size").RightAligned());
                table.AddColumn(new TableColumn("concurrency").RightAligned());
                table.AddColumn(new TableColumn("parts").RightAligned());
                table.AddColumn(new TableColumn("upload MiB/s").RightAligned());
                table.AddColumn(new TableColumn("download MiB/s").RightAligned());
                foreach (var r in rows)
                {
                    var upload = r.UploadMiBps.ToString("0.0", CultureInfo.InvariantCulture);
                    table.AddRow(Format.Bytes(r.PartSize), r.Concurrency.ToString(CultureInfo.InvariantCulture), r.Parts.ToString(CultureInfo.InvariantCulture), r == best ? $"[green]{upload}[/]" : upload, r.DownloadMiBps.ToString("0.0", CultureInfo.InvariantCulture));
                }

                context.Console.Write(table);
            }

            context.Line(string.Create(CultureInfo.InvariantCulture, $"Recommended: {advice} (upload {best.UploadMiBps:0.0} MiB/s); downloads were fastest at --part-size {SizeText(bestDown.PartSize)} --concurrency {bestDown.Concurrency} ({bestDown.DownloadMiBps:0.0} MiB/s)"));
            return ExitCodes.Ok;
        });

    /// <summary>
    /// The warm-up round, then a round per part size and concurrency, each reported as it ends: a ✔ line of the live
    /// display (<paramref name="reporter"/>, on a terminal), a JSON document, or a plain line.
    /// </summary>
    private static async Task<int> RoundsAsync(CliContext context, CogniteFilesClient client, Request request, ITransferReporter? reporter, List<Row> rows, List<string> created, CancellationToken cancellationToken)
    {
        var rounds = request.PartSizes.Count * request.Concurrencies.Count;
        // A first small round that is not reported: connection set-up and JIT would otherwise count against
        // whichever configuration comes first.
        await RoundAsync(client, Math.Min(request.Size, MultipartLimits.MinPartSize), request.PartSizes[0], request.Concurrencies[0], created, null, cancellationToken).ConfigureAwait(false);
        foreach (var partSize in request.PartSizes)
        {
            foreach (var concurrency in request.Concurrencies)
            {
                var display = reporter?.Start(string.Create(CultureInfo.InvariantCulture, $"round {rows.Count + 1}/{rounds}: {Format.Bytes(partSize)} parts, concurrency {concurrency}"), 2 * request.Size);
                Row row;
                try
                {
                    row = await RoundAsync(client, request.Size, partSize, concurrency, created, display, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    display?.Failed(cancellationToken.IsCancellationRequested ? $"cancelled round {rows.Count + 1}" : $"round {rows.Count + 1} failed (the error follows)");
                    throw;
                }

                rows.Add(row);
                display?.Completed(Describe(row));
                if (request.Json)
                {
                    context.Json(JsonOutput.Object(new
                    {
                        partSize = row.PartSize,
                        concurrency = row.Concurrency,
                        parts = row.Parts,
                        bytes = request.Size,
                        uploadMiBps = Math.Round(row.UploadMiBps, 1),
                        downloadMiBps = Math.Round(row.DownloadMiBps, 1),
                    }));
                }
                else if (reporter is null)
                {
                    context.Line(Describe(row));
                }
            }
        }

        return rows.Count;
    }

    private static string Describe(Row r) => string.Create(CultureInfo.InvariantCulture,
        $"part size {Format.Bytes(r.PartSize),10}  concurrency {r.Concurrency,2}  parts {r.Parts,3}  upload {r.UploadMiBps,7:0.0} MiB/s  download {r.DownloadMiBps,7:0.0} MiB/s");

    private static string SizeText(long bytes) =>
        bytes % (1L << 20) == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes >> 20}MiB") : bytes.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// One upload and one download of <paramref name="size"/> generated bytes; the file is deleted at once.
    /// <paramref name="display"/> (on a terminal) shows the upload, then the download, as one bar of twice the size.
    /// </summary>
    private static async Task<Row> RoundAsync(CogniteFilesClient client, long size, long partSize, int concurrency, List<string> created, IFileProgress? display, CancellationToken cancellationToken)
    {
        var transfer = Uploader.Options(partSize, concurrency);
        var unique = Guid.NewGuid().ToString("N")[..12];
        var name = string.Create(CultureInfo.InvariantCulture, $"bench-{unique}-{SizeText(partSize)}-c{concurrency}.bin");
        // Known by its external id before the upload starts, so that a round cut short is deleted too.
        var externalId = "cognite-files-bench-" + unique;
        created.Add(externalId);
        await using var content = new GeneratedStream(size, seed: (int)(partSize ^ concurrency));
        var started = Stopwatch.GetTimestamp();
        var uploadProgress = display is null ? null : new SyncProgress<UploadProgress>(p => display.Report(p.BytesTransferred));
        var upload = await client.UploadAsync(new FileCreate { Name = name, ExternalId = externalId, Directory = Directory }, content, new UploadOptions { Transfer = transfer, Progress = uploadProgress }, cancellationToken).ConfigureAwait(false);
        var uploadTime = Stopwatch.GetElapsedTime(started);

        started = Stopwatch.GetTimestamp();
        var downloadProgress = display is null ? null : new SyncProgress<DownloadProgress>(p => display.Report(size + p.BytesTransferred));
        var download = await client.DownloadAsync(Identifier.FromId(upload.File.Id), Stream.Null, new DownloadOptions { Transfer = transfer, Progress = downloadProgress }, cancellationToken).ConfigureAwait(false);
        var downloadTime = Stopwatch.GetElapsedTime(started);
        if (download.Bytes != size || download.Checksum != upload.Checksum)
        {
            throw new CliFailureException($"the download of {name} is not what was uploaded ({download.Bytes} bytes, {download.Checksum}; sent {size} bytes, {upload.Checksum})");
        }

        await client.DeleteAsync(upload.File.Id, cancellationToken).ConfigureAwait(false);
        created.Remove(externalId);

        return new Row(partSize, concurrency, upload.Parts, Format.MiBPerSecond(size, uploadTime), Format.MiBPerSecond(size, downloadTime));
    }

    /// <summary>Deletes what a failed or cancelled round left, whatever the run's token says.</summary>
    private static async Task DeleteAsync(CliContext context, CogniteFilesClient client, List<string> created)
    {
        if (created.Count == 0)
        {
            return;
        }

        try
        {
            await client.DeleteAsync(created.Select(IdEither.FromExternalId), ignoreUnknownIds: true, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // cleanup must not hide the run's own outcome; it says what it could not delete instead
        catch (Exception e)
#pragma warning restore CA1031
        {
            context.Notice($"could not delete the bench files {string.Join(", ", created)} in {Directory}: {CliErrors.Describe(e).Message}");
        }
    }

    /// <summary>Parses a comma-separated list of sizes (<c>8MiB,16MiB</c>) within the part size limits.</summary>
    public static IReadOnlyList<long>? ParsePartSizes(string text, out string error)
    {
        var sizes = new List<long>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!SizeParser.TryParse(item, out var bytes) || bytes < MultipartLimits.MinPartSize || bytes > MultipartLimits.MaxPartSize)
            {
                error = $"--part-sizes '{item}' must be a size from 5 MiB to 4000 MiB (e.g. 8MiB,16MiB)";
                return null;
            }

            sizes.Add(bytes);
        }

        error = sizes.Count == 0 ? "--part-sizes needs at least one size (e.g. 8MiB,16MiB)" : string.Empty;
        return sizes.Count == 0 ? null : sizes.Distinct().ToList();
    }

    /// <summary>Parses a comma-separated list of concurrencies (<c>1,4,8</c>), each 1..64.</summary>
    public static IReadOnlyList<int>? ParseConcurrencies(string text, out string error)
    {
        var values = new List<int>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value is < 1 or > 64)
            {
                error = $"--concurrency '{item}' must be a number from 1 to 64 (e.g. 1,4,8)";
                return null;
            }

            values.Add(value);
        }

        error = values.Count == 0 ? "--concurrency needs at least one number (e.g. 1,4,8)" : string.Empty;
        return values.Count == 0 ? null : values.Distinct().ToList();
    }

    /// <summary>
    /// Read-only, seekable content of a given length made as it is read: a 1 MiB pseudo-random block, varied per MiB,
    /// so no two parts are alike and nothing touches the disk.
    /// </summary>
    internal sealed class GeneratedStream : Stream
    {
        private const int BlockSize = 1 << 20;
        private readonly byte[] _block = new byte[BlockSize];
        private readonly long _length;
        private long _position;

        public GeneratedStream(long length, int seed)
        {
            _length = length;
            new Random(seed).NextBytes(_block);
        }

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => _length;

        public override long Position
        {
            get => _position;
            set => _position = Math.Clamp(value, 0, _length);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var total = (int)Math.Min(buffer.Length, _length - _position);
            for (var done = 0; done < total;)
            {
                var inBlock = (int)(_position % BlockSize);
                var n = Math.Min(total - done, BlockSize - inBlock);
                var target = buffer.Slice(done, n);
                _block.AsSpan(inBlock, n).CopyTo(target);
                // One byte per 4 KiB (at absolute offsets, so any read of a range gives the same bytes) differs between
                // MiBs: cheap, and no two parts are alike.
                var mark = (byte)(_position / BlockSize);
                for (var i = (int)((4096 - (_position % 4096)) % 4096); i < target.Length; i += 4096)
                {
                    target[i] ^= mark;
                }

                done += n;
                _position += n;
            }

            return total;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => _length + offset,
        };

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
