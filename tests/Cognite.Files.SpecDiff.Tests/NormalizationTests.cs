using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.SpecDiff.Tests;

/// <summary>What the two document styles have in common normalises to the same model: no difference.</summary>
[TestFixture]
public sealed class NormalizationTests
{
    [Test]
    public void Cognite_style_and_our_style_of_the_same_operations_have_no_difference()
    {
        // 3.1 oneOf identifier unions, allOf compositions, type: [T, "null"], components/responses and components/parameters
        // on one side; 3.0.3 flattened identifiers with minProperties/maxProperties, nullable: true on the other.
        var lines = Fixtures.Lines(Fixtures.Theirs(), Fixtures.Ours());

        Assert.That(lines, Is.Empty);
    }

    [Test]
    public void The_fixtures_really_exercise_every_construct()
    {
        var text = File.ReadAllText(Fixtures.FixturePath("cognite-style.json"));

        Assert.That(text, Does.Contain("\"openapi\": \"3.1.0\"").And.Contain("\"oneOf\"").And.Contain("\"allOf\"")
            .And.Contain("[\"string\", \"null\"]").And.Contain("#/components/responses/FileMetadataResponse")
            .And.Contain("#/components/parameters/Limit").And.Contain("\"const\": true").And.Contain("\"/files/byids/\""));
        var ours = File.ReadAllText(Fixtures.FixturePath("ours-style.yaml"));
        Assert.That(ours, Does.Contain("openapi: 3.0.3").And.Contain("minProperties: 2").And.Contain("nullable: true").And.Contain("x-cognite-retry"));
    }

    [Test]
    public void Our_document_compared_with_itself_has_no_difference()
    {
        var ours = DocumentLoader.LoadOpenApi(Fixtures.OurDocument, "ours");

        Assert.That(ApiModel.FilesOperations(ours), Has.Count.GreaterThanOrEqualTo(14), "every Files operation is read");
        Assert.That(Fixtures.Lines(ours, (JObject)ours.DeepClone()), Is.Empty);
    }

