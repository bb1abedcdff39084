using System.Text.Json;

namespace Cognite.Files.Cli.Transfers;

/// <summary>
/// What the CLI needs besides the engine's journal to resume an upload in a later process: the source file and where
/// the upload went. Kept beside the journal as <c>&lt;journal&gt;.cli.json</c> (the engine rewrites the journal itself,
/// so the CLI does not add fields to it). No secrets: the pre-signed URLs stay in the journal only. Whether the source
/// is still the content the upload began with is the library's check (its journal records the source's fingerprint),
/// not the sidecar's; sidecars of older versions that hold a fingerprint still load (the fields are ignored).
/// </summary>
internal sealed class JournalSidecar
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public int Version { get; set; } = 1;

    /// <summary>Full path of the uploaded file.</summary>
    public string Source { get; set; } = string.Empty;

    /// <summary>How the file is shown in progress output.</summary>
    public string Label { get; set; } = string.Empty;

    /// <summary>True when the upload went to the embedded emulator.</summary>
    public bool Embedded { get; set; }

    /// <summary>The CDF project (for a clear error when resuming against another one).</summary>
    public string Project { get; set; } = string.Empty;

    /// <summary>The part size the upload was planned with.</summary>
    public long PartSize { get; set; }

    /// <summary>The upload was asked to store its checksum in the file's metadata (<c>--store-checksum</c>, sync): a resume does too.</summary>
    public bool StoreChecksum { get; set; }

    public static string PathFor(string journalPath) => journalPath + ".cli.json";

    /// <summary>
    /// Writes the sidecar owner-only, like the journal beside it (it names the source file and the project): a new
    /// temporary file, created 0600, moved into place. Opening an existing sidecar instead would keep its permissions,
    /// whatever they are; the move also means a reader never sees a half-written one. With <paramref name="createNew"/>
    /// (a new upload) an existing sidecar is never replaced: it belongs to another upload's journal, and the run fails
    /// with a usage error instead.
    /// </summary>
    public void Save(string journalPath, bool createNew = false)
    {
        var path = Path.GetFullPath(PathFor(journalPath));
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                JsonSerializer.Serialize(stream, this, Options);
            }

            File.Move(temporary, path, overwrite: !createNew);
        }
        catch (IOException) when (createNew && File.Exists(path))
        {
            File.Delete(temporary);
            throw new CliUsageException($"'{journalPath}' is the journal of another upload (its '{Path.GetFileName(path)}' is there): resume it with 'cognite-files resume', or give another --journal");
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    public static JournalSidecar Load(string journalPath)
    {
        var path = PathFor(journalPath);
        if (!File.Exists(path))
        {
            throw new CliUsageException($"'{journalPath}' has no '{Path.GetFileName(path)}' beside it: it was not written by 'cognite-files upload', so the source file is unknown");
        }

        try
        {
            var sidecar = JsonSerializer.Deserialize<JournalSidecar>(File.ReadAllText(path), Options);
            if (sidecar is null || string.IsNullOrEmpty(sidecar.Source))
            {
                throw new CliUsageException($"'{path}' names no source file");
            }

            return sidecar;
        }
        catch (JsonException e)
        {
            throw new CliUsageException($"'{path}' cannot be read: {e.Message.Split('\n')[0].Trim()}");
        }
    }

    public static void Delete(string journalPath)
    {
        try
        {
            File.Delete(PathFor(journalPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A stale sidecar is harmless: resume fails clearly without its journal.
        }
    }
}
