using System.Net;
using System.Text;
using Cognite.Files.Emulator.Tests.Support;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Emulator.Tests;

/// <summary>
/// The emulator keeps its own records and reads and writes JSON by the document's field names, independently of the
/// SDK's generated types: a naming or shape bug there cannot be mirrored by the server and slip past the contract tests.
/// </summary>
public sealed class OwnRecordsTests
{
    /// <summary>Every writable field of <c>FileCreate</c>, in an order unlike the document's.</summary>
    private const string EveryField = """
        {"geoLocation":{"type":"Feature","geometry":{"type":"Point","coordinates":[10.5,59.9]},"properties":{"site":"a","n":{"x":[1,2]}}},
         "labels":[{"externalId":"l1"},{"externalId":"l2"}],"securityCategories":[11],"sourceModifiedTime":5,"sourceCreatedTime":4,
         "dataSetId":7,"assetIds":[3,1],"metadata":{"z":"1","a":"2"},"mimeType":"text/plain","source":"src","directory":"/d",
         "name":"every.txt","externalId":"every"}
        """;

    [Test]
    public void The_emulator_assembly_does_not_reference_the_SDK()
    {
        var references = typeof(CogniteFilesEmulator).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.That(references, Has.None.StartsWith("Cognite.Files"), "the emulator must not be built on the SDK's wire types");
    }

    [Test]
    public async Task Every_operation_answers_only_the_documents_fields_and_echoes_every_written_field()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var written = JObject.Parse(EveryField);

        var created = await SendAsync(h, HttpMethod.Post, "files", EveryField, HttpStatusCode.Created);
        var id = (long)created["id"]!;
        foreach (var field in written.Properties())
            Assert.That(JToken.DeepEquals(created[field.Name], field.Value), Is.True, $"{field.Name} comes back as written: {created[field.Name]}");
        Assert.That(created["uploadUrl"]?.Type, Is.EqualTo(JTokenType.String));
        Assert.That(created.Properties().Select(p => p.Name), Is.SupersetOf(new[] { "id", "uploaded", "createdTime", "lastUpdatedTime" }));

        var init = await SendAsync(h, HttpMethod.Post, "files/initmultipartupload?parts=2", """{"name":"parts.bin","externalId":"parts"}""", HttpStatusCode.Created);
        var urls = init["uploadUrls"]!.Select(u => (string)u!).ToList();
        (await EmulatorHarness.PutAsync(urls[0], new byte[1024])).Dispose();
        (await EmulatorHarness.PutAsync(urls[1], new byte[10])).Dispose();
        await SendAsync(h, HttpMethod.Post, "files/completemultipartupload", $$"""{"externalId":"parts","uploadId":"{{init["uploadId"]}}"}""");
        await SendAsync(h, HttpMethod.Post, "files/uploadlink", """{"items":[{"externalId":"every"}]}""", HttpStatusCode.Created);
        await SendAsync(h, HttpMethod.Post, "files/multiuploadlink?parts=2", """{"items":[{"externalId":"every"}]}""", HttpStatusCode.Created);

        var single = await SendAsync(h, HttpMethod.Get, $"files/{id}");
        var fetched = (await SendAsync(h, HttpMethod.Post, "files/byids", $$"""{"items":[{"id":{{id}}}]}"""))["items"]![0]!;
        foreach (var field in written.Properties())
        {
            Assert.That(JToken.DeepEquals(single[field.Name], field.Value), Is.True, $"GET /files/{{id}} {field.Name}");
            Assert.That(JToken.DeepEquals(fetched[field.Name], field.Value), Is.True, $"byids {field.Name}");
        }

        await SendAsync(h, HttpMethod.Get, "files?limit=1");
        await SendAsync(h, HttpMethod.Post, "files/list", """{"filter":{"labels":{"containsAll":[{"externalId":"l1"}]},"metadata":{"a":"2"}},"limit":10}""");
        await SendAsync(h, HttpMethod.Post, "files/search", """{"search":{"name":"every"}}""");
        var count = await SendAsync(h, HttpMethod.Post, "files/aggregate", """{"filter":{"uploaded":true}}""");
        Assert.That((long)count["items"]![0]!["count"]!, Is.EqualTo(1), "the completed multipart upload");
        var updated = (await SendAsync(h, HttpMethod.Post, "files/update", """
            {"items":[{"externalId":"every","update":{"labels":{"set":[{"externalId":"l3"}]},"metadata":{"add":{"b":"3"},"remove":["z"]},
             "geoLocation":{"setNull":true},"directory":{"setNull":true},"dataSetId":{"set":8}}}]}
            """))["items"]![0]!;
        Assert.Multiple(() =>
        {
            Assert.That(updated["labels"]!.ToString(Newtonsoft.Json.Formatting.None), Is.EqualTo("""[{"externalId":"l3"}]"""));
            Assert.That(JToken.DeepEquals(updated["metadata"], JObject.Parse("""{"a":"2","b":"3"}""")), Is.True, updated["metadata"]!.ToString());
            Assert.That(updated["geoLocation"], Is.Null);
            Assert.That(updated["directory"], Is.Null);
            Assert.That((long)updated["dataSetId"]!, Is.EqualTo(8));
        });
        var link = (await SendAsync(h, HttpMethod.Post, "files/downloadlink", """{"items":[{"externalId":"parts"}]}"""))["items"]![0]!;
        Assert.That((string?)link["externalId"], Is.EqualTo("parts"));
        await SendAsync(h, HttpMethod.Post, "files/delete", """{"items":[{"externalId":"every"}]}""");

