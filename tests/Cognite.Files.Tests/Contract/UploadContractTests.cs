using System.Net;
using Cognite.Files.Models;
using Cognite.Files.Tests.TestSupport;

namespace Cognite.Files.Tests.Contract;

/// <summary>Wire contract of the upload operations: what the generated client sends and how it reads the answer.</summary>
public class UploadContractTests
{
    private static readonly string SingleUpload = Samples.UploadResponse("\"uploadUrl\": \"https://upload.example/put/1?sig=abc\"");

    private static readonly string MultipartUpload = Samples.UploadResponse(
        "\"uploadUrls\": [\"https://upload.example/p/1\", \"https://upload.example/p/2\", \"https://upload.example/p/3\"], \"uploadId\": \"dXBsb2FkLTE=\"");

    [Test]
    [ContractFor("CreateFile")]
    public async Task CreateFile_sends_a_bare_FileCreate_without_query_and_reads_the_upload_url()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.Created, SingleUpload);

        var file = await api.Client.CreateFileAsync(Samples.FullFileCreate());

        api.Request.AssertSent(HttpMethod.Post, "/files", body: Samples.FullFileCreateJson);
        Samples.AssertIsFullFile(file, uploaded: false);
        Assert.That(file.UploadUrl, Is.EqualTo("https://upload.example/put/1?sig=abc"));
    }

    [Test]
    [ContractFor("CreateFile")]
    public async Task CreateFile_with_only_a_name_sends_only_the_name()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.Created, SingleUpload);

        await api.Client.CreateFileAsync(new FileCreate { Name = "a.txt" });

        api.Request.AssertSent(HttpMethod.Post, "/files", body: """{"name":"a.txt"}""");
    }

    [TestCase(true, "overwrite=true")]
    [TestCase(false, "overwrite=false")]
    [ContractFor("CreateFile")]
    public async Task CreateFile_sends_overwrite_as_a_lowercase_boolean(bool overwrite, string expectedQuery)
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.Created, SingleUpload);

        await api.Client.CreateFileAsync(new FileCreate { Name = "a.txt" }, overwrite);

        api.Request.AssertSent(HttpMethod.Post, "/files", [expectedQuery], """{"name":"a.txt"}""");
        Assert.That(api.Request.RawQuery, Is.EqualTo(expectedQuery));
    }

    [Test]
    [ContractFor("GetUploadLink")]
    public async Task GetUploadLink_sends_one_identifier_in_items_and_reads_the_items_wrapper()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.Created, $$"""{"items":[{{SingleUpload}}]}""");

        var result = await api.Client.GetUploadLinkAsync(new UploadLinkRequest { Items = [new FileExternalIdEither { ExternalId = "plant-a/pump-7.pdf" }] });

        api.Request.AssertSent(HttpMethod.Post, "/files/uploadlink", body: """{"items":[{"externalId":"plant-a/pump-7.pdf"}]}""");
        Samples.AssertIsFullFile(result.Items.Single(), uploaded: false);
        Assert.That(result.Items.Single().UploadUrl, Is.EqualTo("https://upload.example/put/1?sig=abc"));
    }

    [Test]
    [ContractFor("GetUploadLink")]
    public async Task GetUploadLink_sends_an_instance_id_as_space_and_external_id()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.Created, $$"""{"items":[{{SingleUpload}}]}""");

        await api.Client.GetUploadLinkAsync(new UploadLinkRequest { Items = [new FileExternalIdEither { InstanceId = new InstanceId { Space = "plant", ExternalId = "pump_7" } }] });

        api.Request.AssertSent(HttpMethod.Post, "/files/uploadlink", body: """{"items":[{"instanceId":{"space":"plant","externalId":"pump_7"}}]}""");
    }

    /// <summary>Both upload link operations, with each item form they take (no internal id) and its wire form.</summary>
    private static IEnumerable<TestCaseData> UploadLinkItems()
    {
        var byExternalId = new FileExternalIdEither { ExternalId = "plant-a/pump-7.pdf" };
        var byInstanceId = new FileExternalIdEither { InstanceId = new InstanceId { Space = "plant", ExternalId = "pump_7" } };
        foreach (var operationId in new[] { "GetUploadLink", "GetMultipartUploadLink" })
        {
            yield return new TestCaseData(operationId, byExternalId, """{"items":[{"externalId":"plant-a/pump-7.pdf"}]}""").SetArgDisplayNames(operationId, "externalId");
            yield return new TestCaseData(operationId, byInstanceId, """{"items":[{"instanceId":{"space":"plant","externalId":"pump_7"}}]}""").SetArgDisplayNames(operationId, "instanceId");
        }
    }

    [TestCaseSource(nameof(UploadLinkItems))]
    [ContractFor("GetUploadLink")]
    [ContractFor("GetMultipartUploadLink")]
    public async Task Upload_link_requests_send_an_externalId_or_instanceId_item_that_validates_against_the_request_schema(
        string operationId, FileExternalIdEither item, string expectedBody)
    {
        var multipart = operationId == "GetMultipartUploadLink";
        using var api = new RecordingCogniteApi(HttpStatusCode.Created, $$"""{"items":[{{(multipart ? MultipartUpload : SingleUpload)}}]}""");
        var request = new UploadLinkRequest { Items = [item] };

        if (multipart)
        {
            await api.Client.GetMultipartUploadLinkAsync(2, request);
        }
        else
        {
            await api.Client.GetUploadLinkAsync(request);
        }

        api.Request.AssertSent(HttpMethod.Post, multipart ? "/files/multiuploadlink" : "/files/uploadlink", multipart ? ["parts=2"] : null, expectedBody);
        var errors = OpenApiContract.Validate((await OpenApiContract.GetAsync()).RequestSchema(operationId)!, api.Request.Body!);
        Assert.That(errors, Is.Empty, OpenApiContract.Describe(errors));
    }

    [Test]
    [ContractFor("InitMultipartUpload")]
    public async Task InitMultipartUpload_sends_parts_and_a_bare_FileCreate_and_reads_urls_in_part_order()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.Created, MultipartUpload);

        var result = await api.Client.InitMultipartUploadAsync(3, Samples.FullFileCreate());

        api.Request.AssertSent(HttpMethod.Post, "/files/initmultipartupload", ["parts=3"], Samples.FullFileCreateJson);
        Samples.AssertIsFullFile(result, uploaded: false);
        Assert.That(result.UploadUrls, Is.EqualTo(new[] { "https://upload.example/p/1", "https://upload.example/p/2", "https://upload.example/p/3" }));
        Assert.That(result.UploadId, Is.EqualTo("dXBsb2FkLTE="));
    }

    [Test]
    [ContractFor("InitMultipartUpload")]
    public async Task InitMultipartUpload_sends_the_maximum_of_250_parts_with_overwrite_true()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.Created, MultipartUpload);

        await api.Client.InitMultipartUploadAsync(250, new FileCreate { Name = "big.bin", ExternalId = "big" }, overwrite: true);

        api.Request.AssertSent(HttpMethod.Post, "/files/initmultipartupload", ["parts=250", "overwrite=true"], """{"name":"big.bin","externalId":"big"}""");
    }

    [Test]
    [ContractFor("GetMultipartUploadLink")]
    public async Task GetMultipartUploadLink_sends_parts_and_the_identifier_and_reads_the_document_example()
    {
        var contract = await OpenApiContract.GetAsync();
        var example = contract.ResponseExample("GetMultipartUploadLink")!.ToString();
        using var api = new RecordingCogniteApi(HttpStatusCode.Created, example);

        var result = await api.Client.GetMultipartUploadLinkAsync(3, new UploadLinkRequest { Items = [new FileExternalIdEither { ExternalId = "my.known.id" }] });

        api.Request.AssertSent(HttpMethod.Post, "/files/multiuploadlink", ["parts=3"], """{"items":[{"externalId":"my.known.id"}]}""");
        var item = result.Items.Single();
        Assert.That(item.Id, Is.EqualTo(4503599627370496L));
        Assert.That(item.UploadUrls, Has.Count.EqualTo(3));
        Assert.That(item.UploadId, Is.EqualTo("<string>"));
    }

    [Test]
    [ContractFor("GetMultipartUploadLink")]
    public async Task GetMultipartUploadLink_request_body_equals_the_document_request_example()
    {
        var contract = await OpenApiContract.GetAsync();
        using var api = new RecordingCogniteApi(HttpStatusCode.Created, $$"""{"items":[{{MultipartUpload}}]}""");

        await api.Client.GetMultipartUploadLinkAsync(1, new UploadLinkRequest { Items = [new FileExternalIdEither { ExternalId = "my.known.id" }] });

        Json.AssertEquivalent(api.Request.BodyJson, contract.RequestExample("GetMultipartUploadLink")!);
        Assert.That(api.Request.RawQuery, Is.EqualTo("parts=1"));
    }

    [Test]
    [ContractFor("CompleteMultipartUpload")]
    public async Task CompleteMultipartUpload_sends_the_id_and_upload_id_and_reads_the_empty_object()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, "{}");

        var result = await api.Client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = Samples.MaxId, UploadId = "dXBsb2FkLTE=" });

        api.Request.AssertSent(HttpMethod.Post, "/files/completemultipartupload", body: """{"id":9007199254740991,"uploadId":"dXBsb2FkLTE="}""");
        Assert.That(result.AdditionalProperties, Is.Empty);
    }

    [Test]
    [ContractFor("CompleteMultipartUpload")]
    public async Task CompleteMultipartUpload_sends_an_external_id_instead_of_an_id()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, "{}");

        await api.Client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { ExternalId = "big", UploadId = "u-1" });

        api.Request.AssertSent(HttpMethod.Post, "/files/completemultipartupload", body: """{"externalId":"big","uploadId":"u-1"}""");
    }
}
