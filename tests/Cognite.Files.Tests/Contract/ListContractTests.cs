using System.Net;
using Cognite.Files.Models;
using Cognite.Files.Tests.TestSupport;

namespace Cognite.Files.Tests.Contract;

/// <summary>Wire contract of listing: <c>GET /files</c> (query filters) and <c>POST /files/list</c> (filter body).</summary>
public class ListContractTests
{
    private static readonly string Page = $$"""{"items":[{{Samples.FullFile}},{{Samples.MinimalFile}}],"nextCursor":"cursor-2"}""";

    [Test]
    [ContractFor("ListFiles")]
    public async Task ListFiles_without_arguments_sends_no_query_and_reads_a_page_with_its_cursor()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, Page);

        var page = await api.Client.ListFilesAsync();

        api.Request.AssertSent(HttpMethod.Get, "/files");
        Assert.That(page.Items, Has.Count.EqualTo(2));
        Samples.AssertIsFullFile(page.Items[0]);
        Assert.That(page.Items[1].Id, Is.EqualTo(9007199254740990L));
        Assert.That(page.Items[1].Metadata, Is.Null);
        Assert.That(page.NextCursor, Is.EqualTo("cursor-2"));
    }

    [Test]
    [ContractFor("ListFiles")]
    public async Task ListFiles_sends_every_filter_as_a_query_parameter_with_repeated_assetIds_and_lowercase_booleans()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, Page);

        await api.Client.ListFilesAsync(
            limit: 1000, cursor: "c/1+2", name: "pump 7.pdf", mimeType: "application/pdf", source: "sharepoint",
            assetIds: [Samples.MaxId, 42], assetExternalIds: """["a","b"]""", rootAssetIds: "[1]", assetSubtreeIds: "[2]",
            assetSubtreeExternalIds: """["plant"]""", dataSetIds: """[{"id":3},{"externalId":"ds"}]""",
            minCreatedTime: 0, maxCreatedTime: 1730204346000, minLastUpdatedTime: 1, maxLastUpdatedTime: 2,
            minUploadedTime: 3, maxUploadedTime: 4, minSourceCreatedTime: 5, maxSourceCreatedTime: 6,
            minSourceModifiedTime: 7, maxSourceModifiedTime: 8, externalIdPrefix: "plant-a/", uploaded: false, partition: "1/3");

        api.Request.AssertSent(HttpMethod.Get, "/files",
        [
            "limit=1000", "cursor=c/1+2", "name=pump 7.pdf", "mimeType=application/pdf", "source=sharepoint",
            "assetIds=9007199254740991", "assetIds=42", """assetExternalIds=["a","b"]""", "rootAssetIds=[1]", "assetSubtreeIds=[2]",
            """assetSubtreeExternalIds=["plant"]""", """dataSetIds=[{"id":3},{"externalId":"ds"}]""",
            "minCreatedTime=0", "maxCreatedTime=1730204346000", "minLastUpdatedTime=1", "maxLastUpdatedTime=2",
            "minUploadedTime=3", "maxUploadedTime=4", "minSourceCreatedTime=5", "maxSourceCreatedTime=6",
            "minSourceModifiedTime=7", "maxSourceModifiedTime=8", "externalIdPrefix=plant-a/", "uploaded=false", "partition=1/3",
        ]);
    }

    [Test]
    [ContractFor("ListFiles")]
    public async Task ListFiles_percent_encodes_reserved_characters_in_query_values()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, Page);

        await api.Client.ListFilesAsync(cursor: "a+b&c=d", name: "x y");

        Assert.That(api.Request.RawQuery, Does.Contain("cursor=a%2Bb%26c%3Dd").And.Contain("name=x%20y"));
    }

    [Test]
    [ContractFor("ListFiles")]
    public async Task ListFiles_reads_the_last_page_without_a_cursor()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, $$"""{"items":[{{Samples.MinimalFile}}]}""");

        var page = await api.Client.ListFilesAsync(uploaded: true);

        Assert.That(api.Request.RawQuery, Is.EqualTo("uploaded=true"));
        Assert.That(page.NextCursor, Is.Null);
    }

    [Test]
    [ContractFor("FilterFiles")]
    public async Task FilterFiles_sends_the_full_filter_with_limit_cursor_and_partition()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, Page);

        var page = await api.Client.FilterFilesAsync(new FileFilterRequest { Filter = Samples.FullFilter(), Limit = 1000, Cursor = "cursor-1", Partition = "2/10" });

        api.Request.AssertSent(HttpMethod.Post, "/files/list",
            body: $$"""{"filter":{{Samples.FullFilterJson}},"limit":1000,"cursor":"cursor-1","partition":"2/10"}""");
        Samples.AssertIsFullFile(page.Items[0]);
        Assert.That(page.NextCursor, Is.EqualTo("cursor-2"));
    }

    [Test]
    [ContractFor("FilterFiles")]
    public async Task FilterFiles_omits_a_null_cursor_filter_and_limit()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, Page);

        await api.Client.FilterFilesAsync(new FileFilterRequest { Filter = null, Limit = null, Cursor = null });

        api.Request.AssertSent(HttpMethod.Post, "/files/list", body: "{}");
    }

    [Test]
    [ContractFor("FilterFiles")]
    public async Task FilterFiles_omits_unset_optionals_of_a_fresh_request()
    {
        // generateDefaultValues=false: schema defaults are the server's business, so a fresh request is "{}".
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, Page);

        await api.Client.FilterFilesAsync(new FileFilterRequest());

        api.Request.AssertSent(HttpMethod.Post, "/files/list", body: "{}");
    }

    [Test]
    [ContractFor("FilterFiles")]
    public async Task FilterFiles_reads_a_null_next_cursor_as_the_last_page()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, $$"""{"items":[{{Samples.MinimalFile}}],"nextCursor":null}""");

        var page = await api.Client.FilterFilesAsync(new FileFilterRequest { Filter = new FileFilter { Uploaded = false } });

        api.Request.AssertSent(HttpMethod.Post, "/files/list", body: """{"filter":{"uploaded":false}}""");
        Assert.That(page.NextCursor, Is.Null);
        Assert.That(page.Items.Single().Uploaded, Is.False);
    }

    [Test]
    [ContractFor("FilterFiles")]
    public async Task FilterFiles_sends_a_labels_containsAll_filter()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, Page);

        await api.Client.FilterFilesAsync(new FileFilterRequest
        {
            Filter = new FileFilter { Labels = new LabelFilter { ContainsAll = [new Label { ExternalId = "a" }, new Label { ExternalId = "b" }] } },
            Limit = 10,
        });

        api.Request.AssertSent(HttpMethod.Post, "/files/list",
            body: """{"filter":{"labels":{"containsAll":[{"externalId":"a"},{"externalId":"b"}]}},"limit":10}""");
    }
}
