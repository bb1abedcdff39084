using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Cognite.Files.Emulator;

/// <summary>Where the emulator keeps file content (<see cref="EmulatorOptions.ContentStore"/>).</summary>
public enum ContentStoreKind
{
    /// <summary>Files under <see cref="EmulatorOptions.DataDirectory"/>, beside the metadata; both survive a restart.</summary>
    Disk,

    /// <summary>
    /// Large chunks in the process's memory (benchmarks without a disk in the way); the metadata goes to a temporary
    /// directory deleted on dispose. Nothing survives a restart.
    /// </summary>
    Memory,
}

/// <summary>
/// File content, kept apart from the metadata (<see cref="FileStore"/>). A request body is received into a
/// <see cref="ContentWriter"/> in large pieces, then kept as a part of a multipart upload or as a file's whole content.
/// Completing a multipart upload makes its parts the content's segments without copying a byte, as object stores stitch
/// parts. Readers get a <see cref="ContentSnapshot"/>: the version current when it was opened, to its end, whatever
/// completes meanwhile. Every stored content gets a new <see cref="ContentSnapshot.Version"/> (the download URL's strong
/// ETag), so that a client fetching ranges in several requests can tell (If-Match) that they are all of one version. The
/// callers that replace content hold the <see cref="FileStore"/> lock (so an open cannot see a half-done swap); each
/// store is also safe on its own.
/// </summary>
internal abstract class ContentStore : IDisposable
{
    /// <summary>Size of the pieces bodies are received and sent in: large, so per-piece costs vanish.</summary>
    public const int ChunkSize = 1024 * 1024;

    public static ContentStore Create(ContentStoreKind kind, string root) => kind switch
    {
        ContentStoreKind.Disk => new DiskContentStore(root),
        ContentStoreKind.Memory => new MemoryContentStore(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown content store."),
    };

    /// <summary>A staging area for one request body of (at most) <paramref name="length"/> bytes.</summary>
    public abstract ContentWriter CreateWriter(long length);

    /// <summary>Keeps <paramref name="staged"/> (completed) as part <paramref name="index"/> of the upload, replacing an earlier PUT of it.</summary>
    public abstract void StorePart(string uploadId, int index, ContentWriter staged);

    /// <summary>Makes <paramref name="staged"/> (completed) the file's whole content (a single-part upload), as a new version.</summary>
    public abstract void StoreContent(long fileId, ContentWriter staged);

    /// <summary>Makes the upload's parts, in index order, the file's content (a new version); the caller checked that they are all there.</summary>
    public abstract void CompleteParts(long fileId, string uploadId);

    /// <summary>The file's content as it is now; null when it has none.</summary>
    public abstract ContentSnapshot? Open(long fileId);

    public abstract void DeleteContent(long fileId);

    /// <summary>Drops the parts of an upload that will never complete (deleted file, expired session).</summary>
    public abstract void DeleteParts(string uploadId);

    public virtual void Dispose()
    {
    }

    /// <summary>A new content version id: random (unique across restarts and stores), safe inside an ETag's quotes.</summary>
    protected static string NewVersion() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
}

/// <summary>
/// One request body on its way into a <see cref="ContentStore"/>: <see cref="GetSpace"/> hands out the next piece of a
/// large buffer, which the body is read into directly, and <see cref="Advance"/> commits it. Disposing a writer that was
/// not stored throws its bytes away.
/// </summary>
internal abstract class ContentWriter : IDisposable
{
    /// <summary>Bytes written so far.</summary>
    public long Length { get; protected set; }

    /// <summary>Where the next bytes go; empty once the declared length is reached.</summary>
    public abstract Memory<byte> GetSpace();

    public abstract void Advance(int count);

    /// <summary>Every byte is written: makes it durable enough to store.</summary>
    public virtual void Complete()
    {
    }

    public abstract void Dispose();

    /// <summary>A writer that forgets what it is given (a body drained before a fault answer).</summary>
    public static ContentWriter Discard() => new DiscardingWriter();

