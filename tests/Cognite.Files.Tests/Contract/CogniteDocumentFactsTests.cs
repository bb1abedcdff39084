using Cognite.Files.Tests.TestSupport;
using NJsonSchema.Validation;

namespace Cognite.Files.Tests.Contract;

/// <summary>
/// The facts of Cognite's published OpenAPI document (files-api.md, section 10) that our document follows, pinned one by
/// one on <c>openapi/cognite-files.yaml</c> itself, so that a later edit of the document cannot drop one unnoticed.
/// </summary>
public class CogniteDocumentFactsTests
{
    private const string FileJson = """{"id":1,"name":"a","uploaded":false,"createdTime":0,"lastUpdatedTime":0EXTRA}""";

    [Test]
    public async Task Success_codes_are_201_for_the_four_creating_operations_and_200_for_every_other()
    {
        var contract = await OpenApiContract.GetAsync();
        var created = new[] { "CreateFile", "GetUploadLink", "InitMultipartUpload", "GetMultipartUploadLink" };

        Assert.That(contract.Operations.ToDictionary(o => o.OperationId, o => o.SuccessStatus),
            Is.EquivalentTo(contract.Operations.ToDictionary(o => o.OperationId, o => created.Contains(o.OperationId) ? "201" : "200")));
    }

    [TestCase("""{"uploadId":"u","id":1}""", TestName = "Complete_takes_uploadId_and_an_id")]
    [TestCase("""{"uploadId":"u","externalId":"x"}""", TestName = "Complete_takes_uploadId_and_an_externalId")]
    [TestCase("""{"uploadId":"u","instanceId":{"space":"plant","externalId":"pump_7"}}""", TestName = "Complete_takes_uploadId_and_an_instanceId")]
    public async Task A_complete_body_with_uploadId_and_one_identifier_passes(string body)
    {
        var schema = (await OpenApiContract.GetAsync()).RequestSchema("CompleteMultipartUpload")!;

        Assert.That(OpenApiContract.Validate(schema, body), Is.Empty);
    }

    [TestCase("""{"id":1}""", ValidationErrorKind.PropertyRequired, TestName = "Complete_without_uploadId_fails")]
    [TestCase("""{"uploadId":"u"}""", ValidationErrorKind.TooFewProperties, TestName = "Complete_without_an_identifier_fails")]
    [TestCase("""{"uploadId":"u","id":1,"externalId":"x"}""", ValidationErrorKind.TooManyProperties, TestName = "Complete_with_two_identifiers_fails")]
    [TestCase("""{"uploadId":"","id":1}""", ValidationErrorKind.StringTooShort, TestName = "Complete_with_an_empty_uploadId_fails")]
    public async Task A_complete_body_needs_uploadId_and_exactly_one_identifier(string body, ValidationErrorKind expected)
    {
        var schema = (await OpenApiContract.GetAsync()).RequestSchema("CompleteMultipartUpload")!;

        Assert.That(Kinds(OpenApiContract.Validate(schema, body)), Does.Contain(expected));
    }

