using System.Globalization;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Emulator;

/// <summary>One identifier of a request item: exactly one of an internal id, an external id or an instance id.</summary>
internal sealed record FileIdentifier(long? Id = null, string? ExternalId = null, StoredInstanceId? InstanceId = null)
{
    /// <summary>Tells identifiers apart for duplicate checks.</summary>
    public string Key =>
        Id is { } id ? "id:" + id.ToString(CultureInfo.InvariantCulture) : ExternalId is { } x ? "x:" + x : "i:" + InstanceId?.Space + "\n" + InstanceId?.ExternalId;

    /// <summary>The identifier as CDF names it in <c>missing</c> and <c>duplicated</c>, and echoes it in download links.</summary>
    public Dictionary<string, object> ToJson()
    {
        var d = new Dictionary<string, object>();
        if (Id is { } id) d["id"] = id;
        else if (ExternalId is { } x) d["externalId"] = x;
        else if (InstanceId is { } inst) d["instanceId"] = new Dictionary<string, object> { ["space"] = inst.Space, ["externalId"] = inst.ExternalId };
        return d;
    }
}

/// <summary>An inclusive range of epoch milliseconds; an open end is null.</summary>
internal sealed record EpochRange(long? Min, long? Max);

/// <summary>
/// The <c>filter</c> of /files/list, /files/search, /files/aggregate and the query of <c>GET /files</c>. Asset and data set
/// references are ids or external ids (<see cref="FileIdentifier"/> with one of the two). The geoLocation filter is
/// validated by the schema but not kept: <see cref="EmulatorConventions.GeoFilterEvaluated"/>.
/// </summary>
internal sealed record FileCriteria
{
    public string? Name { get; init; }
    public string? DirectoryPrefix { get; init; }
    public string? MimeType { get; init; }
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
    public IReadOnlyList<long>? AssetIds { get; init; }
    public IReadOnlyList<string>? AssetExternalIds { get; init; }
    public IReadOnlyList<FileIdentifier>? RootAssetIds { get; init; }
    public IReadOnlyList<FileIdentifier>? AssetSubtreeIds { get; init; }
    public IReadOnlyList<FileIdentifier>? DataSetIds { get; init; }
    public string? Source { get; init; }
    public EpochRange? CreatedTime { get; init; }
    public EpochRange? LastUpdatedTime { get; init; }
    public EpochRange? UploadedTime { get; init; }
    public EpochRange? SourceCreatedTime { get; init; }
    public EpochRange? SourceModifiedTime { get; init; }
    public string? ExternalIdPrefix { get; init; }
    public bool? Uploaded { get; init; }

    /// <summary>Label external ids of <c>labels.containsAny</c>.</summary>
    public IReadOnlyList<string>? LabelsContainsAny { get; init; }

    /// <summary>Label external ids of <c>labels.containsAll</c>.</summary>
    public IReadOnlyList<string>? LabelsContainsAll { get; init; }
}

/// <summary>
/// Reads request bodies, already validated against their schema in <c>openapi/cognite-files.yaml</c>, into the emulator's
/// own records by the document's field names. JSON null counts as absent. A value of the wrong type (which the schema
/// should have refused) is a 400 naming its path, never a 500.
/// </summary>
internal static class FileRequests
{
    /// <summary>The body of <c>POST /files</c> and <c>initmultipartupload</c> (<c>FileCreate</c>) as a new file; id and times are set by the caller.</summary>
    public static StoredFile Create(JObject body) => new()
    {
        Id = 0,
        ExternalId = String(body, "externalId"),
        Name = String(body, "name") ?? throw CdfError.BadRequest("name is required."),
        Directory = String(body, "directory"),
        Source = String(body, "source"),
        MimeType = String(body, "mimeType"),
        Metadata = StringMap(body, "metadata"),
        AssetIds = Longs(body, "assetIds"),
        DataSetId = Long(body, "dataSetId"),
        SourceCreatedTime = Long(body, "sourceCreatedTime"),
        SourceModifiedTime = Long(body, "sourceModifiedTime"),
        SecurityCategories = Longs(body, "securityCategories"),
        Labels = Labels(body, "labels"),
        GeoLocation = GeoLocation(body, "geoLocation"),
        CreatedTime = 0,
        LastUpdatedTime = 0,
    };

    /// <summary>An <c>Identifier</c>, <c>IdEither</c>, <c>FileExternalIdEither</c> or the identifying part of an update or complete item.</summary>
    public static FileIdentifier Identifier(JObject item) =>
        new(Long(item, "id"), String(item, "externalId"), InstanceId(item, "instanceId"));

    /// <summary>The identifier objects of <c>items</c>.</summary>
    public static List<FileIdentifier> Identifiers(JObject body) => Items(body).Select(Identifier).ToList();

    /// <summary>The objects of <c>items</c>.</summary>
    public static List<JObject> Items(JObject body) =>
        (Array(body, "items") ?? []).Select(t => t as JObject ?? throw Invalid(t, "an object")).ToList();

