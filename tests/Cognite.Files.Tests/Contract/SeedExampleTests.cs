using Cognite.Files.Models;
using Cognite.Files.Serialization;
using Cognite.Files.Tests.TestSupport;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Tests.Contract;

/// <summary>
/// Seed 000 (the CDF docs' <c>multiuploadlink</c> request and response) is the document's example and
/// round-trips through the generated DTOs with every field.
/// </summary>
public class SeedExampleTests
{
    private const string SeedName = "000_a6046392cf3b3083.txt";

    private static IReadOnlyList<string> SeedObjects() => SeedFile.ItemsObjects(SeedFile.Read(SeedName));

    /// <summary>The seed's request body: its first <c>{"items"...}</c> object.</summary>
    private static string SeedRequest() => SeedObjects()[0];

    /// <summary>The seed's response body: its second <c>{"items"...}</c> object.</summary>
    private static string SeedResponse() => SeedObjects()[1];

    private static IEnumerable<TestCaseData> ResponseSources()
    {
        yield return new TestCaseData(SeedResponse()).SetArgDisplayNames("seed file");
        yield return new TestCaseData(OpenApiContract.Get().ResponseExample("GetMultipartUploadLink")!.ToString()).SetArgDisplayNames("document example");
    }

    [Test]
    public void Seed_file_holds_the_request_and_response_twice_identically()
    {
        var objects = SeedObjects().Select(Json.Parse).ToList();

        Assert.That(objects, Has.Count.EqualTo(4));
        Json.AssertEquivalent(objects[2], objects[0]);
        Json.AssertEquivalent(objects[3], objects[1]);
    }

    [Test]
    public async Task Document_example_of_multiuploadlink_is_the_seed_response_and_request()
    {
        var contract = await OpenApiContract.GetAsync();

        Json.AssertEquivalent(contract.ResponseExample("GetMultipartUploadLink"), SeedResponse());
        Json.AssertEquivalent(contract.RequestExample("GetMultipartUploadLink"), SeedRequest());
    }

    [TestCaseSource(nameof(ResponseSources))]
    public void Seed_response_deserializes_with_every_field_populated(string json)
    {
        var item = CogniteJson.Deserialize<FileMultipartUploadResponseList>(json)!.Items.Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(item.Name, Is.EqualTo("<string>"));
            Assert.That(item.Id, Is.EqualTo(4503599627370496L));
            Assert.That(item.Uploaded, Is.True);
            Assert.That(item.CreatedTime, Is.EqualTo(1730204346000L));
            Assert.That(item.LastUpdatedTime, Is.EqualTo(1730204346000L));
            Assert.That(item.UploadId, Is.EqualTo("<string>"));
            Assert.That(item.UploadUrls, Is.EqualTo(new[] { "uploadURL_for_part_1", "uploadURL_for_part_2", "uploadURL_for_part_3" }));
            Assert.That(item.ExternalId, Is.EqualTo("my.known.id"));
            Assert.That(item.Directory, Is.EqualTo("<string>"));
            Assert.That(item.Source, Is.EqualTo("<string>"));
            Assert.That(item.MimeType, Is.EqualTo("image/jpeg"));
            Assert.That(item.Metadata, Is.Not.Null.And.Empty);
            Assert.That(item.AssetIds, Is.EqualTo(new[] { 4503599627370496L }));
            Assert.That(item.DataSetId, Is.EqualTo(4503599627370496L));
            Assert.That(item.SourceCreatedTime, Is.EqualTo(1730204346000L));
            Assert.That(item.SourceModifiedTime, Is.EqualTo(1730204346000L));
            Assert.That(item.SecurityCategories, Is.EqualTo(new[] { 4503599627370496L }));
            Assert.That(item.Labels!.Select(l => l.ExternalId), Is.EqualTo(new[] { "my.known.id" }));
            Assert.That(item.GeoLocation!.Type, Is.EqualTo(GeoLocationType.Feature));
            Assert.That(item.GeoLocation.Geometry.Type, Is.EqualTo(GeometryType.Point));
            Assert.That(item.GeoLocation.Geometry.Coordinates, Is.EqualTo(new object[] { 123L }));
            Assert.That(item.GeoLocation.Properties, Is.Not.Null.And.Empty);
            Assert.That(item.UploadedTime, Is.EqualTo(1730204346000L));
            Assert.That(item.InstanceId!.Space, Is.EqualTo("<string>"));
            Assert.That(item.InstanceId.ExternalId, Is.EqualTo("<string>"));
            Assert.That(item.AdditionalProperties, Is.Empty, "every field maps to a typed property");
        }
    }

    [TestCaseSource(nameof(ResponseSources))]
    public void Seed_response_reserializes_to_exactly_the_same_json(string json)
    {
        var dto = CogniteJson.Deserialize<FileMultipartUploadResponseList>(json);

        // Exact: no number normalisation. 123 stays an integer (boxed long), int64 ids stay integers.
        Json.AssertEquivalent(Json.Parse(CogniteJson.Serialize(dto)), json);
    }

    [Test]
    public void Seed_request_deserializes_into_UploadLinkRequest_and_reserializes_the_same()
    {
        var request = CogniteJson.Deserialize<UploadLinkRequest>(SeedRequest())!;

        Assert.That(request.Items.Single().ExternalId, Is.EqualTo("my.known.id"));
        Json.AssertEquivalent(Json.Parse(CogniteJson.Serialize(request)), SeedRequest());
    }

    [Test]
    public void Json_comparison_tells_integer_from_float()
    {
        // Why the round-trip above needs no normalisation yet is still meaningful: DeepEquals is type-strict.
        Assert.That(JToken.DeepEquals(Json.Parse("123"), Json.Parse("123.0")), Is.False);
    }

    [TestCase("[123]", TestName = "Coordinates_keep_an_integer_as_an_integer")]
    [TestCase("[123.0]", TestName = "Coordinates_keep_a_float_with_zero_fraction_as_a_float")]
    [TestCase("[10.75,59.91]", TestName = "Coordinates_keep_fractional_values_exactly")]
    [TestCase("[[10.0,59.0],[11.5,60.25]]", TestName = "Coordinates_keep_nested_arrays")]
    [TestCase("[-0.000001,1E-07]", TestName = "Coordinates_keep_small_and_exponent_values")]
    public void Coordinates_round_trip_exactly(string coordinates)
    {
        var json = $$$"""{"type":"Feature","geometry":{"type":"LineString","coordinates":{{{coordinates}}}}}""";

        var roundTripped = CogniteJson.Serialize(CogniteJson.Deserialize<GeoLocation>(json));

        Json.AssertEquivalent(Json.Parse(roundTripped), json);
    }

    [Test]
    public void Ids_above_2_pow_53_round_trip_exactly()
    {
        var json = Samples.MinimalFile.Replace("9007199254740990", "9223372036854775807", StringComparison.Ordinal);

        var roundTripped = CogniteJson.Serialize(CogniteJson.Deserialize<FileMetadata>(json));

        Json.AssertEquivalent(Json.Parse(roundTripped), json);
        Assert.That(roundTripped, Does.Contain("9223372036854775807"));
    }
}
