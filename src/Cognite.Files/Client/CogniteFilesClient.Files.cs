using System.Runtime.CompilerServices;
using Cognite.Files.Models;

namespace Cognite.Files;

// Metadata operations: retrieve, list, search, update, delete, aggregate.
public sealed partial class CogniteFilesClient
{
    /// <summary>CDF's item limit of byids, update and delete requests; larger inputs are sent in chunks.</summary>
    internal const int MaxItemsPerRequest = 1000;

    /// <summary>Retrieves one file by internal id. Unknown ids throw <see cref="CogniteNotFoundException"/>.</summary>
    public Task<FileMetadata> RetrieveAsync(long id, CancellationToken cancellationToken = default) =>
        Api.GetFileByIdAsync(id, cancellationToken);

    /// <summary>Retrieves one file by id, external id or instance id. Unknown files throw <see cref="CogniteNotFoundException"/>.</summary>
    public async Task<FileMetadata> RetrieveAsync(Identifier file, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        var result = await Api.RetrieveFilesAsync(new FileRetrieveRequest { Items = [file], IgnoreUnknownIds = false }, cancellationToken).ConfigureAwait(false);
        return result.Items.Count > 0
            ? result.Items[0]
            : throw new CogniteException($"CDF returned no file for {file}.");
    }

    /// <summary>
    /// Retrieves files in request order, in chunks of 1000. With <paramref name="ignoreUnknownIds"/> unknown
    /// files are left out; without it they throw <see cref="CogniteNotFoundException"/> listing them.
    /// </summary>
    public async Task<IReadOnlyList<FileMetadata>> RetrieveManyAsync(IEnumerable<Identifier> files, bool ignoreUnknownIds = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        var result = new List<FileMetadata>();
        foreach (var chunk in files.Chunk(MaxItemsPerRequest))
        {
            var page = await Api.RetrieveFilesAsync(new FileRetrieveRequest { Items = chunk, IgnoreUnknownIds = ignoreUnknownIds }, cancellationToken).ConfigureAwait(false);
            result.AddRange(page.Items);
        }

        return result;
    }

    /// <summary>Retrieves files by internal id; see <see cref="RetrieveManyAsync(IEnumerable{Identifier}, bool, CancellationToken)"/>.</summary>
    public Task<IReadOnlyList<FileMetadata>> RetrieveManyAsync(IEnumerable<long> ids, bool ignoreUnknownIds = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return RetrieveManyAsync(ids.Select(Identifier.FromId), ignoreUnknownIds, cancellationToken);
    }

    /// <summary>
    /// Lists the files matching <paramref name="filter"/> (all files when null), following <c>nextCursor</c>
    /// page by page (<paramref name="pageSize"/> 1..1000 per request). Stop early with <c>break</c> or <c>Take</c>.
    /// </summary>
    public async IAsyncEnumerable<FileMetadata> ListAsync(FileFilter? filter = null, int pageSize = MaxItemsPerRequest, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, MaxItemsPerRequest);
        string? cursor = null;
        do
        {
            var page = await Api.FilterFilesAsync(new FileFilterRequest { Filter = filter, Limit = pageSize, Cursor = cursor }, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                yield return item;
            }

            cursor = string.IsNullOrEmpty(page.NextCursor) ? null : page.NextCursor;
        }
        while (cursor is not null);
    }

    /// <summary>
    /// Relevance-ranked search on file name (prefix/fuzzy), narrowed by <paramref name="filter"/>. CDF returns
    /// at most <paramref name="limit"/> (1..1000) results in one response; search has no cursor.
    /// </summary>
    public async Task<IReadOnlyList<FileMetadata>> SearchAsync(string? name, FileFilter? filter = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxItemsPerRequest);
        var result = await Api.SearchFilesAsync(new FileSearchRequest { Filter = filter, Search = new FileSearch { Name = name }, Limit = limit }, cancellationToken).ConfigureAwait(false);
        return [.. result.Items];
    }

    /// <summary>Applies <paramref name="update"/> to one file and returns it as updated.</summary>
    public async Task<FileMetadata> UpdateAsync(Identifier file, FileUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(update);
        var item = new FileUpdateItem { Id = file.Id, ExternalId = file.ExternalId, InstanceId = file.InstanceId, Update = update };
        var result = await UpdateAsync([item], cancellationToken).ConfigureAwait(false);
        return result.Count > 0 ? result[0] : throw new CogniteException($"CDF returned no file for the update of {file}.");
    }

    /// <summary>Applies updates in chunks of 1000 (each chunk is atomic, the whole is not) and returns the updated files.</summary>
    public async Task<IReadOnlyList<FileMetadata>> UpdateAsync(IEnumerable<FileUpdateItem> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        var result = new List<FileMetadata>();
        foreach (var chunk in items.Chunk(MaxItemsPerRequest))
        {
            var page = await Api.UpdateFilesAsync(new FileUpdateRequest { Items = chunk }, cancellationToken).ConfigureAwait(false);
            result.AddRange(page.Items);
        }

        return result;
    }

    /// <summary>Deletes one file (metadata and content) by internal id.</summary>
    public Task DeleteAsync(long id, CancellationToken cancellationToken = default) =>
        DeleteAsync([IdEither.FromId(id)], ignoreUnknownIds: false, cancellationToken);

    /// <summary>
    /// Deletes files in chunks of 1000 (each chunk is atomic, the whole is not). With <paramref name="ignoreUnknownIds"/>
    /// unknown files are skipped; without it they throw <see cref="CogniteNotFoundException"/>. Not retried except on 429.
    /// </summary>
    public async Task DeleteAsync(IEnumerable<IdEither> files, bool ignoreUnknownIds = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        foreach (var chunk in files.Chunk(MaxItemsPerRequest))
        {
            await Api.DeleteFilesAsync(new FileDeleteRequest { Items = chunk, IgnoreUnknownIds = ignoreUnknownIds }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A JPEG thumbnail of an image file (<c>GET /files/icon</c>); the file must hold a JPEG or PNG image, else CDF answers
    /// 400 (<see cref="CogniteApiException"/>). Dispose the stream when done.
    /// </summary>
    /// <param name="file">The file, by id, external id or instance id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<Stream> GetIconAsync(Identifier file, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        if ((file.Id is null ? 0 : 1) + (file.ExternalId is null ? 0 : 1) + (file.InstanceId is null ? 0 : 1) != 1)
        {
            throw new ArgumentException("The identifier must name the file in exactly one way: id, externalId or instanceId.", nameof(file));
        }

        return Api.GetIconAsync(file.Id, file.ExternalId, file.InstanceId?.Space, file.InstanceId?.ExternalId, cancellationToken);
    }

    /// <summary>Counts the files matching <paramref name="filter"/> (all files when null).</summary>
    public async Task<long> AggregateCountAsync(FileFilter? filter = null, CancellationToken cancellationToken = default)
    {
        var result = await Api.AggregateFilesAsync(new FileAggregateRequest { Filter = filter }, cancellationToken).ConfigureAwait(false);
        return result.Items.Sum(i => i.Count);
    }
}
