using System.Collections.Concurrent;

namespace Cognite.Files.Transfer;

/// <summary>
/// A seekable stream shared by concurrent parts: every read takes one lock, seeks to the part's position and reads.
/// Throughput is bounded by the stream itself; memory is not.
/// </summary>
internal sealed class SeekableStreamUploadSource : UploadSource
{
    private readonly Stream _stream;
    private readonly long _start;
    private readonly bool _leaveOpen;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public SeekableStreamUploadSource(Stream stream, long length, bool leaveOpen)
    {
        _stream = stream;
        _start = stream.Position;
        Length = length;
        _leaveOpen = leaveOpen;
    }

    public override long Length { get; }

    public override string Description => $"seekable {_stream.GetType().Name}";

    internal override ValueTask<PartBody> ReadPartAsync(long offset, long length, CancellationToken cancellationToken) =>
        ValueTask.FromResult<PartBody>(new DelegatePartBody(length, () => Open(offset, length)));

    internal override async ValueTask<SourceFingerprint> ComputeFingerprintAsync(CancellationToken cancellationToken)
    {
        var (first, last) = await HashEdgesAsync(Length, Open, cancellationToken).ConfigureAwait(false);
        return new SourceFingerprint(Length, null, first, last);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gate.Dispose();
            if (!_leaveOpen)
            {
                _stream.Dispose();
            }
        }
    }

    private Stream Open(long offset, long length) => new LockedSliceStream(_stream, _gate, _start, offset, length, Length);

    /// <summary>A view of a shared seekable stream; each read seeks under the shared lock. A stream that ends inside it is a <see cref="SourceEndedEarlyException"/>.</summary>
    private sealed class LockedSliceStream(Stream inner, SemaphoreSlim gate, long origin, long offset, long length, long plannedLength) : ReadOnlyForwardStream(length)
    {
        protected override async ValueTask<int> ReadCoreAsync(Memory<byte> buffer, long position, CancellationToken cancellationToken)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                inner.Position = origin + offset + position;
                var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                return read == 0 ? throw new SourceEndedEarlyException(offset + position, plannedLength) : read;
            }
            finally
            {
                gate.Release();
            }
        }

        protected override int ReadCore(Span<byte> buffer, long position)
        {
            gate.Wait();
            try
            {
                inner.Position = origin + offset + position;
                var read = inner.Read(buffer);
                return read == 0 ? throw new SourceEndedEarlyException(offset + position, plannedLength) : read;
            }
            finally
            {
                gate.Release();
            }
        }
    }
}

/// <summary>
/// A non-seekable stream of known length. Parts are read in order into 1 MiB segments and kept until the part is
/// accepted (the engine holds at most MaxConcurrency parts), so retries re-send identical bytes. The segments come
/// from a pool owned by this source: a released part's segments are reused for the next part, so no more than
/// MaxConcurrency parts' worth is ever allocated and no large garbage is left for the GC; they are dropped with the
/// source. Like every source, its parts are checksummed by the engine as they are sent.
/// <para>
/// On a resume, parts already done are read past (<see cref="SkipPartAsync"/>), neither sent nor checksummed, and the
/// fingerprint is the length only: nothing verifies that the skipped bytes equal those the first run sent. They are
/// trusted to be the same bytes; the checksum of the result combines the journal's checksums of the parts sent before.
/// </para>
/// </summary>
internal sealed class NonSeekableStreamUploadSource : UploadSource
{
    internal const int SegmentSize = 1024 * 1024;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly ConcurrentStack<byte[]> _free = new();
    private int _allocated;
    private long _read;

    public NonSeekableStreamUploadSource(Stream stream, long length, bool leaveOpen)
    {
        _stream = stream;
        Length = length;
        _leaveOpen = leaveOpen;
    }

    public override long Length { get; }

    public override string Description => $"non-seekable {_stream.GetType().Name}";

