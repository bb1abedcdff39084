using Cognite.Files.Http;
using Cognite.Files.Transfer;

namespace Cognite.Files.Cli.Transfers;

/// <summary>
/// The CLI's door to the multipart engine: one engine per command run, its part PUTs bounded by one
/// <see cref="TransferConcurrencyLimiter"/> shared by every file of the run.
/// </summary>
internal sealed class Uploader : IDisposable
{
    private readonly HttpClient _presignedHttp;
    private readonly MultipartUploadEngine _engine;
    private readonly TransferConcurrencyLimiter _limiter;

    public Uploader(CogniteFilesClient client, long partSize, int concurrency)
    {
        var options = new TransferOptions { PartSize = partSize, MaxConcurrency = concurrency };
        options.Validate();
        _limiter = new TransferConcurrencyLimiter(concurrency);

        // Pre-signed URLs carry their own credentials: this HttpClient has no auth handler and no whole-request timeout
        // (the engine's stall watchdog handles a dead connection).
        _presignedHttp = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.None }) { Timeout = Timeout.InfiniteTimeSpan };
        var steps = new CdfMultipartUploadSteps(client.Api, new PresignedUrlClient(_presignedHttp), options.UploadedConfirmationTimeout, relativeUrlBase: client.Options.GetRootUri());
        _engine = new MultipartUploadEngine(steps, options, limiter: _limiter);
    }

    public async Task<UploadResult> UploadAsync(string path, UploadTarget target, string journalPath, IProgress<long> progress, CancellationToken cancellationToken)
    {
        using var source = UploadSource.FromFile(path);
        return await _engine.UploadAsync(source, target, new UploadOptions { BytesProgress = progress, JournalPath = journalPath }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<UploadResult> ResumeAsync(string journalPath, string path, IProgress<long> progress, CancellationToken cancellationToken)
    {
        using var source = UploadSource.FromFile(path);
        return await _engine.ResumeAsync(journalPath, source, new UploadOptions { BytesProgress = progress }, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _presignedHttp.Dispose();
        _limiter.Dispose();
    }
}
