using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Cognite.Files.Cli.Output;
using Cognite.Files.Cli.Parsing;
using Cognite.Files.Cli.Transfers;
using Cognite.Files.Models;
using Cognite.Files.Transfer;

namespace Cognite.Files.Cli.Commands;

/// <summary>
/// <c>download --directory-prefix /reports ./out</c> (or <c>--external-id-prefix</c>, <c>--name</c>): every uploaded
/// file that matches, into the destination directory, with the CDF directory structure recreated below it, several
/// files at once. See <see cref="TreeLayout"/> for where each file goes and <see cref="LocalCopy"/> for when a file
/// already there is skipped.
/// </summary>
internal static class TreeDownloadCommand
{
    internal sealed record Request(
        string Destination,
        string? DirectoryPrefix,
        string? ExternalIdPrefix,
        string? Name,
        IReadOnlyList<string> Include,
        IReadOnlyList<string> Exclude,
        int Concurrency,
        bool Overwrite,
        bool Json,
        string? ConfigPath)
    {
        /// <summary>--part-size: the size of the ranges fetched in parallel.</summary>
        public long RangeSize { get; init; } = Downloader.DefaultRangeSize;

        /// <summary>--bwlimit: bytes per second for the whole run, or null.</summary>
        public long? BandwidthLimit { get; init; }
    }

    private enum Status
    {
        Downloaded,
        Skipped,
        Failed,
    }

    private sealed record Outcome(TreeLayout.Entry Entry, Status Status, long Bytes, string? Detail, Exception? Error)
    {
        /// <summary>The library's result of a file downloaded.</summary>
        public DownloadResult? Result { get; init; }
    }

