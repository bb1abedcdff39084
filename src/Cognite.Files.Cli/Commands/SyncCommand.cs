using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Cognite.Files.Cli.Configuration;
using Cognite.Files.Cli.Output;
using Cognite.Files.Cli.Parsing;
using Cognite.Files.Cli.Transfers;
using Cognite.Files.Models;
using Cognite.Files.Transfer;
using Spectre.Console;

namespace Cognite.Files.Cli.Commands;

/// <summary>
/// <c>sync &lt;local-dir&gt;</c>: uploads what is new or changed under a local directory and nothing else; optionally
/// deletes what is no longer there. A remote file is found by its external id, <c>prefix + relative path</c> (the
/// prefix defaults to the CDF base directory and a slash, so the external id is the file's CDF path). The change rule
/// is <see cref="DecideAsync"/>. A run plans (one listing of the prefix), then uploads with the same engine, journals and
/// display as <c>upload</c>; its journals are named after the file (not the time), so running the same command
/// again after an interruption re-plans and resumes the multipart uploads it had begun.
/// </summary>
internal static class SyncCommand
{
    internal sealed record Request(
        string Path,
        string? Directory,
        string? ExternalIdPrefix,
        bool DryRun,
        bool Delete,
        bool Yes,
        long PartSize,
        int Concurrency,
        IReadOnlyList<string> Include,
        IReadOnlyList<string> Exclude,
        bool Json,
        string? ConfigPath)
    {
        /// <summary>--bwlimit: bytes per second for the whole run, or null.</summary>
        public long? BandwidthLimit { get; init; }
    }

    internal enum Action
    {
        New,
        Changed,
        Unchanged,
        Extra,
    }

    /// <summary>One line of the plan: a local file (<see cref="Local"/>) and/or a remote one (<see cref="Remote"/>).</summary>
    internal sealed record Step(Action Action, string RelativePath, string ExternalId, string? Local, long Length, FileMetadata? Remote, string? Reason);

