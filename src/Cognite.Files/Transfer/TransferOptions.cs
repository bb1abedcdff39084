namespace Cognite.Files.Transfer;

/// <summary>
/// How content is split and sent (like Azure's <c>StorageTransferOptions</c>). Defaults follow CDF's rules
/// (5 MiB..4000 MiB parts, at most 250) and its SDKs' habits.
/// <para>
/// A <see cref="CogniteFilesClient"/> copies and validates the object it is given when it is built, and again for an
/// object passed in <see cref="UploadOptions.Transfer"/> or <see cref="DownloadOptions.Transfer"/> when the call
/// starts: changing an instance afterwards has no effect on the client or on a running transfer.
/// </para>
/// </summary>
public sealed class TransferOptions
{
    /// <summary>
    /// Content up to this many bytes goes as one PUT to a single upload URL (<c>POST /files</c> or <c>uploadlink</c>),
    /// retried like a part; larger content goes multipart. Default 16 MiB (like the AWS SDKs' multipart threshold);
    /// at most 5000 MB, CDF's limit for one PUT. A single-request upload writes no journal.
    /// </summary>
    public long SingleUploadThreshold { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// The size of the pieces content moves in, in bytes. Uploads: the preferred part size (one PUT per part; the planner
    /// grows it when the file would need more than 250 parts). Downloads: the range size (one <c>Range</c> GET per range,
    /// the last one shorter). Default 50 MiB.
    /// </summary>
    public long PartSize { get; set; } = 50L * 1024 * 1024;

    /// <summary>
    /// At most this many requests of content in flight at once: part PUTs of uploads and range GETs of downloads. The
    /// client's value bounds all its uploads and downloads together (one shared limiter); a call's own value
    /// (<see cref="UploadOptions.Transfer"/>, <see cref="DownloadOptions.Transfer"/>) bounds that call too. Default 4.
    /// </summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>
    /// A part attempt (or a download range attempt) that moves no body bytes for this long is aborted and retried (there
    /// is no whole-request timeout, so a slow but moving transfer is never killed). "Moving" means at least 4 KiB a second:
    /// a PUT body is written in slices of what such a link sends within this time (16–256 KiB), and a slice that does not
    /// get through in time is a stall. The wait for the response after a PUT's last byte counts as not moving. Default 60 s.
    /// </summary>
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Attempts per upload part and per download range, the first included. Default 6.</summary>
    public int MaxAttemptsPerPart { get; set; } = 6;

    /// <summary>Base delay of the jittered exponential backoff between attempts of a part or a range. Default 500 ms.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Upper bound of one backoff delay (a server's Retry-After is honoured up to this). Default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to poll for <c>uploaded = true</c> after the content was sent. Default 30 s.</summary>
    public TimeSpan UploadedConfirmationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Compute the integrity checksum of the whole content (<see cref="ContentChecksum"/>) and return it in
    /// <see cref="UploadResult.Checksum"/> / <see cref="DownloadResult.Checksum"/>. Default true. It is computed on the
    /// bytes as they are sent (each part's own, combined at the end), so the content is still read only once; it costs
    /// about a tenth of a CPU-second per GiB (<see cref="ContentChecksum"/>). Off, no checksum work is done at all, and an upload's journal records no
    /// part checksums (so a later resume of it returns no checksum either).
    /// </summary>
    public bool ComputeChecksum { get; set; } = true;

    /// <summary>
    /// The smallest <see cref="PartSize"/> accepted: CDF's 5 MiB. Internal so that tests against the emulator (which
    /// accepts smaller parts) can keep files to a few MiB; CDF itself rejects smaller non-final parts.
    /// </summary>
    internal long MinimumPartSize { get; set; } = MultipartLimits.MinPartSize;

    /// <summary>A validated copy: what a client or a call keeps, so that later changes to this object have no effect.</summary>
    internal TransferOptions ValidatedCopy()
    {
        var copy = (TransferOptions)MemberwiseClone();
        copy.Validate();
        return copy;
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> with a clear message for any value out of range.</summary>
    public void Validate()
    {
        if (SingleUploadThreshold < 0 || SingleUploadThreshold > MultipartLimits.MaxSingleUploadSize)
        {
            throw new ArgumentOutOfRangeException(nameof(SingleUploadThreshold), SingleUploadThreshold, $"SingleUploadThreshold must be between 0 and {MultipartLimits.MaxSingleUploadSize} bytes (CDF's limit for one PUT).");
        }

        if (PartSize < MinimumPartSize || PartSize > MultipartLimits.MaxPartSize)
        {
            throw new ArgumentOutOfRangeException(nameof(PartSize), PartSize, $"PartSize must be between {MinimumPartSize} ({MinimumPartSize / (1024.0 * 1024):0.###} MiB) and {MultipartLimits.MaxPartSize} (4000 MiB) bytes.");
        }

        if (MaxConcurrency is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), MaxConcurrency, "MaxConcurrency must be between 1 and 64.");
        }

        if (StallTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(StallTimeout), StallTimeout, "StallTimeout must be positive.");
        }

        if (MaxAttemptsPerPart is < 1 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttemptsPerPart), MaxAttemptsPerPart, "MaxAttemptsPerPart must be between 1 and 100.");
        }

        if (RetryBaseDelay < TimeSpan.Zero || MaxRetryDelay < RetryBaseDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(RetryBaseDelay), RetryBaseDelay, "RetryBaseDelay must be >= 0 and not above MaxRetryDelay.");
        }

        if (UploadedConfirmationTimeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(UploadedConfirmationTimeout), UploadedConfirmationTimeout, "UploadedConfirmationTimeout must be >= 0.");
        }
    }
}

/// <summary>CDF's upload size rules, in one place.</summary>
public static class MultipartLimits
{
    /// <summary>The largest body CDF accepts in one PUT to a single upload URL: 5000 MB.</summary>
    public const long MaxSingleUploadSize = 5_000_000_000;

    /// <summary>Every part but the last must be at least this large: 5 MiB. (CDF docs say "&gt; 5 MiB"; every SDK sends exactly 5 MiB parts, so it is taken as inclusive.)</summary>
    public const long MinPartSize = 5L * 1024 * 1024;

    /// <summary>No part may be larger: 4000 MiB.</summary>
    public const long MaxPartSize = 4000L * 1024 * 1024;

    /// <summary>At most this many parts (and upload URLs) per upload.</summary>
    public const int MaxParts = 250;

    /// <summary>The largest file that fits: 250 × 4000 MiB (about 976.6 GiB).</summary>
    public const long MaxFileSize = MaxParts * MaxPartSize;
}
