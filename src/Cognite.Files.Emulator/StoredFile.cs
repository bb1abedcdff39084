using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Emulator;

/// <summary>
/// The emulator's own record of one file's metadata, as it keeps it in SQLite. It is written from requests by the
/// emulator's own parsing (<see cref="FileRequests"/>) and answered by its own writer (<see cref="FileResponses"/>), both
/// against the field names of <c>openapi/cognite-files.yaml</c>; nothing here comes from the SDK, so a naming or shape
/// bug in the SDK's generated types cannot be mirrored by the server. Upload state is not part of it: it follows from
/// the row (<see cref="FileRow.ReadyAt"/>) at the time of reading (<see cref="FileView"/>).
/// </summary>
internal sealed record StoredFile
{
    public required long Id { get; init; }
    public string? ExternalId { get; init; }
    public required string Name { get; init; }
    public string? Directory { get; init; }
    public string? Source { get; init; }
    public string? MimeType { get; init; }

    /// <summary>Key-value pairs in the order they were stored; an empty map stays empty (a create with <c>{}</c> answers <c>{}</c>).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    public IReadOnlyList<long>? AssetIds { get; init; }
    public long? DataSetId { get; init; }
    public long? SourceCreatedTime { get; init; }
    public long? SourceModifiedTime { get; init; }
    public IReadOnlyList<long>? SecurityCategories { get; init; }

    /// <summary>The external ids of the file's labels, in order.</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    public StoredGeoLocation? GeoLocation { get; init; }
    public StoredInstanceId? InstanceId { get; init; }
    public required long CreatedTime { get; init; }
    public required long LastUpdatedTime { get; init; }
}

/// <summary>A data modeling instance id.</summary>
internal sealed record StoredInstanceId(string Space, string ExternalId);

/// <summary>
/// A GeoJSON Feature as sent (the schema has checked it): <c>type</c> (absent on old files), the geometry's type and
/// coordinates (nested arrays whose depth depends on the type), and the free-form <c>properties</c>, echoed back.
/// </summary>
internal sealed record StoredGeoLocation(string? Type, string GeometryType, JArray Coordinates, JObject? Properties);

/// <summary>A stored file as a client sees it at one moment: with its upload state.</summary>
internal sealed record FileView(StoredFile File, bool Uploaded, long? UploadedTime);

/// <summary>
/// The JSON of a <see cref="StoredFile"/> in the <c>files.json</c> column. Field names follow the document, except
/// <c>labels</c>, kept as a list of external ids. <see cref="FromLegacy"/> reads the shape stored before the emulator had
/// its own record (the SDK's <c>FileMetadata</c>, with label objects and upload state); <see cref="FileStore"/> migrates
/// such rows once.
/// </summary>
internal static class StoredFileJson
{
    public static string Serialize(StoredFile f)
    {
        var o = new JObject { ["id"] = f.Id, ["name"] = f.Name };
        Add(o, "externalId", f.ExternalId);
        Add(o, "directory", f.Directory);
        Add(o, "source", f.Source);
        Add(o, "mimeType", f.MimeType);
        if (f.Metadata is not null) o["metadata"] = StringMap(f.Metadata);
        if (f.AssetIds is not null) o["assetIds"] = new JArray(f.AssetIds);
        Add(o, "dataSetId", f.DataSetId);
        Add(o, "sourceCreatedTime", f.SourceCreatedTime);
        Add(o, "sourceModifiedTime", f.SourceModifiedTime);
        if (f.SecurityCategories is not null) o["securityCategories"] = new JArray(f.SecurityCategories);
        if (f.Labels is not null) o["labels"] = new JArray(f.Labels);
        if (f.GeoLocation is not null) o["geoLocation"] = GeoJson(f.GeoLocation);
        if (f.InstanceId is not null) o["instanceId"] = InstanceIdJson(f.InstanceId);
        o["createdTime"] = f.CreatedTime;
        o["lastUpdatedTime"] = f.LastUpdatedTime;
        return o.ToString(Formatting.None);
    }

    public static StoredFile Deserialize(string json) => Read(Parse(json), legacyLabels: false);

    /// <summary>The row JSON of an emulator from before <see cref="StoredFile"/>: labels as <c>{"externalId"}</c> objects; upload state ignored.</summary>
    public static StoredFile FromLegacy(string json) => Read(Parse(json), legacyLabels: true);

    private static JObject Parse(string json)
    {
        using var reader = new JsonTextReader(new StringReader(json)) { DateParseHandling = DateParseHandling.None };
        return JObject.Load(reader);
    }

    private static StoredFile Read(JObject o, bool legacyLabels) => new()
    {
        Id = (long)o["id"]!,
        Name = (string)o["name"]!,
        ExternalId = (string?)o["externalId"],
        Directory = (string?)o["directory"],
        Source = (string?)o["source"],
        MimeType = (string?)o["mimeType"],
        Metadata = o["metadata"] is JObject m ? m.Properties().ToDictionary(p => p.Name, p => (string)p.Value!) : null,
        AssetIds = (o["assetIds"] as JArray)?.Select(t => (long)t).ToList(),
        DataSetId = (long?)o["dataSetId"],
        SourceCreatedTime = (long?)o["sourceCreatedTime"],
        SourceModifiedTime = (long?)o["sourceModifiedTime"],
        SecurityCategories = (o["securityCategories"] as JArray)?.Select(t => (long)t).ToList(),
        Labels = (o["labels"] as JArray)?.Select(t => legacyLabels ? (string)t["externalId"]! : (string)t!).ToList(),
        GeoLocation = FileRequests.GeoLocation(o, "geoLocation"), // stored as the GeoJSON it was sent as
        InstanceId = o["instanceId"] is JObject i ? new StoredInstanceId((string)i["space"]!, (string)i["externalId"]!) : null,
        CreatedTime = (long)o["createdTime"]!,
        LastUpdatedTime = (long)o["lastUpdatedTime"]!,
    };

    /// <summary>GeoJSON: <c>type</c> (when known), <c>geometry</c>, <c>properties</c> (when given), in that order.</summary>
    public static JObject GeoJson(StoredGeoLocation g)
    {
        var o = new JObject();
        if (g.Type is not null) o["type"] = g.Type;
        o["geometry"] = new JObject { ["type"] = g.GeometryType, ["coordinates"] = g.Coordinates.DeepClone() };
        if (g.Properties is not null) o["properties"] = g.Properties.DeepClone();
        return o;
    }

    public static JObject InstanceIdJson(StoredInstanceId i) => new() { ["space"] = i.Space, ["externalId"] = i.ExternalId };

    public static JObject StringMap(IReadOnlyDictionary<string, string> map)
    {
        var o = new JObject();
        foreach (var (k, v) in map) o[k] = v;
        return o;
    }

    private static void Add(JObject o, string name, string? value)
    {
        if (value is not null) o[name] = value;
    }

    private static void Add(JObject o, string name, long? value)
    {
        if (value is { } v) o[name] = v;
    }
}
