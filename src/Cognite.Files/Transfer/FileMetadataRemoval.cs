using Cognite.Files.Api;
using Cognite.Files.Models;

namespace Cognite.Files.Transfer;

/// <summary>
/// Removes one metadata pair of a file, keeping its other pairs, and returns the updated metadata. The engine needs it
/// to take a stale <see cref="ContentChecksum.MetadataKey"/> off a file whose content it replaced. Test steps may
/// implement it beside <see cref="IMultipartUploadSteps"/>; the client gives the engine <see cref="CdfFileMetadataRemoval"/>.
/// </summary>
internal interface IFileMetadataRemoval
{
    Task<FileMetadata> RemoveMetadataAsync(long fileId, string key, CancellationToken cancellationToken);
}

/// <summary><c>POST /files/update</c> with <c>metadata: {remove: [key]}</c>: the file's other pairs stay.</summary>
internal sealed class CdfFileMetadataRemoval(ICogniteFilesApi api) : IFileMetadataRemoval
{
    public async Task<FileMetadata> RemoveMetadataAsync(long fileId, string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var update = new FileUpdateItem { Id = fileId, Update = new FileUpdate { Metadata = new MetadataUpdate { Remove = [key] } } };
        var result = await api.UpdateFilesAsync(new FileUpdateRequest { Items = [update] }, cancellationToken).ConfigureAwait(false);
        return result.Items.Count == 1
            ? result.Items[0]
            : throw new CogniteException($"CDF returned {result.Items.Count} files for the update of file {fileId}.");
    }
}
