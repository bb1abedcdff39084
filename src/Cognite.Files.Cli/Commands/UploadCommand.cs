using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Cognite.Files.Cli.Configuration;
using Cognite.Files.Cli.Output;
using Cognite.Files.Cli.Parsing;
using Cognite.Files.Cli.Transfers;
using Cognite.Files.Models;
using Cognite.Files.Transfer;

namespace Cognite.Files.Cli.Commands;

/// <summary>
/// <c>upload &lt;path&gt;</c> (a file or, recursively, a directory), <c>upload --to &lt;id&gt; &lt;file&gt;</c> and
/// <c>resume &lt;journal&gt;...</c>. Everything that can be checked locally (paths, readability, sizes, ids, option
/// combinations) is checked before the first request. Every upload writes a journal; Ctrl+C keeps it and prints the
/// <c>cognite-files resume</c> command.
/// </summary>
internal static class UploadCommand
{
    internal sealed record UploadRequest(
        string Path,
        string? To,
        string? ExternalId,
        string? Name,
        string? Directory,
        bool Overwrite,
        long PartSize,
        int Concurrency,
        string? Journal,
        bool Json,
        string? ConfigPath);

    /// <summary>One file of a run. <see cref="Target"/> is null for a resume.</summary>
    internal sealed record Item(string SourcePath, string Label, long Length, UploadDestination? Target, string JournalPath);

    public static Task<int> RunAsync(CliContext context, UploadRequest request, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(context, cancellationToken, async () =>
        {
            var items = Plan(context, request);
            var settings = CliSettings.Resolve(context, request.ConfigPath);
            await using var connection = await CliConnection.OpenAsync(context, settings, request.Json, Uploader.Options(request.PartSize, request.Concurrency), cancellationToken).ConfigureAwait(false);
            foreach (var item in items)
            {
                new JournalSidecar { Source = item.SourcePath, Label = item.Label, Embedded = settings.UseEmbeddedEmulator, Project = connection.Client.Options.Project, PartSize = request.PartSize }
                    .Save(item.JournalPath);
            }

            return await TransferAsync(context, connection, items, request.PartSize, request.Concurrency, request.Json, resume: false, cancellationToken).ConfigureAwait(false);
        });

    public static Task<int> ResumeAsync(CliContext context, IReadOnlyList<string> journals, int concurrency, bool json, string? configPath, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(context, cancellationToken, async () =>
        {
            var items = new List<Item>();
            bool? embedded = null;
            long partSize = CliApp.DefaultPartSize;
            foreach (var journal in journals.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal))
            {
                if (!File.Exists(journal))
                {
                    throw new CliUsageException(File.Exists(JournalSidecar.PathFor(journal))
                        ? $"journal '{journal}' does not exist: the upload finished, or failed before it began; upload the file again"
                        : $"journal '{journal}' does not exist");
                }

                var sidecar = JournalSidecar.Load(journal);
                var info = CheckFile(sidecar.Source);
                items.Add(new Item(sidecar.Source, sidecar.Label, info.Length, null, journal));
                if (embedded is { } e && e != sidecar.Embedded)
                {
                    throw new CliUsageException("these journals belong to different places (the embedded emulator and CDF): resume them separately");
                }

                embedded = sidecar.Embedded;
                partSize = Math.Max(partSize, sidecar.PartSize);
            }

            var settings = CliSettings.Resolve(context, configPath);
            if (embedded == true && !settings.UseEmbeddedEmulator)
            {
                throw new CliUsageException($"the upload went to the embedded emulator, but CDF is configured now ({settings.Source}): unset the configuration to resume it");
            }

            if (embedded == false && settings.UseEmbeddedEmulator)
            {
                throw new CliUsageException("the upload went to CDF, but no CDF configuration is found now: configure the same project to resume it");
            }

            await using var connection = await CliConnection.OpenAsync(context, settings, json, Uploader.Options(partSize, concurrency), cancellationToken).ConfigureAwait(false);
            return await TransferAsync(context, connection, items, partSize, concurrency, json, resume: true, cancellationToken).ConfigureAwait(false);
        });

    /// <summary>Checks the request and lists the files; throws <see cref="CliUsageException"/> before anything is sent.</summary>
    internal static List<Item> Plan(CliContext context, UploadRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Path))
        {
            throw new CliUsageException("the path must not be empty");
        }

        var fullPath = Path.GetFullPath(request.Path);
        var isDirectory = Directory.Exists(fullPath);
        if (!isDirectory && !File.Exists(fullPath))
        {
            throw new CliUsageException($"'{request.Path}' does not exist");
        }

        if (request.To is not null)
        {
            if (isDirectory)
            {
                throw new CliUsageException("--to uploads one file into an existing CDF file: give a file, not a directory");
            }

            if (request.ExternalId is not null || request.Name is not null || request.Directory is not null || request.Overwrite)
            {
                throw new CliUsageException("--to uploads into an existing file: --external-id, --name, --directory and --overwrite do not apply");
            }
        }

