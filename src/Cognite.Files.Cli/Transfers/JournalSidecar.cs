using System.Text.Json;

namespace Cognite.Files.Cli.Transfers;

/// <summary>
/// What the CLI needs besides the engine's journal to resume an upload in a later process: the source file and where
/// the upload went. Kept beside the journal as <c>&lt;journal&gt;.cli.json</c> (the engine rewrites the journal itself,
/// so the CLI does not add fields to it). No secrets: the pre-signed URLs stay in the journal only.
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

    public static string PathFor(string journalPath) => journalPath + ".cli.json";

    public void Save(string journalPath)
    {
        var path = PathFor(journalPath);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // Owner-only, like the journal beside it: it names the source file and the project.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(JsonSerializer.Serialize(this, Options));
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