    /// <summary>A <c>FileFilter</c> object of the document as criteria (null or absent: none).</summary>
    public static FileCriteria Filter(JObject body, string name)
    {
        if (Object(body, name) is not { } f) return new FileCriteria();
        var labels = Object(f, "labels");
        return new FileCriteria
        {
            Name = String(f, "name"),
            DirectoryPrefix = String(f, "directoryPrefix"),
            MimeType = String(f, "mimeType"),
            Metadata = StringMap(f, "metadata"),
            AssetIds = Longs(f, "assetIds"),
            AssetExternalIds = Strings(f, "assetExternalIds"),
            RootAssetIds = Array(f, "rootAssetIds")?.Select(t => Identifier(AsObject(t))).ToList(),
            AssetSubtreeIds = Array(f, "assetSubtreeIds")?.Select(t => Identifier(AsObject(t))).ToList(),
            DataSetIds = Array(f, "dataSetIds")?.Select(t => Identifier(AsObject(t))).ToList(),
            Source = String(f, "source"),
            CreatedTime = Range(f, "createdTime"),
            LastUpdatedTime = Range(f, "lastUpdatedTime"),
            UploadedTime = Range(f, "uploadedTime"),
            SourceCreatedTime = Range(f, "sourceCreatedTime"),
            SourceModifiedTime = Range(f, "sourceModifiedTime"),
            ExternalIdPrefix = String(f, "externalIdPrefix"),
            Uploaded = Bool(f, "uploaded"),
            LabelsContainsAny = labels is null ? null : Labels(labels, "containsAny"),
            LabelsContainsAll = labels is null ? null : Labels(labels, "containsAll"),
        };
    }

    private static EpochRange? Range(JObject o, string name) =>
        Object(o, name) is { } r ? new EpochRange(Long(r, "min"), Long(r, "max")) : null;

    /// <summary>A list of <c>Label</c> objects as their external ids.</summary>
    public static List<string>? Labels(JObject o, string name) =>
        Array(o, name)?.Select(t => String(AsObject(t), "externalId") ?? throw Invalid(t, "a label {\"externalId\": ...}")).ToList();

    /// <summary>A <c>GeoLocation</c> object (a GeoJSON Feature).</summary>
    public static StoredGeoLocation? GeoLocation(JObject o, string name)
    {
        if (Object(o, name) is not { } g) return null;
        var type = String(g, "type");
        if (type is not null && type != "Feature") throw CdfError.BadRequest("geoLocation.type must be Feature.");
        var geometry = Object(g, "geometry") ?? throw CdfError.BadRequest("geoLocation.geometry is required.");
        var geometryType = String(geometry, "type") ?? throw CdfError.BadRequest("geoLocation.geometry.type is required.");
        var coordinates = Array(geometry, "coordinates") ?? throw CdfError.BadRequest("geoLocation.geometry.coordinates is required.");
        return new StoredGeoLocation(type, geometryType, (JArray)coordinates.DeepClone(), Object(g, "properties")?.DeepClone() as JObject);
    }

    public static StoredInstanceId? InstanceId(JObject o, string name) =>
        Object(o, name) is { } i
            ? new StoredInstanceId(String(i, "space") ?? throw Invalid(i, "an instance id with a space"), String(i, "externalId") ?? throw Invalid(i, "an instance id with an externalId"))
            : null;

    // ---------------- typed reads by field name ----------------

    public static string? String(JObject o, string name) => Value(o, name) switch
    {
        null => null,
        { Type: JTokenType.String } t => (string)t!,
        var t => throw Invalid(t, "a string"),
    };

    public static long? Long(JObject o, string name) => Value(o, name) is { } t ? AsLong(t) : null;

    public static int? Int(JObject o, string name) => Value(o, name) switch
    {
        null => null,
        JValue { Value: long v } when v is >= int.MinValue and <= int.MaxValue => (int)v,
        var t => throw Invalid(t, "a 32-bit integer"),
    };

    public static bool? Bool(JObject o, string name) => Value(o, name) switch
    {
        null => null,
        { Type: JTokenType.Boolean } t => (bool)t,
        var t => throw Invalid(t, "true or false"),
    };

    public static JObject? Object(JObject o, string name) => Value(o, name) is { } t ? AsObject(t) : null;

    public static JArray? Array(JObject o, string name) => Value(o, name) switch
    {
        null => null,
        JArray a => a,
        var t => throw Invalid(t, "an array"),
    };

    public static List<long>? Longs(JObject o, string name) => Array(o, name)?.Select(AsLong).ToList();

    public static List<string>? Strings(JObject o, string name) =>
        Array(o, name)?.Select(t => t.Type == JTokenType.String ? (string)t! : throw Invalid(t, "a string")).ToList();

    /// <summary>A string-to-string map, in the order sent.</summary>
    public static Dictionary<string, string>? StringMap(JObject o, string name)
    {
        if (Object(o, name) is not { } m) return null;
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in m.Properties())
            map[p.Name] = p.Value.Type == JTokenType.String ? (string)p.Value! : throw CdfError.BadRequest($"{name}: values must be strings.");
        return map;
    }

    private static JToken? Value(JObject o, string name) => o[name] is { Type: not JTokenType.Null } t ? t : null;

    private static long AsLong(JToken t) =>
        t is JValue { Value: long v } ? v : throw Invalid(t, "a 64-bit integer");

    private static JObject AsObject(JToken t) => t as JObject ?? throw Invalid(t, "an object");

    private static CdfError Invalid(JToken t, string expected) =>
        CdfError.BadRequest($"Invalid request body: '{(t.Path.Length == 0 ? "#" : t.Path)}' must be {expected}.");
}
