using System.Net;
using Cognite.Files.Api;
using Cognite.Files.Models;
using Cognite.Files.Serialization;
using Cognite.Files.Tests.TestSupport;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;
using NSwag;

namespace Cognite.Files.Tests.Contract;

/// <summary>
/// What the generated client puts on the wire validates against the document's JSON schemas (NJsonSchema),
/// and the validation is live: invalid payloads are rejected for the documented reason.
/// </summary>
public class SchemaValidationTests
{
    private static readonly string MultipartFile = Samples.UploadResponse("\"uploadUrls\":[\"https://u/1\"],\"uploadId\":\"u-1\"");

    /// <summary>One realistic call per operation, with the response a server would give.</summary>
    private static IEnumerable<TestCaseData> Calls()
    {
        static TestCaseData Call(string operationId, Func<ICogniteFilesApi, Task> call, HttpStatusCode status, string response) =>
            new TestCaseData(operationId, call, status, response).SetArgDisplayNames(operationId);

        var items = $$"""{"items":[{{Samples.FullFile}},{{Samples.MinimalFile}}]}""";
        yield return Call("CreateFile", api => api.CreateFileAsync(Samples.FullFileCreate(), overwrite: true), HttpStatusCode.Created,
            Samples.UploadResponse("\"uploadUrl\":\"https://u/1\""));
        yield return Call("ListFiles", api => api.ListFilesAsync(limit: 1000, cursor: "c", assetIds: [Samples.MaxId, 1], uploaded: true, minCreatedTime: 0, partition: "10/10"),
            HttpStatusCode.OK, $$"""{"items":[{{Samples.FullFile}}],"nextCursor":null}""");
        yield return Call("GetUploadLink", api => api.GetUploadLinkAsync(new UploadLinkRequest { Items = [Identifier.FromInstanceId("plant", "pump-7")] }),
            HttpStatusCode.Created, $$"""{"items":[{{Samples.UploadResponse("\"uploadUrl\":\"https://u/1\"")}}]}""");
        yield return Call("InitMultipartUpload", api => api.InitMultipartUploadAsync(250, Samples.FullFileCreate(), overwrite: false), HttpStatusCode.Created, MultipartFile);
        yield return Call("GetMultipartUploadLink", api => api.GetMultipartUploadLinkAsync(1, new UploadLinkRequest { Items = [Identifier.FromId(Samples.MaxId)] }),
            HttpStatusCode.Created, OpenApiContract.Get().ResponseExample("GetMultipartUploadLink")!.ToString());
        yield return Call("CompleteMultipartUpload", api => api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { InstanceId = new InstanceId { Space = "s", ExternalId = "x" }, UploadId = "u-1" }),
            HttpStatusCode.OK, "{}");
        yield return Call("FilterFiles", api => api.FilterFilesAsync(new FileFilterRequest { Filter = Samples.FullFilter(), Limit = 1000, Cursor = null, Partition = "1/10" }),
            HttpStatusCode.OK, items);
        yield return Call("GetFileById", api => api.GetFileByIdAsync(Samples.MaxId), HttpStatusCode.OK, Samples.FullFile);
        yield return Call("RetrieveFiles", api => api.RetrieveFilesAsync(new FileRetrieveRequest { Items = [Identifier.FromId(1), Identifier.FromExternalId("x")], IgnoreUnknownIds = true }),
            HttpStatusCode.OK, items);
        yield return Call("UpdateFiles", api => api.UpdateFilesAsync(new FileUpdateRequest
        {
            Items =
            [
                new FileUpdateItem
                {
                    Id = 1,
                    Update = new FileUpdate
                    {
                        ExternalId = new SetNullableString { SetNull = true },
                        Metadata = new MetadataUpdate { Add = new Dictionary<string, string> { ["a"] = "b" }, Remove = ["c"] },
                        AssetIds = new IdListUpdate { Set = [Samples.MaxId] },
                        DataSetId = new SetNullableLong { Set = 5 },
                        Labels = new LabelsUpdate { Remove = [new Label { ExternalId = "l" }] },
                        GeoLocation = new GeoLocationUpdate { Set = Samples.FullFileCreate().GeoLocation },
                    },
                },
            ],
        }), HttpStatusCode.OK, items);
        yield return Call("DeleteFiles", api => api.DeleteFilesAsync(new FileDeleteRequest { Items = [IdEither.FromExternalId("x")] }), HttpStatusCode.OK, "{}");
        yield return Call("SearchFiles", api => api.SearchFilesAsync(new FileSearchRequest { Search = new FileSearch { Name = "pump" }, Filter = Samples.FullFilter() }),
            HttpStatusCode.OK, items);
        yield return Call("AggregateFiles", api => api.AggregateFilesAsync(new FileAggregateRequest { Filter = Samples.FullFilter() }), HttpStatusCode.OK, """{"items":[{"count":3}]}""");
        yield return Call("GetDownloadLinks", api => api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [Identifier.FromId(1)] }, extendedExpiration: true),
            HttpStatusCode.OK, """{"items":[{"downloadUrl":"https://d/1","id":1}]}""");
    }

    [Test]
    public void Every_operation_has_a_validation_call()
    {
        Assert.That(Calls().Select(c => (string)c.Arguments[0]!), Is.EquivalentTo(OpenApiContract.Get().Operations.Select(o => o.OperationId)));
    }

    [TestCaseSource(nameof(Calls))]
    public async Task Request_body_sent_by_the_client_validates_against_the_request_schema(string operationId, Func<ICogniteFilesApi, Task> call, HttpStatusCode status, string response)
    {
        using var api = new RecordingCogniteApi(status, response);
        await call(api.Client);
        var schema = (await OpenApiContract.GetAsync()).RequestSchema(operationId);

        if (schema is null)
        {
            Assert.That(api.Request.Body, Is.Null.Or.Empty, "the document defines no body");
            return;
        }

        var errors = OpenApiContract.Validate(schema, api.Request.Body!);
        Assert.That(errors, Is.Empty, OpenApiContract.Describe(errors) + Environment.NewLine + api.Request.Body);
    }

    [TestCaseSource(nameof(Calls))]
    public async Task Query_and_path_values_sent_by_the_client_validate_against_the_parameter_schemas(string operationId, Func<ICogniteFilesApi, Task> call, HttpStatusCode status, string response)
    {
        using var api = new RecordingCogniteApi(status, response);
        await call(api.Client);
        var op = (await OpenApiContract.GetAsync()).Operation(operationId);

        using (Assert.EnterMultipleScope())
        {
            foreach (var group in api.Request.Query.GroupBy(kv => kv.Key))
            {
                var parameter = op.Parameters.SingleOrDefault(p => p.Name == group.Key && p.Kind == OpenApiParameterKind.Query);
                Assert.That(parameter, Is.Not.Null, $"query parameter '{group.Key}' is not in the document");
                if (parameter is not null)
                {
                    var errors = OpenApiContract.Validate(parameter.Schema.ActualSchema, ToJson(parameter.Schema.ActualSchema, [.. group.Select(kv => kv.Value)]));
                    Assert.That(errors, Is.Empty, $"{group.Key}: {OpenApiContract.Describe(errors)}");
                }
            }

            foreach (var parameter in op.Parameters.Where(p => p.IsRequired && p.Kind == OpenApiParameterKind.Query))
            {
                Assert.That(api.Request.Query.Select(kv => kv.Key), Does.Contain(parameter.Name), "required query parameter missing");
            }

            var brace = op.Path.IndexOf('{', StringComparison.Ordinal);
            var pathPrefix = RecordingCogniteApi.PathPrefix + (brace >= 0 ? op.Path[..brace] : op.Path);
            Assert.That(api.Request.Path, Does.StartWith(pathPrefix));
            foreach (var parameter in op.Parameters.Where(p => p.Kind == OpenApiParameterKind.Path))
            {
                var value = Uri.UnescapeDataString(api.Request.Path[pathPrefix.Length..]);
                var errors = OpenApiContract.Validate(parameter.Schema.ActualSchema, ToJson(parameter.Schema.ActualSchema, [value]));
                Assert.That(errors, Is.Empty, $"{parameter.Name}: {OpenApiContract.Describe(errors)}");
            }
        }
    }

    [TestCaseSource(nameof(Calls))]
    public async Task Response_used_by_the_tests_validates_against_the_response_schema(string operationId, Func<ICogniteFilesApi, Task> call, HttpStatusCode status, string response)
    {
        var contract = await OpenApiContract.GetAsync();
        using var api = new RecordingCogniteApi(status, response);
        await call(api.Client);

        var errors = OpenApiContract.Validate(contract.ResponseSchema(operationId), response);

        Assert.That(errors, Is.Empty, OpenApiContract.Describe(errors));
        Assert.That(((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(contract.Operation(operationId).SuccessStatus));
    }

    [Test]
    public async Task An_Identifier_with_both_id_and_externalId_fails_maxProperties()
    {
        var schema = (await OpenApiContract.GetAsync()).Schema("Identifier");
        var json = CogniteJson.Serialize(new Identifier { Id = 1, ExternalId = "x" });

        Assert.That(Kinds(OpenApiContract.Validate(schema, json)), Does.Contain(ValidationErrorKind.TooManyProperties));
    }

    [Test]
    public async Task An_empty_Identifier_fails_minProperties()
    {
        var schema = (await OpenApiContract.GetAsync()).Schema("Identifier");

        Assert.That(Kinds(OpenApiContract.Validate(schema, CogniteJson.Serialize(new Identifier()))), Does.Contain(ValidationErrorKind.TooFewProperties));
    }

    [Test]
    public async Task A_FileCreate_without_a_name_fails_required()
    {
        var schema = (await OpenApiContract.GetAsync()).Schema("FileCreate");

        Assert.That(Kinds(OpenApiContract.Validate(schema, """{"externalId":"x"}""")), Does.Contain(ValidationErrorKind.PropertyRequired));
    }

    [Test]
    public async Task A_FileCreate_with_an_unknown_property_fails_additionalProperties()
    {
        var schema = (await OpenApiContract.GetAsync()).Schema("FileCreate");

        Assert.That(Kinds(OpenApiContract.Validate(schema, """{"name":"a","uploaded":true}""")), Does.Contain(ValidationErrorKind.NoAdditionalPropertiesAllowed));
    }

    [Test]
    public async Task An_id_of_2_pow_53_fails_the_id_maximum()
    {
        var schema = (await OpenApiContract.GetAsync()).Schema("IdEither");

        Assert.That(Kinds(OpenApiContract.Validate(schema, """{"id":9007199254740992}""")), Does.Contain(ValidationErrorKind.NumberTooBig));
        Assert.That(OpenApiContract.Validate(schema, """{"id":9007199254740991}"""), Is.Empty);
    }

    [TestCase("InitMultipartUpload", "parts", "0", ValidationErrorKind.NumberTooSmall)]
    [TestCase("InitMultipartUpload", "parts", "251", ValidationErrorKind.NumberTooBig)]
    [TestCase("GetMultipartUploadLink", "parts", "251", ValidationErrorKind.NumberTooBig)]
    [TestCase("ListFiles", "limit", "1001", ValidationErrorKind.NumberTooBig)]
    [TestCase("ListFiles", "limit", "0", ValidationErrorKind.NumberTooSmall)]
    [TestCase("ListFiles", "partition", "\"11/10\"", ValidationErrorKind.PatternMismatch)]
    [TestCase("GetFileById", "id", "0", ValidationErrorKind.NumberTooSmall)]
    public async Task A_parameter_value_out_of_range_fails_its_schema(string operationId, string parameter, string json, ValidationErrorKind expected)
    {
        var schema = (await OpenApiContract.GetAsync()).ParameterSchema(operationId, parameter);

        Assert.That(Kinds(OpenApiContract.Validate(schema, json)), Does.Contain(expected));
    }

    [TestCase("""{"limit":1001}""", ValidationErrorKind.NumberTooBig)]
    [TestCase("""{"filter":{"labels":{"containsAny":[{"externalId":"a"}],"containsAll":[{"externalId":"b"}]}}}""", ValidationErrorKind.TooManyProperties)]
    [TestCase("""{"filter":{"geoLocation":{"relation":"touches","shape":{"type":"Point","coordinates":[1,2]}}}}""", ValidationErrorKind.PatternMismatch)]
    [TestCase("""{"filter":{"createdTime":{"min":-1}}}""", ValidationErrorKind.NumberTooSmall)]
    public async Task An_invalid_FilterFiles_body_fails_the_request_schema(string body, ValidationErrorKind expected)
    {
        var schema = (await OpenApiContract.GetAsync()).RequestSchema("FilterFiles")!;

        Assert.That(Kinds(OpenApiContract.Validate(schema, body)), Does.Contain(expected));
    }

    [Test]
    public async Task An_update_item_with_two_identifiers_fails_maxProperties()
    {
        var schema = (await OpenApiContract.GetAsync()).RequestSchema("UpdateFiles")!;
        var json = CogniteJson.Serialize(new FileUpdateRequest { Items = [new FileUpdateItem { Id = 1, ExternalId = "x", Update = new FileUpdate() }] });

        Assert.That(Kinds(OpenApiContract.Validate(schema, json)), Does.Contain(ValidationErrorKind.TooManyProperties));
    }

    /// <summary>Error kinds, nested ones (array items, properties) included.</summary>
    private static List<ValidationErrorKind> Kinds(IEnumerable<ValidationError> errors) =>
        [.. errors.SelectMany(e => e is ChildSchemaValidationError child ? [e.Kind, .. Kinds(child.Errors.SelectMany(kv => kv.Value))] : new[] { e.Kind })];

    /// <summary>A query or path value as the JSON the parameter schema describes: typed scalar, or an array for exploded arrays.</summary>
    private static JToken ToJson(JsonSchema schema, IReadOnlyList<string> values)
    {
        if (schema.Type.HasFlag(JsonObjectType.Array))
        {
            return new JArray(values.Select(v => Scalar(schema.Item!.ActualSchema, v)));
        }

        Assert.That(values, Has.Count.EqualTo(1), "a scalar parameter was sent more than once");
        return Scalar(schema, values[0]);
    }

    private static JToken Scalar(JsonSchema schema, string value) =>
        schema.Type.HasFlag(JsonObjectType.Integer) || schema.Type.HasFlag(JsonObjectType.Number) || schema.Type.HasFlag(JsonObjectType.Boolean)
            ? Json.Parse(value) // "True" or "1e3" would not parse or would mistype, and then fail validation
            : new JValue(value);
}
