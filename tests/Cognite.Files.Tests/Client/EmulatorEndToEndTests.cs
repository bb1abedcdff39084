using System.Security.Cryptography;
using Cognite.Files.Auth;
using Cognite.Files.Emulator;
using Cognite.Files.Models;

namespace Cognite.Files.Tests.Client;

/// <summary>The client against the in-process emulator (real Kestrel, real sockets, separate upload listener).</summary>
[NonParallelizable]
public class EmulatorEndToEndTests
{
    private const string Token = "e2e-token";
    private DirectoryInfo _dir = null!;
    private CogniteFilesEmulator _emulator = null!;
    private CogniteFilesClient _client = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _dir = Directory.CreateTempSubdirectory("cf-e2e-");
        _emulator = await CogniteFilesEmulator.StartAsync(new EmulatorOptions { DataDirectory = _dir.FullName, AcceptedTokens = [Token] });
        var root = new Uri(_emulator.ApiBaseUrl.GetLeftPart(UriPartial.Authority));
        _client = new CogniteFilesClient(
            new CogniteFilesClientOptions { BaseUrl = root, Project = _emulator.Options.Project, AppName = "e2e" },
            new StaticAccessTokenProvider(Token));
    }

    [TearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _emulator.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    [Test]
    public async Task Create_upload_download_list_update_delete()
    {
        // create + upload small file
        var bytes = RandomNumberGenerator.GetBytes(300_001);
        var progress = new List<long>();
        var created = await _client.UploadSmallAsync(
            new FileCreate { Name = "e2e.bin", ExternalId = "e2e-main", MimeType = "application/octet-stream", Metadata = new Dictionary<string, string> { ["k"] = "v" } },
            new MemoryStream(bytes),
            progress: new Cognite.Files.Tests.Auth.SyncProgress(progress));
        Assert.That(created.Id, Is.GreaterThan(0));
        Assert.That(progress.Last(), Is.EqualTo(bytes.Length));
        var uploaded = await WaitUploadedAsync(created.Id);
        Assert.That(uploaded.Uploaded, Is.True);
        Assert.That(await _emulator.GetContentSha256Async(created.Id), Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(bytes))).IgnoreCase);

        // download byte-exact, to a stream and to a file
        using (var ms = new MemoryStream())
        {
            var n = await _client.DownloadToStreamAsync(Identifier.FromId(created.Id), ms);
            Assert.That(n, Is.EqualTo(bytes.Length));
            Assert.That(ms.ToArray(), Is.EqualTo(bytes));
        }

        var path = Path.Combine(_dir.FullName, "downloaded.bin");
        await _client.DownloadToFileAsync(Identifier.FromExternalId("e2e-main"), path);
        Assert.That(await File.ReadAllBytesAsync(path), Is.EqualTo(bytes));

        // replace the content of the existing file via uploadlink
        var replacement = RandomNumberGenerator.GetBytes(1234);
        await _client.UploadSmallAsync(Identifier.FromExternalId("e2e-main"), new MemoryStream(replacement));
        using (var ms = new MemoryStream())
        {
            for (var i = 0; i < 50 && !ms.ToArray().SequenceEqual(replacement); i++)
            {
                ms.SetLength(0);
                await _client.DownloadToStreamAsync(Identifier.FromId(created.Id), ms);
                if (!ms.ToArray().SequenceEqual(replacement))
                {
                    await Task.Delay(100);
                }
            }

            Assert.That(ms.ToArray(), Is.EqualTo(replacement));
        }

        // list with paging
        for (var i = 0; i < 5; i++)
        {
            await _client.UploadSmallAsync(new FileCreate { Name = $"page-{i}.txt", ExternalId = $"page-{i}", Source = "paging" }, new MemoryStream([(byte)i]));
        }

        var listed = new List<FileMetadata>();
        await foreach (var f in _client.ListAsync(new FileFilter { ExternalIdPrefix = "page-" }, pageSize: 2))
        {
            listed.Add(f);
        }

        Assert.That(listed.Select(f => f.ExternalId).Order(), Is.EqualTo(Enumerable.Range(0, 5).Select(i => $"page-{i}")));
        Assert.That(await _client.AggregateCountAsync(new FileFilter { Source = "paging" }), Is.EqualTo(5));
        var many = await _client.RetrieveManyAsync(listed.Select(f => Identifier.FromId(f.Id)).Append(Identifier.FromId(9_000_000_000_000)), ignoreUnknownIds: true);
        Assert.That(many, Has.Count.EqualTo(5));

        // update
        var updated = await _client.UpdateAsync(
            Identifier.FromExternalId("e2e-main"),
            new FileUpdate { Source = new SetNullableString { Set = "updated" }, Metadata = new MetadataUpdate { Add = new Dictionary<string, string> { ["k2"] = "v2" } } });
        Assert.That(updated.Source, Is.EqualTo("updated"));
        Assert.That(updated.Metadata, Is.EquivalentTo(new Dictionary<string, string> { ["k"] = "v", ["k2"] = "v2" }));
        Assert.That((await _client.RetrieveAsync(created.Id)).Source, Is.EqualTo("updated"));

        // delete
        await _client.DeleteAsync(listed.Select(f => IdEither.FromId(f.Id)).Append(IdEither.FromId(created.Id)));
        var ex = await Assert.CatchAsync<CogniteNotFoundException>(() => _client.RetrieveAsync(Identifier.FromId(created.Id)));
        Assert.That(ex!.Missing, Is.Not.Empty);
        Assert.That(await _client.AggregateCountAsync(), Is.EqualTo(0));

        Assert.That(_emulator.Counters.AuthorizationHeaderOnUploadUrl, Is.EqualTo(0), "no bearer token ever reached the upload listener");
    }

    [Test]
    public async Task Errors_from_the_emulator_map_to_the_typed_family()
    {
        await _client.UploadSmallAsync(new FileCreate { Name = "dup", ExternalId = "dup" }, new MemoryStream([1]));
        Assert.That(
            await Assert.CatchAsync<CogniteApiException>(() => _client.UploadSmallAsync(new FileCreate { Name = "dup", ExternalId = "dup" }, new MemoryStream([1]))),
            Is.InstanceOf<CogniteConflictException>());

        using var wrongToken = new CogniteFilesClient(
            new CogniteFilesClientOptions { BaseUrl = new Uri(_emulator.ApiBaseUrl.GetLeftPart(UriPartial.Authority)), Project = _emulator.Options.Project, AppName = "e2e" },
            new StaticAccessTokenProvider("wrong"));
        await Assert.ThatAsync(() => wrongToken.RetrieveAsync(1), Throws.InstanceOf<CogniteUnauthorizedException>());
    }

    private async Task<FileMetadata> WaitUploadedAsync(long id)
    {
        for (var i = 0; ; i++)
        {
            var f = await _client.RetrieveAsync(id);
            if (f.Uploaded || i == 100)
            {
                return f;
            }

            await Task.Delay(50);
        }
    }
}