    public static Task<int> RunAsync(CliContext context, Request request, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(context, cancellationToken, async () =>
        {
            if (request.DirectoryPrefix is { } prefix && !prefix.StartsWith('/'))
            {
                throw new CliUsageException($"--directory-prefix '{prefix}' must start with '/' (CDF directories are absolute, e.g. /reports)");
            }

            var pathFilter = PathFilter.Create(request.Include, request.Exclude);
            var destination = Path.GetFullPath(request.Destination);
            if (File.Exists(destination))
            {
                throw new CliUsageException($"'{request.Destination}' is a file: a download of several files needs a directory");
            }

            // -c is both the files at once and the ranges in flight across all of them (the client's limiter), as for uploads.
            var transfer = Downloader.Options(request.RangeSize, request.Concurrency);
            await using var connection = await CommandRunner.ConnectAsync(context, request.ConfigPath, cancellationToken, transfer, request.BandwidthLimit).ConfigureAwait(false);
            var filter = new FileFilter { DirectoryPrefix = request.DirectoryPrefix, ExternalIdPrefix = request.ExternalIdPrefix, Name = request.Name, Uploaded = true };
            var files = new List<FileMetadata>();
            await foreach (var file in connection.Client.ListAsync(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                files.Add(file);
            }

            var entries = TreeLayout.Plan(files, request.DirectoryPrefix, pathFilter);
            if (entries.Count == 0)
            {
                context.Notice("no uploaded files match: nothing to download");
                return ExitCodes.Ok;
            }

            Directory.CreateDirectory(destination);
            return await DownloadAllAsync(context, connection.Client, entries, destination, request, cancellationToken).ConfigureAwait(false);
        });

    private static async Task<int> DownloadAllAsync(CliContext context, CogniteFilesClient client, IReadOnlyList<TreeLayout.Entry> entries, string destination, Request request, CancellationToken cancellationToken)
    {
        var outcomes = new ConcurrentDictionary<TreeLayout.Entry, Outcome>();
        var started = Stopwatch.GetTimestamp();
        var sizes = entries.Select(e => FileCommands.Size(e.File)).ToList();
        long? totalBytes = sizes.All(s => s is not null) ? sizes.Sum(s => s!.Value) : null;
        var cancelled = false;
        try
        {
            await TransferDisplay.RunAsync(context, request.Json, "download", totalBytes, entries.Count, async reporter =>
            {
                var parallel = new ParallelOptions { MaxDegreeOfParallelism = request.Concurrency, CancellationToken = cancellationToken };
                await Parallel.ForEachAsync(entries, parallel, async (entry, token) =>
                {
                    var outcome = await DownloadOneAsync(client, entry, Path.Combine(destination, entry.RelativePath), request.Overwrite, reporter, token).ConfigureAwait(false);
                    outcomes[entry] = outcome;
                    if (request.Json)
                    {
                        context.Json(JsonOutput.Object(new
                        {
                            id = entry.File.Id,
                            externalId = entry.File.ExternalId,
                            name = entry.File.Name,
                            directory = entry.File.Directory,
                            path = Path.Combine(destination, entry.RelativePath),
                            status = outcome.Status.ToString().ToLowerInvariant(),
                            bytes = outcome.Result?.Bytes,
                            bytesSkipped = outcome.Result?.BytesSkipped,
                            checksum = outcome.Result?.Checksum,
                            verified = outcome.Result?.Verified,
                            reason = outcome.Status == Status.Skipped ? outcome.Detail : null,
                            error = outcome.Error is null ? null : Downloader.Describe(outcome.Error),
                        }));
                    }
                }).ConfigureAwait(false);
                return 0;
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            cancelled = true;
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var all = entries.Select(e => outcomes.TryGetValue(e, out var o) ? o : null).OfType<Outcome>().ToList();
        var downloaded = all.Where(o => o.Status == Status.Downloaded).ToList();
        var skipped = all.Count(o => o.Status == Status.Skipped);
        var failed = all.Where(o => o.Status == Status.Failed).ToList();
        if (!request.Json)
        {
            var bytes = downloaded.Sum(o => o.Bytes);
            // The rate is of what this run fetched: parts of files an earlier run had downloaded are not counted.
            var before = downloaded.Sum(o => o.Result?.BytesSkipped ?? 0);
            var resumed = before > 0 ? $" ({Format.Bytes(bytes - before)} now, {Format.Bytes(before)} already downloaded)" : string.Empty;
            var done = downloaded.Count + skipped == entries.Count ? $"{entries.Count} file{(entries.Count == 1 ? string.Empty : "s")}" : $"{downloaded.Count + skipped} of {entries.Count} files";
            var line = string.Create(CultureInfo.InvariantCulture, $"Downloaded {done} to {destination}: {downloaded.Count} downloaded, {Format.Bytes(bytes)}{resumed} in {Format.Duration(elapsed)} ({Format.Rate(bytes - before, elapsed)}); {skipped} already there");
            if (failed.Count > 0)
            {
                const int Named = 10;
                line += string.Create(CultureInfo.InvariantCulture, $"; {failed.Count} failed: {string.Join(", ", failed.Take(Named).Select(o => o.Entry.RelativePath))}{(failed.Count > Named ? $" and {failed.Count - Named} more" : string.Empty)}");
            }

            context.Line(line);
        }

        foreach (var outcome in failed)
        {
            CliErrors.Report(context, $"{outcome.Entry.RelativePath}: {Downloader.Describe(outcome.Error!)}", ExitCodes.Failure);
        }

        if (cancelled)
        {
            context.Notice("cancelled: run the same command again to download the rest (finished files are kept and skipped, files cut short resume)");
            return ExitCodes.Cancelled;
        }

        return failed.Count == 0 ? ExitCodes.Ok : ExitCodes.Failure;
    }

    private static async Task<Outcome> DownloadOneAsync(CogniteFilesClient client, TreeLayout.Entry entry, string path, bool overwrite, ITransferReporter reporter, CancellationToken cancellationToken)
    {
        try
        {
            var existing = await LocalCopy.CompareAsync(entry.File, path, cancellationToken).ConfigureAwait(false);
            if (!overwrite && existing is not null)
            {
                return existing.Identical
                    ? new Outcome(entry, Status.Skipped, 0, existing.Reason, null)
                    : new Outcome(entry, Status.Failed, 0, null, new CliFailureException($"'{path}' exists and {existing.Reason}: use --overwrite to replace it"));
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new Outcome(entry, Status.Failed, 0, null, e);
        }

        var display = reporter.Start(entry.RelativePath, FileCommands.Size(entry.File));
        try
        {
            var options = new DownloadOptions { Overwrite = overwrite, Progress = new Downloader.ProgressFeed(display) };
            var result = await client.DownloadAsync(Identifier.FromId(entry.File.Id), path, options, cancellationToken).ConfigureAwait(false);
            display.Completed($"downloaded {entry.RelativePath}: {Downloader.Figures(result)}{(result.Verified ? ", verified against the stored checksum" : string.Empty)}");
            return new Outcome(entry, Status.Downloaded, result.Bytes, result.Checksum, null) { Result = result };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            display.Failed($"cancelled {entry.RelativePath}");
            throw;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            display.Failed($"failed {entry.RelativePath} (the error follows)");
            return new Outcome(entry, Status.Failed, 0, null, e);
        }
    }
}

/// <summary>
/// Where each CDF file of a recursive download goes, relative to the destination:
/// <list type="bullet">
/// <item>With <c>--directory-prefix /p</c>: files in <c>/p</c> and below it (not <c>/p2</c>), at their directory
/// relative to <c>/p</c>; otherwise at their whole CDF directory (no directory: the destination itself).</item>
/// <item>Each directory segment and the name are made safe for the local file system (characters it refuses become
/// <c>_</c>, <c>.</c> and <c>..</c> become <c>_</c>).</item>
/// <item>Several files with the same path (CDF allows equal names in one directory): the one with the lowest id keeps
/// the name, every other gets <c> (id N)</c> before its extension (<c>report (id 123).pdf</c>), so the layout is the
/// same on every run.</item>
/// <item><c>--include</c>/<c>--exclude</c> match the relative path before that suffix.</item>
/// </list>
/// </summary>
internal static class TreeLayout
{
    internal sealed record Entry(FileMetadata File, string RelativePath);

    public static List<Entry> Plan(IEnumerable<FileMetadata> files, string? directoryPrefix, PathFilter filter)
    {
        var basePath = directoryPrefix?.TrimEnd('/');
        var placed = new List<Entry>();
        foreach (var file in files.OrderBy(f => f.Id))
        {
            var directory = file.Directory ?? string.Empty;
            string relativeDirectory;
            if (basePath is null)
            {
                relativeDirectory = directory;
            }
            else if (directory == basePath || (directory.StartsWith(basePath + "/", StringComparison.Ordinal) && basePath.Length > 0))
            {
                relativeDirectory = directory[basePath.Length..];
            }
            else if (basePath.Length == 0)
            {
                relativeDirectory = directory; // --directory-prefix /: everything
            }
            else
            {
                continue; // a string-prefix match that is not below the directory (/reports2 for /reports)
            }

            var segments = relativeDirectory.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(SafeSegment).Append(SafeSegment(file.Name));
            var relative = string.Join('/', segments);
            if (filter.Matches(relative))
            {
                placed.Add(new Entry(file, relative));
            }
        }

        // Lowest id first keeps the plain name; the others are told apart by their id.
        var comparer = OperatingSystem.IsLinux() ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase;
        var taken = new HashSet<string>(comparer);
        var result = new List<Entry>(placed.Count);
        foreach (var entry in placed)
        {
            var path = entry.RelativePath;
            if (!taken.Add(path))
            {
                var directory = path.Contains('/', StringComparison.Ordinal) ? path[..(path.LastIndexOf('/') + 1)] : string.Empty;
                var name = path[directory.Length..];
                path = directory + Path.GetFileNameWithoutExtension(name) + string.Create(CultureInfo.InvariantCulture, $" (id {entry.File.Id})") + Path.GetExtension(name);
                taken.Add(path);
            }

            result.Add(entry with { RelativePath = path.Replace('/', Path.DirectorySeparatorChar) });
        }

        return result;
    }

    /// <summary>A name or directory segment the local file system accepts.</summary>
    public static string SafeSegment(string name)
    {
        var invalid = Path.GetInvalidFileNameChars();
        var safe = new string(name.Select(c => invalid.Contains(c) || c is '/' or '\\' ? '_' : c).ToArray()).Trim();
        return safe is "" or "." or ".." ? "_" : safe;
    }
}

/// <summary>
/// Whether a local file is the CDF file's content. CDF keeps no size, so the comparison needs the checksum value an
/// upload with the stored checksum wrote into the file's metadata (<see cref="ContentChecksum.MetadataKey"/>):
/// identical is the same length, then the same checksum. Without it a file already there cannot be compared and counts
/// as present (kept, like a finished file of an interrupted run).
/// </summary>
internal static class LocalCopy
{
    internal sealed record Comparison(bool Identical, string Reason);

    /// <summary>Null when nothing is at <paramref name="path"/>.</summary>
    public static async Task<Comparison?> CompareAsync(FileMetadata file, string path, CancellationToken cancellationToken)
    {
        var local = new FileInfo(path);
        if (!local.Exists)
        {
            return Directory.Exists(path) ? new Comparison(false, "is a directory") : null;
        }

        if (file.Metadata is not { } metadata
            || !metadata.TryGetValue(ContentChecksum.MetadataKey, out var stored)
            || !ContentChecksum.TryParseMetadataValue(stored, out var checksum, out var length))
        {
            return new Comparison(true, "exists (CDF stores no checksum to compare it with)");
        }

        if (local.Length != length)
        {
            return new Comparison(false, string.Create(CultureInfo.InvariantCulture, $"differs: {local.Length} bytes here, {length} in CDF"));
        }

        var actual = await ContentChecksum.ComputeAsync(path, cancellationToken).ConfigureAwait(false);
        return actual == checksum
            ? new Comparison(true, "identical (same length and checksum)")
            : new Comparison(false, $"differs: same length, checksum {actual} here, {checksum} in CDF");
    }
}
