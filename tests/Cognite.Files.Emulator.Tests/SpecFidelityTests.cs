using System.Net;
using System.Text;
using Cognite.Files.Emulator.Tests.Support;
using Cognite.Files.Models;
using Newtonsoft.Json.Linq;
using SkiaSharp;

namespace Cognite.Files.Emulator.Tests;

/// <summary>
/// What Cognite's published OpenAPI document says (files-api.md section 10) and ours now follows, enforced by the
/// emulator with CDF-shaped 400s: upload links without internal ids, <c>labels.set</c>, unique labels, instance id
/// patterns, <c>search.name</c> at most 256, and <c>GET /files/icon</c>.
/// </summary>
public sealed class SpecFidelityTests
{
    private EmulatorHarness _h = null!;

    [SetUp]
    public async Task SetUp() => _h = await EmulatorHarness.StartAsync();

    [TearDown]
    public async Task TearDown() => await _h.DisposeAsync();

    private Task<HttpResponseMessage> PostAsync(string path, string json) =>
        _h.Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    private static async Task<string> AssertBadRequestAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body);
        Assert.That((int?)JObject.Parse(body)["error"]?["code"], Is.EqualTo(400), "CDF's error format");
        return (string)JObject.Parse(body)["error"]!["message"]!;
    }

    [TestCase("files/uploadlink")]
    [TestCase("files/multiuploadlink?parts=1")]
    public async Task Upload_links_take_an_externalId_or_instanceId_but_no_internal_id(string path)
    {
        var file = await _h.Api.CreateFileAsync(new FileCreate { Name = "a.bin", ExternalId = "link-" + path.Length });

        using var byId = await PostAsync(path, $$"""{"items":[{"id":{{file.Id}}}]}""");
        await AssertBadRequestAsync(byId);
        using var byExternalId = await PostAsync(path, $$"""{"items":[{"externalId":"link-{{path.Length}}"}]}""");
        Assert.That(byExternalId.StatusCode, Is.EqualTo(HttpStatusCode.Created));
    }

    [Test]
    public async Task Labels_can_be_set_or_added_and_removed_but_not_both_and_are_unique_and_at_most_ten()
    {
        var file = await _h.Api.CreateFileAsync(new FileCreate { Name = "l.bin", Labels = [new Label { ExternalId = "a" }, new Label { ExternalId = "b" }] });

        var set = await _h.Api.UpdateFilesAsync(new FileUpdateRequest { Items = [new FileUpdateItem { Id = file.Id, Update = new FileUpdate { Labels = new LabelsUpdate { Set = [new Label { ExternalId = "c" }] } } }] });
        Assert.That(set.Items[0].Labels!.Select(l => l.ExternalId), Is.EqualTo(new[] { "c" }), "set replaces them all (the Python SDK's replace mode)");
        var cleared = await _h.Api.UpdateFilesAsync(new FileUpdateRequest { Items = [new FileUpdateItem { Id = file.Id, Update = new FileUpdate { Labels = new LabelsUpdate { Set = [] } } }] });
        Assert.That(cleared.Items[0].Labels, Is.Null.Or.Empty);

        using var both = await PostAsync("files/update", """{"items":[{"id":""" + file.Id + ""","update":{"labels":{"set":[{"externalId":"x"}],"add":[{"externalId":"y"}]}}}]}""");
        Assert.That(await AssertBadRequestAsync(both), Does.Contain("either set, or add"));
        using var duplicates = await PostAsync("files/update", """{"items":[{"id":""" + file.Id + ""","update":{"labels":{"add":[{"externalId":"x"},{"externalId":"x"}]}}}]}""");
        await AssertBadRequestAsync(duplicates);
        var eleven = string.Join(',', Enumerable.Range(0, 11).Select(i => $$"""{"externalId":"l{{i}}"}"""));
        using var tooMany = await PostAsync("files", $$"""{"name":"m.bin","labels":[{{eleven}}]}""");
        await AssertBadRequestAsync(tooMany);
        using var duplicateOnCreate = await PostAsync("files", """{"name":"d.bin","labels":[{"externalId":"x"},{"externalId":"x"}]}""");
        await AssertBadRequestAsync(duplicateOnCreate);
    }

    [TestCase("""{"space":"1space","externalId":"ok"}""")]
    [TestCase("""{"space":"ok","externalId":"has-dash"}""")]
    [TestCase("""{"space":"","externalId":"ok"}""")]
    public async Task Instance_ids_follow_the_documented_patterns(string instanceId)
    {
        using var response = await PostAsync("files/byids", $$"""{"items":[{"instanceId":{{instanceId}}}],"ignoreUnknownIds":true}""");
        await AssertBadRequestAsync(response);
    }

    [Test]
    public async Task Search_names_are_at_most_256_characters()
    {
        using var ok = await PostAsync("files/search", $$$"""{"search":{"name":"{{{new string('a', 256)}}}"}}""");
        Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var tooLong = await PostAsync("files/search", $$$"""{"search":{"name":"{{{new string('a', 257)}}}"}}""");
        await AssertBadRequestAsync(tooLong);
    }

    [Test]
    public async Task Data_set_ids_of_GET_files_are_a_json_array_of_identifier_objects()
    {
        await _h.Api.CreateFileAsync(new FileCreate { Name = "in-set.bin", DataSetId = 77 });
        await _h.Api.CreateFileAsync(new FileCreate { Name = "elsewhere.bin", DataSetId = 78 });

        var page = await _h.Api.ListFilesAsync(dataSetIds: """[{"id":77}]""");

        Assert.That(page.Items.Select(f => f.Name), Is.EqualTo(new[] { "in-set.bin" }));
    }

    [TestCase(SKEncodedImageFormat.Png)]
    [TestCase(SKEncodedImageFormat.Jpeg)]
    public async Task The_icon_of_an_image_is_a_jpeg_thumbnail(SKEncodedImageFormat format)
    {
        var image = Image(640, 320, format);
        var file = await _h.Api.CreateFileAsync(new FileCreate { Name = "picture", ExternalId = "pic-" + format });
        (await EmulatorHarness.PutAsync(file.UploadUrl, image)).Dispose();

        await using var icon = await _h.Api.GetIconAsync(externalId: "pic-" + format);
        using var copy = new MemoryStream();
        await icon.CopyToAsync(copy);

        using var codec = SKCodec.Create(new MemoryStream(copy.ToArray()));
        Assert.That(codec, Is.Not.Null, "the body is an image");
        Assert.That(codec.EncodedFormat, Is.EqualTo(SKEncodedImageFormat.Jpeg));
        Assert.That(Math.Max(codec.Info.Width, codec.Info.Height), Is.EqualTo(EmulatorConventions.IconSize), "scaled to the icon size, aspect kept");
        Assert.That(codec.Info.Width, Is.EqualTo(2 * codec.Info.Height));
    }

    [Test]
    public async Task The_icon_is_refused_for_content_that_is_not_an_image_and_for_bad_identifiers()
    {
        var text = await _h.Api.CreateFileAsync(new FileCreate { Name = "notes.txt" });
        (await EmulatorHarness.PutAsync(text.UploadUrl, Encoding.UTF8.GetBytes("not an image"))).Dispose();
        var empty = await _h.Api.CreateFileAsync(new FileCreate { Name = "nothing-yet" });

        foreach (var query in new[] { $"id={text.Id}", $"id={empty.Id}", string.Empty, $"id={text.Id}&externalId=x", "space=s", "id=0" })
        {
            using var response = await _h.Http.GetAsync("files/icon?" + query);
            await AssertBadRequestAsync(response);
        }
    }

    [TestCase("""{"uploadId":"UPLOAD"}""", TestName = "Complete_without_an_identifier_is_400")]
    [TestCase("""{"uploadId":"UPLOAD","id":ID,"externalId":"complete-me"}""", TestName = "Complete_with_two_identifiers_is_400")]
    [TestCase("""{"id":ID}""", TestName = "Complete_without_uploadId_is_400")]
    public async Task Complete_takes_its_uploadId_and_exactly_one_identifier(string template)
    {
        var init = await _h.Api.InitMultipartUploadAsync(1, new FileCreate { Name = "complete.bin", ExternalId = "complete-me" });
        (await EmulatorHarness.PutAsync(init.UploadUrls[0], [1, 2, 3])).Dispose();

        using var response = await PostAsync("files/completemultipartupload", template.Replace("UPLOAD", init.UploadId, StringComparison.Ordinal).Replace("ID", init.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

        await AssertBadRequestAsync(response);
        Assert.That((await _h.Api.GetFileByIdAsync(init.Id)).Uploaded, Is.False, "nothing was completed");
    }

    [Test]
    public async Task Delete_items_are_an_id_or_an_externalId_and_an_instanceId_is_400()
    {
        using var response = await PostAsync("files/delete", """{"items":[{"instanceId":{"space":"plant","externalId":"pump_7"}}],"ignoreUnknownIds":true}""");

        await AssertBadRequestAsync(response);
    }

    [Test]
    public async Task Labels_added_beyond_ten_on_a_file_are_400_and_change_nothing()
    {
        var file = await _h.Api.CreateFileAsync(new FileCreate { Name = "ten.bin", Labels = [.. Enumerable.Range(0, 9).Select(i => new Label { ExternalId = $"l{i}" })] });

        var add = string.Join(',', new[] { "x", "y" }.Select(l => $$"""{"externalId":"{{l}}"}"""));
        using var response = await PostAsync("files/update", $$$$"""{"items":[{"id":{{{{file.Id}}}},"update":{"labels":{"add":[{{{{add}}}}]}}}]}""");

        Assert.That(await AssertBadRequestAsync(response), Does.Contain("at most 10"));
        Assert.That((await _h.Api.GetFileByIdAsync(file.Id)).Labels, Has.Count.EqualTo(9));
    }

    [Test]
    public async Task A_file_whose_assetIds_are_set_to_none_comes_back_without_assetIds()
    {
        // Cognite's document: assetIds of a file are 1..1000 when present, so an empty list is no list.
        var file = await _h.Api.CreateFileAsync(new FileCreate { Name = "assets.bin", AssetIds = [1, 2] });

        var updated = await _h.Api.UpdateFilesAsync(new FileUpdateRequest { Items = [new FileUpdateItem { Id = file.Id, Update = new FileUpdate { AssetIds = new IdListUpdate { Set = [] } } }] });

        Assert.That(updated.Items[0].AssetIds, Is.Null);
        using var raw = await _h.Http.GetAsync("files/" + file.Id);
        Assert.That(JObject.Parse(await raw.Content.ReadAsStringAsync())["assetIds"], Is.Null);
    }

    [TestCase("INTERSECTS")]
    [TestCase("intersects")]
    [TestCase("Within")]
    [TestCase("DISJOINT")]
    public async Task A_geoLocation_filter_relation_is_accepted_in_upper_and_lower_case(string relation)
    {
        var body = """{"filter":{"geoLocation":{"relation":"RELATION","shape":{"type":"Point","coordinates":[10.5,59.9]}}}}""".Replace("RELATION", relation, StringComparison.Ordinal);

        using var response = await PostAsync("files/list", body);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    // N257: 257 times 'n' (and so on), to keep the test names short.
    [TestCase("files?name=" + "N257", TestName = "A_GET_files_name_longer_than_256_is_400")]
    [TestCase("files?source=" + "S129", TestName = "A_GET_files_source_longer_than_128_is_400")]
    [TestCase("files?externalIdPrefix=" + "X256", TestName = "A_GET_files_externalIdPrefix_longer_than_255_is_400")]
    [TestCase("files/icon?space=1bad&instanceExternalId=pump_7", TestName = "An_icon_space_against_the_instanceId_pattern_is_400")]
    [TestCase("files/icon?space=plant&instanceExternalId=has-dash", TestName = "An_icon_instanceExternalId_against_its_pattern_is_400")]
    [TestCase("files/icon?externalId=", TestName = "An_empty_icon_externalId_is_400")]
    public async Task Query_values_beyond_the_documents_limits_are_400s_naming_the_parameter(string pathAndQuery)
    {
        var expanded = System.Text.RegularExpressions.Regex.Replace(pathAndQuery, "([NSX])([0-9]+)$", m => new string(char.ToLowerInvariant(m.Groups[1].Value[0]), int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)));

        using var response = await _h.Http.GetAsync(expanded);

        Assert.That(await AssertBadRequestAsync(response), Does.Contain("Query parameter"));
    }

    [Test]
    public async Task Query_values_at_the_documents_limits_are_accepted()
    {
        using var list = await _h.Http.GetAsync($"files?name={new string('n', 256)}&source={new string('s', 128)}&externalIdPrefix={new string('x', 255)}&cursor=");

        Assert.That(list.StatusCode, Is.EqualTo(HttpStatusCode.OK), await list.Content.ReadAsStringAsync());
    }

    private static byte[] Image(int width, int height, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.SteelBlue);
            using var paint = new SKPaint { Color = SKColors.Orange };
            canvas.DrawCircle(width / 2f, height / 2f, height / 3f, paint);
        }

        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }
}