    internal override async ValueTask<PartBody> ReadPartAsync(long offset, long length, CancellationToken cancellationToken)
    {
        EnsureInOrder(offset);
        var segments = new List<byte[]>((int)((length + SegmentSize - 1) / SegmentSize));
        var body = new PooledPartBody(length, segments, _free);
        try
        {
            var remaining = length;
            while (remaining > 0)
            {
                var segment = length < SegmentSize ? new byte[length] : RentSegment();
                segments.Add(segment);
                var want = (int)Math.Min(SegmentSize, remaining);
                await ReadExactlyAsync(segment.AsMemory(0, want), offset + length - remaining, cancellationToken).ConfigureAwait(false);
                remaining -= want;
            }

            _read += length;
            return body;
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    internal override async ValueTask SkipPartAsync(long offset, long length, CancellationToken cancellationToken)
    {
        EnsureInOrder(offset);
        var buffer = RentSegment();
        try
        {
            var remaining = length;
            while (remaining > 0)
            {
                var want = (int)Math.Min(buffer.Length, remaining);
                await ReadExactlyAsync(buffer.AsMemory(0, want), offset + length - remaining, cancellationToken).ConfigureAwait(false);
                remaining -= want;
            }

            _read += length;
        }
        finally
        {
            _free.Push(buffer);
        }
    }

    /// <summary>
    /// A non-seekable stream cannot be peeked without consuming it: only its length is fingerprinted, so a resume
    /// accepts any stream of the same length and trusts the skipped parts to be unchanged (see the class remarks).
    /// </summary>
    internal override ValueTask<SourceFingerprint> ComputeFingerprintAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(new SourceFingerprint(Length, null, null, null));

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _free.Clear();
            if (!_leaveOpen)
            {
                _stream.Dispose();
            }
        }
    }

    /// <summary>Reads exactly <paramref name="buffer"/>'s length; a stream that ends early says how far it got (<see cref="SourceEndedEarlyException"/>).</summary>
    private async ValueTask ReadExactlyAsync(Memory<byte> buffer, long position, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var n = await _stream.ReadAsync(buffer[filled..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new SourceEndedEarlyException(position + filled, Length);
            }

            filled += n;
        }
    }

    /// <summary>Full-size segments allocated so far (tests check the bound).</summary>
    internal int SegmentsAllocated => Volatile.Read(ref _allocated);

    private byte[] RentSegment()
    {
        if (_free.TryPop(out var segment))
        {
            return segment;
        }

        Interlocked.Increment(ref _allocated);
        return GC.AllocateUninitializedArray<byte>(SegmentSize);
    }

    private void EnsureInOrder(long offset)
    {
        if (offset != _read)
        {
            throw new InvalidOperationException($"A non-seekable stream must be read in order: expected offset {_read}, got {offset}.");
        }
    }

    private sealed class PooledPartBody(long length, List<byte[]> segments, ConcurrentStack<byte[]> pool) : PartBody(length)
    {
        private int _disposed;

        public override Stream OpenAttempt()
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            return new SegmentStream(segments, Length);
        }

        public override void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                foreach (var s in segments.Where(s => s.Length == SegmentSize))
                {
                    pool.Push(s);
                }

                segments.Clear();
            }
        }
    }

    private sealed class SegmentStream(List<byte[]> segments, long length) : ReadOnlyForwardStream(length)
    {
        protected override ValueTask<int> ReadCoreAsync(Memory<byte> buffer, long position, CancellationToken cancellationToken) =>
            ValueTask.FromResult(ReadCore(buffer.Span, position));

        protected override int ReadCore(Span<byte> buffer, long position)
        {
            var index = (int)(position / SegmentSize);
            var within = (int)(position % SegmentSize);
            var n = Math.Min(buffer.Length, SegmentSize - within);
            segments[index].AsSpan(within, n).CopyTo(buffer);
            return n;
        }
    }
}
