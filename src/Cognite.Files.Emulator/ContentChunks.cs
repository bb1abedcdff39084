using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Cognite.Files.Emulator;

/// <summary>
/// The memory of the memory content store. Large bodies go into 2 MiB chunks of native memory backed by transparent
/// huge pages where Linux offers them: a GiB of fresh memory then costs 512 page faults instead of 262,144 (on a
/// virtual machine each fault is dear). Fresh memory stays dear even so (the kernel zeroes it, the host backs it on
/// first touch: about 4 CPU-seconds per GiB on the project's VM, against under 1 for reused memory), so freed chunks are
/// kept for reuse, up to <see cref="MaxFreeChunks"/> (2 GiB), and only the rest is unmapped. Smaller bodies are slices
/// of a shared chunk, cut one after another (<see cref="RentSlice"/>); a chunk goes back when its last slice is freed,
/// so many small files reuse the memory of deleted ones as large ones do. Where there are no huge pages, pieces are
/// managed arrays the GC frees, on the pinned object heap: stored content lives long, and there the GC never copies it
/// from generation to generation (with many small files in the young generation that copying cost the emulator about a
/// third of its CPU per file).
/// </summary>
internal static class ContentChunks
{
    public const int HugeChunkSize = 2 * 1024 * 1024;
    public const int MaxFreeChunks = 1024;

    /// <summary>Slices are cut at this alignment (a cache line).</summary>
    private const int SliceAlignment = 64;

    private static readonly ConcurrentQueue<NativeChunk> FreeChunks = new();
    private static readonly Lock SliceGate = new();
    private static NativeChunk? _sliced; // the chunk small bodies are cut from; holds one reference of its own
    private static int _slicedUsed;
    private static int _freeCount;
    private static readonly bool HugePages = OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>A piece of stored content; <see cref="Owner"/> is the native chunk under it (null: a managed array).</summary>
    public readonly record struct Piece(Memory<byte> Memory, NativeChunk? Owner);

    /// <summary>A piece of up to <paramref name="wanted"/> bytes to write a body into (at most a chunk).</summary>
    public static Piece Rent(long wanted)
    {
        // Half a chunk or more: worth a huge page (at most half of it unused at the end of a body).
        if (HugePages && wanted >= HugeChunkSize / 2 && RentNative() is { } chunk)
            return new Piece(chunk.Memory[..(int)Math.Min(wanted, HugeChunkSize)], chunk);
        if (HugePages && RentSlice((int)wanted) is { } slice) return slice;
        // Not zeroed: every byte handed out is written before it is read.
        return new Piece(GC.AllocateUninitializedArray<byte>((int)Math.Min(wanted, ContentStore.ChunkSize), pinned: true), null);
    }

    /// <summary>Gives the native memory of <paramref name="pieces"/> back: a chunk once none of its pieces is in use.</summary>
    public static void Free(Piece[]? pieces)
    {
        foreach (var piece in pieces ?? [])
        {
            if (piece.Owner is { } chunk && chunk.Release()) Recycle(chunk);
        }
    }

    /// <summary>A slice of <paramref name="wanted"/> bytes (under half a chunk) of the shared chunk; null when the system refuses memory.</summary>
    private static Piece? RentSlice(int wanted)
    {
        NativeChunk? full = null;
        try
        {
            lock (SliceGate)
            {
                if (_sliced is null || _slicedUsed + wanted > HugeChunkSize)
                {
                    full = _sliced; // its own reference is dropped below, outside the lock
                    _sliced = RentNative();
                    _slicedUsed = 0;
                    if (_sliced is null) return null;
                }

                var slice = new Piece(_sliced.Memory.Slice(_slicedUsed, wanted), _sliced.AddReference());
                _slicedUsed = Math.Min(HugeChunkSize, (_slicedUsed + wanted + SliceAlignment - 1) & ~(SliceAlignment - 1));
                return slice;
            }
        }
        finally
        {
            if (full is not null && full.Release()) Recycle(full);
        }
    }

    /// <summary>Keeps an unused chunk for reuse, or unmaps it past <see cref="MaxFreeChunks"/>.</summary>
    private static void Recycle(NativeChunk chunk)
    {
        if (Interlocked.Increment(ref _freeCount) <= MaxFreeChunks)
        {
            FreeChunks.Enqueue(chunk);
            return;
        }

        Interlocked.Decrement(ref _freeCount);
        chunk.Unmap();
    }

    /// <summary>A chunk with one reference (the caller's).</summary>
    private static NativeChunk? RentNative()
    {
        if (FreeChunks.TryDequeue(out var chunk))
        {
            Interlocked.Decrement(ref _freeCount);
            return chunk.AddReference();
        }

        return NativeChunk.Map()?.AddReference();
    }
}

/// <summary>2 MiB of anonymous memory at a 2 MiB boundary, advised to use a transparent huge page.</summary>
internal sealed unsafe partial class NativeChunk : MemoryManager<byte>
{
    private const int ProtRead = 1, ProtWrite = 2, MapPrivate = 2, MapAnonymous = 0x20, MadvHugePage = 14;
    private const int Size = ContentChunks.HugeChunkSize;
    private nint _address;
    private int _references; // pieces in use (and the slicer's own while it cuts from it)

    private NativeChunk(nint address) => _address = address;

    public NativeChunk AddReference()
    {
        Interlocked.Increment(ref _references);
        return this;
    }

    /// <summary>Drops one reference; true when it was the last (the chunk is unused).</summary>
    public bool Release() => Interlocked.Decrement(ref _references) == 0;

    /// <summary>A new chunk; null when the system refuses (the caller falls back to managed memory).</summary>
    public static NativeChunk? Map()
    {
        // Twice the size, then the unaligned ends unmapped: what stays is one aligned chunk.
        var raw = Mmap(0, 2 * Size, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (raw == -1) return null;
        var aligned = (raw + Size - 1) & ~(nint)(Size - 1);
        if (aligned > raw) _ = Munmap(raw, (nuint)(aligned - raw));
        var tail = raw + 2 * Size - (aligned + Size);
        if (tail > 0) _ = Munmap(aligned + Size, (nuint)tail);
        _ = Madvise(aligned, Size, MadvHugePage); // a hint: without huge pages it is plain memory
        return new NativeChunk(aligned);
    }

    public void Unmap()
    {
        var address = Interlocked.Exchange(ref _address, 0);
        if (address != 0) _ = Munmap(address, Size);
    }

    public override Span<byte> GetSpan() => new((void*)_address, Size);

    public override MemoryHandle Pin(int elementIndex = 0) => new((byte*)_address + elementIndex);

    public override void Unpin()
    {
    }

    // Freed through ContentChunks (reference-counted by the store), never by a Memory's owner.
    protected override void Dispose(bool disposing)
    {
    }

    [LibraryImport("libc", EntryPoint = "mmap")]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