    private sealed class DiscardingWriter : ContentWriter
    {
        private byte[]? _scratch = ArrayPool<byte>.Shared.Rent(64 * 1024);

        public override Memory<byte> GetSpace() => _scratch ?? throw new ObjectDisposedException(nameof(DiscardingWriter));

        public override void Advance(int count) => Length += count;

        public override void Dispose()
        {
            if (Interlocked.Exchange(ref _scratch, null) is { } scratch) ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}

/// <summary>
/// One version of a file's content, fixed when opened. <see cref="Read"/> hands out the bytes at an offset in the largest
/// piece the store has at hand (a slice of a stored chunk, or a block read from disk), valid until the next call.
/// </summary>
internal abstract class ContentSnapshot : IDisposable
{
    public abstract long Length { get; }

    /// <summary>The id of this version of the content: new whenever content is stored, kept across restarts by the disk store.</summary>
    public abstract string Version { get; }

    /// <summary>Up to <paramref name="max"/> bytes from <paramref name="offset"/> (fewer at a segment's end; empty at the end).</summary>
    public abstract ReadOnlyMemory<byte> Read(long offset, int max);

    public abstract void Dispose();

    /// <summary>A read-only, seekable stream over the snapshot; disposing it disposes the snapshot.</summary>
    public Stream AsStream() => new ContentSnapshotStream(this);

    /// <summary>The index of the segment holding <paramref name="offset"/> (below the length), given each segment's start; empty segments hold nothing.</summary>
    protected static int SegmentAt(long[] starts, long offset)
    {
        var i = Array.BinarySearch(starts, offset);
        if (i < 0) i = ~i - 1;
        while (i + 1 < starts.Length && starts[i + 1] <= offset) i++;
        return i;
    }
}

/// <summary>
/// Content as files under the data directory: <c>content/{id}</c> (a single-part upload), <c>content/{id}.parts/{index}</c>
/// (a completed multipart upload's parts, renamed there, never copied together), <c>content/{id}.version</c> (the
/// content's version id), <c>parts/{uploadId}/{index}</c> (parts of an upload in progress) and <c>tmp/</c> (bodies being
/// received; emptied on start).
/// </summary>
internal sealed class DiskContentStore : ContentStore
{
    private readonly string _root;

    public DiskContentStore(string root)
    {
        _root = root;
        Directory.CreateDirectory(ContentDir);
        Directory.CreateDirectory(PartsDir);
        Directory.CreateDirectory(TmpDir);
        foreach (var stale in Directory.EnumerateFiles(TmpDir)) TryDelete(stale);
    }

    private string ContentDir => Path.Combine(_root, "content");
    private string PartsDir => Path.Combine(_root, "parts");
    private string TmpDir => Path.Combine(_root, "tmp");
    private string ContentPath(long id) => Path.Combine(ContentDir, id.ToString(CultureInfo.InvariantCulture));
    private string SegmentsPath(long id) => ContentPath(id) + ".parts";
    private string VersionPath(long id) => ContentPath(id) + ".version";
    private string UploadPartsPath(string uploadId) => Path.Combine(PartsDir, uploadId);

    public override ContentWriter CreateWriter(long length) => new DiskWriter(Path.Combine(TmpDir, Guid.NewGuid().ToString("N")), length);

    public override void StorePart(string uploadId, int index, ContentWriter staged)
    {
        var writer = (DiskWriter)staged;
        Directory.CreateDirectory(UploadPartsPath(uploadId));
        File.Move(writer.Path, Path.Combine(UploadPartsPath(uploadId), index.ToString(CultureInfo.InvariantCulture)), overwrite: true);
    }

    public override void StoreContent(long fileId, ContentWriter staged)
    {
        WriteNewVersion(fileId);
        File.Move(((DiskWriter)staged).Path, ContentPath(fileId), overwrite: true);
        TryDeleteDirectory(SegmentsPath(fileId));
    }

