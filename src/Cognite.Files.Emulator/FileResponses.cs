using Newtonsoft.Json.Linq;

namespace Cognite.Files.Emulator;

/// <summary>
/// Writes response bodies from the emulator's own records with the JSON field names of <c>openapi/cognite-files.yaml</c>:
/// camelCase, unset optional fields omitted (never <c>null</c>), as CDF answers.
/// </summary>
internal static class FileResponses
{
    /// <summary>A <c>FileMetadata</c> object.</summary>
    public static JObject File(FileView view) => AddFile(new JObject(), view);

    /// <summary>Adds the <c>FileMetadata</c> fields of <paramref name="view"/> to <paramref name="o"/> (built in place: moving tokens from one object to another copies them).</summary>
    private static JObject AddFile(JObject o, FileView view)
    {
        var f = view.File;
        Add(o, "externalId", f.ExternalId);
        o["name"] = f.Name;
        Add(o, "directory", f.Directory);
        Add(o, "source", f.Source);
        Add(o, "mimeType", f.MimeType);
        if (f.Metadata is not null) o["metadata"] = StoredFileJson.StringMap(f.Metadata);
        if (f.AssetIds is not null) o["assetIds"] = new JArray(f.AssetIds);
        Add(o, "dataSetId", f.DataSetId);
        Add(o, "sourceCreatedTime", f.SourceCreatedTime);
        Add(o, "sourceModifiedTime", f.SourceModifiedTime);
        if (f.SecurityCategories is not null) o["securityCategories"] = new JArray(f.SecurityCategories);
        if (f.Labels is not null) o["labels"] = new JArray(f.Labels.Select(l => new JObject { ["externalId"] = l }));
        if (f.GeoLocation is not null) o["geoLocation"] = StoredFileJson.GeoJson(f.GeoLocation);
        if (f.InstanceId is not null) o["instanceId"] = StoredFileJson.InstanceIdJson(f.InstanceId);
        o["id"] = f.Id;
        o["uploaded"] = view.Uploaded;
        Add(o, "uploadedTime", view.UploadedTime);
        o["createdTime"] = f.CreatedTime;
        o["lastUpdatedTime"] = f.LastUpdatedTime;
        return o;
    }

    /// <summary>A <c>FileUploadResponse</c>: the file with the URL for one PUT of its whole content.</summary>
    public static JObject UploadResponse(FileView view, string uploadUrl) => AddFile(new JObject { ["uploadUrl"] = uploadUrl }, view);

    /// <summary>A <c>FileMultipartUploadResponse</c>: the file with one URL per part and the id that completes the upload.</summary>
    public static JObject MultipartUploadResponse(FileView view, IEnumerable<string> uploadUrls, string uploadId) =>
        AddFile(new JObject { ["uploadUrls"] = new JArray(uploadUrls), ["uploadId"] = uploadId }, view);

    /// <summary>A <c>DownloadLink</c>: the URL and the identifier the request used.</summary>
    public static JObject DownloadLink(string downloadUrl, FileIdentifier identifier)
    {
        var o = new JObject { ["downloadUrl"] = downloadUrl };
        foreach (var (name, value) in identifier.ToJson()) o[name] = JToken.FromObject(value);
        return o;
    }

    /// <summary><c>{"items": [...]}</c>, the shape of every list response.</summary>
    public static JObject Items(IEnumerable<JToken> items) => new() { ["items"] = new JArray(items) };

    /// <summary>A <c>FileMetadataCursorPage</c>: <c>nextCursor</c> only when there is a next page.</summary>
    public static JObject Page(IEnumerable<FileView> items, string? nextCursor)
    {
        var o = Items(items.Select(File));
        if (nextCursor is not null) o["nextCursor"] = nextCursor;
        return o;
    }

    /// <summary>A <c>FileAggregateResponse</c>.</summary>
    public static JObject Count(long count) => Items([new JObject { ["count"] = count }]);

    /// <summary><c>EmptyResponse</c>.</summary>
    public const string Empty = "{}";

    private static void Add(JObject o, string name, string? value)
    {
        if (value is not null) o[name] = value;
    }

    private static void Add(JObject o, string name, long? value)
    {
        if (value is { } v) o[name] = v;
    }
}