    [Test]
    public void Our_document_as_JSON_compared_with_our_document_as_YAML_has_no_difference()
    {
        var json = Fixtures.TempFile(DocumentLoader.LoadFile(Fixtures.OurDocument, "ours").ToString(Formatting.Indented), ".json");
        try
        {
            var report = SpecDiffTool.Evaluate(json, Fixtures.OurDocument, null);

            Assert.That(report.Differences.Select(d => d.Line), Is.Empty);
            Assert.That(report.ExitCode, Is.Zero);
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Test]
    public void Either_input_may_be_JSON_or_YAML_and_the_comparison_is_symmetric()
    {
        var report = SpecDiffTool.Evaluate(Fixtures.FixturePath("ours-style.yaml"), Fixtures.FixturePath("cognite-style.json"), null);

        Assert.That(report.Differences.Select(d => d.Line), Is.Empty);
    }

    [Test]
    public void Paths_outside_files_are_ignored()
    {
        var theirs = Fixtures.Theirs();
        // Drift in /assets (which shares components/parameters/Limit with GET /files) and in /filesets changes nothing.
        Fixtures.At(theirs, "paths['/assets'].get").Add("requestBody", JObject.Parse("""{"content": {"application/json": {"schema": {"type": "object"}}}}"""));
        ((JObject)theirs["paths"]!).Add("/filesomething", JObject.Parse("""{"post": {"responses": {"200": {"description": "x"}}}}"""));

        var operations = ApiModel.FilesOperations(theirs).Select(o => o.Method + " " + o.Path).ToList();

        Assert.That(operations, Has.None.Contains("/assets").And.None.Contains("/filesets").And.None.Contains("/filesomething"));
        Assert.That(operations, Does.Contain("POST /files/byids"), "the trailing slash of /files/byids/ is dropped");
        Assert.That(Fixtures.Lines(theirs, Fixtures.Ours()), Is.Empty);
    }

    [Test]
    public void A_server_prefix_in_the_paths_is_removed_and_its_project_parameter_ignored()
    {
        var theirs = Fixtures.Theirs();
        var paths = (JObject)theirs["paths"]!;
        var byIds = paths["/files/byids/"]!;
        paths.Remove("/files/byids/");
        byIds["parameters"] = JArray.Parse("""[{"name": "project", "in": "path", "required": true, "schema": {"type": "string"}}]""");
        paths.Add("/api/v1/projects/{project}/files/byids", byIds);

        Assert.That(Fixtures.Lines(theirs, Fixtures.Ours()), Is.Empty);
    }

    [Test]
    public void Path_parameter_names_do_not_decide_which_operations_match()
    {
        var theirs = Fixtures.Theirs();
        var paths = (JObject)theirs["paths"]!;
        var get = paths["/files/{id}"]!;
        paths.Remove("/files/{id}");
        paths.Add("/files/{fileId}", get);
        Fixtures.At(theirs, "components.parameters.FileId")["name"] = "fileId";

        Assert.That(Fixtures.Lines(theirs, Fixtures.Ours()), Is.EqualTo(new[]
        {
            "GET /files/{id} path parameter fileId: missing in ours",
            "GET /files/{id} path parameter id: missing in Cognite's",
        }));
    }

    [Test]
    public void Ref_cycles_terminate_and_compare_equal_whatever_the_schema_names()
    {
        var theirs = Fixtures.Load("cycle-cognite.json");
        var ours = Fixtures.Load("cycle-ours.yaml");

        var lines = Task.Run(() => Fixtures.Lines(theirs, ours)).WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();

        Assert.That(lines, Is.Empty);
    }

    [Test]
    public void A_change_below_a_recursive_schema_is_still_found()
    {
        var theirs = Fixtures.Load("cycle-cognite.json");
        Fixtures.At(theirs, "components.schemas.Nested.properties.depth")["format"] = "int32";
        Fixtures.At(theirs, "components.schemas.FilesFilter.properties").Add("or", JObject.Parse("""{"type": "array", "items": {"$ref": "#/components/schemas/FilesFilter"}}"""));

        var lines = Fixtures.Lines(theirs, Fixtures.Load("cycle-ours.yaml"));

        Assert.That(lines, Is.EqualTo(new[]
        {
            "POST /files/list request filter.nested.depth: format: Cognite int32, ours (none)",
            "POST /files/list request filter.or: missing in ours",
        }));
    }

    [Test]
    public void A_schema_that_is_only_a_ref_to_itself_does_not_hang()
    {
        var theirs = Fixtures.Load("cycle-cognite.json");
        Fixtures.At(theirs, "paths['/files/list'].post.responses['200'].content['application/json']")["schema"] = JObject.Parse("""{"$ref": "#/components/schemas/SelfLoop"}""");

        var lines = Task.Run(() => Fixtures.Lines(theirs, Fixtures.Load("cycle-ours.yaml"))).WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();

        Assert.That(lines, Does.Contain("POST /files/list response (root): recursive: Cognite true, ours false"));
    }

    [Test]
    public void Type_null_union_and_nullable_true_are_the_same_and_differ_from_not_nullable()
    {
        var theirs = Fixtures.Theirs();
        Fixtures.At(theirs, "components.schemas.FileMetadataWithCursor.properties.nextCursor")["type"] = "string";
        Fixtures.At(theirs, "components.schemas.FilesSearchFilter.properties.search.properties")["name"] =
            JObject.Parse("""{"anyOf": [{"type": "string", "maxLength": 256}, {"type": "null"}]}""");

        Assert.That(Fixtures.Lines(theirs, Fixtures.Ours()), Is.EqualTo(new[]
        {
            "GET /files response nextCursor: nullable: Cognite false, ours true",
        }));
    }

    [Test]
    public void Exclusive_bounds_in_the_30_and_31_spellings_are_the_same()
    {
        var theirs = Fixtures.Theirs();
        var ours = Fixtures.Ours();
        var limit = Fixtures.At(theirs, "components.parameters.Limit.schema");
        limit.Remove("minimum");
        limit["exclusiveMinimum"] = 0;
        var ourLimit = Fixtures.At(ours, "components.parameters.Limit.schema");
        ourLimit["minimum"] = 0;
        ourLimit["exclusiveMinimum"] = true;

        Assert.That(Fixtures.Lines(theirs, ours), Is.Empty);
    }

    [Test]
    public void A_oneOf_of_multi_property_objects_becomes_one_object_with_a_note()
    {
        var theirs = Fixtures.Theirs();
        Fixtures.At(theirs, "components.schemas.FileChangeUpdate.allOf[1].properties.update.properties")["labels"] = JObject.Parse("""
            {"oneOf": [
              {"type": "object", "properties": {"add": {"type": "array", "maxItems": 10, "items": {"$ref": "#/components/schemas/Label"}},
                                                "remove": {"type": "array", "maxItems": 10, "items": {"$ref": "#/components/schemas/Label"}}}},
              {"type": "object", "required": ["set"], "properties": {"set": {"type": "array", "maxItems": 10, "items": {"$ref": "#/components/schemas/Label"}}}}
            ]}
            """);
        var ours = Fixtures.Ours();
        Fixtures.At(ours, "components.schemas.FileUpdateItem.properties.update.properties")["labels"] = JObject.Parse("""
            {"type": "object", "minProperties": 1, "properties": {
              "add": {"type": "array", "maxItems": 10, "items": {"$ref": "#/components/schemas/Label"}},
              "remove": {"type": "array", "maxItems": 10, "items": {"$ref": "#/components/schemas/Label"}}}}
            """);

        Assert.That(Fixtures.Lines(theirs, ours), Is.EqualTo(new[]
        {
            "POST /files/update request items[].update.labels: alternatives: Cognite one of {add,remove}|{set}, ours (none)",
            "POST /files/update request items[].update.labels: minProperties: Cognite (none), ours 1",
            "POST /files/update request items[].update.labels.set: missing in ours",
        }));
    }

    [Test]
    public void Alternatives_that_differ_only_in_values_union_their_enums()
    {
        var theirs = Fixtures.Theirs();
        Fixtures.At(theirs, "components.schemas.ExternalFilesMetadata.properties")["geometry"] = JObject.Parse("""
            {"oneOf": [
              {"type": "object", "required": ["type"], "properties": {"type": {"type": "string", "enum": ["Point"]}}},
              {"type": "object", "required": ["type"], "properties": {"type": {"type": "string", "enum": ["Polygon", "LineString"]}}}
            ]}
            """);
        var ours = Fixtures.Ours();
        Fixtures.At(ours, "components.schemas.FileCreate.properties")["geometry"] = JObject.Parse("""
            {"type": "object", "required": ["type"], "properties": {"type": {"type": "string", "enum": ["LineString", "Point", "Polygon"]}}}
            """);

        Assert.That(Fixtures.Lines(theirs, ours), Is.Empty);
    }

    [Test]
    public void Json_and_yaml_scalars_read_alike()
    {
        var json = DocumentLoader.Parse("""{"a": 1, "b": "1", "c": true, "d": null, "e": 1.5, "f": "2024-01-01T00:00:00Z"}""", "json");
        var yaml = DocumentLoader.Parse("a: 1\nb: '1'\nc: true\nd: null\ne: 1.5\nf: 2024-01-01T00:00:00Z\n", "yaml");

        Assert.That(JToken.DeepEquals(json, yaml), Is.True, $"{json} vs {yaml}");
    }
}
