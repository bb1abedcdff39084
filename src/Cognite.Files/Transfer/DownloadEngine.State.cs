using System.IO.Hashing;
using System.Net.Http.Headers;
using Cognite.Files.Models;
using Polly;

namespace Cognite.Files.Transfer;

// The state of one download run: what the file's metadata stores, where each range stands, and the run as a whole.
internal sealed partial class DownloadEngine
{
    /// <summary>The checksum and length a file's metadata stores under <see cref="ContentChecksum.MetadataKey"/>.</summary>
    private readonly record struct StoredContent(string Checksum, long Length)
    {
        public static StoredContent? From(FileMetadata file) =>
            ContentChecksum.TryParseMetadataValue(DownloadJournalHeader.StoredChecksumValue(file), out var checksum, out var length) ? new StoredContent(checksum, length) : null;
    }

    /// <summary>Where one range stands across its attempts: bytes received (written) so far, and their running CRC.</summary>
    private sealed class RangeCursor(long offset, long? length, Crc64? crc)
    {
        public long Offset => offset;

        public long? Length => length;

        public long Received { get; private set; }

        public Crc64? Crc => crc;

        /// <summary>Bytes still to come; null while the length is unknown.</summary>
        public long? Remaining => length - Received;

        /// <summary>What to ask for next: the rest of the range; for one stream, nothing (a first GET) or the rest.</summary>
        public RangeHeaderValue? NextRange(bool ranged) =>
            ranged ? new RangeHeaderValue(offset + Received, offset + length!.Value - 1)
            : Received == 0 ? null
            : new RangeHeaderValue(Received, null);

        public void Advance(ReadOnlySpan<byte> written)
        {
            crc?.Append(written);
            Received += written.Length;
        }
    }

    /// <summary>The mutable state of one download: plan, ranges done, checksums, first failure.</summary>
    private sealed class RunState(DownloadRequest request, FileMetadata file, DownloadLinks links, CancellationTokenSource cancellation, DownloadProgressTracker progress)
    {
        private readonly Lock _gate = new();
        private bool[] _done = [];
        private int _doneCount;
        private int _next = -1;
        private int _retries;
        private CogniteDownloadException? _failure;
        private DownloadPlan _plan;

        /// <summary>The first ETag seen (a resume starts from the journal's); see <see cref="CheckETag"/>.</summary>
        public string? ETag;

        /// <summary>What every request after the first sends as <c>If-Match</c>: <see cref="ETag"/> when it is strong.</summary>
        public EntityTagHeaderValue? IfMatch => DownloadJournalHeader.StrongETag(Volatile.Read(ref ETag));

        public DownloadRequest Request => request;

        public FileMetadata File => file;

        public DownloadLinks Links => links;

        public DownloadProgressTracker Progress => progress;

        public CancellationToken Token => cancellation.Token;

        public ResiliencePipeline Pipeline { get; set; } = ResiliencePipeline.Empty;

        public DownloadPlan Plan
        {
            get => _plan;
            set
            {
                _plan = value;
                _done = new bool[value.RangeCount];
                Checksums = request.Transfer.ComputeChecksum && value.Length is { } length ? new RangeChecksums(length) : null;
            }
        }

        public RangeChecksums? Checksums { get; private set; }

        public long BytesSkipped { get; private set; }

        /// <summary>The length of one stream whose length was not announced, once it has ended.</summary>
        public long SingleStreamLength { get; private set; }

        public int DoneCount => Volatile.Read(ref _doneCount);

        public int Retries => Volatile.Read(ref _retries);

        public CogniteDownloadException? Failure => Volatile.Read(ref _failure);

        public void AddRetry() => Interlocked.Increment(ref _retries);

        /// <summary>Marks range <paramref name="index"/> as taken by a worker that already has it (the probe's).</summary>
        public void Claim(int index) => _next = Math.Max(_next, index);

        /// <summary>The next range no worker has taken and no journal had; -1 when none is left.</summary>
        public int TakeNext()
        {
            while (true)
            {
                var index = Interlocked.Increment(ref _next);
                if (index >= _done.Length)
                {
                    return -1;
                }

                if (!Volatile.Read(ref _done[index]))
                {
                    return index;
                }
            }
        }

        /// <summary>A range a resume found intact in the temporary file.</summary>
        public void RestoreDone(int index, long length, ulong? crc)
        {
            if (_done[index])
            {
                return;
            }

            _done[index] = true;
            _doneCount++;
            BytesSkipped += length;
            if (crc is { } value)
            {
                Checksums?.Add(Plan.GetOffset(index), length, value);
            }
        }

        public void RangeDone(int index, RangeCursor cursor)
        {
            var crc = cursor.Crc?.GetCurrentHashAsUInt64();
            if (Plan.Length is null)
            {
                // One stream of unannounced length: now it is known.
                SingleStreamLength = cursor.Received;
                if (crc is { } c)
                {
                    var checksums = new RangeChecksums(cursor.Received);
                    checksums.Add(0, cursor.Received, c);
                    Checksums = checksums;
                }
            }
            else if (crc is { } c)
            {
                Checksums?.Add(cursor.Offset, cursor.Received, c);
            }

            if (Plan.Ranged)
            {
                try
                {
                    request.Journal?.Append(cursor.Offset, cursor.Received, crc);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw WriteFailed(request.File, file.Id, request.Destination, request.Journal!.Path, request.Journal.Path, ex);
                }
            }

            lock (_gate)
            {
                _done[index] = true;
                _doneCount++;
            }
        }

        /// <summary>Keeps the first failure and cancels the other ranges.</summary>
        public void Fail(CogniteDownloadException failure)
        {
            if (Interlocked.CompareExchange(ref _failure, failure, null) is null)
            {
                try
                {
                    cancellation.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The run is over.
                }
            }
        }
    }
}
