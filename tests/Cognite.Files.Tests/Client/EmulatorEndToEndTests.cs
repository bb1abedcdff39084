using System.Security.Cryptography;
using Cognite.Files.Auth;
using Cognite.Files.Emulator;
using Cognite.Files.Models;
using Cognite.Files.Tests.Transfer;
using Cognite.Files.Transfer;

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
        // create + upload a small file: one PUT (below SingleUploadThreshold), returned once CDF reports it uploaded
        var bytes = RandomNumberGenerator.GetBytes(300_001);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var progress = new RecordingProgress<UploadProgress>();
        var created = await _client.UploadAsync(
            new FileCreate { Name = "e2e.bin", ExternalId = "e2e-main", MimeType = "application/octet-stream", Metadata = new Dictionary<string, string> { ["k"] = "v" } },
            new MemoryStream(bytes),
            new UploadOptions { Progress = progress });
        Assert.That(created.File.Id, Is.GreaterThan(0));
        Assert.That(created.File.Uploaded, Is.True);
        Assert.That(created.Parts, Is.EqualTo(1));
        Assert.That(created.UploadId, Is.Empty, "a single PUT has no multipart session");
        Assert.That(created.Checksum, Is.EqualTo(ContentChecksum.Compute(bytes)));
        Assert.That(progress.Values[^1], Is.EqualTo(new UploadProgress(bytes.Length, bytes.Length, 1, 1)));
        Assert.That(await _emulator.GetContentSha256Async(created.File.Id), Is.EqualTo(sha).IgnoreCase);

        // download byte-exact, to a stream and to a file
        using (var ms = new MemoryStream())
        {
            var download = await _client.DownloadAsync(Identifier.FromId(created.File.Id), ms);
            Assert.That(download.Bytes, Is.EqualTo(bytes.Length));
            Assert.That(download.Checksum, Is.EqualTo(ContentChecksum.Compute(bytes)));
            Assert.That(ms.ToArray(), Is.EqualTo(bytes));
        }

        var path = Path.Combine(_dir.FullName, "downloaded.bin");
        await _client.DownloadAsync(Identifier.FromExternalId("e2e-main"), path);
        Assert.That(await File.ReadAllBytesAsync(path), Is.EqualTo(bytes));

        // replace the content of the existing file via uploadlink: in place once UploadAsync returns
        var replacement = RandomNumberGenerator.GetBytes(1234);
        await _client.UploadAsync(Identifier.FromExternalId("e2e-main"), new MemoryStream(replacement));
        using (var ms = new MemoryStream())
        {
            await _client.DownloadAsync(Identifier.FromId(created.File.Id), ms);
            Assert.That(ms.ToArray(), Is.EqualTo(replacement));
        }

        // list with paging
        for (var i = 0; i < 5; i++)
        {
            await _client.UploadAsync(new FileCreate { Name = $"page-{i}.txt", ExternalId = $"page-{i}", Source = "paging" }, new MemoryStream([(byte)i]));
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
        Assert.That((await _client.RetrieveAsync(created.File.Id)).Source, Is.EqualTo("updated"));

        // delete
        await _client.DeleteAsync(listed.Select(f => IdEither.FromId(f.Id)).Append(IdEither.FromId(created.File.Id)));
        var ex = await Assert.CatchAsync<CogniteNotFoundException>(() => _client.RetrieveAsync(Identifier.FromId(created.File.Id)));
        Assert.That(ex!.Missing, Is.Not.Empty);
        Assert.That(await _client.AggregateCountAsync(), Is.EqualTo(0));

        Assert.That(_emulator.Counters.AuthorizationHeaderOnUploadUrl, Is.EqualTo(0), "no bearer token ever reached the upload listener");
    }

    [Test]
    public async Task Errors_from_the_emulator_map_to_the_typed_family()
    {
        await _client.UploadAsync(new FileCreate { Name = "dup", ExternalId = "dup" }, new MemoryStream([1]));
        Assert.That(
            await Assert.CatchAsync<CogniteApiException>(() => _client.UploadAsync(new FileCreate { Name = "dup", ExternalId = "dup" }, new MemoryStream([1]))),
            Is.InstanceOf<CogniteConflictException>());

        using var wrongToken = new CogniteFilesClient(
            new CogniteFilesClientOptions { BaseUrl = new Uri(_emulator.ApiBaseUrl.GetLeftPart(UriPartial.Authority)), Project = _emulator.Options.Project, AppName = "e2e" },
            new StaticAccessTokenProvider("wrong"));
        await Assert.ThatAsync(() => wrongToken.RetrieveAsync(1), Throws.InstanceOf<CogniteUnauthorizedException>());
    }
}
