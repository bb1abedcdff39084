using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
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
        string? ConfigPath)
    {
        /// <summary>--include globs (directory uploads).</summary>
        public IReadOnlyList<string> Include { get; init; } = [];

        /// <summary>--exclude globs (directory uploads).</summary>
        public IReadOnlyList<string> Exclude { get; init; } = [];

        /// <summary>--bwlimit: bytes per second for the whole run, or null.</summary>
        public long? BandwidthLimit { get; init; }

        /// <summary>--store-checksum: write each file's checksum into its metadata after the upload.</summary>
        public bool StoreChecksum { get; init; }
    }

    internal sealed record ResumeRequest(IReadOnlyList<string> Journals, int Concurrency, bool Json, string? ConfigPath)
    {
        /// <summary>--bwlimit: bytes per second for the whole run, or null.</summary>
        public long? BandwidthLimit { get; init; }

        /// <summary>--store-checksum: store the checksum also for uploads that did not ask for it when they began.</summary>
        public bool StoreChecksum { get; init; }
    }

    /// <summary>One file of a run. <see cref="Target"/> is null for a resume.</summary>
    internal sealed record Item(string SourcePath, string Label, long Length, UploadDestination? Target, string JournalPath)
    {
        /// <summary>Store the content's checksum in the file's metadata once it is uploaded (<c>--store-checksum</c>, sync).</summary>
        public bool StoreChecksum { get; init; }

        /// <summary>
        /// For a resume that sync makes of its own earlier run: where to upload the file anew when the library refuses
        /// the resume (the file changed since, the session expired or is gone). <c>resume</c> has none: it reports the
        /// refusal and says to upload again.
        /// </summary>
        public UploadDestination? Restart { get; init; }
    }

    public static Task<int> RunAsync(CliContext context, UploadRequest request, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(context, cancellationToken, async () =>
        {
            var items = Plan(context, request);
            var settings = CliSettings.Resolve(context, request.ConfigPath);
            await using var connection = await CliConnection.OpenAsync(context, settings, Uploader.Options(request.PartSize, request.Concurrency), request.BandwidthLimit, cancellationToken).ConfigureAwait(false);
            WriteSidecars(items, connection);
            return await TransferAsync(context, connection, items, request.Concurrency, request.Json, resume: false, cancellationToken).ConfigureAwait(false);
        });

    public static Task<int> ResumeAsync(CliContext context, ResumeRequest request, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(context, cancellationToken, async () =>
        {
            // Whether each source is still the content its upload began with, and whether another run holds the journal,
            // is the library's to say (it checks both before anything is sent); here only what it cannot know.
            var items = new List<Item>();
            bool? embedded = null;
            long partSize = CliApp.DefaultPartSize;
            foreach (var journal in request.Journals.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal))
            {
                if (!File.Exists(journal))
                {
                    throw new CliUsageException(File.Exists(JournalSidecar.PathFor(journal))
                        ? $"journal '{journal}' does not exist: the upload finished, or failed before it began; upload the file again"
                        : $"journal '{journal}' does not exist");
                }

                var sidecar = JournalSidecar.Load(journal);
                var info = CheckFile(sidecar.Source);
                items.Add(new Item(sidecar.Source, sidecar.Label, info.Length, null, journal) { StoreChecksum = sidecar.StoreChecksum || request.StoreChecksum });
                if (embedded is { } e && e != sidecar.Embedded)
                {
                    throw new CliUsageException("these journals belong to different places (the embedded emulator and CDF): resume them separately");
                }

                embedded = sidecar.Embedded;
                partSize = Math.Max(partSize, sidecar.PartSize);
            }

            var settings = CliSettings.Resolve(context, request.ConfigPath);
            if (embedded == true && !settings.UseEmbeddedEmulator)
            {
                throw new CliUsageException($"the upload went to the embedded emulator, but CDF is configured now ({settings.Source}): unset the configuration to resume it");
            }

            if (embedded == false && settings.UseEmbeddedEmulator)
            {
                throw new CliUsageException("the upload went to CDF, but no CDF configuration is found now: configure the same project to resume it");
            }

            await using var connection = await CliConnection.OpenAsync(context, settings, Uploader.Options(partSize, request.Concurrency), request.BandwidthLimit, cancellationToken).ConfigureAwait(false);
            return await TransferAsync(context, connection, items, request.Concurrency, request.Json, resume: true, cancellationToken).ConfigureAwait(false);
        });

    /// <summary>
    /// Writes the sidecar of every new upload that goes multipart: only those are resumable, so only they need what a
    /// later resume reads (the source path, where it went). A sidecar already there belongs to another upload's
    /// journal and is never replaced (a usage error, before anything is sent).
    /// </summary>
    internal static void WriteSidecars(IEnumerable<Item> items, CliConnection connection)
    {
        var uploader = new Uploader(connection.Client);
        foreach (var item in items.Where(i => i.Target is not null && uploader.IsResumable(i.Length)))
        {
            WriteSidecar(item, connection);
        }
    }

    private static void WriteSidecar(Item item, CliConnection connection)
    {
        var options = connection.Client.Options;
        new JournalSidecar
        {
            Source = item.SourcePath,
            Label = item.Label,
            Embedded = connection.Emulator is not null,
            Project = options.Project,
            PartSize = options.Transfer.PartSize,
            StoreChecksum = item.StoreChecksum,
        }.Save(item.JournalPath, createNew: true);
    }

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

        if (!isDirectory && request.Include.Count + request.Exclude.Count > 0)
        {
            throw new CliUsageException("--include and --exclude select files of a directory: give a directory, not a file");
        }

        var filter = PathFilter.Create(request.Include, request.Exclude);
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
            else if (File.Exists(journal))
            {
                // Overwritten, the upload it records could no longer be resumed.
                throw new CliUsageException($"'{request.Journal}' exists: it is the journal of another upload (resume it with 'cognite-files resume {Quote(journal)}'), or give another --journal");
            }

            return [new Item(fullPath, label, info.Length, target, journal) { StoreChecksum = request.StoreChecksum }];
        }

        var files = LocalTree.Files(fullPath, filter);
        if (files.Count == 0)
        {
            throw new CliUsageException(filter.IsActive ? $"'{request.Path}' holds no files matching --include/--exclude" : $"'{request.Path}' holds no files");
        }

        var journalDirectory = request.Journal is null ? null : Path.GetFullPath(request.Journal);
        if (journalDirectory is not null && File.Exists(journalDirectory))
        {
            throw new CliUsageException("for a directory upload, --journal names a directory for the journals, not a file");
        }

        var baseDirectory = (request.Directory ?? "/" + Path.GetFileName(Path.TrimEndingDirectorySeparator(fullPath))).TrimEnd('/');
        var items = new List<Item>(files.Count);
        foreach (var (file, relative) in files)
        {
            var info = CheckFile(file);
            var relativeDirectory = Path.GetDirectoryName(relative)?.Replace(Path.DirectorySeparatorChar, '/');
            var directory = string.IsNullOrEmpty(relativeDirectory) ? baseDirectory : baseDirectory + "/" + relativeDirectory;
            var externalId = request.ExternalId is null ? null : request.ExternalId + relative;
            if (externalId is { Length: > 255 })
            {
                throw new CliUsageException($"the external id for '{relative}' would be longer than 255 characters");
            }

            var create = new FileCreate { Name = Path.GetFileName(file), ExternalId = externalId, Directory = directory.Length == 0 ? "/" : directory };
            items.Add(new Item(file, relative, info.Length, UploadDestination.ForNewFile(create, request.Overwrite), JournalFor(relative, journalDirectory)) { StoreChecksum = request.StoreChecksum });
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

    /// <summary>What became of one file of a run: a result (with the bytes this run sent), or an error.</summary>
    private sealed record Outcome(Item Item, UploadResult? Result, long Sent, Exception? Error)
    {
        /// <summary>The content is uploaded, but the checksum asked for could not be stored in the file's metadata.</summary>
        public bool ChecksumNotStored => Error is CogniteUploadException { Reason: UploadFailureReason.ChecksumNotStored };

        /// <summary>The content is uploaded, but the checksum of the file's previous content could not be taken off its metadata.</summary>
        public bool StaleChecksumLeft => Error is CogniteUploadException { Reason: UploadFailureReason.StaleChecksumNotRemoved };

        /// <summary>The content is in CDF.</summary>
        public bool Uploaded => Result is not null || ChecksumNotStored || StaleChecksumLeft;
    }

    internal static async Task<int> TransferAsync(CliContext context, CliConnection connection, List<Item> items, int concurrency, bool json, bool resume, CancellationToken cancellationToken)
    {
        var uploader = new Uploader(connection.Client);
        var totalBytes = items.Sum(i => i.Length);
        // Only multipart uploads write a journal; a file that fits in one part goes as one PUT and is retried instead.
        var journaled = items.Count(i => i.Target is null || uploader.IsResumable(i.Length));
        if (items.Count == 1 && journaled == 1)
        {
            context.Notice($"journal: {items[0].JournalPath}");
        }
        else if (journaled > 0)
        {
            context.Notice($"journals: {Path.GetDirectoryName(items[0].JournalPath)} ({journaled} of {items.Count} files)");
        }

        var outcomes = new ConcurrentDictionary<Item, Outcome>();
        var interrupted = new ConcurrentQueue<Item>();
        var started = Stopwatch.GetTimestamp();
        var verb = resume ? "resume" : "upload";
        var cancelled = false;
        try
        {
            await TransferDisplay.RunAsync(context, json, verb, totalBytes, items.Count, async reporter =>
            {
                // Up to --concurrency files at once, with no cap of our own: the client's limiter (its MaxConcurrency, the same
                // value) bounds the PUTs in flight across all of them, so many small files run side by side while the parts
                // of large ones share the same permits.
                var parallel = new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken };
                await Parallel.ForEachAsync(items, parallel, async (item, token) =>
                {
                    // A resume's bar appears with its first progress: one the library refuses before sending shows none.
                    IFileProgress display = item.Target is null ? new DeferredFileProgress(reporter, item.Label, item.Length) : reporter.Start(item.Label, item.Length);
                    var progress = new RunProgress(display);
                    var current = item;
                    try
                    {
                        UploadResult result;
                        try
                        {
                            result = await SendAsync(uploader, current, progress, token).ConfigureAwait(false);
                        }
                        catch (CogniteUploadException e) when (item.Restart is { } restart && IsUnresumable(e) && !cancellationToken.IsCancellationRequested)
                        {
                            // Sync's own earlier upload of the file cannot be finished: it is uploaded anew, in this run.
                            DiscardJournal(item.JournalPath);
                            display.Abandon();
                            reporter.Note($"{item.Label}: the upload an earlier run began cannot be finished ({CliErrors.Describe(e).Message}): uploading it anew");
                            current = item with { Target = restart };
                            WriteSidecar(current, connection);
                            display = reporter.Start(item.Label, item.Length);
                            progress = new RunProgress(display);
                            result = await SendAsync(uploader, current, progress, token).ConfigureAwait(false);
                        }

                        JournalSidecar.Delete(item.JournalPath);
                        var sent = result.Bytes - result.BytesSkipped;
                        outcomes[item] = new Outcome(current, result, sent, null);
                        display.Completed(Describe(current, result, sent));
                        if (json && result.Checksum is null)
                        {
                            context.Notice($"{item.Label}: {ChecksumUnknown}");
                        }

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
                                bytesSent = sent,
                                parts = result.Parts,
                                partsSkipped = result.PartsSkipped,
                                retries = result.Retries,
                                checksum = result.Checksum,
                                checksumStored = item.StoreChecksum,
                                seconds = Math.Round(result.Elapsed.TotalSeconds, 3),
                            }));
                        }
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        interrupted.Enqueue(item);
                        display.Failed($"cancelled {item.Label}");
                        throw;
                    }
                    catch (CogniteUploadException e) when (e.Reason is UploadFailureReason.ChecksumNotStored or UploadFailureReason.StaleChecksumNotRemoved && !cancellationToken.IsCancellationRequested)
                    {
                        // The content is uploaded (the library deleted the journal); only the metadata is not as it should be.
                        JournalSidecar.Delete(item.JournalPath);
                        outcomes[item] = new Outcome(current, null, progress.Sent, e);
                        var but = e.Reason == UploadFailureReason.ChecksumNotStored ? "its checksum was not stored" : "the checksum of its previous content is still in its metadata";
                        display.Completed(string.Create(CultureInfo.InvariantCulture, $"uploaded {item.Label} → id {e.FileId} ({Format.Bytes(item.Length)}), but {but} (the error follows)"));
                    }
                    catch (CogniteUploadException e) when (e.Reason == UploadFailureReason.JournalInUse && !cancellationToken.IsCancellationRequested)
                    {
                        // The journal, and with it the sidecar, belongs to the run that holds it. A new upload's sidecar was
                        // written by this run (never over another's): it names a source the holder's journal does not have.
                        if (current.Target is not null)
                        {
                            JournalSidecar.Delete(item.JournalPath);
                        }

                        outcomes[item] = new Outcome(current, null, 0, e);
                        display.Failed($"failed {item.Label} (the error follows)");
                    }
                    catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                    {
                        outcomes[item] = new Outcome(current, null, progress.Sent, e);
                        display.Failed($"failed {item.Label} (the error follows)");
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
        var ordered = items.Select(i => outcomes.TryGetValue(i, out var o) ? o : null).OfType<Outcome>().ToList();
        var uploaded = ordered.Where(o => o.Uploaded).ToList();
        var failed = ordered.Where(o => !o.Uploaded && o.Error is not null).ToList();
        if (!json && (uploaded.Count > 0 || (failed.Count > 0 && items.Count > 1)))
        {
            context.Line(Summary(items.Count, uploaded, failed, resume, elapsed));
        }

        foreach (var outcome in uploaded.Where(o => o.ChecksumNotStored || o.StaleChecksumLeft))
        {
            var fileId = ((CogniteUploadException)outcome.Error!).FileId;
            var command = string.Create(CultureInfo.InvariantCulture, $"cognite-files upload --to id:{fileId} {Quote(outcome.Item.SourcePath)} --store-checksum");
            var message = $"{outcome.Item.Label}: {CliErrors.Describe(outcome.Error!).Message}; " + (outcome.ChecksumNotStored
                ? $"the content is in CDF, only its checksum is missing (nothing to resume): to store one, upload it again with --store-checksum ({command})"
                : $"the content is in CDF (nothing to resume): to replace the stale checksum with the new content's, upload it again with --store-checksum ({command})");
            CliErrors.Report(context, message, ExitCodes.Failure);
            if (json)
            {
                context.Json(JsonOutput.Object(new { path = outcome.Item.SourcePath, id = fileId, uploaded = true, checksumStored = false, staleChecksum = outcome.StaleChecksumLeft, error = CliErrors.OneLine(message), bytesSent = outcome.Sent }));
            }
        }

        // Not to be suggested for a resume: journals that cannot finish their upload, and those another run holds.
        var notResumable = new HashSet<string>(StringComparer.Ordinal);
        foreach (var outcome in failed)
        {
            var message = $"{outcome.Item.Label}: {DescribeFailure(outcome)}";
            if (outcome.Error is CogniteUploadException { Reason: UploadFailureReason.JournalInUse })
            {
                notResumable.Add(outcome.Item.JournalPath);
            }
            else if (IsUnresumable(outcome.Error) && (File.Exists(outcome.Item.JournalPath) || outcome.Item.Target is null))
            {
                // Its journal cannot finish the upload: remove it rather than let a later resume fail the same way.
                notResumable.Add(outcome.Item.JournalPath);
                DiscardJournal(outcome.Item.JournalPath);
                message = WithNewUploadAdvice(message, outcome.Error!, outcome.Item.SourcePath);
            }

            CliErrors.Report(context, message, ExitCodes.Failure);
            if (json)
            {
                context.Json(JsonOutput.Object(new
                {
                    path = outcome.Item.SourcePath,
                    error = CliErrors.OneLine(message),
                    sourceChange = (outcome.Error as CogniteUploadException)?.SourceChange is { } change ? JsonNamingPolicy.CamelCase.ConvertName(change.ToString()) : null,
                    bytesSent = outcome.Sent,
                }));
            }
        }

        // A file not finished is resumable when its journal exists (its session was started) and nothing above ruled a
        // resume out; a file whose upload never started is to be uploaded again.
        var resumable = items.Where(i => !notResumable.Contains(i.JournalPath) && File.Exists(i.JournalPath)).Select(i => i.JournalPath).ToList();
        var notStarted = items.Count(i => !outcomes.ContainsKey(i) && !interrupted.Contains(i));
        foreach (var item in items.Where(i => !File.Exists(i.JournalPath)))
        {
            JournalSidecar.Delete(item.JournalPath);
        }

        if (resumable.Count > 0)
        {
            context.Notice($"{(cancelled ? "Cancelled" : "Interrupted")}: {resumable.Count} upload{(resumable.Count == 1 ? string.Empty : "s")} can be resumed with:");
            context.Notice("  cognite-files resume " + string.Join(' ', resumable.Select(Quote)));
        }

        if (cancelled && notStarted > 0)
        {
            context.Notice(string.Create(CultureInfo.InvariantCulture, $"{notStarted} file{(notStarted == 1 ? " had" : "s had")} not started: upload {(notStarted == 1 ? "it" : "them")} again"));
        }

        if (cancelled)
        {
            context.Notice("cancelled");
            return ExitCodes.Cancelled;
        }

        return failed.Count == 0 && uploaded.All(o => o.Result is not null) ? ExitCodes.Ok : ExitCodes.Failure;
    }

    /// <summary>
    /// The run's summary line: files done (of how many), bytes and the rate of the bytes this run sent (a resume does
    /// not count what an earlier run sent), retries, how many files failed, by name, and for how many the checksum
    /// asked for was not stored.
    /// </summary>
    private static string Summary(int fileCount, List<Outcome> uploaded, List<Outcome> failed, bool resume, TimeSpan elapsed)
    {
        var bytes = uploaded.Sum(o => o.Result?.Bytes ?? o.Item.Length);
        var sent = uploaded.Sum(o => o.Sent) + failed.Sum(o => o.Sent);
        var done = uploaded.Count == fileCount
            ? string.Create(CultureInfo.InvariantCulture, $"{fileCount} file{(fileCount == 1 ? string.Empty : "s")}")
            : string.Create(CultureInfo.InvariantCulture, $"{uploaded.Count} of {fileCount} files");
        var before = bytes - uploaded.Sum(o => o.Sent);
        var sentBefore = before > 0 ? $" ({Format.Bytes(sent)} sent now, {Format.Bytes(before)} before)" : string.Empty;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{(resume ? "Resumed" : "Uploaded")} {done}, {Format.Bytes(bytes)}{sentBefore} in {Format.Duration(elapsed)} ({Format.Rate(sent, elapsed)}), {uploaded.Sum(o => o.Result?.Retries ?? 0)} retries");
        if (failed.Count > 0)
        {
            line += string.Create(CultureInfo.InvariantCulture, $"; {failed.Count} failed: {Names(failed)}");
        }

        var withoutChecksum = uploaded.Where(o => o.ChecksumNotStored).ToList();
        if (withoutChecksum.Count > 0)
        {
            line += string.Create(CultureInfo.InvariantCulture, $"; checksum not stored for {withoutChecksum.Count}: {Names(withoutChecksum)}");
        }

        var staleChecksum = uploaded.Where(o => o.StaleChecksumLeft).ToList();
        if (staleChecksum.Count > 0)
        {
            line += string.Create(CultureInfo.InvariantCulture, $"; stale checksum left on {staleChecksum.Count}: {Names(staleChecksum)}");
        }

        return line;

        static string Names(List<Outcome> outcomes)
        {
            const int Named = 10;
            return string.Join(", ", outcomes.Take(Named).Select(o => o.Item.Label)) + (outcomes.Count > Named ? string.Create(CultureInfo.InvariantCulture, $" and {outcomes.Count - Named} more") : string.Empty);
        }
    }

    private static string DescribeFailure(Outcome outcome)
    {
        if (outcome.Error is CogniteUploadException { Reason: UploadFailureReason.JournalInUse })
        {
            return $"another cognite-files run is using the journal '{outcome.Item.JournalPath}' (it is locked): wait for it to finish, or end it first";
        }

        var message = CliErrors.Describe(outcome.Error!).Message;
        if (outcome.Error is CogniteConflictException { Duplicated.Count: > 0 } && outcome.Item.Target is { NewFile: not null, Overwrite: false })
        {
            message += " (use --overwrite to replace the existing file)";
        }

        return message;
    }

    /// <summary>
    /// True when a resume cannot finish this upload, by the library's reason: the source is not the content the upload
    /// began with, the session expired or is not one CDF could finish, the journal cannot be used (e.g. an older
    /// version's), or CDF no longer knows the upload (its file was deleted).
    /// </summary>
    private static bool IsUnresumable(Exception? error) => error is CogniteUploadException
    {
        Reason: UploadFailureReason.SourceChanged or UploadFailureReason.SessionExpired or UploadFailureReason.InvalidSession
            or UploadFailureReason.InvalidJournal or UploadFailureReason.UploadNotFound,
    };

    /// <summary>
    /// The error line of an upload only a new upload can finish, with the command that does it. Most of the library's
    /// messages for these end with that advice already ("… start a new upload.", "… upload it again."): the command then
    /// follows the advice (before the request id the line may add), which is not said twice; otherwise the line says
    /// that a resume cannot finish it.
    /// </summary>
    private static string WithNewUploadAdvice(string line, Exception error, string sourcePath)
    {
        var command = $"(cognite-files upload {Quote(sourcePath)} …)";
        var own = CliErrors.OneLine(error.Message).TrimEnd();
        var at = line.IndexOf(own, StringComparison.Ordinal);
        if (at >= 0 && (own.EndsWith("start a new upload.", StringComparison.OrdinalIgnoreCase) || own.EndsWith("upload it again.", StringComparison.OrdinalIgnoreCase)))
        {
            var end = at + own.Length;
            return $"{line[..(end - 1)]} {command}{line[end..]}";
        }

        return $"{line}; a resume cannot finish this upload: upload the file again {command}";
    }

    private static Task<UploadResult> SendAsync(Uploader uploader, Item item, RunProgress progress, CancellationToken cancellationToken) => item.Target is null
        ? uploader.ResumeAsync(item.JournalPath, item.SourcePath, item.StoreChecksum, progress, cancellationToken)
        : uploader.UploadAsync(item.SourcePath, item.Target, item.JournalPath, item.StoreChecksum, progress, cancellationToken);

    /// <summary>Removes a journal that cannot finish its upload, and its sidecar.</summary>
    private static void DiscardJournal(string journalPath)
    {
        TryDelete(journalPath);
        JournalSidecar.Delete(journalPath);
    }

    /// <summary>
    /// The ✔ line of an uploaded file. Its checksum is the library's: after a resume it combines the checksums the
    /// journal recorded for the parts sent before with those sent now, so it describes what CDF stores, not the local
    /// file as it is now. Without those records it is unknown, and the line says so instead.
    /// </summary>
    private static string Describe(Item item, UploadResult result, long sent)
    {
        var skipped = result.PartsSkipped > 0 ? string.Create(CultureInfo.InvariantCulture, $", {result.PartsSkipped} already done, {Format.Bytes(sent)} sent") : string.Empty;
        var checksum = result.Checksum is { } c ? c + (item.StoreChecksum ? ", stored" : string.Empty) : ChecksumUnknown;
        return string.Create(CultureInfo.InvariantCulture,
            $"uploaded {item.Label} → id {result.File.Id} ({Format.Bytes(result.Bytes)}, {result.Parts} part{(result.Parts == 1 ? string.Empty : "s")}{skipped}, {Format.Rate(sent, result.Elapsed)}, {checksum})");
    }

    /// <summary>What is said for a resume whose journal recorded no checksums of the parts sent before it (an older version's).</summary>
    private const string ChecksumUnknown = "checksum unknown: the resume could not verify the stored content's checksum, as its journal records no checksums of the parts sent before";

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind: a later resume of it fails with the library's own message.
        }
    }

    /// <summary>
    /// Feeds the display with what this run sends: the parts an earlier run finished (<see cref="UploadProgress.BytesSkipped"/>,
    /// in every report of a resume) become the display's "sent before", and every figure counts from them.
    /// <see cref="Sent"/> is what a run that did not finish sent; a finished one's figures come from its
    /// <see cref="UploadResult.BytesSkipped"/>.
    /// </summary>
    private sealed class RunProgress(IFileProgress display) : IProgress<UploadProgress>
    {
        private bool _started;
        private long _skipped;
        private long _last;

        public long Sent => Math.Max(0, Volatile.Read(ref _last) - Volatile.Read(ref _skipped));

        public void Report(UploadProgress value)
        {
            Volatile.Write(ref _skipped, value.BytesSkipped);
            Volatile.Write(ref _last, value.BytesTransferred);
            if (!_started)
            {
                _started = true;
                if (value.BytesSkipped > 0)
                {
                    display.AlreadyDone(value.BytesSkipped);
                    if (value.BytesTransferred == value.BytesSkipped)
                    {
                        return; // the resume's opening report: nothing sent yet
                    }
                }
            }

            display.Report(value.BytesTransferred - value.BytesSkipped);
        }
    }

    private static string Quote(string path) => path.Contains(' ', StringComparison.Ordinal) || path.Contains('\'', StringComparison.Ordinal) ? "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'" : path;

    private static string Sanitize(string label)
    {
        var name = new string(label.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray());
        return name.Length <= 40 ? name : name[^40..];
    }
}
