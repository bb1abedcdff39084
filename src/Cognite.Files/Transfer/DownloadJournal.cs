using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cognite.Files.Models;

namespace Cognite.Files.Transfer;

/// <summary>
/// What a download journal's first line records: which content the temporary file holds part of (the file and its
/// content version), and how it is cut into ranges. A resume continues only when it is still that version of that file
/// (see <see cref="Describes"/>).
/// </summary>
internal sealed record DownloadJournalHeader(
    int Version,
    long FileId,
    long Length,
    long RangeSize,
    long? UploadedTime,
    long LastUpdatedTime,
    string? StoredChecksum,
    string? ETag)
{
    public const int CurrentVersion = 1;

    /// <summary>The identity of a file as the header keeps it.</summary>
    public static DownloadJournalHeader For(FileMetadata file, long length, long rangeSize, string? etag) =>
        new(CurrentVersion, file.Id, length, rangeSize, file.UploadedTime, file.LastUpdatedTime, StoredChecksumValue(file), etag);

    /// <summary>The raw value under <see cref="ContentChecksum.MetadataKey"/>, if any.</summary>
    public static string? StoredChecksumValue(FileMetadata file) =>
        file.Metadata is { } metadata && metadata.TryGetValue(ContentChecksum.MetadataKey, out var value) ? value : null;

    /// <summary>
    /// The one rule of a resume, as far as CDF's metadata can tell it: true when <paramref name="file"/> is the file this
    /// journal was written for and, unless the journal has the content's <see cref="ETag"/>, unchanged since by its upload
    /// time, last-updated time (any update counts: CDF keeps no content version) and stored checksum. With an ETag the
    /// download URL's server is the judge of the content version instead, on the resume's first request
    /// (<see cref="DownloadEngine"/>: the same ETag and length, or start over), and a metadata-only update does not
    /// throw the bytes away.
    /// </summary>
    public bool Describes(FileMetadata file) =>
        Version == CurrentVersion
        && FileId == file.Id
        && (ETag is not null
            || (UploadedTime == file.UploadedTime
                && LastUpdatedTime == file.LastUpdatedTime
                && string.Equals(StoredChecksum, StoredChecksumValue(file), StringComparison.Ordinal)));

    /// <summary>
    /// <paramref name="etag"/> as an <c>If-Match</c> value: a strong ETag only (RFC 9110 compares If-Match strongly, so a
    /// weak one never matches and promises no byte-identical ranges); null otherwise.
    /// </summary>
    public static EntityTagHeaderValue? StrongETag(string? etag) =>
        etag is not null && EntityTagHeaderValue.TryParse(etag, out var tag) && !tag.IsWeak ? tag : null;
}

/// <summary>One finished range: where it is in the content and, when checksums are on, its CRC (16 hex digits).</summary>
internal sealed record DownloadJournalRange(long Offset, long Length, string? Crc);

/// <summary>
/// The resume journal of one download to a path: a small JSON-lines file beside the destination
/// (<c>.&lt;name&gt;.partial.json</c>, next to the temporary file <c>.&lt;name&gt;.partial</c>). Its first line is the
/// <see cref="DownloadJournalHeader"/>, written atomically (temporary file, then rename) when the first range finishes;
/// each finished range then appends one line. Appending keeps the cost of a range constant whatever the number of ranges;
/// a line torn by a crash is ignored when the journal is read, and a resume re-reads the ranges it trusts from the
/// temporary file and checks their CRCs, so what the journal says is never taken on faith. It holds no URL or token.
/// </summary>
internal sealed class DownloadJournal : IDisposable
{
    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private readonly Lock _gate = new();
    private DownloadJournalHeader? _pending;
    private FileStream? _append;

    private DownloadJournal(string path, DownloadJournalHeader? header, IReadOnlyList<DownloadJournalRange> ranges)
    {
        Path = path;
        Header = header;
        Ranges = ranges;
    }

    /// <summary>Where the journal lives.</summary>
    public string Path { get; }

    /// <summary>The header of a journal read from disk (a resume), or null for a new download.</summary>
    public DownloadJournalHeader? Header { get; private set; }

