using System.Globalization;

namespace Cognite.Files.Transfer;

/// <summary>
/// How one upload is split: <see cref="PartCount"/> parts of <see cref="PartSize"/> bytes, the last one holding the
/// remainder. Part <c>i</c> covers bytes <c>[i × PartSize, min((i + 1) × PartSize, Length))</c>.
/// </summary>
/// <param name="Length">Total bytes of the content.</param>
/// <param name="PartSize">Bytes in every part but the last.</param>
/// <param name="PartCount">Number of parts (and upload URLs), 1..250.</param>
internal sealed record UploadPlan(long Length, long PartSize, int PartCount)
{
    /// <summary>
    /// One PUT to a single upload URL (<c>POST /files</c> or <c>uploadlink</c>) instead of a multipart session: the
    /// content is at most <see cref="TransferOptions.SingleUploadThreshold"/>. Still one "part" for the engine.
    /// </summary>
    public bool SingleRequest { get; init; }

    /// <summary>The first byte of part <paramref name="partIndex"/>.</summary>
    public long GetPartOffset(int partIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(partIndex, PartCount);
        return partIndex * PartSize;
    }

    /// <summary>The number of bytes in part <paramref name="partIndex"/> (the last part holds the remainder).</summary>
    public long GetPartLength(int partIndex)
    {
        var offset = GetPartOffset(partIndex);
        return Math.Min(PartSize, Length - offset);
    }
}

/// <summary>
/// Chooses part size and count within CDF's rules, the way the Python SDK does, but starting from the caller's
/// preferred <see cref="TransferOptions.PartSize"/>: <c>part = min(max(preferred, ceil(length / 250)), 4000 MiB)</c>,
/// <c>parts = max(1, ceil(length / part))</c>. Content smaller than one part (0 bytes included) is one part.
/// Content up to <see cref="TransferOptions.SingleUploadThreshold"/> is planned as one single-request part.
/// Pure: no I/O, no clock.
/// </summary>
internal static class MultipartPlanner
{
    /// <summary>
    /// Plans an upload of <paramref name="length"/> bytes. Throws <see cref="ArgumentOutOfRangeException"/> for a
    /// negative length or one above <see cref="MultipartLimits.MaxFileSize"/> (250 × 4000 MiB), before any request.
    /// </summary>
    public static UploadPlan Plan(long length, TransferOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length > MultipartLimits.MaxFileSize)
        {
            throw new ArgumentOutOfRangeException(
                nameof(length),
                length,
                string.Create(CultureInfo.InvariantCulture, $"A file of {length} bytes cannot be uploaded to CDF: the largest is {MultipartLimits.MaxParts} parts of {MultipartLimits.MaxPartSize} bytes (4000 MiB), {MultipartLimits.MaxFileSize} bytes in all."));
        }

        if (length <= options.SingleUploadThreshold)
        {
            return new UploadPlan(length, length, 1) { SingleRequest = true };
        }

        var partSize = Math.Min(Math.Max(options.PartSize, CeilDiv(length, MultipartLimits.MaxParts)), MultipartLimits.MaxPartSize);
        var partCount = (int)Math.Max(1, CeilDiv(length, partSize));
        return new UploadPlan(length, partSize, partCount);
    }

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;
}
