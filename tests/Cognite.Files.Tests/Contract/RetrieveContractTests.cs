using System.Net;
using System.Net.Http.Headers;
using Cognite.Files.Models;
using Cognite.Files.Tests.Client;
using Cognite.Files.Tests.TestSupport;
using RichardSzalay.MockHttp;

namespace Cognite.Files.Tests.Contract;

/// <summary>Wire contract of reading single files, by-ids retrieval, search, aggregate and thumbnails.</summary>
public class RetrieveContractTests
{
    private static readonly string Items = $$"""{"items":[{{Samples.FullFile}}]}""";

    [Test]
    [ContractFor("GetFileById")]
    public async Task GetFileById_puts_the_int64_id_in_the_path_and_reads_a_bare_file()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, Samples.FullFile);

        var file = await api.Client.GetFileByIdAsync(Samples.MaxId);

        api.Request.AssertSent(HttpMethod.Get, "/files/9007199254740991");
        Samples.AssertIsFullFile(file);
    }

    [Test]
    [ContractFor("GetFileById")]
    public async Task GetFileById_reads_an_id_above_2_pow_53_without_losing_precision()
    {
        // 2^53+1 has no double representation: it survives only if the reader never goes through double.
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, Samples.MinimalFile.Replace("9007199254740990", "9007199254740993", StringComparison.Ordinal));

        var file = await api.Client.GetFileByIdAsync(9007199254740993);

        Assert.That(api.Request.Path, Does.EndWith("/files/9007199254740993"));
        Assert.That(file.Id, Is.EqualTo(9007199254740993L));
    }

    [Test]
    [ContractFor("RetrieveFiles")]
    public async Task RetrieveFiles_sends_every_identifier_form_and_ignoreUnknownIds()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, Items);

        var result = await api.Client.RetrieveFilesAsync(new FileRetrieveRequest
        {
            Items = [Identifier.FromId(Samples.MaxId), Identifier.FromExternalId("plant-a/pump-7.pdf"), Identifier.FromInstanceId("plant", "pump-7")],
            IgnoreUnknownIds = true,
        });

        api.Request.AssertSent(HttpMethod.Post, "/files/byids", body: """
            {"items":[{"id":9007199254740991},{"externalId":"plant-a/pump-7.pdf"},{"instanceId":{"space":"plant","externalId":"pump-7"}}],"ignoreUnknownIds":true}
            """);
        Samples.AssertIsFullFile(result.Items.Single());
    }

    [Test]
    [ContractFor("RetrieveFiles")]
    public async Task RetrieveFiles_omits_ignoreUnknownIds_when_null()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, Items);

        await api.Client.RetrieveFilesAsync(new FileRetrieveRequest { Items = [Identifier.FromId(1)], IgnoreUnknownIds = null });

        api.Request.AssertSent(HttpMethod.Post, "/files/byids", body: """{"items":[{"id":1}]}""");
    }

    [Test]
    [ContractFor("SearchFiles")]
    public async Task SearchFiles_sends_name_search_filter_and_limit_and_reads_the_items()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, Items);

        var result = await api.Client.SearchFilesAsync(new FileSearchRequest
        {
            Search = new FileSearch { Name = "pump" },
            Filter = new FileFilter { DirectoryPrefix = "/plants", Uploaded = true },
            Limit = 25,
        });

        api.Request.AssertSent(HttpMethod.Post, "/files/search",
            body: """{"search":{"name":"pump"},"filter":{"directoryPrefix":"/plants","uploaded":true},"limit":25}""");
        Samples.AssertIsFullFile(result.Items.Single());
    }

    [Test]
    [ContractFor("SearchFiles")]
    public async Task SearchFiles_without_a_name_sends_an_empty_search_object()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, """{"items":[]}""");

        var result = await api.Client.SearchFilesAsync(new FileSearchRequest { Search = new FileSearch(), Limit = null });

        api.Request.AssertSent(HttpMethod.Post, "/files/search", body: """{"search":{}}""");
        Assert.That(result.Items, Is.Empty);
    }

    [Test]
    [ContractFor("AggregateFiles")]
    public async Task AggregateFiles_sends_the_filter_and_reads_an_int64_count()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, """{"items":[{"count":9007199254740993}]}""");

        var result = await api.Client.AggregateFilesAsync(new FileAggregateRequest { Filter = new FileFilter { MimeType = "application/pdf", Uploaded = true } });

        api.Request.AssertSent(HttpMethod.Post, "/files/aggregate", body: """{"filter":{"mimeType":"application/pdf","uploaded":true}}""");
        Assert.That(result.Items.Single().Count, Is.EqualTo(9007199254740993L));
    }

    [Test]
    [ContractFor("AggregateFiles")]
    public async Task AggregateFiles_without_a_filter_sends_an_empty_object()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, """{"items":[{"count":0}]}""");

        var result = await api.Client.AggregateFilesAsync(new FileAggregateRequest());

        api.Request.AssertSent(HttpMethod.Post, "/files/aggregate", body: "{}");
        Assert.That(result.Items.Single().Count, Is.Zero);
    }

    /// <summary>Each kind of <see cref="Identifier"/> and the query <c>GET /files/icon</c> must carry for it.</summary>
    private static IEnumerable<TestCaseData> IconIdentifiers()
    {
        yield return new TestCaseData(Identifier.FromId(Samples.MaxId), new[] { "id=9007199254740991" }).SetArgDisplayNames("id");
        yield return new TestCaseData(Identifier.FromExternalId("plant-a/pump-7.pdf"), new[] { "externalId=plant-a/pump-7.pdf" }).SetArgDisplayNames("externalId");
        yield return new TestCaseData(Identifier.FromInstanceId("plant", "pump_7"), new[] { "space=plant", "instanceExternalId=pump_7" }).SetArgDisplayNames("instanceId");
    }

    [TestCaseSource(nameof(IconIdentifiers))]
    [ContractFor("GetIcon")]
    public async Task GetIcon_sends_one_identifier_as_query_parameters_and_returns_the_body_bytes_as_a_stream(Identifier file, string[] expectedQuery)
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, Samples.JpegThumbnail, "image/jpeg");

        await using var icon = await api.Client.GetIconAsync(file.Id, file.ExternalId, file.InstanceId?.Space, file.InstanceId?.ExternalId);

        api.Request.AssertSent(HttpMethod.Get, "/files/icon", expectedQuery);
        Assert.That(await ReadAllAsync(icon), Is.EqualTo(Samples.JpegThumbnail), "the bytes as sent, no text decoding");
    }

    [Test]
    [ContractFor("GetIcon")]
    public async Task GetIcon_percent_encodes_the_external_id()
    {
        using var api = new RecordingCogniteApi(HttpStatusCode.OK, Samples.JpegThumbnail, "image/jpeg");

        await using var icon = await api.Client.GetIconAsync(externalId: "a b&c=d/e.jpg");

        Assert.That(api.Request.Query, Is.EqualTo(new[] { new KeyValuePair<string, string>("externalId", "a b&c=d/e.jpg") }));
        Assert.That(api.Request.RawQuery, Does.Not.Contain(" ").And.Not.Contain("&c="));
    }

    [TestCaseSource(nameof(IconIdentifiers))]
    [ContractFor("GetIcon")]
    public async Task Client_GetIconAsync_maps_each_Identifier_kind_to_its_query_parameters(Identifier file, string[] expectedQuery)
    {
        using var http = new MockHttpMessageHandler();
        var requests = new List<HttpRequestMessage>();
        http.Fallback.Respond(req =>
        {
            requests.Add(req);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Samples.JpegThumbnail) { Headers = { ContentType = new MediaTypeHeaderValue("image/jpeg") } } };
        });
        using var client = ClientFixture.Client(http);

        await using var icon = await client.GetIconAsync(file);

        var request = requests.Single();
        var recorded = new RecordedRequest(request.Method, request.RequestUri!, null, null);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(request.Method, Is.EqualTo(HttpMethod.Get));
            Assert.That(request.RequestUri!.GetLeftPart(UriPartial.Path), Is.EqualTo(ClientFixture.ApiBase + "/files/icon"));
            Assert.That(recorded.SortedQuery, Is.EqualTo(expectedQuery.Order(StringComparer.Ordinal).ToList()));
            Assert.That(await ReadAllAsync(icon), Is.EqualTo(Samples.JpegThumbnail));
        }
    }

    [TestCase("""{"error":{"code":400,"message":"File 42 is not a JPEG or PNG image"}}""", typeof(CogniteApiException), TestName = "Client_GetIconAsync_turns_a_400_for_a_non_image_into_CogniteApiException")]
    [TestCase("""{"error":{"code":400,"message":"Files not found","missing":[{"id":42}]}}""", typeof(CogniteNotFoundException), TestName = "Client_GetIconAsync_turns_a_400_with_missing_into_CogniteNotFoundException")]
    [ContractFor("GetIcon")]
    public async Task Client_GetIconAsync_turns_a_CDF_error_body_into_CogniteApiException(string body, Type expected)
    {
        using var http = new MockHttpMessageHandler();
        var calls = 0;
        http.When(HttpMethod.Get, ClientFixture.ApiBase + "/files/icon").Respond(_ => { calls++; return ClientFixture.Json(HttpStatusCode.BadRequest, body, "req-icon"); });
        using var client = ClientFixture.Client(http);

        var ex = await Assert.CatchAsync<CogniteApiException>(() => client.GetIconAsync(Identifier.FromId(42)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ex!.GetType(), Is.EqualTo(expected));
            Assert.That(ex.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(ex.RequestId, Is.EqualTo("req-icon"));
            Assert.That(calls, Is.EqualTo(1), "a 400 is not retried");
        }
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }
}
