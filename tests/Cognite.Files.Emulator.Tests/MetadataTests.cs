using System.Net;
using Cognite.Files.Emulator.Tests.Support;
using Cognite.Files.Models;
using Newtonsoft.Json.Linq;
using Refit;

namespace Cognite.Files.Emulator.Tests;

public sealed class MetadataTests
{
    private EmulatorHarness _h = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _h = await EmulatorHarness.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        Assert.That(_h.Handler.Validated, Is.GreaterThan(10), "responses were schema-validated");
        await _h.DisposeAsync();
    }

    [Test]
    public async Task DuplicateExternalId_Is409WithDuplicated_OverwriteReplaces()
    {
        var first = await _h.Api.CreateFileAsync(new FileCreate { Name = "a", ExternalId = "dup", Metadata = new Dictionary<string, string> { ["k"] = "v" }, AssetIds = [5] });
        var ex = await Assert.ThrowsAsync<ApiException>(() => _h.Api.CreateFileAsync(new FileCreate { Name = "b", ExternalId = "dup" }));
        Assert.That(ex!.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        var error = JObject.Parse(ex.Content!)["error"]!;
        Assert.That((int)error["code"]!, Is.EqualTo(409));
        Assert.That(error["duplicated"]![0]!["externalId"]!.ToString(), Is.EqualTo("dup"));

        var replaced = await _h.Api.CreateFileAsync(new FileCreate { Name = "b", ExternalId = "dup" }, overwrite: true);
        Assert.Multiple(() =>
        {
            Assert.That(replaced.Id, Is.EqualTo(first.Id));
            Assert.That(replaced.Name, Is.EqualTo("b"));
            Assert.That(replaced.Metadata, Is.Null);
            Assert.That(replaced.AssetIds, Is.EqualTo(new long[] { 5 }));
            Assert.That(replaced.CreatedTime, Is.EqualTo(first.CreatedTime));
        });
    }

    [Test]
    public async Task UnknownIds_Are400WithMissing_UnlessIgnored()
    {
        var known = await _h.Api.CreateFileAsync(new FileCreate { Name = "k", ExternalId = "known-1" });
        var ex = await Assert.ThrowsAsync<ApiException>(() => _h.Api.RetrieveFilesAsync(new FileRetrieveRequest
        {
            Items = [new Identifier { Id = known.Id }, new Identifier { Id = 123456789 }, new Identifier { ExternalId = "nope" }],
        }));
        Assert.That(ex!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var missing = (JArray)JObject.Parse(ex.Content!)["error"]!["missing"]!;
        Assert.That(missing.ToString(Newtonsoft.Json.Formatting.None), Is.EqualTo("""[{"id":123456789},{"externalId":"nope"}]"""));

        var ignored = await _h.Api.RetrieveFilesAsync(new FileRetrieveRequest { Items = [new Identifier { ExternalId = "nope" }, new Identifier { Id = known.Id }], IgnoreUnknownIds = true });
        Assert.That(ignored.Items.Select(i => i.Id), Is.EqualTo(new[] { known.Id }));

        var byId = await Assert.ThrowsAsync<ApiException>(() => _h.Api.GetFileByIdAsync(987654321));
        Assert.That(byId!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var upd = await Assert.ThrowsAsync<ApiException>(() => _h.Api.UpdateFilesAsync(new FileUpdateRequest { Items = [new FileUpdateItem { Id = 987654321, Update = new FileUpdate { Source = new SetNullableString { Set = "x" } } }] }));
        Assert.That(upd!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var link = await Assert.ThrowsAsync<ApiException>(() => _h.Api.GetMultipartUploadLinkAsync(2, new UploadLinkRequest { Items = [new FileExternalIdEither { ExternalId = "nope" }] }));
        Assert.That(link!.Content, Does.Contain("missing"));
    }

    [Test]
    public async Task ByIds_ReturnsRequestOrder()
    {
        var a = await _h.Api.CreateFileAsync(new FileCreate { Name = "o1" });
        var b = await _h.Api.CreateFileAsync(new FileCreate { Name = "o2" });
        var c = await _h.Api.CreateFileAsync(new FileCreate { Name = "o3", ExternalId = "order-3" });
        var result = await _h.Api.RetrieveFilesAsync(new FileRetrieveRequest { Items = [new Identifier { ExternalId = "order-3" }, new Identifier { Id = a.Id }, new Identifier { Id = b.Id }] });
        Assert.That(result.Items.Select(i => i.Id), Is.EqualTo(new[] { c.Id, a.Id, b.Id }));
    }

    [Test]
    public async Task Paging_PostListAndGetList_FollowCursorsInIdOrder()
    {
        var ids = new List<long>();
        for (var i = 0; i < 7; i++)
            ids.Add((await _h.Api.CreateFileAsync(new FileCreate { Name = "page" + i, ExternalId = $"page-{i}", Source = "paging" })).Id);
        ids.Sort();

        var seen = new List<long>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await _h.Api.FilterFilesAsync(new FileFilterRequest { Filter = new FileFilter { ExternalIdPrefix = "page-" }, Limit = 3, Cursor = cursor });
            seen.AddRange(page.Items.Select(f => f.Id));
            cursor = page.NextCursor;
            pages++;
        } while (cursor is not null);
        Assert.That(pages, Is.EqualTo(3));
        Assert.That(seen, Is.EqualTo(ids));

        var viaGet = new List<long>();
        cursor = null;
        do
        {
            var page = await _h.Api.ListFilesAsync(limit: 4, cursor: cursor, source: "paging");
            viaGet.AddRange(page.Items.Select(f => f.Id));
            cursor = page.NextCursor;
        } while (cursor is not null);
        Assert.That(viaGet, Is.EqualTo(ids));

        var partitions = new List<long>();
        for (var p = 1; p <= 3; p++)
            partitions.AddRange((await _h.Api.FilterFilesAsync(new FileFilterRequest { Filter = new FileFilter { Source = "paging" }, Limit = 1000, Partition = $"{p}/3" })).Items.Select(f => f.Id));
        Assert.That(partitions.Order(), Is.EqualTo(ids));

        var bad = await Assert.ThrowsAsync<ApiException>(() => _h.Api.FilterFilesAsync(new FileFilterRequest { Cursor = "garbage!" }));
        Assert.That(bad!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var badLimit = await Assert.ThrowsAsync<ApiException>(() => _h.Api.FilterFilesAsync(new FileFilterRequest { Limit = 1001 }));
        Assert.That(badLimit!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Filters_Metadata_Assets_Labels_Directory_Uploaded()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var f1 = await _h.Api.CreateFileAsync(new FileCreate { Name = "f1", Source = tag, Directory = "/plant/a", MimeType = "text/csv", AssetIds = [11, 12], DataSetId = 77, Metadata = new Dictionary<string, string> { ["site"] = "x" }, Labels = [new Label { ExternalId = "red" }, new Label { ExternalId = "big" }] });
        var f2 = await _h.Api.CreateFileAsync(new FileCreate { Name = "f2", Source = tag, Directory = "/plant/b", AssetIds = [12], Labels = [new Label { ExternalId = "red" }], SourceCreatedTime = 1000 });
        (await EmulatorHarness.PutAsync(f2.UploadUrl, [1, 2, 3])).Dispose();

        async Task<long[]> Q(FileFilter f)
        {
            f.Source = tag;
            return (await _h.Api.FilterFilesAsync(new FileFilterRequest { Filter = f })).Items.Select(i => i.Id).Order().ToArray();
        }
        var both = new[] { f1.Id, f2.Id }.Order().ToArray();
        Assert.Multiple(async () =>
        {
            Assert.That(await Q(new FileFilter()), Is.EqualTo(both));
            Assert.That(await Q(new FileFilter { DirectoryPrefix = "/plant/a" }), Is.EqualTo(new[] { f1.Id }));
            Assert.That(await Q(new FileFilter { MimeType = "text/csv" }), Is.EqualTo(new[] { f1.Id }));
            Assert.That(await Q(new FileFilter { Metadata = new Dictionary<string, string> { ["site"] = "x" } }), Is.EqualTo(new[] { f1.Id }));
            Assert.That(await Q(new FileFilter { AssetIds = [11] }), Is.EqualTo(new[] { f1.Id }));
            Assert.That(await Q(new FileFilter { AssetIds = [12] }), Is.EqualTo(both));
            Assert.That(await Q(new FileFilter { DataSetIds = [new IdEither { Id = 77 }] }), Is.EqualTo(new[] { f1.Id }));
            Assert.That(await Q(new FileFilter { Labels = new LabelFilter { ContainsAll = [new Label { ExternalId = "red" }, new Label { ExternalId = "big" }] } }), Is.EqualTo(new[] { f1.Id }));
            Assert.That(await Q(new FileFilter { Labels = new LabelFilter { ContainsAny = [new Label { ExternalId = "red" }] } }), Is.EqualTo(both));
            Assert.That(await Q(new FileFilter { Uploaded = true }), Is.EqualTo(new[] { f2.Id }));
            Assert.That(await Q(new FileFilter { SourceCreatedTime = new TimeRange { Min = 0, Max = 2000 } }), Is.EqualTo(new[] { f2.Id }));
            Assert.That(await Q(new FileFilter { Name = "f1" }), Is.EqualTo(new[] { f1.Id }));
        });

        var count = await _h.Api.AggregateFilesAsync(new FileAggregateRequest { Filter = new FileFilter { Source = tag } });
        Assert.That(count.Items[0].Count, Is.EqualTo(2));

        var search = await _h.Api.SearchFilesAsync(new FileSearchRequest { Search = new FileSearch { Name = "f" }, Filter = new FileFilter { Source = tag }, Limit = 10 });
        Assert.That(search.Items, Has.Count.EqualTo(2));
        var exact = await _h.Api.SearchFilesAsync(new FileSearchRequest { Search = new FileSearch { Name = "f2" }, Filter = new FileFilter { Source = tag } });
        Assert.That(exact.Items.Select(i => i.Id), Is.EqualTo(new[] { f2.Id }));
    }

    [Test]
    public async Task Update_AppliesEveryOperation()
    {
        var f = await _h.Api.CreateFileAsync(new FileCreate
        {
            Name = "u", ExternalId = "upd-1", Source = "s", MimeType = "m", AssetIds = [1, 2], SecurityCategories = [9],
            Metadata = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }, Labels = [new Label { ExternalId = "l1" }],
        });
        var result = await _h.Api.UpdateFilesAsync(new FileUpdateRequest
        {
            Items =
            [
                new FileUpdateItem
                {
                    ExternalId = "upd-1",
                    Update = new FileUpdate
                    {
                        ExternalId = new SetNullableString { Set = "upd-1b" },
                        Directory = new SetNullableString { Set = "/d" },
                        Source = new SetNullableString { SetNull = true },
                        MimeType = new SetNullableString { Set = "text/plain" },
                        Metadata = new MetadataUpdate { Add = new Dictionary<string, string> { ["c"] = "3", ["a"] = "one" }, Remove = ["b"] },
                        AssetIds = new IdListUpdate { Add = [3], Remove = [1] },
                        SecurityCategories = new IdListUpdate { Set = [7, 8] },
                        SourceCreatedTime = new SetNullableLong { Set = 5 },
                        DataSetId = new SetNullableLong { Set = 42 },
                        Labels = new LabelsUpdate { Add = [new Label { ExternalId = "l2" }], Remove = [new Label { ExternalId = "l1" }] },
                        GeoLocation = new GeoLocationUpdate { Set = new GeoLocation { Geometry = new GeoLocationGeometry { Type = GeometryType.Point, Coordinates = [10.0, 59.9] } } },
                    },
                },
            ],
        });
        var u = result.Items[0];
        Assert.Multiple(() =>
        {
            Assert.That(u.Id, Is.EqualTo(f.Id));
            Assert.That(u.ExternalId, Is.EqualTo("upd-1b"));
            Assert.That(u.Directory, Is.EqualTo("/d"));
            Assert.That(u.Source, Is.Null);
            Assert.That(u.MimeType, Is.EqualTo("text/plain"));
            Assert.That(u.Metadata, Is.EquivalentTo(new Dictionary<string, string> { ["a"] = "one", ["c"] = "3" }));
            Assert.That(u.AssetIds, Is.EqualTo(new long[] { 2, 3 }));
            Assert.That(u.SecurityCategories, Is.EqualTo(new long[] { 7, 8 }));
            Assert.That(u.SourceCreatedTime, Is.EqualTo(5));
            Assert.That(u.DataSetId, Is.EqualTo(42));
            Assert.That(u.Labels!.Select(l => l.ExternalId), Is.EqualTo(new[] { "l2" }));
            Assert.That(u.GeoLocation!.Geometry.Type, Is.EqualTo(GeometryType.Point));
            Assert.That(u.LastUpdatedTime, Is.GreaterThanOrEqualTo(f.LastUpdatedTime));
        });
        var again = await _h.Api.RetrieveFilesAsync(new FileRetrieveRequest { Items = [new Identifier { ExternalId = "upd-1b" }] });
        Assert.That(again.Items[0].Id, Is.EqualTo(f.Id));

        var both = await Assert.ThrowsAsync<ApiException>(() => _h.Api.UpdateFilesAsync(new FileUpdateRequest { Items = [new FileUpdateItem { Id = f.Id, Update = new FileUpdate { AssetIds = new IdListUpdate { Set = [1], Add = [2] } } }] }));
        Assert.That(both!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));

        await _h.Api.CreateFileAsync(new FileCreate { Name = "other", ExternalId = "upd-taken" });
        var dup = await Assert.ThrowsAsync<ApiException>(() => _h.Api.UpdateFilesAsync(new FileUpdateRequest { Items = [new FileUpdateItem { Id = f.Id, Update = new FileUpdate { ExternalId = new SetNullableString { Set = "upd-taken" } } }] }));
        Assert.That(dup!.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
    }

    [Test]
    public async Task Delete_RemovesMetadataAndContent()
    {
        var f = await _h.Api.CreateFileAsync(new FileCreate { Name = "del", ExternalId = "del-1" });
        (await EmulatorHarness.PutAsync(f.UploadUrl, [1, 2, 3])).Dispose();
        Assert.That(await _h.Emulator.GetContentSha256Async(f.Id), Is.Not.Null);
        await _h.Api.DeleteFilesAsync(new FileDeleteRequest { Items = [new IdEither { ExternalId = "del-1" }] });
        Assert.That(await _h.Emulator.GetContentSha256Async(f.Id), Is.Null);
        Assert.That(File.Exists(Path.Combine(_h.DataDirectory, "content", f.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))), Is.False);
        var ex = await Assert.ThrowsAsync<ApiException>(() => _h.Api.DeleteFilesAsync(new FileDeleteRequest { Items = [new IdEither { Id = f.Id }] }));
        Assert.That(ex!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        await _h.Api.DeleteFilesAsync(new FileDeleteRequest { Items = [new IdEither { Id = f.Id }], IgnoreUnknownIds = true });
    }

    [Test]
    public async Task Validation_FromSchemaAndLimits_Is400()
    {
        var longName = new string('n', 257);
        var ex = await Assert.ThrowsAsync<ApiException>(() => _h.Api.CreateFileAsync(new FileCreate { Name = longName }));
        Assert.That(ex!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var meta = await Assert.ThrowsAsync<ApiException>(() => _h.Api.CreateFileAsync(new FileCreate { Name = "m", Metadata = new Dictionary<string, string> { [new string('k', 129)] = "v" } }));
        Assert.That(meta!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var two = await Assert.ThrowsAsync<ApiException>(() => _h.Api.RetrieveFilesAsync(new FileRetrieveRequest { Items = [new Identifier { Id = 1, ExternalId = "x" }] }));
        Assert.That(two!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var zeroId = await Assert.ThrowsAsync<ApiException>(() => _h.Api.RetrieveFilesAsync(new FileRetrieveRequest { Items = [new Identifier { Id = 0 }] }));
        Assert.That(zeroId!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var empty = await Assert.ThrowsAsync<ApiException>(() => _h.Api.RetrieveFilesAsync(new FileRetrieveRequest { Items = [] }));
        Assert.That(empty!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task DownloadLink_ForNotUploadedFile_Is400()
    {
        var f = await _h.Api.CreateFileAsync(new FileCreate { Name = "nu" });
        var ex = await Assert.ThrowsAsync<ApiException>(() => _h.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { Id = f.Id }] }));
        Assert.That(ex!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }
}
