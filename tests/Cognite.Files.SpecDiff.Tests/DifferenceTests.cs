using Newtonsoft.Json.Linq;

namespace Cognite.Files.SpecDiff.Tests;

/// <summary>Each kind of difference, made by one change to the equivalent fixtures, is reported as exactly its line.</summary>
[TestFixture]
public sealed class DifferenceTests
{
    private JObject _theirs = null!;
    private JObject _ours = null!;

    [SetUp]
    public void LoadFreshCopies()
    {
        _theirs = Fixtures.Theirs();
        _ours = Fixtures.Ours();
    }

    private List<string> Lines() => Fixtures.Lines(_theirs, _ours);

    private JObject Theirs(string path) => Fixtures.At(_theirs, path);

    private JObject Ours(string path) => Fixtures.At(_ours, path);

    private const string FileCreate = "components.schemas.ExternalFilesMetadata.properties";

    [Test]
    public void An_operation_only_in_Cognites_document_is_missing_in_ours()
    {
        Theirs("paths").Add("/files/icon", JObject.Parse("""
            {"get": {"operationId": "getIcon", "responses": {"200": {"description": "thumbnail",
              "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}}}}
            """));

        Assert.That(Lines(), Is.EqualTo(new[] { "GET /files/icon operation: missing in ours" }));
    }

    [Test]
    public void An_operation_only_in_ours_is_missing_in_Cognites()
    {
        ((JObject)_theirs["paths"]!).Remove("/files/search");

        Assert.That(Lines(), Is.EqualTo(new[] { "POST /files/search operation: missing in Cognite's" }));
    }

    [Test]
    public void The_same_path_with_another_method_is_another_operation()
    {
        var byIds = Theirs("paths['/files/byids/']");
        byIds["put"] = byIds["post"]!.DeepClone();
        byIds.Remove("post");

        Assert.That(Lines(), Is.EqualTo(new[]
        {
            "POST /files/byids operation: missing in Cognite's",
            "PUT /files/byids operation: missing in ours",
        }));
    }

    [Test]
    public void A_changed_success_code_is_reported_and_the_bodies_are_still_compared()
    {
        var responses = Theirs("paths['/files'].post.responses");
        var created = responses["201"]!;
        responses.Remove("201");
        responses.Add("200", created);
        Theirs("components.schemas.FileUploadResponse.allOf[1].properties.uploadUrl")["maxLength"] = 2048;

        Assert.That(Lines(), Is.EqualTo(new[]
        {
            "POST /files success codes: Cognite 200, ours 201",
            "POST /files response uploadUrl: maxLength: Cognite 2048, ours (none)",
            "POST /files/uploadlink response items[].uploadUrl: maxLength: Cognite 2048, ours (none)",
        }));
    }

    [Test]
    public void An_extra_success_code_is_reported_and_the_shared_one_compared()
    {
        Theirs("paths['/files/completemultipartupload'].post.responses").Add("202", JObject.Parse("""{"description": "later"}"""));

        Assert.That(Lines(), Is.EqualTo(new[] { "POST /files/completemultipartupload success codes: Cognite 200,202, ours 200" }));
    }

    [Test]
    public void Parameter_required_change()
    {
        Theirs("components.parameters.Overwrite")["required"] = true;

        Assert.That(Lines(), Is.EqualTo(new[] { "POST /files query parameter overwrite: required: Cognite true, ours false" }));
    }

    [Test]
    public void Parameter_limit_change()
    {
        Theirs("components.parameters.Limit.schema")["maximum"] = 10000;
        Theirs("paths['/files'].get.parameters[3].schema")["maxItems"] = 50;

        Assert.That(Lines(), Is.EqualTo(new[]
        {
            "GET /files query parameter assetIds: maxItems: Cognite 50, ours 100",
            "GET /files query parameter limit: maximum: Cognite 10000, ours 1000",
        }));
    }

    [Test]
    public void Parameter_type_and_items_change()
    {
        Theirs("paths['/files'].get.parameters[4]")["schema"] = JObject.Parse("""{"type": "string", "enum": ["true", "false"]}""");
        Theirs("paths['/files'].get.parameters[3].schema")["items"] = JObject.Parse("""{"type": "integer", "format": "int64", "minimum": 1}""");

        Assert.That(Lines(), Is.EqualTo(new[]
        {
            "GET /files query parameter assetIds[]: maximum: Cognite (none), ours 9007199254740991",
            "GET /files query parameter uploaded: type: Cognite string, ours boolean",
            "GET /files query parameter uploaded: enum: Cognite [\"false\", \"true\"], ours (none)",
        }));
    }

    [Test]
    public void Parameter_default_change()
    {
        Theirs("components.parameters.Overwrite.schema")["default"] = true;

        Assert.That(Lines(), Is.EqualTo(new[] { "POST /files query parameter overwrite: default: Cognite true, ours false" }));
    }