    public override void CompleteParts(long fileId, string uploadId)
    {
        // Renames, in an order that never leaves a reader between versions: open readers keep their handles.
        var staged = SegmentsPath(fileId) + "." + Guid.NewGuid().ToString("N");
        Directory.Move(UploadPartsPath(uploadId), staged);
        WriteNewVersion(fileId);
        TryDelete(ContentPath(fileId));
        TryDeleteDirectory(SegmentsPath(fileId));
        Directory.Move(staged, SegmentsPath(fileId));
    }

    public override ContentSnapshot? Open(long fileId)
    {
        try
        {
            var segments = SegmentsPath(fileId);
            string[] paths = Directory.Exists(segments)
                ? Enumerable.Range(0, Directory.GetFiles(segments).Length).Select(i => Path.Combine(segments, i.ToString(CultureInfo.InvariantCulture))).ToArray()
                : [ContentPath(fileId)];
            return new DiskSnapshot(paths, () => ReadVersion(fileId));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public override void DeleteContent(long fileId)
    {
        TryDelete(ContentPath(fileId));
        TryDeleteDirectory(SegmentsPath(fileId));
        TryDelete(VersionPath(fileId));
    }

    /// <summary>
    /// Gives the file's content a new version id, written (atomically) before the new content is renamed into place: a
    /// crash in between leaves the old bytes under a new id, which only makes a client start over, never two contents
    /// under one id.
    /// </summary>
    private void WriteNewVersion(long fileId)
    {
        var staged = Path.Combine(TmpDir, Guid.NewGuid().ToString("N"));
        File.WriteAllText(staged, NewVersion());
        File.Move(staged, VersionPath(fileId), overwrite: true);
    }

    /// <summary>The content's version id; content stored before versions were kept gets one now, kept from then on.</summary>
    private string ReadVersion(long fileId)
    {
        try
        {
            return File.ReadAllText(VersionPath(fileId));
        }
        catch (FileNotFoundException)
        {
            var staged = Path.Combine(TmpDir, Guid.NewGuid().ToString("N"));
            File.WriteAllText(staged, NewVersion());
            try
            {
                File.Move(staged, VersionPath(fileId), overwrite: false);
            }
            catch (IOException) when (File.Exists(VersionPath(fileId)))
            {
                TryDelete(staged); // another open gave it one first
            }

            return File.ReadAllText(VersionPath(fileId));
        }
    }

    public override void DeleteParts(string uploadId) => TryDeleteDirectory(UploadPartsPath(uploadId));

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void TryDeleteDirectory(string path) => FileStore.TryDeleteDir(path);

    /// <summary>A temporary file filled through one pooled buffer of up to <see cref="ContentStore.ChunkSize"/>: one write per chunk.</summary>
    private sealed class DiskWriter : ContentWriter
    {
        private readonly SafeFileHandle _file;
        private readonly long _declared;
        private byte[]? _buffer;
        private int _filled;
        private long _flushed;

        public DiskWriter(string path, long length)
        {
            Path = path;
            _declared = length;
            _file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None);
            _buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(length, 1, ChunkSize));
        }

        public string Path { get; }

        public override Memory<byte> GetSpace()
        {
            var buffer = _buffer ?? throw new ObjectDisposedException(nameof(DiskWriter));
            if (_filled == buffer.Length) Flush();
            return buffer.AsMemory(_filled, (int)Math.Min(buffer.Length - _filled, _declared - Length));
        }

        public override void Advance(int count)
        {
            _filled += count;
            Length += count;
        }

        public override void Complete()
        {
            Flush();
            _file.Dispose();
            Release();
        }

        private void Flush()
        {
            if (_filled == 0) return;
            RandomAccess.Write(_file, _buffer.AsSpan(0, _filled), _flushed);
            _flushed += _filled;
            _filled = 0;
        }

        public override void Dispose()
        {
            _file.Dispose();
            Release();
            TryDelete(Path); // gone already when it was stored
        }

        private void Release()
        {
            if (Interlocked.Exchange(ref _buffer, null) is { } buffer) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Every segment opened up front (the version of this moment: a replaced file lives on while open), read through one pooled buffer.</summary>
    private sealed class DiskSnapshot : ContentSnapshot
    {
        private readonly SafeFileHandle[] _segments;
        private readonly long[] _starts;
        private byte[]? _buffer;

        /// <summary>Opens every segment, then reads the version (after: a file without content gets no version file).</summary>
        public DiskSnapshot(string[] paths, Func<string> version)
        {
            _segments = new SafeFileHandle[paths.Length];
            _starts = new long[paths.Length];
            try
            {
                long length = 0;
                for (var i = 0; i < paths.Length; i++)
                {
                    _segments[i] = File.OpenHandle(paths[i], FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    _starts[i] = length;
                    length += RandomAccess.GetLength(_segments[i]);
                }

                Length = length;
                Version = version();
            }
            catch
            {
                foreach (var s in _segments) s?.Dispose();
                throw;
            }
        }

        public override long Length { get; }

        public override string Version { get; }

        public override ReadOnlyMemory<byte> Read(long offset, int max)
        {
            if (offset >= Length || max <= 0) return ReadOnlyMemory<byte>.Empty;
            var buffer = _buffer ??= ArrayPool<byte>.Shared.Rent((int)Math.Min(ChunkSize, Length));
            var i = SegmentAt(_starts, offset);
            var segmentEnd = i + 1 < _starts.Length ? _starts[i + 1] : Length;
            var want = (int)Math.Min(Math.Min(max, buffer.Length), segmentEnd - offset);
            var n = RandomAccess.Read(_segments[i], buffer.AsSpan(0, want), offset - _starts[i]);
            return buffer.AsMemory(0, n);
        }

        public override void Dispose()
        {
            foreach (var s in _segments) s.Dispose();
            if (Interlocked.Exchange(ref _buffer, null) is { } buffer) ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>
/// Content as chunks of memory owned by the store: a body is read straight into them, a part keeps its chunks, and
/// completing an upload strings the parts' chunks together (no copy). Stored content is never changed, only replaced;
/// a reader holds a reference to the version it opened, and a version's chunks go back to <see cref="ContentChunks"/>
/// when the store has replaced it and its last reader is done.
/// </summary>
internal sealed class MemoryContentStore : ContentStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, MemoryContent> _contents = [];
    private readonly Dictionary<string, SortedDictionary<int, ContentChunks.Piece[]>> _parts = new(StringComparer.Ordinal);

    public override ContentWriter CreateWriter(long length) => new MemoryWriter(length);

    public override void StorePart(string uploadId, int index, ContentWriter staged)
    {
        var pieces = ((MemoryWriter)staged).TakePieces();
        ContentChunks.Piece[]? replaced;
        lock (_gate)
        {
            if (!_parts.TryGetValue(uploadId, out var parts)) _parts[uploadId] = parts = [];
            parts.Remove(index, out replaced);
            parts[index] = pieces;
        }

        ContentChunks.Free(replaced);
    }

    public override void StoreContent(long fileId, ContentWriter staged) =>
        Replace(fileId, new MemoryContent(((MemoryWriter)staged).TakePieces(), NewVersion()));

    public override void CompleteParts(long fileId, string uploadId)
    {
        SortedDictionary<int, ContentChunks.Piece[]>? parts;
        lock (_gate) _parts.Remove(uploadId, out parts);
        Replace(fileId, new MemoryContent(parts is null ? [] : parts.Values.SelectMany(p => p).ToArray(), NewVersion()));
    }

    private void Replace(long fileId, MemoryContent? content)
    {
        MemoryContent? old;
        lock (_gate)
        {
            _contents.Remove(fileId, out old);
            if (content is not null) _contents[fileId] = content;
        }

        old?.Release();
    }

    public override ContentSnapshot? Open(long fileId)
    {
        // Under the lock: the content is in the map, so the store's own reference keeps it alive while one is added.
        lock (_gate) return _contents.TryGetValue(fileId, out var content) ? new MemorySnapshot(content.AddReference()) : null;
    }

    public override void DeleteContent(long fileId) => Replace(fileId, null);

    public override void DeleteParts(string uploadId)
    {
        SortedDictionary<int, ContentChunks.Piece[]>? parts;
        lock (_gate) _parts.Remove(uploadId, out parts);
        foreach (var part in parts?.Values ?? Enumerable.Empty<ContentChunks.Piece[]>()) ContentChunks.Free(part);
    }

    public override void Dispose()
    {
        List<MemoryContent> contents;
        List<string> uploads;
        lock (_gate)
        {
            contents = [.. _contents.Values];
            _contents.Clear();
            uploads = [.. _parts.Keys];
        }

        foreach (var content in contents) content.Release();
        foreach (var upload in uploads) DeleteParts(upload);
    }

    private sealed class MemoryWriter(long length) : ContentWriter
    {
        private readonly List<ContentChunks.Piece> _pieces = [];
        private ContentChunks.Piece? _current;
        private int _filled;
        private long _allocated;

        public override Memory<byte> GetSpace()
        {
            if (_current is not { } current || _filled == current.Memory.Length)
            {
                Seal();
                if (_allocated == length) return Memory<byte>.Empty;
                current = ContentChunks.Rent(length - _allocated);
                _current = current;
                _allocated += current.Memory.Length;
                _filled = 0;
            }

            return current.Memory[_filled..];
        }

        public override void Advance(int count)
        {
            _filled += count;
            Length += count;
        }

        /// <summary>The pieces written, the last one trimmed to what arrived; the store owns them from here.</summary>
        public ContentChunks.Piece[] TakePieces()
        {
            Seal();
            var pieces = _pieces.ToArray();
            _pieces.Clear();
            return pieces;
        }

        private void Seal()
        {
            if (_current is { } current)
            {
                if (_filled > 0) _pieces.Add(current with { Memory = current.Memory[.._filled] });
                else ContentChunks.Free([current]);
            }

            _current = null;
        }

        public override void Dispose()
        {
            Seal();
            ContentChunks.Free([.. _pieces]);
            _pieces.Clear();
        }
    }

    /// <summary>One stored version: immutable pieces, its id, counted references (the store's, and one per open reader).</summary>
    private sealed class MemoryContent
    {
        private int _references = 1;

        public MemoryContent(ContentChunks.Piece[] pieces, string version)
        {
            Pieces = pieces;
            Version = version;
            Starts = new long[pieces.Length];
            long length = 0;
            for (var i = 0; i < pieces.Length; i++)
            {
                Starts[i] = length;
                length += pieces[i].Memory.Length;
            }

            Length = length;
        }

        public ContentChunks.Piece[] Pieces { get; }

        public string Version { get; }

        public long[] Starts { get; }

        public long Length { get; }

        public MemoryContent AddReference()
        {
            Interlocked.Increment(ref _references);
            return this;
        }

        public void Release()
        {
            if (Interlocked.Decrement(ref _references) == 0) ContentChunks.Free(Pieces);
        }
    }

    private sealed class MemorySnapshot(MemoryContent content) : ContentSnapshot
    {
        private int _disposed;

        public override long Length => content.Length;

        public override string Version => content.Version;

        public override ReadOnlyMemory<byte> Read(long offset, int max)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (offset >= Length || max <= 0) return ReadOnlyMemory<byte>.Empty;
            var i = SegmentAt(content.Starts, offset);
            var piece = content.Pieces[i].Memory;
            var within = (int)(offset - content.Starts[i]);
            return piece.Slice(within, Math.Min(max, piece.Length - within));
        }

        public override void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) content.Release();
        }
    }
}