        if (isDirectory && request.Name is not null)
        {
            throw new CliUsageException("--name applies to a single file; a directory's files keep their names");
        }

        if (request.ExternalId is { Length: > 255 })
        {
            throw new CliUsageException("--external-id must be at most 255 characters");
        }

        var to = request.To is null ? null : FileReference.Parse(request.To);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        string JournalFor(string label, string? directory) =>
            Path.Combine(directory ?? Path.Combine(context.HomeDirectory, "journals"), $"{stamp}-{Sanitize(label)}-{Guid.NewGuid().ToString("N")[..6]}.journal.json");

        if (!isDirectory)
        {
            var info = CheckFile(fullPath);
            var label = Path.GetFileName(fullPath);
            var target = to is not null
                ? UploadDestination.ForExistingFile(to)
                : UploadDestination.ForNewFile(new FileCreate { Name = request.Name ?? label, ExternalId = request.ExternalId, Directory = request.Directory }, request.Overwrite);
            var journal = request.Journal is null ? JournalFor(label, null) : Path.GetFullPath(request.Journal);
            if (request.Journal is not null && Directory.Exists(journal))
            {
                journal = JournalFor(label, journal);
            }

            return [new Item(fullPath, label, info.Length, target, journal)];
        }

        var files = Directory.EnumerateFiles(fullPath, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false, AttributesToSkip = FileAttributes.ReparsePoint })
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
        {
            throw new CliUsageException($"'{request.Path}' holds no files");
        }

        var journalDirectory = request.Journal is null ? null : Path.GetFullPath(request.Journal);
        if (journalDirectory is not null && File.Exists(journalDirectory))
        {
            throw new CliUsageException("for a directory upload, --journal names a directory for the journals, not a file");
        }

        var baseDirectory = (request.Directory ?? "/" + Path.GetFileName(Path.TrimEndingDirectorySeparator(fullPath))).TrimEnd('/');
        var items = new List<Item>(files.Count);
        foreach (var file in files)
        {
            var info = CheckFile(file);
            var relative = Path.GetRelativePath(fullPath, file).Replace(Path.DirectorySeparatorChar, '/');
            var relativeDirectory = Path.GetDirectoryName(relative)?.Replace(Path.DirectorySeparatorChar, '/');
            var directory = string.IsNullOrEmpty(relativeDirectory) ? baseDirectory : baseDirectory + "/" + relativeDirectory;
            var externalId = request.ExternalId is null ? null : request.ExternalId + relative;
            if (externalId is { Length: > 255 })
            {
                throw new CliUsageException($"the external id for '{relative}' would be longer than 255 characters");
            }

            var create = new FileCreate { Name = Path.GetFileName(file), ExternalId = externalId, Directory = directory.Length == 0 ? "/" : directory };
            items.Add(new Item(file, relative, info.Length, UploadDestination.ForNewFile(create, request.Overwrite), JournalFor(relative, journalDirectory)));
        }

        return items;
    }

    /// <summary>The file exists, can be opened for reading and fits in CDF; else a usage error naming it.</summary>
    internal static FileInfo CheckFile(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new CliUsageException($"'{path}' does not exist");
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException($"cannot read '{path}': {e.Message}");
        }

        if (info.Length > MultipartLimits.MaxFileSize)
        {
            throw new CliUsageException($"'{path}' is {Format.Bytes(info.Length)}: larger than CDF's limit of 250 parts × 4000 MiB");
        }

        return info;
    }

    private static async Task<int> TransferAsync(CliContext context, CliConnection connection, List<Item> items, long partSize, int concurrency, bool json, bool resume, CancellationToken cancellationToken)
    {
        var uploader = new Uploader(connection.Client);
        var totalBytes = items.Sum(i => i.Length);
        // Only multipart uploads write a journal; a file that fits in one part goes as one PUT and is retried instead.
        var journaled = items.Count(i => i.Target is null || uploader.IsResumable(i.Length));
        if (items.Count == 1 && journaled == 1)
        {
            context.Notice($"journal: {items[0].JournalPath}", json);
        }
        else if (journaled > 0)
        {
            context.Notice($"journals: {Path.GetDirectoryName(items[0].JournalPath)} ({journaled} of {items.Count} files)", json);
        }

        var results = new ConcurrentBag<UploadResult>();
        var failures = new ConcurrentQueue<(Item Item, Exception Error)>();
        var interrupted = new ConcurrentQueue<Item>();
        var started = Stopwatch.GetTimestamp();
        var verb = resume ? "resume" : "upload";
        var cancelled = false;
        try
        {
            await TransferDisplay.RunAsync(context, json, verb, totalBytes, items.Count, async reporter =>
            {
                var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Min(concurrency, 4), CancellationToken = cancellationToken };
                await Parallel.ForEachAsync(items, parallel, async (item, token) =>
                {
                    var progress = reporter.Start(item.Label, item.Length);
                    try
                    {
                        var result = item.Target is null
                            ? await uploader.ResumeAsync(item.JournalPath, item.SourcePath, new SyncProgress<long>(progress.Report), token).ConfigureAwait(false)
                            : await uploader.UploadAsync(item.SourcePath, item.Target, item.JournalPath, new SyncProgress<long>(progress.Report), token).ConfigureAwait(false);
                        JournalSidecar.Delete(item.JournalPath);
                        results.Add(result);
                        progress.Completed(Describe(item, result));
                        if (json)
                        {
                            context.Json(JsonOutput.Object(new
                            {
                                path = item.SourcePath,
                                id = result.File.Id,
                                externalId = result.File.ExternalId,
                                name = result.File.Name,
                                directory = result.File.Directory,
                                uploaded = result.File.Uploaded,
                                bytes = result.Bytes,
                                parts = result.Parts,
                                partsSkipped = result.PartsSkipped,
                                retries = result.Retries,
                                checksum = result.Checksum,
                                seconds = Math.Round(result.Elapsed.TotalSeconds, 3),
                            }));
                        }
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        interrupted.Enqueue(item);
                        progress.Failed($"cancelled {item.Label}");
                        throw;
                    }
                    catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                    {
                        failures.Enqueue((item, e));
                        progress.Failed($"failed {item.Label} (the error follows)");
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
        if (!json && results.Count > 0)
        {
            var bytes = results.Sum(r => r.Bytes);
            var skipped = results.Sum(r => r.PartsSkipped);
            var already = skipped > 0 ? string.Create(CultureInfo.InvariantCulture, $", {skipped} parts already done before") : string.Empty;
            context.Line(string.Create(CultureInfo.InvariantCulture,
                $"{(resume ? "Resumed" : "Uploaded")} {results.Count} file{(results.Count == 1 ? string.Empty : "s")}, {Format.Bytes(bytes)} in {Format.Duration(elapsed)} ({Format.Rate(bytes, elapsed)}), {results.Sum(r => r.Retries)} retries{already}"));
        }

        foreach (var (item, error) in failures)
        {
            CliErrors.Report(context, $"{item.Label}: {CliErrors.Describe(error).Message}", ExitCodes.Failure);
        }

        // A file not finished is resumable when its journal exists (its session was started), else it is to be uploaded again.
        var resumable = items.Where(i => File.Exists(i.JournalPath)).Select(i => i.JournalPath).ToList();
        var notStarted = items.Count(i => !File.Exists(i.JournalPath) && File.Exists(JournalSidecar.PathFor(i.JournalPath)) && !failures.Any(f => f.Item == i));
        foreach (var item in items.Where(i => !File.Exists(i.JournalPath)))
        {
            JournalSidecar.Delete(item.JournalPath);
        }

        if (resumable.Count > 0)
        {
            context.Notice($"{(cancelled ? "Cancelled" : "Interrupted")}: {resumable.Count} upload{(resumable.Count == 1 ? string.Empty : "s")} can be resumed with:", json);
            context.Notice("  cognite-files resume " + string.Join(' ', resumable.Select(Quote)), json);
        }

        if (cancelled && notStarted > 0)
        {
            context.Notice(string.Create(CultureInfo.InvariantCulture, $"{notStarted} file(s) had not started: upload them again"), json);
        }

        if (cancelled)
        {
            context.Error.WriteLine("cancelled");
            context.Error.Flush();
            return ExitCodes.Cancelled;
        }

        return failures.IsEmpty ? ExitCodes.Ok : ExitCodes.Failure;
    }

    private static string Describe(Item item, UploadResult result)
    {
        // A resume sends only the missing parts: its rate counts those bytes (approximately: parts are equal but the last).
        var sent = result.Parts == 0 ? result.Bytes : result.Bytes * (result.Parts - result.PartsSkipped) / result.Parts;
        var skipped = result.PartsSkipped > 0 ? string.Create(CultureInfo.InvariantCulture, $", {result.PartsSkipped} already done, {Format.Bytes(sent)} sent") : string.Empty;
        return string.Create(CultureInfo.InvariantCulture,
            $"uploaded {item.Label} → id {result.File.Id} ({Format.Bytes(result.Bytes)}, {result.Parts} part{(result.Parts == 1 ? string.Empty : "s")}{skipped}, {Format.Rate(sent, result.Elapsed)}, {result.Checksum})");
    }

    private static string Quote(string path) => path.Contains(' ', StringComparison.Ordinal) || path.Contains('\'', StringComparison.Ordinal) ? "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'" : path;

    private static string Sanitize(string label)
    {
        var name = new string(label.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray());
        return name.Length <= 40 ? name : name[^40..];
    }
}