    /// <summary>The ranges a journal read from disk records as finished (the last line of a range wins).</summary>
    public IReadOnlyList<DownloadJournalRange> Ranges { get; private set; }

    /// <summary>True while a journal file on disk describes the temporary file (one was read, or written by this run).</summary>
    public bool OnDisk { get; private set; }

    /// <summary>The temporary file beside <paramref name="destination"/> that a download to it fills.</summary>
    public static string TempPathFor(string destination)
    {
        var full = System.IO.Path.GetFullPath(destination);
        return System.IO.Path.Combine(System.IO.Path.GetDirectoryName(full)!, "." + System.IO.Path.GetFileName(full) + ".partial");
    }

    /// <summary>The journal beside <paramref name="destination"/>.</summary>
    public static string PathFor(string destination) => TempPathFor(destination) + ".json";

    /// <summary>
    /// Reads the journal at <paramref name="path"/>: one with no header (absent, unreadable, another version) is a new
    /// journal; range lines that do not parse (a torn last line) are skipped.
    /// </summary>
    public static DownloadJournal Open(string path)
    {
        string[] lines;
        try
        {
            lines = File.Exists(path) ? File.ReadAllLines(path) : [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            lines = [];
        }

        var header = lines.Length > 0 ? TryParse<DownloadJournalHeader>(lines[0]) : null;
        if (header is null || header.Version != DownloadJournalHeader.CurrentVersion || header.Length <= 0 || header.RangeSize <= 0)
        {
            return new DownloadJournal(path, null, []);
        }

        var ranges = new Dictionary<long, DownloadJournalRange>();
        foreach (var line in lines.Skip(1))
        {
            if (TryParse<DownloadJournalRange>(line) is { } range)
            {
                ranges[range.Offset] = range;
            }
        }

        return new DownloadJournal(path, header, [.. ranges.Values.OrderBy(r => r.Offset)]) { OnDisk = true };
    }

    /// <summary>
    /// Forgets a journal read from disk (the file changed, or the destination cannot be resumed): deletes it and starts
    /// a new one. Throws what deleting throws.
    /// </summary>
    public void Discard()
    {
        lock (_gate)
        {
            CloseLocked();
            File.Delete(Path);
            Header = null;
            Ranges = [];
            OnDisk = false;
        }
    }

    /// <summary>
    /// The header of a new download, written (atomically) with its first finished range; a resume keeps the header it read.
    /// </summary>
    public void Begin(DownloadJournalHeader header)
    {
        lock (_gate)
        {
            _pending = Header is null ? header : null;
        }
    }

    /// <summary>Records a finished range (its bytes are written to the temporary file before this is called).</summary>
    public void Append(long offset, long length, ulong? crc)
    {
        var line = JsonSerializer.Serialize(new DownloadJournalRange(offset, length, crc?.ToString("x16", CultureInfo.InvariantCulture)), JsonOptions) + "\n";
        var bytes = Encoding.UTF8.GetBytes(line);
        lock (_gate)
        {
            if (_pending is { } header)
            {
                WriteHeaderLocked(header);
                _pending = null;
            }

            if (_append is null)
            {
                if (Header is null)
                {
                    return; // Begin was not called: a download of one range keeps no journal.
                }

                _append = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
            }

            // One write of a whole line, flushed to the OS: a crash may lose it or tear it, never garble an earlier one.
            _append.Write(bytes);
            _append.Flush();
        }
    }

    /// <summary>Deletes the journal (a completed, or abandoned, download).</summary>
    public void Delete()
    {
        lock (_gate)
        {
            CloseLocked();
            File.Delete(Path);
            OnDisk = false;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            CloseLocked();
        }
    }

    private void WriteHeaderLocked(DownloadJournalHeader header)
    {
        CloseLocked();
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
        var tmp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(Path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header, JsonOptions) + "\n"));
                stream.Flush(flushToDisk: true);
            }

            File.Move(tmp, Path, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }

        Header = header;
        OnDisk = true;
    }

    private void CloseLocked()
    {
        _append?.Dispose();
        _append = null;
    }

    private static T? TryParse<T>(string line)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(line, JsonOptions);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
