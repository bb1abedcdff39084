using Cognite.Files.Api;
using Cognite.Files.Http;
using Cognite.Files.Models;

namespace Cognite.Files.Transfer;

/// <summary>
/// The upload steps over CDF's HTTP API: <c>initmultipartupload</c> (new file) or <c>multiuploadlink</c>
/// (existing file), or for a single request <c>POST /files</c> or <c>uploadlink</c>; PUTs to the pre-signed URLs
/// through a <see cref="PresignedUrlClient"/> (no token ever reaches them), <c>completemultipartupload</c>, then
/// bounded polling of <c>byids</c> until <c>uploaded</c>; <c>update</c> to store the checksum in the metadata. The
/// <c>byids</c> lookups of all uploads of these steps (one client) are batched by a <see cref="FileLookupBatcher"/>.
/// </summary>
internal sealed class CdfMultipartUploadSteps : IMultipartUploadSteps
{
    private static readonly TimeSpan FirstPollDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxPollDelay = TimeSpan.FromSeconds(2);

    private readonly ICogniteFilesApi _api;
    private readonly PresignedUrlClient _presigned;
    private readonly TimeProvider _time;
    private readonly Uri? _relativeUrlBase;

    /// <summary>Creates the steps.</summary>
    /// <param name="api">The Files API (with auth).</param>
    /// <param name="presignedUrls">The client for pre-signed URLs (without auth).</param>
    /// <param name="timeProvider">Clock for the polling delays.</param>
    /// <param name="relativeUrlBase">Base for upload URLs CDF returns without a host (e.g. the cluster's base URL); null to require absolute URLs.</param>
    public CdfMultipartUploadSteps(ICogniteFilesApi api, PresignedUrlClient presignedUrls, TimeProvider? timeProvider = null, Uri? relativeUrlBase = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(presignedUrls);
        _api = api;
        _presigned = presignedUrls;
        _time = timeProvider ?? TimeProvider.System;
        _relativeUrlBase = relativeUrlBase;
        Lookups = new FileLookupBatcher(api);
    }

