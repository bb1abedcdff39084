using Cognite.Files.Api;
using Cognite.Files.Http;
using Cognite.Files.Models;

namespace Cognite.Files.Transfer;

/// <summary>
/// The multipart steps over CDF's HTTP API: <c>initmultipartupload</c> (new file) or <c>multiuploadlink</c>
/// (existing file), part PUTs to the pre-signed URLs through a <see cref="PresignedUrlClient"/> (no token ever
/// reaches them), <c>completemultipartupload</c>, then bounded polling of <c>byids</c> until <c>uploaded</c>.
/// </summary>
public sealed class CdfMultipartUploadSteps : IMultipartUploadSteps
{
    private static readonly TimeSpan FirstPollDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxPollDelay = TimeSpan.FromSeconds(2);

    private readonly ICogniteFilesApi _api;
    private readonly PresignedUrlClient _presigned;
    private readonly TimeProvider _time;
    private readonly TimeSpan _confirmationTimeout;
    private readonly Uri? _relativeUrlBase;

    /// <summary>Creates the steps.</summary>
    /// <param name="api">The Files API (with auth).</param>
    /// <param name="presignedUrls">The client for pre-signed URLs (without auth).</param>
    /// <param name="confirmationTimeout">How long to poll for <c>uploaded = true</c> after completing (0: look once).</param>
    /// <param name="timeProvider">Clock for the polling delays.</param>
    /// <param name="relativeUrlBase">Base for upload URLs CDF returns without a host (e.g. the cluster's base URL); null to require absolute URLs.</param>
    public CdfMultipartUploadSteps(ICogniteFilesApi api, PresignedUrlClient presignedUrls, TimeSpan confirmationTimeout, TimeProvider? timeProvider = null, Uri? relativeUrlBase = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(presignedUrls);
        ArgumentOutOfRangeException.ThrowIfLessThan(confirmationTimeout, TimeSpan.Zero);
        _api = api;
        _presigned = presignedUrls;
        _confirmationTimeout = confirmationTimeout;
        _time = timeProvider ?? TimeProvider.System;
        _relativeUrlBase = relativeUrlBase;
    }

    /// <inheritdoc />
    public async Task<UploadSession> StartAsync(UploadTarget target, int partCount, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        FileMultipartUploadResponse response;
        if (target.NewFile is { } metadata)
        {
            response = await _api.InitMultipartUploadAsync(partCount, metadata, target.Overwrite ? true : null, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var list = await _api.GetMultipartUploadLinkAsync(partCount, new UploadLinkRequest { Items = [target.Existing!] }, cancellationToken).ConfigureAwait(false);
            response = list.Items.Count == 1
                ? list.Items[0]
                : throw new CogniteUploadException($"multiuploadlink returned {list.Items.Count} items for one file.", UploadFailureReason.InvalidSession);
        }

        if (string.IsNullOrEmpty(response.UploadId))
        {
            throw new CogniteUploadException("CDF returned no upload id.", UploadFailureReason.InvalidSession, fileId: response.Id);
        }

        return new UploadSession(response.Id, response.UploadId, response.UploadUrls.Select(ToUri).ToList());
    }

    /// <inheritdoc />
    public Task PutPartAsync(UploadSession session, int partIndex, HttpContent content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        return _presigned.PutAsync(session.UploadUrls[partIndex], content, cancellationToken);
    }

    /// <inheritdoc />
    public async Task CompleteAsync(UploadSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        await _api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = session.FileId, UploadId = session.UploadId }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<FileMetadata> ConfirmUploadedAsync(UploadSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var started = _time.GetTimestamp();
        var delay = FirstPollDelay;
        while (true)
        {
            var list = await _api.RetrieveFilesAsync(new FileRetrieveRequest { Items = [Identifier.FromId(session.FileId)] }, cancellationToken).ConfigureAwait(false);
            var file = list.Items.FirstOrDefault()
                ?? throw new CogniteUploadException($"File {session.FileId} was not found after completing its upload.", UploadFailureReason.NotConfirmed, uploadId: session.UploadId, fileId: session.FileId);
            var elapsed = _time.GetElapsedTime(started);
            if (file.Uploaded || _confirmationTimeout == TimeSpan.Zero)
            {
                return file;
            }

            if (elapsed >= _confirmationTimeout)
            {
                throw new CogniteUploadException(
                    $"File {session.FileId} was completed but not reported as uploaded within {_confirmationTimeout.TotalSeconds:0.#} s.",
                    UploadFailureReason.NotConfirmed,
                    uploadId: session.UploadId,
                    fileId: session.FileId);
            }

            var wait = delay < _confirmationTimeout - elapsed ? delay : _confirmationTimeout - elapsed;
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            delay = delay * 2 < MaxPollDelay ? delay * 2 : MaxPollDelay;
        }
    }

    private Uri ToUri(string url)
    {
        var uri = new Uri(url, UriKind.RelativeOrAbsolute);
        if (uri.IsAbsoluteUri)
        {
            return uri;
        }

        return _relativeUrlBase is not null
            ? new Uri(_relativeUrlBase, uri)
            : throw new CogniteUploadException("CDF returned a relative upload URL and no base URL was given to resolve it.", UploadFailureReason.InvalidSession);
    }
}
