using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cognite.Files.Transfer;

/// <summary>
/// The resume journal of one multipart upload: a small JSON file (session, plan, parts done with the checksum of the
/// bytes each sent, the source's fingerprint, creation time), rewritten atomically (temporary file, then rename) each
/// time a part finishes. It holds pre-signed URLs, so on Unix it is created readable and writable by the current user
/// only. While an upload or resume uses it, it is locked (<see cref="UploadJournalLock"/>).
/// <para>
/// <see cref="PartChecksums"/> lets a resume report the checksum of the content CDF stores (the parts done before as they
/// were sent, combined with the parts it sends) without reading those parts again. A journal without them (written
/// before they were recorded, or with <see cref="TransferOptions.ComputeChecksum"/> off) still resumes; the result then
/// has no checksum.
/// </para>
/// </summary>
internal sealed class UploadJournal
{
    /// <summary>Assumed lifetime of a multipart session's URLs (CDF documents one week for upload URLs).</summary>
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromDays(7);

    /// <summary>Margin before <see cref="SessionLifetime"/> at which a resume is refused instead of tried.</summary>
    public static readonly TimeSpan ExpiryMargin = TimeSpan.FromHours(1);

    /// <summary>The format written; version 1 (before the fingerprint was kept field by field) is refused with advice.</summary>
    public const int CurrentVersion = 2;

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private readonly Lock _gate = new();

    public int Version { get; set; } = CurrentVersion;

    public long FileId { get; set; }

    public string UploadId { get; set; } = string.Empty;

    public List<string> UploadUrls { get; set; } = [];

    public long Length { get; set; }

    public long PartSize { get; set; }

    public int PartCount { get; set; }

    public SortedSet<int> PartsDone { get; set; } = [];

    /// <summary>The <see cref="ContentChecksum"/> of the bytes each done part sent, by part index (absent when not computed).</summary>
    public SortedDictionary<int, string> PartChecksums { get; set; } = [];

    /// <summary>What a resume checks of its source: length, modification time, hashes of the first and last MiB.</summary>
    public SourceFingerprint? Source { get; set; }

    public DateTimeOffset CreatedTime { get; set; }

    public string Target { get; set; } = string.Empty;

    /// <summary>The upload replaces the content of an existing file (so a resume too takes a stale stored checksum off it).</summary>
    public bool ExistingFile { get; set; }

    [JsonIgnore]
    public string? Path { get; set; }

    [JsonIgnore]
    public UploadPlan Plan => new(Length, PartSize, PartCount);

    public static UploadJournal Create(string path, UploadSession session, UploadPlan plan, SourceFingerprint source, DateTimeOffset now, UploadTarget target) => new()
    {
        Path = path,
        FileId = session.FileId,
        UploadId = session.UploadId,
        UploadUrls = session.UploadUrls.Select(u => u.OriginalString).ToList(),
        Length = plan.Length,
        PartSize = plan.PartSize,
        PartCount = plan.PartCount,
        Source = source,
        CreatedTime = now,
        Target = target.ToString(),
        ExistingFile = target.Existing is not null,
    };

