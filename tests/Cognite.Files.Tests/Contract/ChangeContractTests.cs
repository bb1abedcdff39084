using System.Net;
using Cognite.Files.Models;
using Cognite.Files.Tests.TestSupport;

namespace Cognite.Files.Tests.Contract;

/// <summary>Wire contract of update, delete and download links.</summary>
public class ChangeContractTests
{
    [Test]
    [ContractFor("UpdateFiles")]
    public async Task UpdateFiles_sends_set_setNull_add_and_remove_operations_per_field()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, $$"""{"items":[{{Samples.FullFile}}]}""");

        var result = await api.Client.UpdateFilesAsync(new FileUpdateRequest
        {
            Items =
            [
                new FileUpdateItem
                {
                    Id = Samples.MaxId,
                    Update = new FileUpdate
                    {
                        ExternalId = new SetNullableString { Set = "plant-a/pump-7.pdf" },
                        Directory = new SetNullableString { SetNull = true },
                        Source = new SetNullableString { Set = "sharepoint" },
                        MimeType = new SetNullableString { SetNull = true },
                        Metadata = new MetadataUpdate { Add = new Dictionary<string, string> { ["site"] = "A" }, Remove = ["old"] },
                        AssetIds = new IdListUpdate { Add = [Samples.MaxId], Remove = [42] },
                        SecurityCategories = new IdListUpdate { Set = [7] },
                        SourceCreatedTime = new SetNullableLong { Set = 0 },
                        SourceModifiedTime = new SetNullableLong { SetNull = true },
                        DataSetId = new SetNullableLong { Set = 9007199254740990 },
                        Labels = new LabelsUpdate { Add = [new Label { ExternalId = "datasheet" }], Remove = [new Label { ExternalId = "draft" }] },
                        GeoLocation = new GeoLocationUpdate { SetNull = true },
                    },
                },
                new FileUpdateItem
                {
                    InstanceId = new InstanceId { Space = "plant", ExternalId = "pump_8" },
                    Update = new FileUpdate { Metadata = new MetadataUpdate { Set = new Dictionary<string, string>() } },
                },
            ],
        });

        api.Request.AssertSent(HttpMethod.Post, "/files/update", body: """
            {"items":[
              {"id":9007199254740991,"update":{
                "externalId":{"set":"plant-a/pump-7.pdf"},
                "directory":{"setNull":true},
                "source":{"set":"sharepoint"},
                "mimeType":{"setNull":true},
                "metadata":{"add":{"site":"A"},"remove":["old"]},
                "assetIds":{"add":[9007199254740991],"remove":[42]},
                "securityCategories":{"set":[7]},
                "sourceCreatedTime":{"set":0},
                "sourceModifiedTime":{"setNull":true},
                "dataSetId":{"set":9007199254740990},
                "labels":{"add":[{"externalId":"datasheet"}],"remove":[{"externalId":"draft"}]},
                "geoLocation":{"setNull":true}}},
              {"instanceId":{"space":"plant","externalId":"pump_8"},"update":{"metadata":{"set":{}}}}
            ]}
            """);
        Samples.AssertIsFullFile(result.Items.Single());
    }

    [TestCase(new[] { "datasheet", "approved" }, """{"items":[{"externalId":"plant-a/pump-7.pdf","update":{"labels":{"set":[{"externalId":"datasheet"},{"externalId":"approved"}]}}}]}""")]
    [TestCase(new string[0], """{"items":[{"externalId":"plant-a/pump-7.pdf","update":{"labels":{"set":[]}}}]}""")]
    [ContractFor("UpdateFiles")]
    public async Task UpdateFiles_sends_labels_set_to_replace_all_labels_and_it_validates(string[] labels, string expected)
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, $$"""{"items":[{{Samples.FullFile}}]}""");

        await api.Client.UpdateFilesAsync(new FileUpdateRequest
        {
            Items =
            [
                new FileUpdateItem
                {
                    ExternalId = "plant-a/pump-7.pdf",
                    Update = new FileUpdate { Labels = new LabelsUpdate { Set = [.. labels.Select(l => new Label { ExternalId = l })] } },
                },
            ],
        });

        api.Request.AssertSent(HttpMethod.Post, "/files/update", body: expected);
        var errors = OpenApiContract.Validate((await OpenApiContract.GetAsync()).RequestSchema("UpdateFiles")!, api.Request.Body!);
        Assert.That(errors, Is.Empty, OpenApiContract.Describe(errors));
    }

    [Test]
    [ContractFor("UpdateFiles")]
    public async Task UpdateFiles_sends_a_geoLocation_set_as_a_Feature()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, $$"""{"items":[{{Samples.FullFile}}]}""");

        await api.Client.UpdateFilesAsync(new FileUpdateRequest
        {
            Items =
            [
                new FileUpdateItem
                {
                    ExternalId = "plant-a/pump-7.pdf",
                    Update = new FileUpdate { GeoLocation = new GeoLocationUpdate { Set = GeoLocation.FromPoint(10.75, 59.91) } },
                },
            ],
        });

        api.Request.AssertSent(HttpMethod.Post, "/files/update", body: """
            {"items":[{"externalId":"plant-a/pump-7.pdf","update":{"geoLocation":{"set":{"type":"Feature","geometry":{"type":"Point","coordinates":[10.75,59.91]}}}}}]}
            """);
    }

    [Test]
    [ContractFor("DeleteFiles")]
    public async Task DeleteFiles_sends_ids_and_external_ids_with_ignoreUnknownIds_and_reads_the_empty_object()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, "{}");

        var result = await api.Client.DeleteFilesAsync(new FileDeleteRequest { Items = [IdEither.FromId(Samples.MaxId), IdEither.FromExternalId("old")], IgnoreUnknownIds = true });

        api.Request.AssertSent(HttpMethod.Post, "/files/delete", body: """{"items":[{"id":9007199254740991},{"externalId":"old"}],"ignoreUnknownIds":true}""");
        Assert.That(result.AdditionalProperties, Is.Empty);
    }

    [Test]
    [ContractFor("DeleteFiles")]
    public async Task DeleteFiles_omits_ignoreUnknownIds_when_not_set()
    {
        // generateDefaultValues=false: an unset optional stays off the wire.
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, "{}");

        await api.Client.DeleteFilesAsync(new FileDeleteRequest { Items = [IdEither.FromId(1)] });

        api.Request.AssertSent(HttpMethod.Post, "/files/delete", body: """{"items":[{"id":1}]}""");
    }

    [Test]
    [ContractFor("GetDownloadLinks")]
    public async Task GetDownloadLinks_sends_identifiers_without_query_and_reads_links_with_their_identifier()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, """
            {"items":[
              {"downloadUrl":"https://download.example/1?sig=a","id":9007199254740991,"externalId":"plant-a/pump-7.pdf"},
              {"downloadUrl":"https://download.example/2?sig=b","externalId":"b"},
              {"downloadUrl":"https://download.example/3?sig=c","instanceId":{"space":"plant","externalId":"pump_8"}}
            ]}
            """);

        var result = await api.Client.GetDownloadLinksAsync(new DownloadLinkRequest
        {
            Items = [Identifier.FromId(Samples.MaxId), Identifier.FromExternalId("b"), Identifier.FromInstanceId("plant", "pump_8")],
        });

        api.Request.AssertSent(HttpMethod.Post, "/files/downloadlink",
            body: """{"items":[{"id":9007199254740991},{"externalId":"b"},{"instanceId":{"space":"plant","externalId":"pump_8"}}]}""");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Items.Select(i => i.DownloadUrl), Is.EqualTo(new[] { "https://download.example/1?sig=a", "https://download.example/2?sig=b", "https://download.example/3?sig=c" }));
            Assert.That(result.Items[0].Id, Is.EqualTo(Samples.MaxId));
            Assert.That(result.Items[0].ExternalId, Is.EqualTo("plant-a/pump-7.pdf"));
            Assert.That(result.Items[1].Id, Is.Null);
            Assert.That(result.Items[2].InstanceId!.ExternalId, Is.EqualTo("pump_8"));
        }
    }

    [TestCase(true, "extendedExpiration=true")]
    [TestCase(false, "extendedExpiration=false")]
    [ContractFor("GetDownloadLinks")]
    public async Task GetDownloadLinks_sends_extendedExpiration_as_a_lowercase_boolean(bool extended, string expectedQuery)
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, """{"items":[{"downloadUrl":"https://download.example/1","id":1}]}""");

        await api.Client.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [Identifier.FromId(1)] }, extended);

        api.Request.AssertSent(HttpMethod.Post, "/files/downloadlink", [expectedQuery], """{"items":[{"id":1}]}""");
    }
}
