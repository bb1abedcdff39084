using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Cognite.Files.Emulator;

/// <summary>
/// The memory pool of Kestrel's connections (registered as <see cref="IMemoryPoolFactory{T}"/>): blocks of
/// <see cref="ConnectionMemoryPool.BlockSize"/> instead of Kestrel's 4 KiB, and a small, fixed number of free blocks kept.
/// <para>
/// Kestrel's socket transport receives into one pool block per <c>recv</c> call, so 4 KiB blocks cost a system call,
/// a pipe flush and a wake-up of the reader per 4 KiB of an upload: most of the emulator's CPU per GiB. 256 KiB blocks cut
/// that up to 64-fold (64 KiB ones still cost a third more CPU per GiB with eight uploads in flight on 2 cores: a busy
/// connection's socket then holds more than 64 KiB when it is read). Keeping at most <see cref="ConnectionMemoryPool.MaxRetainedBytes"/> of free blocks per pool (the rest goes back to the GC
/// at once, not after an idle timer) bounds what a burst of large request bodies leaves behind.
/// </para>
/// </summary>
internal sealed class ConnectionMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new ConnectionMemoryPool();
}

/// <inheritdoc cref="ConnectionMemoryPoolFactory"/>
internal sealed class ConnectionMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 256 * 1024;
    public const int MaxRetainedBytes = 4 * 1024 * 1024;
    private const int MaxRetainedBlocks = MaxRetainedBytes / BlockSize;

    private readonly ConcurrentQueue<Block> _free = new();
    private int _freeCount;

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        if (_free.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _freeCount);
            block.Rented();
            return block;
        }

        return new Block(this);
    }

    private void Return(Block block)
    {
        if (Interlocked.Increment(ref _freeCount) <= MaxRetainedBlocks)
        {
            _free.Enqueue(block);
            return;
        }

        Interlocked.Decrement(ref _freeCount); // dropped: the GC takes it
    }

    protected override void Dispose(bool disposing)
    {
        while (_free.TryDequeue(out _)) Interlocked.Decrement(ref _freeCount);
    }

    /// <summary>A pinned block (sockets pin what they receive into; pinned-heap arrays never fragment the heap).</summary>
    private sealed class Block(ConnectionMemoryPool pool) : IMemoryOwner<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);
        private int _returned;

        public Memory<byte> Memory => _array;

        public void Rented() => Volatile.Write(ref _returned, 0);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _returned, 1) == 0) pool.Return(this);
        }
    }
}