    [Test]
    public void A_parameter_in_another_place_is_another_parameter()
    {
        // The place (query, path, header, cookie) is part of a parameter's identity: moved, it is missing on both sides.
        Theirs("paths['/files'].get.parameters[4]")["in"] = "header";

        Assert.That(Lines(), Is.EqualTo(new[]
        {
            "GET /files header parameter uploaded: missing in ours",
            "GET /files query parameter uploaded: missing in Cognite's",
        }));
    }

    [Test]
    public void Parameter_missing_on_either_side_and_json_content_parameters()
    {
        Theirs("paths['/files'].get").Value<JArray>("parameters")!.Add(JObject.Parse("""
            {"name": "dataSetIds", "in": "query", "content": {"application/json": {"schema": {"type": "array", "maxItems": 100,
              "items": {"type": "object", "properties": {"id": {"type": "integer"}}}}}}}
            """));
        Ours("paths['/files'].get").Value<JArray>("parameters")!.Add(JObject.Parse("""{"name": "dataSetIds", "in": "query", "schema": {"type": "string"}}"""));
        Ours("paths['/files'].get").Value<JArray>("parameters")!.Add(JObject.Parse("""{"name": "source", "in": "query", "schema": {"type": "string"}}"""));

        Assert.That(Lines(), Is.EqualTo(new[]
        {
            "GET /files query parameter dataSetIds: type: Cognite array, ours string",
            "GET /files query parameter dataSetIds: content: Cognite application/json, ours (none)",
            "GET /files query parameter dataSetIds: maxItems: Cognite 100, ours (none)",
            "GET /files query parameter dataSetIds[]: missing in ours",
            "GET /files query parameter source: missing in Cognite's",
        }));
    }

    [Test]
    public void Request_property_type_and_format_change()
    {
        Theirs(FileCreate)["directory"] = JObject.Parse("""{"type": "integer", "format": "int64"}""");

        Assert.That(Lines(), Is.EqualTo(new[]
        {
            "POST /files request directory: type: Cognite integer, ours string",
            "POST /files request directory: format: Cognite int64, ours (none)",
            "POST /files request directory: maxLength: Cognite (none), ours 512",
        }));
    }

    [Test]
    public void Request_property_required_change()
    {
        Theirs("components.schemas.ExternalFilesMetadata")["required"] = new JArray("name", "mimeType");

        Assert.That(Lines(), Is.EqualTo(new[] { "POST /files request mimeType: required: Cognite true, ours false" }));
    }

    [Test]
    public void Request_property_max_length_and_pattern_change_inside_an_identifier_union()
    {
        Theirs("components.schemas.InstanceId.properties.space")["maxLength"] = 64;
        Theirs("components.schemas.InstanceId.properties.space")["pattern"] = "^[a-z]+$";

        // InstanceId is reached from requests and responses alike; only the /files/byids request is shown here.
        var byIds = Lines().Where(l => l.StartsWith("POST /files/byids request", StringComparison.Ordinal));

        Assert.That(byIds, Is.EqualTo(new[]
        {
            "POST /files/byids request items[].instanceId.space: pattern: Cognite ^[a-z]+$, ours ^[a-zA-Z][a-zA-Z0-9_-]{0,41}[a-zA-Z0-9]?$",
            "POST /files/byids request items[].instanceId.space: maxLength: Cognite 64, ours 43",
        }));
    }

    [Test]
    public void Request_enum_change()
    {
        Theirs("components.schemas.SinglePatchString.oneOf[1].properties.setNull")["const"] = false;

        Assert.That(Lines(), Is.EqualTo(new[]
        {
            "POST /files/update request items[].update.directory.setNull: enum: Cognite [false], ours [true]",
            "POST /files/update request items[].update.externalId.setNull: enum: Cognite [false], ours [true]",
        }));
    }

    [Test]
    public void Request_items_change()
    {
        Theirs(FileCreate + ".assetIds")["items"] = JObject.Parse("""{"type": "string", "maxLength": 255}""");
        Theirs(FileCreate + ".labels")["uniqueItems"] = true;

        Assert.That(Lines(), Is.EqualTo(new[]
        {
            "POST /files request assetIds[]: type: Cognite string, ours integer",
            "POST /files request assetIds[]: format: Cognite (none), ours int64",
            "POST /files request assetIds[]: minimum: Cognite (none), ours 1",
            "POST /files request assetIds[]: maximum: Cognite (none), ours 9007199254740991",
            "POST /files request assetIds[]: maxLength: Cognite 255, ours (none)",
            "POST /files request labels: uniqueItems: Cognite true, ours false",
        }));
    }

    [Test]
    public void Request_map_values_and_missing_properties()
    {
        Theirs(FileCreate + ".metadata.additionalProperties")["maxLength"] = 512;
        Theirs(FileCreate)["source"] = JObject.Parse("""{"type": "string", "maxLength": 128}""");
        ((JObject)Ours("components.schemas.FileCreate.properties")).Remove("sourceCreatedTime");

        Assert.That(Lines(), Is.EqualTo(new[]
        {
            "POST /files request metadata{}: maxLength: Cognite 512, ours 10240",
            "POST /files request source: missing in ours",
            "POST /files request sourceCreatedTime: missing in ours",
        }));
    }

