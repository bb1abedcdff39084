using System.Net;
using System.Text;
using Cognite.Files.Emulator.Tests.Support;
using Cognite.Files.Models;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Emulator.Tests;

public sealed class AdminAndRestartTests
{
    [Test]
    public async Task A_data_directory_from_before_projects_keeps_its_files_in_the_default_project()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cogfiles-emu-tests", "legacy-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            // The schema of the first emulator: one files table, external ids unique across the whole database.
            using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dir, "emulator.db")};Pooling=False"))
            {
                db.Open();
                using var cmd = db.CreateCommand();
                // Created just now: older never-uploaded files are swept (CDF's week).
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                cmd.CommandText = $$"""
                    CREATE TABLE files(id INTEGER PRIMARY KEY, external_id TEXT UNIQUE, json TEXT NOT NULL, ready_at INTEGER NULL, has_content INTEGER NOT NULL DEFAULT 0);
                    INSERT INTO files(id, external_id, json, ready_at, has_content)
                      VALUES(42, 'old', '{"id":42,"externalId":"old","name":"old.txt","createdTime":{{now}},"lastUpdatedTime":{{now}},"uploaded":false}', NULL, 0);
                    """;
                cmd.ExecuteNonQuery();
            }

            await using var h = await EmulatorHarness.StartAsync(o => o.Project = "legacy", dataDirectory: dir);
            Assert.That((await h.Api.GetFileByIdAsync(42)).Name, Is.EqualTo("old.txt"), "served under the project it was stored in");
            var root = h.Emulator.ApiBaseUrl.GetLeftPart(UriPartial.Authority);
            using var elsewhere = await h.Http.GetAsync(root + "/api/v1/projects/someone-else/files/42");
            Assert.That(elsewhere.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "and nowhere else");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task Restart_KeepsMetadataAndContent()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cogfiles-emu-tests", "restart-" + Guid.NewGuid().ToString("N"));
        try
        {
            var data = EmulatorHarness.RandomBytes(3000, 50);
            long id;
            string staleDownloadUrl;
            await using (var first = await EmulatorHarness.StartAsync(dataDirectory: dir))
            {
                var init = await first.Api.InitMultipartUploadAsync(2, new FileCreate { Name = "persist.bin", ExternalId = "persist", Metadata = new Dictionary<string, string> { ["k"] = "v" } });
                id = init.Id;
                (await EmulatorHarness.PutAsync(init.UploadUrls[0], data[..2000])).Dispose();
                (await EmulatorHarness.PutAsync(init.UploadUrls[1], data[2000..])).Dispose();
                await first.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = id, UploadId = init.UploadId });
                staleDownloadUrl = (await first.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { Id = id }] }, extendedExpiration: true)).Items[0].DownloadUrl;
            }
            await using var second = await EmulatorHarness.StartAsync(dataDirectory: dir);
            var file = (await second.Api.RetrieveFilesAsync(new FileRetrieveRequest { Items = [new Identifier { ExternalId = "persist" }] })).Items[0];
            Assert.That(file.Id, Is.EqualTo(id));
            Assert.That(file.Uploaded, Is.True);
            Assert.That(file.Metadata!["k"], Is.EqualTo("v"));
            var link = (await second.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { Id = id }] })).Items[0].DownloadUrl;
            Assert.That(await EmulatorHarness.Plain.GetByteArrayAsync(link), Is.EqualTo(data));
            Assert.That(await second.Emulator.GetContentSha256Async(id), Is.EqualTo(EmulatorHarness.Sha256(data)));
            // the signing key is persisted too: a URL signed before the restart is still valid (on the new port)
            var moved = second.Emulator.UploadBaseUrl + new Uri(staleDownloadUrl).PathAndQuery[1..];
            Assert.That(await EmulatorHarness.Plain.GetByteArrayAsync(moved), Is.EqualTo(data));
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Test]
    public async Task AdminEndpoints_Counters_Faults_Sha256()
    {
        await using var h = await EmulatorHarness.StartAsync(o => o.AcceptedTokens = ["test"]);
        using var admin = new HttpClient { BaseAddress = h.Emulator.AdminBaseUrl }; // no token needed

        using (var health = await admin.GetAsync("health"))
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var f = await h.Api.CreateFileAsync(new FileCreate { Name = "adm" });
        using (var set = await admin.PostAsync("faults", new StringContent("""{"schedule":[{"putNumber":1,"kind":"Status500"}],"bandwidthBytesPerSecondPerConnection":null}""", Encoding.UTF8, "application/json")))
        {
            Assert.That(set.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(JObject.Parse(await set.Content.ReadAsStringAsync())["schedule"]![0]!["kind"]!.ToString(), Is.EqualTo("Status500"));
        }
        using (var failed = await EmulatorHarness.PutAsync(f.UploadUrl, [1, 2, 3]))
            Assert.That((int)failed.StatusCode, Is.EqualTo(500));
        using (var ok = await EmulatorHarness.PutAsync(f.UploadUrl, [1, 2, 3]))
            Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var counters = JObject.Parse(await admin.GetStringAsync("counters"));
        Assert.That((long)counters["uploadPutRequests"]!, Is.EqualTo(2));
        Assert.That((long)counters["faultsByKind"]!["Status500"]!, Is.EqualTo(1));
        Assert.That((long)counters["authorizationHeaderOnUploadUrl"]!, Is.EqualTo(0));
        var upload = (JObject)((JObject)counters["uploads"]!).Properties().Single().Value;
        Assert.That((int)upload["putsByPartIndex"]!["0"]!, Is.EqualTo(2));

        var sha = JObject.Parse(await admin.GetStringAsync($"files/{f.Id}/sha256"));
        Assert.That(sha["sha256"]!.ToString(), Is.EqualTo(EmulatorHarness.Sha256([1, 2, 3])));
        using (var none = await admin.GetAsync("files/1/sha256"))
            Assert.That(none.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        using (var bad = await admin.PostAsync("faults", new StringContent("""{"partFailureProbability":7}""", Encoding.UTF8, "application/json")))
            Assert.That(bad.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        using (var unknown = await admin.PostAsync("faults", new StringContent("""{"nope":1}""", Encoding.UTF8, "application/json")))
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));

        using (var reset = await admin.PostAsync("counters/reset", new StringContent("{}", Encoding.UTF8, "application/json")))
            Assert.That(reset.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(h.Emulator.Counters.UploadPutRequests, Is.EqualTo(0));
    }
}
