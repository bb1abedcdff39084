using System.Globalization;
using System.Net;

namespace Cognite.Files.Transfer;

/// <summary>
/// The current pre-signed download URL of one download, renewed when it is refused after it has served: CDF's download
/// links last 30 s, so a download longer than that meets an expired link (403 from CDF's stores and the emulator, 400
/// from some). Bounded: a link is renewed only once it has served at least one request, so a fresh link that is refused
/// (a bad signature, no access) fails the download instead of renewing forever; ranges that failed with an old link
/// simply retry with the current one.
/// </summary>
internal sealed class DownloadLinks(Uri first, long fileId, Func<CancellationToken, Task<Uri>> renew) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Lease _current = new(first, 0);
    private int _renewals;

    /// <summary>The link to use now.</summary>
    public Lease Current => Volatile.Read(ref _current);

    /// <summary>How many times the link was renewed.</summary>
    public int Renewals => Volatile.Read(ref _renewals);

    /// <summary>True for the statuses with which object stores refuse an expired (or otherwise bad) signature.</summary>
    public static bool IsRefusal(CogniteApiException error) => error.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.BadRequest;

    /// <summary>
    /// <paramref name="refused"/> was refused with <paramref name="error"/>: returns once <see cref="Current"/> is a newer
    /// link (renewed here, or by another range meanwhile). Throws <see cref="CogniteDownloadException"/>
    /// (<see cref="DownloadFailureReason.LinkRefused"/>) when the link never served anything, or no new one can be had.
    /// </summary>
    public async Task RenewAsync(Lease refused, CogniteApiException error, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!ReferenceEquals(Volatile.Read(ref _current), refused))
            {
                return;
            }

            var status = string.Create(CultureInfo.InvariantCulture, $"{(int)error.StatusCode} {error.StatusCode}");
            if (!refused.Served)
            {
                var message = refused.Generation == 0
                    ? $"The download URL of file id {fileId} was refused on its first use ({status}): {error.Message}"
                    : $"The download URL of file id {fileId} expired and its renewal was refused too ({status}): {error.Message}";
                throw new CogniteDownloadException(message, DownloadFailureReason.LinkRefused, fileId, innerException: error);
            }

            Uri url;
            try
            {
                url = await renew(cancellationToken).ConfigureAwait(false);
            }
            catch (CogniteException renewal)
            {
                throw new CogniteDownloadException(
                    $"The download URL of file id {fileId} was refused ({status}, it has probably expired) and a new one could not be obtained: {renewal.Message}",
                    DownloadFailureReason.LinkRefused,
                    fileId,
                    innerException: renewal);
            }

            Volatile.Write(ref _current, new Lease(url, refused.Generation + 1));
            Interlocked.Increment(ref _renewals);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>One link; <see cref="Served"/> once any request with it got a successful answer.</summary>
    internal sealed class Lease(Uri url, int generation)
    {
        private int _served;

        public Uri Url => url;

        public int Generation => generation;

        public bool Served => Volatile.Read(ref _served) != 0;

        public void MarkServed() => Volatile.Write(ref _served, 1);
    }
}
