using System.Globalization;
using System.Text.Json;
using Cognite.Files.Transfer;

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

    /// <summary>The upload was asked to store its checksum in the file's metadata (<c>--store-checksum</c>, sync): a resume does too.</summary>
    public bool StoreChecksum { get; set; }

    /// <summary>The source's length when the upload began (null in sidecars of older versions).</summary>
    public long? SourceLength { get; set; }

    /// <summary>The source's modification time (UTC ticks) when the upload began.</summary>
    public long? SourceModifiedTicks { get; set; }

    /// <summary>Checksum of the source's first MiB when the upload began.</summary>
    public string? HeadChecksum { get; set; }

    /// <summary>Checksum of the source's last MiB when the upload began.</summary>
    public string? TailChecksum { get; set; }

    /// <summary>
    /// Records what the library's resume checks (length, modification time, first and last MiB), so that the CLI can
    /// say which of them fails instead of the library's one message for all of them.
    /// </summary>
    public JournalSidecar WithSourceFingerprint()
    {
        var info = new FileInfo(Source);
        SourceLength = info.Length;
        SourceModifiedTicks = info.LastWriteTimeUtc.Ticks;
        (HeadChecksum, TailChecksum) = EdgeChecksums(Source, info.Length);
        return this;
    }

    /// <summary>
    /// What changed in the source since the upload began, in words (null when nothing the resume checks did, or when
    /// this sidecar predates the fingerprint). The checks run in the library's order: length, modification time,
    /// first MiB, last MiB.
    /// </summary>
    public string? DescribeSourceChange()
    {
        if (SourceLength is not { } length || SourceModifiedTicks is not { } ticks)
        {
            return null;
        }

        var info = new FileInfo(Source);
        if (info.Length != length)
        {
            return string.Create(CultureInfo.InvariantCulture, $"its length is now {info.Length} bytes, it was {length} when the upload began");
        }

        if (info.LastWriteTimeUtc.Ticks != ticks)
        {
            return string.Create(CultureInfo.InvariantCulture, $"its modification time is now {info.LastWriteTimeUtc:yyyy-MM-dd HH:mm:ss.fff'Z'}, it was {new DateTime(ticks, DateTimeKind.Utc):yyyy-MM-dd HH:mm:ss.fff'Z'} when the upload began (same length)");
        }

        var (head, tail) = EdgeChecksums(Source, info.Length);
        if (HeadChecksum is not null && head != HeadChecksum)
        {
            return "the content of its first MiB changed since the upload began (same length and modification time)";
        }

        if (TailChecksum is not null && tail != TailChecksum)
        {
            return "the content of its last MiB changed since the upload began (same length and modification time)";
        }

        return null;
    }

    private static (string Head, string Tail) EdgeChecksums(string path, long length)
    {
        const int Edge = 1024 * 1024;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var buffer = new byte[(int)Math.Min(Edge, length)];
        stream.ReadExactly(buffer);
        var head = ContentChecksum.Compute(buffer);
        stream.Position = Math.Max(0, length - buffer.Length);
        stream.ReadExactly(buffer);
        return (head, ContentChecksum.Compute(buffer));
    }

    public static string PathFor(string journalPath) => journalPath + ".cli.json";

    /// <summary>
    /// Writes the sidecar owner-only, like the journal beside it (it names the source file and the project): a new
    /// temporary file, created 0600, moved into place. Opening an existing sidecar instead would keep its permissions,
    /// whatever they are; the move also means a reader never sees a half-written one.
    /// </summary>
    public void Save(string journalPath)
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

            File.Move(temporary, path, overwrite: true);
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
