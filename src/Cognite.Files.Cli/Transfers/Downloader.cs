using System.Globalization;
using Cognite.Files.Cli.Output;
using Cognite.Files.Transfer;

namespace Cognite.Files.Cli.Transfers;

/// <summary>
/// What the CLI's downloads share (one file, many files, demo): the transfer options of <c>-c</c> and
/// <c>--part-size</c>, the progress feed of a download that may resume, and what to say when one fails.
/// </summary>
internal static class Downloader
{
    /// <summary>Default range size of the CLI's downloads: small enough that a file of a few ranges is fetched in parallel.</summary>
    public const long DefaultRangeSize = 16L * 1024 * 1024;

    /// <summary>
    /// Transfer options of a CLI download: the library fetches ranges of <paramref name="rangeSize"/>, at most
    /// <paramref name="concurrency"/> at once across every file of the client.
    /// </summary>
    public static TransferOptions Options(long rangeSize, int concurrency)
    {
        var options = new TransferOptions { PartSize = rangeSize, MaxConcurrency = concurrency };
        options.Validate();
        return options;
    }

    /// <summary>True when a download to <paramref name="path"/> was interrupted and left what a new call resumes from.</summary>
    public static bool HasJournal(string path) => File.Exists(CogniteFilesClient.GetDownloadJournalPath(path));

    /// <summary>
    /// The error line of a failed download: the failure, then what to do. A failure that kept what was downloaded
    /// (<see cref="CogniteDownloadException.JournalPath"/>) is finished by running the same command again, and that is
    /// all it says; any other says what to do instead.
    /// </summary>
    public static string Describe(Exception error)
    {
        var message = CliErrors.Describe(error).Message;
        return error is CogniteDownloadException e ? $"{message}; {Advice(e)}" : message;
    }

    private static string Advice(CogniteDownloadException e) => e.JournalPath is not null
        ? "run the same command again to resume it"
        : e.Reason switch
        {
            DownloadFailureReason.ChecksumMismatch => "nothing was kept: run the command again to download it anew; if it fails the same way, the content CDF stores does not match the checksum stored with it",
            DownloadFailureReason.FileChanged => "nothing was kept: run the command again to download the new content",
            DownloadFailureReason.DestinationInUse => "wait for the other download to finish, or download to another path",
            DownloadFailureReason.DestinationNotWritable => "download to a path you can write to",
            DownloadFailureReason.DiskFull => "free some space, then run the command again",
            _ => "nothing was kept: run the command again",
        };

    /// <summary>
    /// The figures of a download for its one-line outcome: the size, what this run fetched when a resume found part of
    /// it already there, the time and the rate of what this run fetched.
    /// </summary>
    public static string Figures(DownloadResult result)
    {
        var fetched = result.Bytes - result.BytesSkipped;
        var resumed = result.BytesSkipped > 0
            ? $" ({Format.Bytes(fetched)} now, {Format.Bytes(result.BytesSkipped)} already downloaded)"
            : string.Empty;
        var ranges = result.Ranges > 1 ? string.Create(CultureInfo.InvariantCulture, $", {result.Ranges} ranges") : string.Empty;
        return $"{Format.Bytes(result.Bytes)}{resumed} in {Format.Duration(result.Elapsed)} ({Format.Rate(fetched, result.Elapsed)}{ranges})";
    }

    /// <summary>
    /// Feeds a file's display from the library's download progress. The size becomes known with the first report. What a
    /// resume found already downloaded (<see cref="DownloadProgress.BytesSkipped"/>, in every report) becomes the
    /// display's "already downloaded", and the display counts only what this run fetches. A resume that starts over
    /// (the file changed on CDF) says 0 there, so nothing is taken as downloaded before.
    /// </summary>
    public sealed class ProgressFeed(IFileProgress display) : IProgress<DownloadProgress>
    {
        private readonly Lock _gate = new();
        private bool _started;
        private bool _totalKnown;

        public void Report(DownloadProgress value)
        {
            lock (_gate)
            {
                if (!_totalKnown && value.TotalBytes is { } total)
                {
                    _totalKnown = true;
                    display.KnownTotal(total);
                }

                if (!_started)
                {
                    _started = true;
                    if (value.BytesSkipped > 0)
                    {
                        display.AlreadyDone(value.BytesSkipped);
                    }
                }

                display.Report(value.BytesTransferred - value.BytesSkipped);
            }
        }
    }
}
