using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Cognite.Files.Emulator;
using Cognite.Files.Models;
using Cognite.Files.Transfer;
using CogniteFilesEmulator = Cognite.Files.Testing.CogniteFilesEmulator;

namespace Cognite.Files.Testing.Tests;

/// <summary>The memory content store in one line, and the download knobs a client's tests need: ranges off, a capped connection.</summary>
public sealed class ContentStoreAndRangeTests
{
    [Test]
    public async Task The_memory_store_round_trips_a_multipart_upload_and_leaves_nothing_behind()
    {
        string directory;
        await using (var emulator = await CogniteFilesEmulator.StartAsync(new EmulatorStartOptions { ContentStore = ContentStoreKind.Memory }))
        {
            directory = emulator.DataDirectory;
            Assert.That(emulator.Server.Options.ContentStore, Is.EqualTo(ContentStoreKind.Memory));
            using var client = emulator.CreateClient();
            var content = RandomNumberGenerator.GetBytes((int)(2 * MultipartLimits.MinPartSize) + 5);

            var upload = await client.UploadAsync(new FileCreate { Name = "memory.bin", ExternalId = "memory" }, new MemoryStream(content));
            using var copy = new MemoryStream();
            await client.DownloadAsync(Identifier.FromExternalId("memory"), copy);

            Assert.That(upload.Parts, Is.EqualTo(3));
            Assert.That(copy.ToArray().AsSpan().SequenceEqual(content), Is.True);
            Assert.That(await emulator.GetContentSha256Async(upload.File.Id), Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(content))));
            Assert.That(Directory.GetDirectories(directory), Is.Empty, "only the metadata is on disk");
        }

        Assert.That(Directory.Exists(directory), Is.False);
    }

    [Test]
    public async Task The_memory_store_chosen_in_ConfigureEmulator_works_too()
    {
        await using var emulator = await CogniteFilesEmulator.StartAsync(new EmulatorStartOptions { ConfigureEmulator = o => o.ContentStore = ContentStoreKind.Memory });
        using var client = emulator.CreateClient();

        var upload = await client.UploadAsync(new FileCreate { Name = "m.txt" }, new MemoryStream("memory"u8.ToArray()));

        Assert.That(await emulator.GetContentSha256Async(upload.File.Id), Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData("memory"u8))));
        Assert.That(Directory.GetDirectories(emulator.DataDirectory), Is.Empty);
    }

    [Test]
    public async Task A_data_directory_with_the_memory_store_is_refused_before_anything_starts()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => CogniteFilesEmulator.StartAsync(new EmulatorStartOptions { ContentStore = ContentStoreKind.Memory, DataDirectory = Path.GetTempPath() }));
        Assert.That(error!.ParamName, Is.EqualTo(nameof(EmulatorStartOptions.DataDirectory)));
    }

    [Test]
    public async Task IgnoreRangeRequests_makes_a_server_without_range_support_until_Clear()
    {
        await using var emulator = await CogniteFilesEmulator.StartAsync();
        var (http, link) = await UploadAndLinkAsync(emulator, new byte[] { 1, 2, 3, 4, 5 });
        using var _ = http;

        Assert.That(await RangeStatusAsync(link), Is.EqualTo(HttpStatusCode.PartialContent));
        emulator.Faults.IgnoreRangeRequests();
        Assert.That(await RangeStatusAsync(link), Is.EqualTo(HttpStatusCode.OK));
        emulator.Faults.IgnoreRangeRequests(false).IgnoreRangeRequests();
        Assert.That(await RangeStatusAsync(link), Is.EqualTo(HttpStatusCode.OK));
        emulator.Faults.Clear();
        Assert.That(await RangeStatusAsync(link), Is.EqualTo(HttpStatusCode.PartialContent));
    }

    [Test]
    public async Task LimitBandwidth_caps_downloads_as_well_as_uploads()
    {
        await using var emulator = await CogniteFilesEmulator.StartAsync(new EmulatorStartOptions { ContentStore = ContentStoreKind.Memory });
        var content = RandomNumberGenerator.GetBytes(1024 * 1024);
        var (http, link) = await UploadAndLinkAsync(emulator, content);
        using var _ = http;
        emulator.Counters.Reset();

        emulator.Faults.LimitBandwidth(4 * 1024 * 1024);
        using var plain = new HttpClient();
        var body = await plain.GetByteArrayAsync(link);

        Assert.That(body, Is.EqualTo(content));
        Assert.That(emulator.Counters.ThrottleWaits, Is.GreaterThan(1), "1 MiB at 4 MiB/s cannot go out without pauses");
    }

    [Test]
    public async Task OnDownload_fails_that_GET_once_and_a_reset_cuts_the_body_short()
    {
        await using var emulator = await CogniteFilesEmulator.StartAsync();
        var content = RandomNumberGenerator.GetBytes(100_000);
        var (http, link) = await UploadAndLinkAsync(emulator, content);
        using var _ = http;
        emulator.Faults.OnDownload(1).Respond503().OnDownload(2).ResetMidBody();

        Assert.That(await RangeStatusAsync(link), Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        using var plain = new HttpClient();
        Assert.That(async () => await plain.GetByteArrayAsync(link), Throws.InstanceOf<HttpRequestException>().Or.InstanceOf<IOException>());
        Assert.That(await plain.GetByteArrayAsync(link), Is.EqualTo(content), "the third GET is whole");
        Assert.That(emulator.Counters.FaultsInjected, Is.EqualTo(2));
    }

    private static async Task<HttpStatusCode> RangeStatusAsync(string link)
    {
        using var plain = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, link) { Headers = { Range = new RangeHeaderValue(1, 2) } };
        using var response = await plain.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>Uploads through a raw client of the emulator's URL and token, then asks for a download link.</summary>
    private static async Task<(HttpClient Http, string Link)> UploadAndLinkAsync(CogniteFilesEmulator emulator, byte[] content)
    {
        var http = new HttpClient { BaseAddress = emulator.ApiBaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", emulator.Token);
        using var created = await http.PostAsync("files", new StringContent("""{"name":"ranged.bin"}""", Encoding.UTF8, "application/json"));
        var file = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        using var plain = new HttpClient();
        using (var put = await plain.PutAsync((string)file["uploadUrl"]!, new ByteArrayContent(content))) put.EnsureSuccessStatusCode();
        using var links = await http.PostAsync("files/downloadlink", new StringContent($$"""{"items":[{"id":{{(long)file["id"]!}}}]}""", Encoding.UTF8, "application/json"));
        return (http, (string)JsonNode.Parse(await links.Content.ReadAsStringAsync())!["items"]![0]!["downloadUrl"]!);
    }
}