    [Test]
    public async Task Delete_items_are_an_id_or_an_externalId_but_no_instanceId()
    {
        var schema = (await OpenApiContract.GetAsync()).RequestSchema("DeleteFiles")!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(OpenApiContract.Validate(schema, """{"items":[{"id":1},{"externalId":"x"}]}"""), Is.Empty);
            Assert.That(Kinds(OpenApiContract.Validate(schema, """{"items":[{"instanceId":{"space":"plant","externalId":"pump_7"}}]}""")),
                Does.Contain(ValidationErrorKind.NoAdditionalPropertiesAllowed));
        }
    }

    [TestCase(43, 255, true)]
    [TestCase(44, 1, false)]
    [TestCase(1, 256, false)]
    public async Task An_InstanceId_space_has_at_most_43_characters_and_its_externalId_at_most_255(int spaceLength, int externalIdLength, bool valid)
    {
        var schema = (await OpenApiContract.GetAsync()).Schema("InstanceId");
        var json = $$"""{"space":"{{new string('s', spaceLength)}}","externalId":"{{new string('x', externalIdLength)}}"}""";

        var errors = OpenApiContract.Validate(schema, json);

        if (valid)
        {
            Assert.That(errors, Is.Empty);
        }
        else
        {
            Assert.That(Kinds(errors), Does.Contain(ValidationErrorKind.StringTooLong));
        }
    }

    [TestCase("INTERSECTS")]
    [TestCase("disjoint")]
    [TestCase("Within")]
    public async Task A_geoLocation_relation_is_accepted_in_Cognites_upper_case_and_the_SDKs_lower_case(string relation)
    {
        var schema = (await OpenApiContract.GetAsync()).RequestSchema("FilterFiles")!;
        var body = """{"filter":{"geoLocation":{"relation":"RELATION","shape":{"type":"Point","coordinates":[1,2]}}}}""".Replace("RELATION", relation, StringComparison.Ordinal);

        Assert.That(OpenApiContract.Validate(schema, body), Is.Empty);
    }

    [Test]
    public async Task A_file_in_a_response_has_1_to_1000_assetIds_when_it_has_any()
    {
        var schema = (await OpenApiContract.GetAsync()).Schema("FileMetadata");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(OpenApiContract.Validate(schema, FileJson.Replace("EXTRA", "", StringComparison.Ordinal)), Is.Empty, "none at all");
            Assert.That(OpenApiContract.Validate(schema, FileJson.Replace("EXTRA", ",\"assetIds\":[" + string.Join(',', Enumerable.Range(1, 1000)) + "]", StringComparison.Ordinal)), Is.Empty);
            Assert.That(Kinds(OpenApiContract.Validate(schema, FileJson.Replace("EXTRA", ",\"assetIds\":[]", StringComparison.Ordinal))), Does.Contain(ValidationErrorKind.TooFewItems));
            Assert.That(Kinds(OpenApiContract.Validate(schema, FileJson.Replace("EXTRA", ",\"assetIds\":[" + string.Join(',', Enumerable.Range(1, 1001)) + "]", StringComparison.Ordinal))),
                Does.Contain(ValidationErrorKind.TooManyItems));
        }
    }

    [Test]
    public async Task A_file_in_a_response_has_0_to_10_unique_labels_and_at_most_100_security_categories()
    {
        var schema = (await OpenApiContract.GetAsync()).Schema("FileMetadata");
        static string Labels(params string[] ids) => ",\"labels\":[" + string.Join(',', ids.Select(i => $$"""{"externalId":"{{i}}"}""")) + "]";

        using (Assert.EnterMultipleScope())
        {
            Assert.That(OpenApiContract.Validate(schema, FileJson.Replace("EXTRA", Labels([.. Enumerable.Range(0, 10).Select(i => $"l{i}")]), StringComparison.Ordinal)), Is.Empty);
            Assert.That(Kinds(OpenApiContract.Validate(schema, FileJson.Replace("EXTRA", Labels([.. Enumerable.Range(0, 11).Select(i => $"l{i}")]), StringComparison.Ordinal))),
                Does.Contain(ValidationErrorKind.TooManyItems));
            Assert.That(Kinds(OpenApiContract.Validate(schema, FileJson.Replace("EXTRA", Labels("a", "a"), StringComparison.Ordinal))), Does.Contain(ValidationErrorKind.ItemsNotUnique));
            Assert.That(Kinds(OpenApiContract.Validate(schema, FileJson.Replace("EXTRA", ",\"securityCategories\":[" + string.Join(',', Enumerable.Range(1, 101)) + "]", StringComparison.Ordinal))),
                Does.Contain(ValidationErrorKind.TooManyItems));
        }
    }

    /// <summary>Error kinds, nested ones (array items, properties) included.</summary>
    private static List<ValidationErrorKind> Kinds(IEnumerable<ValidationError> errors) =>
        [.. errors.SelectMany(e => e is ChildSchemaValidationError child ? [e.Kind, .. Kinds(child.Errors.SelectMany(kv => kv.Value))] : new[] { e.Kind })];
}