    public static Task<int> RunAsync(CliContext context, Request request, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(context, cancellationToken, async () =>
        {
            var root = System.IO.Path.GetFullPath(request.Path);
            if (!System.IO.Directory.Exists(root))
            {
                throw new CliUsageException(File.Exists(root) ? $"'{request.Path}' is a file: sync takes a directory" : $"'{request.Path}' does not exist");
            }

            var baseDirectory = (request.Directory ?? "/" + System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(root))).TrimEnd('/');
            if (!baseDirectory.StartsWith('/') && baseDirectory.Length > 0)
            {
                throw new CliUsageException($"--directory '{request.Directory}' must start with '/'");
            }

            var prefix = request.ExternalIdPrefix ?? baseDirectory + "/";
            var filter = PathFilter.Create(request.Include, request.Exclude);
            var locals = LocalTree.Files(root, filter);
            foreach (var (_, relative) in locals)
            {
                if ((prefix + relative).Length > 255)
                {
                    throw new CliUsageException($"the external id for '{relative}' would be longer than 255 characters (use a shorter --external-id-prefix)");
                }
            }

            var settings = CliSettings.Resolve(context, request.ConfigPath);
            await using var connection = await CliConnection.OpenAsync(context, settings, Uploader.Options(request.PartSize, request.Concurrency), request.BandwidthLimit, cancellationToken).ConfigureAwait(false);
            var remote = new Dictionary<string, FileMetadata>(StringComparer.Ordinal);
            await foreach (var file in connection.Client.ListAsync(new FileFilter { ExternalIdPrefix = prefix }, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                if (file.ExternalId is { } id)
                {
                    remote[id] = file;
                }
            }

            var plan = await PlanAsync(locals, remote, prefix, baseDirectory, filter, cancellationToken).ConfigureAwait(false);
            PrintPlan(context, plan, request);
            var extras = plan.Where(s => s.Action == Action.Extra).ToList();
            if (request.DryRun)
            {
                context.Notice("dry run: nothing was sent" + (request.Delete && extras.Count > 0 ? " or deleted" : string.Empty));
                return ExitCodes.Ok;
            }

            // Asked before anything is sent, so that a refusal leaves CDF as it was.
            var delete = request.Delete && extras.Count > 0 && ConfirmDelete(context, extras.Count, baseDirectory, prefix, request);
            var code = ExitCodes.Ok;
            var uploads = plan.Where(s => s.Action is Action.New or Action.Changed).ToList();
            if (uploads.Count > 0)
            {
                code = await UploadAsync(context, connection, uploads, baseDirectory, request, cancellationToken).ConfigureAwait(false);
                if (code == ExitCodes.Cancelled)
                {
                    context.Notice("run the same sync again to finish: it re-plans and resumes the uploads it had begun");
                    return code;
                }
            }
            else if (!request.Json)
            {
                context.Line("Nothing to upload: CDF is up to date");
            }

            if (delete)
            {
                await DeleteAsync(context, connection.Client, extras, request.Json, cancellationToken).ConfigureAwait(false);
            }

            return code;
        });

    /// <summary>
    /// The change rule. A local file whose external id names no remote file is <b>new</b>. It is <b>changed</b> when
    /// the remote file is not uploaded, has another name or directory than the local file would get, or differs in
    /// content: with the checksum value in its metadata (<see cref="ContentChecksum.MetadataKey"/>) the lengths, then
    /// the checksums, are compared; without it (CDF keeps no size) the remote <c>sourceModifiedTime</c> must equal the
    /// local modification time in milliseconds (sync sets it on what it uploads). Otherwise it is <b>unchanged</b>.
    /// A remote file under the prefix whose relative path the filter takes and that has no local file is <b>extra</b>.
    /// </summary>
    internal static async Task<(Action Action, string? Reason)> DecideAsync(string localPath, string name, string directory, FileMetadata? remote, CancellationToken cancellationToken)
    {
        if (remote is null)
        {
            return (Action.New, null);
        }

        if (!remote.Uploaded)
        {
            return (Action.Changed, "not uploaded (an upload that did not finish)");
        }

        if (remote.Name != name || (remote.Directory ?? string.Empty) != directory)
        {
            return (Action.Changed, $"name or directory differs ({remote.Directory}/{remote.Name} in CDF)");
        }

        var local = new FileInfo(localPath);
        if (remote.Metadata is { } metadata
            && metadata.TryGetValue(ContentChecksum.MetadataKey, out var stored)
            && ContentChecksum.TryParseMetadataValue(stored, out var checksum, out var length))
        {
            if (local.Length != length)
            {
                return (Action.Changed, string.Create(CultureInfo.InvariantCulture, $"length differs ({local.Length} bytes here, {length} in CDF)"));
            }

            var actual = await ContentChecksum.ComputeAsync(localPath, cancellationToken).ConfigureAwait(false);
            return actual == checksum ? (Action.Unchanged, "same length and checksum") : (Action.Changed, "checksum differs (same length)");
        }

        var modified = ModifiedMilliseconds(local);
        return remote.SourceModifiedTime == modified
            ? (Action.Unchanged, "same modification time (no stored checksum)")
            : (Action.Changed, remote.SourceModifiedTime is null
                ? "no stored checksum and no sourceModifiedTime to compare with"
                : $"modification time differs ({Format.Time(modified)} here, {Format.Time(remote.SourceModifiedTime)} in CDF; no stored checksum)");
    }

    /// <summary>The local modification time as CDF's <c>sourceModifiedTime</c>: milliseconds since the epoch.</summary>
    internal static long ModifiedMilliseconds(FileInfo file) => new DateTimeOffset(file.LastWriteTimeUtc).ToUnixTimeMilliseconds();

    private static async Task<List<Step>> PlanAsync(List<(string Path, string Relative)> locals, Dictionary<string, FileMetadata> remote, string prefix, string baseDirectory, PathFilter filter, CancellationToken cancellationToken)
    {
        var plan = new List<Step>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, relative) in locals)
        {
            var externalId = prefix + relative;
            seen.Add(externalId);
            remote.TryGetValue(externalId, out var file);
            var (action, reason) = await DecideAsync(path, System.IO.Path.GetFileName(path), DirectoryOf(baseDirectory, relative), file, cancellationToken).ConfigureAwait(false);
            plan.Add(new Step(action, relative, externalId, path, new FileInfo(path).Length, file, reason));
        }

        foreach (var (externalId, file) in remote.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var relative = externalId[prefix.Length..];
            if (!seen.Contains(externalId) && filter.Matches(relative))
            {
                plan.Add(new Step(Action.Extra, relative, externalId, null, FileCommands.Size(file) ?? 0, file, null));
            }
        }