    /// <summary>Batches the <c>byids</c> lookups of concurrent uploads.</summary>
    internal FileLookupBatcher Lookups { get; }

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
            var list = await _api.GetMultipartUploadLinkAsync(partCount, new UploadLinkRequest { Items = [await UploadLinkItemAsync(target.Existing!, cancellationToken).ConfigureAwait(false)] }, cancellationToken).ConfigureAwait(false);
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
    public async Task<UploadSession> StartSingleAsync(UploadTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        FileUploadResponse response;
        if (target.NewFile is { } metadata)
        {
            response = await _api.CreateFileAsync(metadata, target.Overwrite ? true : null, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var list = await _api.GetUploadLinkAsync(new UploadLinkRequest { Items = [await UploadLinkItemAsync(target.Existing!, cancellationToken).ConfigureAwait(false)] }, cancellationToken).ConfigureAwait(false);
            response = list.Items.Count == 1
                ? list.Items[0]
                : throw new CogniteUploadException($"uploadlink returned {list.Items.Count} items for one file.", UploadFailureReason.InvalidSession);
        }

        if (string.IsNullOrEmpty(response.UploadUrl))
        {
            throw new CogniteUploadException("CDF returned no upload URL.", UploadFailureReason.InvalidSession, fileId: response.Id);
        }

        return new UploadSession(response.Id, string.Empty, [ToUri(response.UploadUrl)]) { ContentType = response.MimeType, SingleRequest = true };
    }

    /// <summary>
    /// The item of an <c>uploadlink</c>/<c>multiuploadlink</c> request, which takes an external id or an instance id but no
    /// internal id: a file given by id is looked up first and addressed by its external id (or instance id). A file that
    /// has neither cannot get new content through these endpoints; that is refused before any link request.
    /// </summary>
    private async Task<FileExternalIdEither> UploadLinkItemAsync(Identifier file, CancellationToken cancellationToken)
    {
        if (file.ExternalId is { } externalId)
        {
            return new FileExternalIdEither { ExternalId = externalId };
        }

        if (file.InstanceId is { } instanceId)
        {
            return new FileExternalIdEither { InstanceId = instanceId };
        }

        var id = file.Id ?? throw new ArgumentException("The file identifier names no file.", nameof(file));
        // Batched with the other uploads' lookups. An unknown id is asked again alone, without ignoreUnknownIds, for CDF's
        // own CogniteNotFoundException, before any link request.
        var metadata = await Lookups.LookupAsync(id, cancellationToken).ConfigureAwait(false)
            ?? (await _api.RetrieveFilesAsync(new FileRetrieveRequest { Items = [Identifier.FromId(id)] }, cancellationToken).ConfigureAwait(false)).Items.Single();
        return metadata switch
        {
            { ExternalId: { } x } => new FileExternalIdEither { ExternalId = x },
            { InstanceId: { } i } => new FileExternalIdEither { InstanceId = i },
            _ => throw new ArgumentException(
                $"File {id} has neither an externalId nor an instanceId, and CDF gives upload links for new content only by those: set an externalId on the file (UpdateAsync) first.",
                nameof(file)),
        };
    }

    /// <inheritdoc />
    public Task PutPartAsync(UploadSession session, int partIndex, HttpContent content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(content);
        // A single upload URL may be signed for the file's mime type; multipart part URLs carry none.
        if (session.ContentType is { Length: > 0 } contentType && System.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
        {
            content.Headers.ContentType = mediaType;
        }

        return _presigned.PutAsync(session.UploadUrls[partIndex], content, cancellationToken);
    }

    /// <inheritdoc />
    public async Task CompleteAsync(UploadSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (session.SingleRequest)
        {
            return; // the PUT itself completes a single-request upload
        }

        await _api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = session.FileId, UploadId = session.UploadId }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<FileMetadata> ConfirmUploadedAsync(UploadSession session, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        var started = _time.GetTimestamp();
        var delay = FirstPollDelay;
        while (true)
        {
            var file = await Lookups.LookupAsync(session.FileId, cancellationToken).ConfigureAwait(false)
                ?? throw new CogniteUploadException($"File {session.FileId} was not found after completing its upload.", UploadFailureReason.NotConfirmed, uploadId: session.UploadId, fileId: session.FileId);
            var elapsed = _time.GetElapsedTime(started);
            if (file.Uploaded || timeout == TimeSpan.Zero)
            {
                return file;
            }

            if (elapsed >= timeout)
            {
                throw new CogniteUploadException(
                    $"File {session.FileId} was completed but not reported as uploaded within {timeout.TotalSeconds:0.#} s.",
                    UploadFailureReason.NotConfirmed,
                    uploadId: session.UploadId,
                    fileId: session.FileId);
            }

            var wait = delay < timeout - elapsed ? delay : timeout - elapsed;
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            delay = delay * 2 < MaxPollDelay ? delay * 2 : MaxPollDelay;
        }
    }

    /// <inheritdoc />
    /// <remarks><c>POST /files/update</c> with <c>metadata: {add: {key: value}}</c>: the file's other pairs stay.</remarks>
    public Task<FileMetadata> AddMetadataAsync(long fileId, string key, string value, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        return UpdateMetadataAsync(fileId, new MetadataUpdate { Add = new Dictionary<string, string> { [key] = value } }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks><c>POST /files/update</c> with <c>metadata: {remove: [key]}</c>: the file's other pairs stay.</remarks>
    public Task<FileMetadata> RemoveMetadataAsync(long fileId, string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return UpdateMetadataAsync(fileId, new MetadataUpdate { Remove = [key] }, cancellationToken);
    }

    private async Task<FileMetadata> UpdateMetadataAsync(long fileId, MetadataUpdate metadata, CancellationToken cancellationToken)
    {
        var update = new FileUpdateItem { Id = fileId, Update = new FileUpdate { Metadata = metadata } };
        var result = await _api.UpdateFilesAsync(new FileUpdateRequest { Items = [update] }, cancellationToken).ConfigureAwait(false);
        return result.Items.Count == 1
            ? result.Items[0]
            : throw new CogniteException($"CDF returned {result.Items.Count} files for the update of file {fileId}.");
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