        var validator = await OpenApiResponseValidator.GetAsync();
        Assert.That(h.Handler.SucceededOperations.Keys, Is.SupersetOf(validator.JsonOperations()),
            "every operation with a JSON response answered, and its body held only the document's fields");
    }

    [Test]
    public async Task The_strict_check_catches_a_field_the_document_does_not_have()
    {
        var validator = await OpenApiResponseValidator.GetAsync();
        var schema = validator.FindSchema("GET", "/files/1", 200)!;
        const string Good = """{"id":1,"name":"a","uploaded":false,"createdTime":0,"lastUpdatedTime":0,"metadata":{"any":"key"},"geoLocation":{"geometry":{"type":"Point","coordinates":[1,2]},"properties":{"free":1}}}""";
        Assert.That(OpenApiResponseValidator.Undeclared(schema, JToken.Parse(Good)), Is.Empty, "maps and GeoJSON properties are open");
        var misspelt = Good.Replace("\"createdTime\"", "\"createdtime\"", StringComparison.Ordinal);
        Assert.That(OpenApiResponseValidator.Undeclared(schema, JToken.Parse(misspelt)), Has.One.Contains("createdtime"));
        var nested = Good.Replace("\"coordinates\"", "\"coords\":[],\"coordinates\"", StringComparison.Ordinal);
        Assert.That(OpenApiResponseValidator.Undeclared(schema, JToken.Parse(nested)), Has.One.Contains("geoLocation.geometry.coords"));
    }

    [Test]
    public async Task Rows_stored_in_the_SDKs_shape_are_migrated_once_to_the_emulators_record()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cogfiles-emu-tests", "sdk-rows-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var db = Path.Combine(dir, "emulator.db");
        try
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            // What the emulator stored while its rows were the SDK's FileMetadata: label objects and upload state in the JSON.
            var legacy = $$$"""
                {"externalId":"old","name":"old.txt","metadata":{"k":"v"},"assetIds":[2],"labels":[{"externalId":"l1"},{"externalId":"l2"}],
                 "geoLocation":{"type":"Feature","geometry":{"type":"Point","coordinates":[1.5,2]},"properties":{}},
                 "id":42,"uploaded":true,"uploadedTime":{{{now}}},"createdTime":{{{now}}},"lastUpdatedTime":{{{now}}}}
                """;
            Exec(db, """
                CREATE TABLE files(id INTEGER PRIMARY KEY, project TEXT NOT NULL, external_id TEXT NULL, json TEXT NOT NULL,
                  ready_at INTEGER NULL, has_content INTEGER NOT NULL DEFAULT 0, UNIQUE(project, external_id));
                INSERT INTO files(id, project, external_id, json, ready_at, has_content) VALUES(42, 'emulator', 'old', $json, $now, 1);
                """, ("$json", legacy), ("$now", now));

            for (var start = 0; start < 2; start++)
            {
                await using var h = await EmulatorHarness.StartAsync(dataDirectory: dir);
                var file = await SendAsync(h, HttpMethod.Get, "files/42");
                Assert.Multiple(() =>
                {
                    Assert.That(file["labels"]!.ToString(Newtonsoft.Json.Formatting.None), Is.EqualTo("""[{"externalId":"l1"},{"externalId":"l2"}]"""));
                    Assert.That(file["geoLocation"]!.ToString(Newtonsoft.Json.Formatting.None), Is.EqualTo("""{"type":"Feature","geometry":{"type":"Point","coordinates":[1.5,2]},"properties":{}}"""));
                    Assert.That((string?)file["metadata"]!["k"], Is.EqualTo("v"));
                    Assert.That((bool)file["uploaded"]!, Is.True, "upload state comes from the row, not the old JSON");
                });
            }

            var stored = JObject.Parse(Scalar(db, "SELECT json FROM files WHERE id=42"));
            Assert.That(stored["labels"]!.ToString(Newtonsoft.Json.Formatting.None), Is.EqualTo("""["l1","l2"]"""), "rewritten as the emulator's record");
            Assert.That(stored["uploaded"], Is.Null);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<JObject> SendAsync(EmulatorHarness h, HttpMethod method, string path, string? body = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await h.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(expected), $"{method} {path}: {text}");
        return JObject.Parse(text);
    }

    private static void Exec(string db, string sql, params (string Name, object Value)[] args)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        cmd.ExecuteNonQuery();
    }

    private static string Scalar(string db, string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return (string)cmd.ExecuteScalar()!;
    }
}
