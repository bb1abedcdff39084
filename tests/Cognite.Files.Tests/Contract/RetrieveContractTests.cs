using System.Net;
using Cognite.Files.Models;
using Cognite.Files.Tests.TestSupport;

namespace Cognite.Files.Tests.Contract;

/// <summary>Wire contract of reading single files, by-ids retrieval, search and aggregate.</summary>
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
}
