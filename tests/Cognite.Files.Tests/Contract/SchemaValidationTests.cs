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

    /// <summary>
    /// One realistic call per operation, with the response a server would give: JSON text, or for a binary media type
    /// (<c>image/jpeg</c>) the bytes in base64.
    /// </summary>
    private static IEnumerable<TestCaseData> Calls()
    {
        static TestCaseData Call(string operationId, Func<ICogniteFilesApi, Task> call, HttpStatusCode status, string response, string mediaType = JsonMediaType) =>
            new TestCaseData(operationId, call, status, response, mediaType).SetArgDisplayNames(operationId);

        var items = $$"""{"items":[{{Samples.FullFile}},{{Samples.MinimalFile}}]}""";
        yield return Call("CreateFile", api => api.CreateFileAsync(Samples.FullFileCreate(), overwrite: true), HttpStatusCode.Created,
            Samples.UploadResponse("\"uploadUrl\":\"https://u/1\""));
        yield return Call("ListFiles", api => api.ListFilesAsync(limit: 1000, cursor: "c", assetIds: [Samples.MaxId, 1], uploaded: true, minCreatedTime: 0, partition: "10/10"),
            HttpStatusCode.OK, $$"""{"items":[{{Samples.FullFile}}],"nextCursor":null}""");
        yield return Call("GetUploadLink", api => api.GetUploadLinkAsync(new UploadLinkRequest { Items = [new FileExternalIdEither { InstanceId = new InstanceId { Space = "plant", ExternalId = "pump_7" } }] }),
            HttpStatusCode.Created, $$"""{"items":[{{Samples.UploadResponse("\"uploadUrl\":\"https://u/1\"")}}]}""");
        yield return Call("InitMultipartUpload", api => api.InitMultipartUploadAsync(250, Samples.FullFileCreate(), overwrite: false), HttpStatusCode.Created, MultipartFile);
        // Not the document's response example: its instanceId is Cognite's "<string>" placeholder, which fails the
        // InstanceId patterns (see The_document_example_of_multiuploadlink_fails_only_the_instanceId_patterns).
        yield return Call("GetMultipartUploadLink", api => api.GetMultipartUploadLinkAsync(1, new UploadLinkRequest { Items = [new FileExternalIdEither { ExternalId = "plant-a/pump-7.pdf" }] }),
            HttpStatusCode.Created, $$"""{"items":[{{MultipartFile}}]}""");
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
                new FileUpdateItem
                {
                    InstanceId = new InstanceId { Space = "plant", ExternalId = "pump_7" },
                    Update = new FileUpdate { Labels = new LabelsUpdate { Set = [new Label { ExternalId = "a" }, new Label { ExternalId = "b" }] } },
                },
            ],
        }), HttpStatusCode.OK, items);
        yield return Call("DeleteFiles", api => api.DeleteFilesAsync(new FileDeleteRequest { Items = [IdEither.FromExternalId("x")] }), HttpStatusCode.OK, "{}");
        yield return Call("SearchFiles", api => api.SearchFilesAsync(new FileSearchRequest { Search = new FileSearch { Name = "pump" }, Filter = Samples.FullFilter() }),
            HttpStatusCode.OK, items);
        yield return Call("AggregateFiles", api => api.AggregateFilesAsync(new FileAggregateRequest { Filter = Samples.FullFilter() }), HttpStatusCode.OK, """{"items":[{"count":3}]}""");
        yield return Call("GetDownloadLinks", api => api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [Identifier.FromId(1)] }, extendedExpiration: true),
            HttpStatusCode.OK, """{"items":[{"downloadUrl":"https://d/1","id":1}]}""");
        yield return Call("GetIcon", async api => { await using var icon = await api.GetIconAsync(space: "plant", instanceExternalId: "pump_7"); },
            HttpStatusCode.OK, Convert.ToBase64String(Samples.JpegThumbnail), "image/jpeg");
    }

    private const string JsonMediaType = "application/json";

    /// <summary>A recording client answering with <paramref name="response"/> as <paramref name="mediaType"/> (see <see cref="Calls"/>).</summary>
    private static RecordingCogniteApi Answering(HttpStatusCode status, string response, string mediaType) =>
        mediaType == JsonMediaType ? new RecordingCogniteApi(status, response) : new RecordingCogniteApi(status, Convert.FromBase64String(response), mediaType);

    [Test]
    public void Every_operation_has_a_validation_call()
    {
        Assert.That(Calls().Select(c => (string)c.Arguments[0]!), Is.EquivalentTo(OpenApiContract.Get().Operations.Select(o => o.OperationId)));
    }

    [TestCaseSource(nameof(Calls))]
    public async Task Request_body_sent_by_the_client_validates_against_the_request_schema(string operationId, Func<ICogniteFilesApi, Task> call, HttpStatusCode status, string response, string mediaType)
    {
        using var api = Answering(status, response, mediaType);
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
    public async Task Query_and_path_values_sent_by_the_client_validate_against_the_parameter_schemas(string operationId, Func<ICogniteFilesApi, Task> call, HttpStatusCode status, string response, string mediaType)
    {
        using var api = Answering(status, response, mediaType);
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
    public async Task Response_used_by_the_tests_validates_against_the_response_schema(string operationId, Func<ICogniteFilesApi, Task> call, HttpStatusCode status, string response, string mediaType)
    {
        var contract = await OpenApiContract.GetAsync();
        using var api = Answering(status, response, mediaType);
        await call(api.Client);

        Assert.That(mediaType, Is.EqualTo(contract.ResponseMediaType(operationId)), "the documented media type");
        if (contract.HasBinaryResponse(operationId))
        {
            Assert.That(Convert.FromBase64String(response), Is.Not.Empty, "a binary body");
        }
        else
        {
            var errors = OpenApiContract.Validate(contract.ResponseSchema(operationId), response);
            Assert.That(errors, Is.Empty, OpenApiContract.Describe(errors));
        }

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
    [TestCase("GetIcon", "id", "0", ValidationErrorKind.NumberTooSmall)]
    [TestCase("GetIcon", "space", "\"1bad\"", ValidationErrorKind.PatternMismatch)]
    [TestCase("GetIcon", "space", "\"\"", ValidationErrorKind.StringTooShort)]
    [TestCase("GetIcon", "instanceExternalId", "\"\"", ValidationErrorKind.StringTooShort)]
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

    [TestCase("GetUploadLink")]
    [TestCase("GetMultipartUploadLink")]
    public async Task An_upload_link_item_by_internal_id_fails_the_request_schema(string operationId)
    {
        // uploadlink and multiuploadlink take an externalId or an instanceId only (FileExternalIdEither).
        var schema = (await OpenApiContract.GetAsync()).RequestSchema(operationId)!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Kinds(OpenApiContract.Validate(schema, """{"items":[{"id":1}]}""")), Does.Contain(ValidationErrorKind.NoAdditionalPropertiesAllowed));
            Assert.That(Kinds(OpenApiContract.Validate(schema, """{"items":[{"externalId":"a","instanceId":{"space":"plant","externalId":"pump_7"}}]}""")),
                Does.Contain(ValidationErrorKind.TooManyProperties));
            Assert.That(OpenApiContract.Validate(schema, """{"items":[{"externalId":"a"}]}"""), Is.Empty);
            Assert.That(OpenApiContract.Validate(schema, """{"items":[{"instanceId":{"space":"plant","externalId":"pump_7"}}]}"""), Is.Empty);
        }
    }

    [TestCase("add")]
    [TestCase("remove")]
    [TestCase("set")]
    public async Task A_labels_update_with_duplicate_labels_fails_uniqueItems(string operation)
    {
        var schema = (await OpenApiContract.GetAsync()).RequestSchema("UpdateFiles")!;
        var body = """{"items":[{"id":1,"update":{"labels":{"OP":[{"externalId":"a"},{"externalId":"b"},{"externalId":"a"}]}}}]}""".Replace("OP", operation, StringComparison.Ordinal);

        Assert.That(Kinds(OpenApiContract.Validate(schema, body)), Does.Contain(ValidationErrorKind.ItemsNotUnique));
    }

    [TestCase("add")]
    [TestCase("remove")]
    [TestCase("set")]
    public async Task A_labels_update_with_11_labels_fails_maxItems_and_10_pass(string operation)
    {
        var schema = (await OpenApiContract.GetAsync()).RequestSchema("UpdateFiles")!;
        string Body(int count) => CogniteJson.Serialize(new FileUpdateRequest
        {
            Items = [new FileUpdateItem { Id = 1, Update = new FileUpdate { Labels = Update(operation, [.. Enumerable.Range(0, count).Select(i => new Label { ExternalId = $"l{i}" })]) } }],
        });

        Assert.That(Kinds(OpenApiContract.Validate(schema, Body(11))), Does.Contain(ValidationErrorKind.TooManyItems));
        Assert.That(OpenApiContract.Validate(schema, Body(10)), Is.Empty);
    }

    [Test]
    public async Task A_FileCreate_with_duplicate_or_11_labels_fails_the_request_schema()
    {
        var schema = (await OpenApiContract.GetAsync()).RequestSchema("CreateFile")!;
        string Body(params string[] labels) => CogniteJson.Serialize(new FileCreate { Name = "a", Labels = [.. labels.Select(l => new Label { ExternalId = l })] });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Kinds(OpenApiContract.Validate(schema, Body("a", "a"))), Does.Contain(ValidationErrorKind.ItemsNotUnique));
            Assert.That(Kinds(OpenApiContract.Validate(schema, Body([.. Enumerable.Range(0, 11).Select(i => $"l{i}")]))), Does.Contain(ValidationErrorKind.TooManyItems));
            Assert.That(OpenApiContract.Validate(schema, Body([.. Enumerable.Range(0, 10).Select(i => $"l{i}")])), Is.Empty);
            Assert.That(OpenApiContract.Validate(schema, Body()), Is.Empty, "no labels at all is fine");
        }
    }

    [TestCase("1bad", "pump_7", ValidationErrorKind.PatternMismatch, TestName = "An_InstanceId_whose_space_starts_with_a_digit_fails_the_pattern")]
    [TestCase("bad.space", "pump_7", ValidationErrorKind.PatternMismatch, TestName = "An_InstanceId_whose_space_has_a_dot_fails_the_pattern")]
    [TestCase("", "pump_7", ValidationErrorKind.StringTooShort, TestName = "An_InstanceId_with_an_empty_space_fails_minLength")]
    [TestCase("plant", "", ValidationErrorKind.StringTooShort, TestName = "An_InstanceId_with_an_empty_externalId_fails_minLength")]
    public async Task An_invalid_InstanceId_fails_its_schema(string space, string externalId, ValidationErrorKind expected)
    {
        var contract = await OpenApiContract.GetAsync();
        var json = CogniteJson.Serialize(new InstanceId { Space = space, ExternalId = externalId });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Kinds(OpenApiContract.Validate(contract.Schema("InstanceId"), json)), Does.Contain(expected));
            // And where it is used: the same item in a request body.
            Assert.That(Kinds(OpenApiContract.Validate(contract.RequestSchema("RetrieveFiles")!, $$"""{"items":[{"instanceId":{{json}}}]}""")), Does.Contain(expected));
        }
    }

    [TestCase("plant", "pump_7")]
    [TestCase("a", "b")]
    [TestCase("cdf_cdm-units", "Pump7")]
    public async Task A_valid_InstanceId_passes_its_schema(string space, string externalId)
    {
        var schema = (await OpenApiContract.GetAsync()).Schema("InstanceId");

        Assert.That(OpenApiContract.Validate(schema, CogniteJson.Serialize(new InstanceId { Space = space, ExternalId = externalId })), Is.Empty);
    }

    [Test]
    public async Task A_search_name_of_257_characters_fails_maxLength_and_256_pass()
    {
        var schema = (await OpenApiContract.GetAsync()).RequestSchema("SearchFiles")!;
        string Body(int length) => CogniteJson.Serialize(new FileSearchRequest { Search = new FileSearch { Name = new string('n', length) } });

        Assert.That(Kinds(OpenApiContract.Validate(schema, Body(257))), Does.Contain(ValidationErrorKind.StringTooLong));
        Assert.That(OpenApiContract.Validate(schema, Body(256)), Is.Empty);
    }

    [Test]
    public async Task The_document_example_of_multiuploadlink_fails_only_the_instanceId_patterns()
    {
        // The example is Cognite's (seed 000), with the placeholder "<string>" for instanceId.space and .externalId,
        // which the InstanceId patterns refuse. That is why the validation call for GetMultipartUploadLink answers with a
        // sample file instead. If the example gets real ids, expect no errors here.
        var contract = await OpenApiContract.GetAsync();

        var errors = OpenApiContract.Validate(contract.ResponseSchema("GetMultipartUploadLink"), contract.ResponseExample("GetMultipartUploadLink")!.ToString());

        Assert.That(Leaves(errors).Select(e => $"{e.Kind} at {e.Path}"), Is.EquivalentTo(new[]
        {
            "PatternMismatch at #/items[0].instanceId.space",
            "PatternMismatch at #/items[0].instanceId.externalId",
        }));
    }

    private static LabelsUpdate Update(string operation, List<Label> labels) => operation switch
    {
        "add" => new LabelsUpdate { Add = labels },
        "remove" => new LabelsUpdate { Remove = labels },
        "set" => new LabelsUpdate { Set = labels },
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, null),
    };

    /// <summary>The innermost errors: nested ones in place of the array-item or property error that holds them.</summary>
    private static List<ValidationError> Leaves(IEnumerable<ValidationError> errors) =>
        [.. errors.SelectMany(e => e is ChildSchemaValidationError child && child.Errors.Count > 0 ? Leaves(child.Errors.SelectMany(kv => kv.Value)) : new List<ValidationError> { e })];

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