    [Test]
    public void Identifier_union_with_another_set_of_forms()
    {
        Theirs("paths['/files/uploadlink'].post.requestBody.content['application/json'].schema.properties.items.items")["$ref"] = "#/components/schemas/FileIdEither";

        Assert.That(Lines(), Is.EqualTo(new[]
        {
            "POST /files/uploadlink request items[]: alternatives: Cognite exactly one of externalId|id|instanceId, ours exactly one of externalId|instanceId",
            "POST /files/uploadlink request items[].id: missing in ours",
        }));
    }

    [Test]
    public void Response_property_change()
    {
        Theirs("components.schemas.FilesMetadata.allOf[1].properties.uploaded")["type"] = "string";

        var lines = Lines();

        Assert.That(lines, Does.Contain("GET /files/{id} response uploaded: type: Cognite string, ours boolean"));
        Assert.That(lines, Does.Contain("GET /files response items[].uploaded: type: Cognite string, ours boolean"));
        Assert.That(lines, Has.All.Contain(" response ").And.All.Contain("uploaded: type: Cognite string, ours boolean"));
    }

    [Test]
    public void A_shared_components_response_is_compared_under_every_operation_that_uses_it()
    {
        var items = Theirs("components.responses.FileMetadataResponse.content['application/json'].schema.properties.items");
        items["maxItems"] = 1000;

        Assert.That(Lines(), Is.EqualTo(new[]
        {
            "POST /files/byids response items: maxItems: Cognite 1000, ours (none)",
            "POST /files/search response items: maxItems: Cognite 1000, ours (none)",
            "POST /files/update response items: maxItems: Cognite 1000, ours (none)",
        }));
    }

    [Test]
    public void A_wrapped_response_against_a_bare_one_is_one_line_and_the_inside_is_still_compared()
    {
        Theirs("paths['/files'].post.responses['201'].content['application/json']")["schema"] = JObject.Parse("""
            {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/FileUploadResponse"}}}}
            """);
        Theirs("components.schemas.FileUploadResponse.allOf[1].properties.uploadUrl")["format"] = "url";

        Assert.That(Lines(), Is.EqualTo(new[]
        {
            "POST /files response (root): wrapped in items[] in Cognite's, bare in ours",
            "POST /files response uploadUrl: format: Cognite url, ours uri",
            "POST /files/uploadlink response items[].uploadUrl: format: Cognite url, ours uri",
        }));
    }

    [Test]
    public void A_bare_response_against_a_wrapped_one_is_one_line()
    {
        Theirs("paths['/files/uploadlink'].post.responses['201'].content['application/json']")["schema"] = JObject.Parse("""{"$ref": "#/components/schemas/FileUploadResponse"}""");

        Assert.That(Lines(), Is.EqualTo(new[] { "POST /files/uploadlink response (root): bare in Cognite's, wrapped in items[] in ours" }));
    }

    [Test]
    public void Bodies_and_media_types_on_one_side_only()
    {
        Theirs("paths['/files/completemultipartupload'].post.responses['200']").Remove("content");
        var search = Theirs("paths['/files/search'].post.requestBody.content");
        search["application/x-ndjson"] = search["application/json"]!.DeepClone();
        ((JObject)Theirs("paths['/files/update'].post")).Remove("requestBody");

        Assert.That(Lines(), Is.EqualTo(new[]
        {
            "POST /files/completemultipartupload response body: missing in Cognite's",
            "POST /files/search request media types: Cognite application/json,application/x-ndjson, ours application/json",
            "POST /files/update request body: missing in Cognite's",
        }));
    }

    [Test]
    public void Differences_come_grouped_by_operation_then_by_kind()
    {
        Theirs("paths").Add("/files/icon", JObject.Parse("""{"get": {"responses": {"200": {"description": "x"}}}}"""));
        Theirs("paths['/files'].post.responses")["202"] = new JObject { ["description"] = "x" };
        Theirs("components.parameters.Overwrite")["required"] = true;
        Theirs(FileCreate + ".name")["maxLength"] = 100;
        Theirs("components.schemas.FileUploadResponse.allOf[1].properties.uploadUrl")["maxLength"] = 10;

        var differences = SpecComparer.Compare(_theirs, _ours);

        Assert.That(differences.Select(d => (d.Operation, d.Kind)), Is.EqualTo(new[]
        {
            ("POST /files", DifferenceKind.SuccessCodes),
            ("POST /files", DifferenceKind.Parameter),
            ("POST /files", DifferenceKind.Request),
            ("POST /files", DifferenceKind.Response),
            ("GET /files/icon", DifferenceKind.Operation),
            ("POST /files/uploadlink", DifferenceKind.Response),
        }));
    }
}
