using Cognite.Files.Models;

namespace Cognite.Files.Tests.Contract;

/// <summary>Realistic request DTOs and response bodies shared by the contract tests.</summary>
internal static class Samples
{
    /// <summary>The largest id CDF hands out (2^53-1); a double-based parser would still hold it, 2^53+1 it would not.</summary>
    public const long MaxId = 9007199254740991;

    /// <summary>
    /// The body of a <c>GET /files/icon</c> answer: the start and end markers of a JPEG (SOI, APP0 "JFIF", EOI), with
    /// zero and 0xFF bytes that any text decoding on the way would mangle.
    /// </summary>
    public static readonly byte[] JpegThumbnail = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0xFF, 0xD9];

    /// <summary>
    /// A file with every field the document defines for <c>FileMetadata</c>, ids at the top of the range. Its instance id
    /// keeps to the document's <c>InstanceId</c> patterns (no '-' in the external id).
    /// </summary>
    public const string FullFile = """
        {
          "id": 9007199254740991,
          "externalId": "plant-a/pump-7.pdf",
          "name": "pump-7.pdf",
          "directory": "/plants/a",
          "source": "sharepoint",
          "mimeType": "application/pdf",
          "metadata": { "site": "A", "kind": "datasheet" },
          "assetIds": [9007199254740991, 42],
          "dataSetId": 9007199254740990,
          "sourceCreatedTime": 1730204346000,
          "sourceModifiedTime": 1730204347000,
          "securityCategories": [7],
          "labels": [{ "externalId": "datasheet" }],
          "geoLocation": {
            "type": "Feature",
            "geometry": { "type": "Point", "coordinates": [10.75, 59.91] },
            "properties": { "site": "A" }
          },
          "instanceId": { "space": "plant", "externalId": "pump_7" },
          "uploaded": true,
          "uploadedTime": 1730204349000,
          "createdTime": 1730204346000,
          "lastUpdatedTime": 1730204348000
        }
        """;

    /// <summary>A file with only the fields the document requires in responses.</summary>
    public const string MinimalFile = """
        { "id": 9007199254740990, "name": "empty.bin", "uploaded": false, "createdTime": 1730204346000, "lastUpdatedTime": 1730204346000 }
        """;

    /// <summary><see cref="FullFile"/> as the response of an upload operation (new file: not uploaded yet).</summary>
    public static string UploadResponse(string uploadFields) =>
        FullFile.TrimEnd()[..^1].Replace("\"uploaded\": true", "\"uploaded\": false", StringComparison.Ordinal)
            .Replace("\"uploadedTime\": 1730204349000,", "", StringComparison.Ordinal) + "," + uploadFields + "}";

    /// <summary>A <see cref="FileCreate"/> with every writable field set.</summary>
    public static FileCreate FullFileCreate() => new()
    {
        ExternalId = "plant-a/pump-7.pdf",
        Name = "pump-7.pdf",
        Directory = "/plants/a",
        Source = "sharepoint",
        MimeType = "application/pdf",
        Metadata = new Dictionary<string, string> { ["site"] = "A", ["kind"] = "datasheet" },
        AssetIds = [MaxId, 42],
        DataSetId = 9007199254740990,
        SourceCreatedTime = 1730204346000,
        SourceModifiedTime = 1730204347000,
        SecurityCategories = [7],
        Labels = [new Label { ExternalId = "datasheet" }],
        GeoLocation = new GeoLocation
        {
            Type = GeoLocationType.Feature,
            Geometry = new GeoLocationGeometry { Type = GeometryType.Point, Coordinates = [10.75, 59.91] },
            Properties = new Dictionary<string, object> { ["site"] = "A" },
        },
    };

    /// <summary>What <see cref="FullFileCreate"/> must look like on the wire.</summary>
    public const string FullFileCreateJson = """
        {
          "externalId": "plant-a/pump-7.pdf",
          "name": "pump-7.pdf",
          "directory": "/plants/a",
          "source": "sharepoint",
          "mimeType": "application/pdf",
          "metadata": { "site": "A", "kind": "datasheet" },
          "assetIds": [9007199254740991, 42],
          "dataSetId": 9007199254740990,
          "sourceCreatedTime": 1730204346000,
          "sourceModifiedTime": 1730204347000,
          "securityCategories": [7],
          "labels": [{ "externalId": "datasheet" }],
          "geoLocation": {
            "type": "Feature",
            "geometry": { "type": "Point", "coordinates": [10.75, 59.91] },
            "properties": { "site": "A" }
          }
        }
        """;

    /// <summary>A filter using every key of the document's <c>FileFilter</c>.</summary>
    public static FileFilter FullFilter() => new()
    {
        Name = "pump-7.pdf",
        DirectoryPrefix = "/plants",
        MimeType = "application/pdf",
        Metadata = new Dictionary<string, string> { ["site"] = "A" },
        AssetIds = [MaxId],
        AssetExternalIds = ["pump-7"],
        RootAssetIds = [IdEither.FromId(1)],
        AssetSubtreeIds = [IdEither.FromExternalId("plant-a")],
        DataSetIds = [IdEither.FromId(MaxId), IdEither.FromExternalId("ds")],
        Source = "sharepoint",
        CreatedTime = new TimeRange { Min = 0, Max = 1730204346000 },
        LastUpdatedTime = new TimeRange { Min = 1 },
        UploadedTime = new TimeRange { Max = 2 },
        SourceCreatedTime = new TimeRange { Min = 3, Max = 4 },
        SourceModifiedTime = new TimeRange { Min = 5 },
        ExternalIdPrefix = "plant-a/",
        Uploaded = true,
        Labels = new LabelFilter { ContainsAny = [new Label { ExternalId = "datasheet" }] },
        GeoLocation = new GeoLocationFilter
        {
            Relation = "intersects",
            Shape = new GeoLocationGeometry { Type = GeometryType.Polygon, Coordinates = [new double[][] { [10.0, 59.0], [11.0, 59.0], [11.0, 60.0], [10.0, 59.0] }] },
        },
    };

    /// <summary>What <see cref="FullFilter"/> must look like on the wire.</summary>
    public const string FullFilterJson = """
        {
          "name": "pump-7.pdf",
          "directoryPrefix": "/plants",
          "mimeType": "application/pdf",
          "metadata": { "site": "A" },
          "assetIds": [9007199254740991],
          "assetExternalIds": ["pump-7"],
          "rootAssetIds": [{ "id": 1 }],
          "assetSubtreeIds": [{ "externalId": "plant-a" }],
          "dataSetIds": [{ "id": 9007199254740991 }, { "externalId": "ds" }],
          "source": "sharepoint",
          "createdTime": { "min": 0, "max": 1730204346000 },
          "lastUpdatedTime": { "min": 1 },
          "uploadedTime": { "max": 2 },
          "sourceCreatedTime": { "min": 3, "max": 4 },
          "sourceModifiedTime": { "min": 5 },
          "externalIdPrefix": "plant-a/",
          "uploaded": true,
          "labels": { "containsAny": [{ "externalId": "datasheet" }] },
          "geoLocation": {
            "relation": "intersects",
            "shape": { "type": "Polygon", "coordinates": [[[10.0, 59.0], [11.0, 59.0], [11.0, 60.0], [10.0, 59.0]]] }
          }
        }
        """;

    /// <summary>Asserts that <paramref name="file"/> carries every value of <see cref="FullFile"/>.</summary>
    public static void AssertIsFullFile(FileMetadata file, bool uploaded = true)
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(file.Id, Is.EqualTo(MaxId));
            Assert.That(file.ExternalId, Is.EqualTo("plant-a/pump-7.pdf"));
            Assert.That(file.Name, Is.EqualTo("pump-7.pdf"));
            Assert.That(file.Directory, Is.EqualTo("/plants/a"));
            Assert.That(file.Source, Is.EqualTo("sharepoint"));
            Assert.That(file.MimeType, Is.EqualTo("application/pdf"));
            Assert.That(file.Metadata, Is.EquivalentTo(new Dictionary<string, string> { ["site"] = "A", ["kind"] = "datasheet" }));
            Assert.That(file.AssetIds, Is.EqualTo(new[] { MaxId, 42L }));
            Assert.That(file.DataSetId, Is.EqualTo(9007199254740990L));
            Assert.That(file.SourceCreatedTime, Is.EqualTo(1730204346000L));
            Assert.That(file.SourceModifiedTime, Is.EqualTo(1730204347000L));
            Assert.That(file.SecurityCategories, Is.EqualTo(new[] { 7L }));
            Assert.That(file.Labels!.Select(l => l.ExternalId), Is.EqualTo(new[] { "datasheet" }));
            Assert.That(file.GeoLocation!.Type, Is.EqualTo(GeoLocationType.Feature));
            Assert.That(file.GeoLocation.Geometry.Type, Is.EqualTo(GeometryType.Point));
            Assert.That(file.GeoLocation.Geometry.Coordinates, Is.EqualTo(new object[] { 10.75, 59.91 }));
            Assert.That(file.GeoLocation.Properties, Is.EquivalentTo(new Dictionary<string, object> { ["site"] = "A" }));
            Assert.That(file.InstanceId!.Space, Is.EqualTo("plant"));
            Assert.That(file.InstanceId.ExternalId, Is.EqualTo("pump_7"));
            Assert.That(file.Uploaded, Is.EqualTo(uploaded));
            Assert.That(file.UploadedTime, uploaded ? Is.EqualTo(1730204349000L) : Is.Null);
            Assert.That(file.CreatedTime, Is.EqualTo(1730204346000L));
            Assert.That(file.LastUpdatedTime, Is.EqualTo(1730204348000L));
            Assert.That(file.AdditionalProperties, Is.Empty, "every field maps to a typed property");
        }
    }
}