        return plan;
    }

    /// <summary>The CDF directory of a file at <paramref name="relative"/> under the base (as directory uploads do).</summary>
    private static string DirectoryOf(string baseDirectory, string relative)
    {
        var slash = relative.LastIndexOf('/');
        var directory = slash < 0 ? baseDirectory : baseDirectory + "/" + relative[..slash];
        return directory.Length == 0 ? "/" : directory;
    }

    private static void PrintPlan(CliContext context, List<Step> plan, Request request)
    {
        var counts = Enum.GetValues<Action>().ToDictionary(a => a, a => plan.Count(s => s.Action == a));
        if (request.Json)
        {
            foreach (var step in plan)
            {
                context.Json(JsonOutput.Object(new
                {
                    plan = step.Action.ToString().ToLowerInvariant(),
                    path = step.RelativePath,
                    externalId = step.ExternalId,
                    id = step.Remote?.Id,
                    bytes = step.Local is null ? (long?)null : step.Length,
                    reason = step.Reason,
                }));
            }
        }
        else
        {
            // Unchanged files are counted, not listed (a sync of a large tree changes few); a dry run lists them too.
            foreach (var step in plan.Where(s => request.DryRun || s.Action != Action.Unchanged))
            {
                var what = step.Action.ToString().ToLowerInvariant();
                var detail = step.Action switch
                {
                    Action.New => $" ({Format.Bytes(step.Length)})",
                    Action.Extra => string.Create(CultureInfo.InvariantCulture, $" (id {step.Remote!.Id}; not here{(request.Delete ? ": deleted" : ": --delete removes it")})"),
                    _ => step.Reason is null ? string.Empty : $" ({step.Reason})",
                };
                context.Line($"{what,-9} {step.RelativePath}{detail}");
            }

            context.Line(string.Create(CultureInfo.InvariantCulture,
                $"Plan: {counts[Action.New]} new, {counts[Action.Changed]} changed, {counts[Action.Unchanged]} unchanged, {counts[Action.Extra]} extra"));
        }
    }

    private static bool ConfirmDelete(CliContext context, int count, string baseDirectory, string prefix, Request request)
    {
        if (request.Yes)
        {
            return true;
        }

        var question = string.Create(CultureInfo.InvariantCulture, $"Delete {count} file{(count == 1 ? string.Empty : "s")} under {prefix} from CDF that {(count == 1 ? "is" : "are")} not in {request.Path}?");
        if (!context.Interactive || request.Json)
        {
            // Never silently: without a terminal to ask on, deleting needs --yes.
            throw new CliUsageException($"--delete would delete {count} file{(count == 1 ? string.Empty : "s")} under {prefix} and there is no terminal to confirm on: add --yes (see them with --dry-run)");
        }

        var yes = context.Console.Confirm(Markup.Escape(question), defaultValue: false);
        if (!yes)
        {
            context.Notice($"not deleting: the {count} extra file{(count == 1 ? " stays" : "s stay")} in {(baseDirectory.Length == 0 ? "/" : baseDirectory)}");
        }

        return yes;
    }

    private static async Task<int> UploadAsync(CliContext context, CliConnection connection, List<Step> uploads, string baseDirectory, Request request, CancellationToken cancellationToken)
    {
        var journals = System.IO.Path.Combine(context.HomeDirectory, "journals");
        var items = new List<UploadCommand.Item>();
        foreach (var step in uploads)
        {
            var local = new FileInfo(step.Local!);
            var journal = System.IO.Path.Combine(journals, JournalName(connection, step.ExternalId, local.FullName));
            var create = new FileCreate
            {
                Name = local.Name,
                ExternalId = step.ExternalId,
                Directory = DirectoryOf(baseDirectory, step.RelativePath),
                SourceModifiedTime = ModifiedMilliseconds(local),
            };
            // Sync stores the checksum of everything it uploads, so that its next run compares content, not times.
            var target = UploadDestination.ForNewFile(create, overwrite: step.Action == Action.Changed);
            if (File.Exists(journal) && TryLoadSidecar(journal) is { } sidecar && sidecar.Source == local.FullName)
            {
                // An earlier run began this upload: finish it, sending only missing parts. Should the library refuse
                // (the file changed since, the session expired or is gone), the file is uploaded anew in this run.
                items.Add(new UploadCommand.Item(local.FullName, step.RelativePath, local.Length, null, journal) { StoreChecksum = true, Restart = target });
                continue;
            }

            DeleteStale(journal);
            items.Add(new UploadCommand.Item(local.FullName, step.RelativePath, local.Length, target, journal) { StoreChecksum = true });
        }

        UploadCommand.WriteSidecars(items, connection);
        return await UploadCommand.TransferAsync(context, connection, items, request.Concurrency, request.Json, resume: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The journal of a sync upload, named after where the file goes and where it comes from (not the time), so that
    /// the next run of the same sync finds it.
    /// </summary>
    private static string JournalName(CliConnection connection, string externalId, string source)
    {
        var key = $"{connection.Client.Options.GetRootUri()}\n{connection.Client.Options.Project}\n{externalId}\n{source}";
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
        var name = System.IO.Path.GetFileName(source);
        var safe = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray());
        return $"sync-{(safe.Length <= 40 ? safe : safe[^40..])}-{hash}.journal.json";
    }

    private static JournalSidecar? TryLoadSidecar(string journal)
    {
        try
        {
            return File.Exists(JournalSidecar.PathFor(journal)) ? JournalSidecar.Load(journal) : null;
        }
        catch (CliUsageException)
        {
            return null; // unreadable: the upload starts anew
        }
    }

    private static void DeleteStale(string journal)
    {
        try
        {
            File.Delete(journal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The new upload overwrites it.
        }

        JournalSidecar.Delete(journal);
    }

    private static async Task DeleteAsync(CliContext context, CogniteFilesClient client, List<Step> extras, bool json, CancellationToken cancellationToken)
    {
        foreach (var batch in extras.Chunk(1000))
        {
            // Unknown ids are ignored: a file deleted meanwhile is as good as deleted.
            await client.DeleteAsync(batch.Select(s => IdEither.FromId(s.Remote!.Id)), ignoreUnknownIds: true, cancellationToken).ConfigureAwait(false);
            foreach (var step in batch)
            {
                if (json)
                {
                    context.Json(JsonOutput.Object(new { deleted = true, path = step.RelativePath, externalId = step.ExternalId, id = step.Remote!.Id }));
                }
                else
                {
                    context.Line(string.Create(CultureInfo.InvariantCulture, $"deleted {step.RelativePath} (id {step.Remote!.Id})"));
                }
            }
        }
    }
}