    public static UploadJournal Load(string path)
    {
        try
        {
            var journal = JsonSerializer.Deserialize<UploadJournal>(File.ReadAllBytes(path), JsonOptions)
                ?? throw new InvalidDataException("The journal is empty.");
            journal.PartChecksums ??= [];
            if (journal.Version < CurrentVersion)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"it was written by an older version (format {journal.Version}): start a new upload."));
            }

            if (journal.Version != CurrentVersion || journal.Source is null || journal.Source.Length != journal.Length
                || journal.PartCount < 1 || journal.UploadUrls.Count != journal.PartCount || journal.PartsDone.Any(p => p < 0 || p >= journal.PartCount)
                || journal.Length < 0 || journal.PartSize < 1 || string.IsNullOrEmpty(journal.UploadId)
                || journal.PartChecksums.Any(c => !journal.PartsDone.Contains(c.Key) || !ContentChecksum.TryParse(c.Value, out _)))
            {
                throw new InvalidDataException("The journal is inconsistent.");
            }

            journal.Path = path;
            return journal;
        }
        catch (Exception ex) when (ex is IOException or JsonException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new CogniteUploadException($"The upload journal '{System.IO.Path.GetFileName(path)}' cannot be used: {ex.Message}", UploadFailureReason.InvalidJournal, innerException: ex);
        }
    }

    public UploadSession ToSession() => new(FileId, UploadId, UploadUrls.Select(u => new Uri(u, UriKind.RelativeOrAbsolute)).ToList());

    public int[] SnapshotPartsDone()
    {
        lock (_gate)
        {
            return [.. PartsDone];
        }
    }

    /// <summary>The CRC-64 the journal holds for the bytes done part <paramref name="partIndex"/> sent; false when it has none.</summary>
    public bool TryGetPartChecksum(int partIndex, out ulong crc)
    {
        lock (_gate)
        {
            crc = 0;
            return PartChecksums.TryGetValue(partIndex, out var value) && ContentChecksum.TryParse(value, out crc);
        }
    }

    /// <summary>Records part <paramref name="partIndex"/> as accepted by CDF, with the CRC-64 of the bytes it sent (null: not computed).</summary>
    public void MarkDone(int partIndex, ulong? crc)
    {
        lock (_gate)
        {
            PartsDone.Add(partIndex);
            if (crc is { } value)
            {
                PartChecksums[partIndex] = ContentChecksum.Format(value);
            }
            else
            {
                PartChecksums.Remove(partIndex);
            }

            SaveLocked();
        }
    }

    public void Save()
    {
        lock (_gate)
        {
            SaveLocked();
        }
    }

    public void Delete()
    {
        if (Path is not null)
        {
            File.Delete(Path);
        }
    }

    private void SaveLocked()
    {
        var path = Path ?? throw new InvalidOperationException("The journal has no path.");
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(tmp, options))
        {
            JsonSerializer.Serialize(stream, this, JsonOptions);
            stream.Flush(flushToDisk: true);
        }

        File.Move(tmp, path, overwrite: true);
    }
}

/// <summary>
/// The exclusive lock of one upload journal for the whole of an upload or resume that uses it: a file
/// <c>.&lt;journal name&gt;.lock</c> beside the journal, opened with <see cref="FileShare.None"/> (an OS lock: flock on
/// Unix, a sharing lock on Windows; released however the process ends) and deleted when the run ends. Two runs of one
/// journal at once would each send every missing part, so the second fails at once, before any request
/// (<see cref="UploadFailureReason.JournalInUse"/>). The journal itself cannot carry the lock: it is replaced (renamed
/// over) each time a part finishes.
/// </summary>
internal sealed class UploadJournalLock : IDisposable
{
    private readonly FileStream _stream;

    private UploadJournalLock(FileStream stream) => _stream = stream;

    /// <summary>The lock file of the journal at <paramref name="journalPath"/>.</summary>
    public static string PathFor(string journalPath)
    {
        var full = Path.GetFullPath(journalPath);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.lock");
    }

    /// <summary>
    /// Takes the lock of the journal at <paramref name="journalPath"/>, creating its directory for a new journal
    /// (<paramref name="newJournal"/>); a resume's journal must already be there.
    /// </summary>
    public static UploadJournalLock Acquire(string journalPath, bool newJournal)
    {
        var path = PathFor(journalPath);
        var name = Path.GetFileName(journalPath);
        if (newJournal)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        }

        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, Options = FileOptions.DeleteOnClose };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            return new UploadJournalLock(new FileStream(path, options));
        }
        catch (IOException ex) when (IoErrors.IsInUse(ex))
        {
            throw new CogniteUploadException(
                $"The upload journal '{name}' is in use by another upload or resume (it holds '{Path.GetFileName(path)}'): wait for it to finish, or end it first.",
                UploadFailureReason.JournalInUse,
                innerException: ex);
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new CogniteUploadException($"The upload journal '{name}' cannot be used: its directory does not exist.", UploadFailureReason.InvalidJournal, innerException: ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CogniteUploadException(
                $"The upload journal '{name}' cannot be used: its lock '{Path.GetFileName(path)}' cannot be created: {ex.Message}", UploadFailureReason.InvalidJournal, innerException: ex);
        }
    }

    /// <summary>Releases the lock and deletes its file.</summary>
    public void Dispose() => _stream.Dispose();
}
