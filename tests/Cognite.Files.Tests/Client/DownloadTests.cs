using System.Net;
using System.Security.Cryptography;
using Cognite.Files.Models;
using Cognite.Files.Tests.Transfer;
using Cognite.Files.Transfer;
using Microsoft.Extensions.Time.Testing;
using RichardSzalay.MockHttp;

namespace Cognite.Files.Tests.Client;

/// <summary><see cref="CogniteFilesClient.DownloadAsync(Identifier, string, DownloadOptions?, CancellationToken)"/> and the stream overload over MockHttp.</summary>
public class DownloadTests
{
    private static readonly byte[] Content = Enumerable.Range(0, 3_000_000).Select(i => (byte)(i * 7)).ToArray();

    private DirectoryInfo _dir = null!;
    private MockHttpMessageHandler _api = null!;
    private MockHttpMessageHandler _presigned = null!;
    private int _requests;

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("cognite-download-tests-");
        _requests = 0;
        _api = new MockHttpMessageHandler();
        _presigned = new MockHttpMessageHandler();
        _api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/downloadlink").Respond(_ =>
        {
            Interlocked.Increment(ref _requests);
            return ClientFixture.Json(HttpStatusCode.OK, """{"items":[{"id":1,"downloadUrl":"https://dl.example.com/1?sig=s"}]}""");
        });
        _api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/byids").Respond(_ =>
        {
            Interlocked.Increment(ref _requests);
            return ClientFixture.Json(HttpStatusCode.OK, $$"""{"items":[{{ClientFixture.FileJson(1, uploaded: true)}}]}""");
        });
        _presigned.When(HttpMethod.Get, "https://dl.example.com/1").Respond(_ =>
        {
            Interlocked.Increment(ref _requests);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Content) };
        });
    }

    [TearDown]
    public void TearDown()
    {
        _api.Dispose();
        _presigned.Dispose();
        _dir.Delete(recursive: true);
    }

    private CogniteFilesClient Client(FakeTimeProvider? time = null) => ClientFixture.Client(_api, _presigned, time);

    private static string Sha(byte[] bytes) => ContentChecksum.Compute(bytes);

    [Test]
    public async Task An_existing_file_is_refused_without_Overwrite_before_any_request()
    {
        var path = Path.Combine(_dir.FullName, "out.bin");
        await File.WriteAllTextAsync(path, "keep me");
        using var client = Client();

        var ex = await Assert.ThrowsAsync<IOException>(() => client.DownloadAsync(Identifier.FromId(1), path));

        Assert.That(ex!.Message, Does.Contain("Overwrite"));
        Assert.That(_requests, Is.Zero);
        Assert.That(await File.ReadAllTextAsync(path), Is.EqualTo("keep me"));
    }

    [Test]
    public async Task Overwrite_replaces_the_file_and_the_result_carries_the_contents_checksum()
    {
        var path = Path.Combine(_dir.FullName, "out.bin");
        await File.WriteAllTextAsync(path, "old");
        using var client = Client();

        var result = await client.DownloadAsync(Identifier.FromId(1), path, new DownloadOptions { Overwrite = true });

        Assert.That(await File.ReadAllBytesAsync(path), Is.EqualTo(Content));
        Assert.That(result.Bytes, Is.EqualTo(Content.Length));
        Assert.That(result.Checksum, Is.EqualTo(Sha(Content)));
        Assert.That(_dir.GetFiles().Select(f => f.Name), Is.EqualTo(new[] { "out.bin" }), "no temporary file left");
    }

    [Test]
    public async Task A_new_path_gets_the_content_and_its_checksum()
    {
        var path = Path.Combine(_dir.FullName, "new.bin");
        using var client = Client();

        var result = await client.DownloadAsync(Identifier.FromId(1), path);

        Assert.That(await File.ReadAllBytesAsync(path), Is.EqualTo(Content));
        Assert.That(result.Checksum, Is.EqualTo(Sha(Content)));
    }

    [Test]
    public async Task A_missing_directory_is_refused_before_any_request()
    {
        using var client = Client();

        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => client.DownloadAsync(Identifier.FromId(1), Path.Combine(_dir.FullName, "missing", "out.bin")));

        Assert.That(_requests, Is.Zero);
    }

    [Test]
    public async Task A_stream_gets_the_content_from_its_position_and_the_checksum_can_be_turned_off_per_call()
    {
        using var client = Client();
        using var destination = new MemoryStream();
        destination.Write([0xAA, 0xBB]);

        var hashed = await client.DownloadAsync(Identifier.FromId(1), destination);
        var unhashed = await client.DownloadAsync(Identifier.FromId(1), Stream.Null, new DownloadOptions { Transfer = new TransferOptions { ComputeChecksum = false } });

        Assert.That(destination.ToArray(), Is.EqualTo(new byte[] { 0xAA, 0xBB }.Concat(Content)));
        Assert.That(hashed.Checksum, Is.EqualTo(Sha(Content)), "the hash covers the downloaded bytes only");
        Assert.That(unhashed.Checksum, Is.Null);
        Assert.That(unhashed.Bytes, Is.EqualTo(Content.Length));
    }

    [Test]
    public async Task Progress_is_coalesced_on_the_clients_clock_with_the_final_report_always_made()
    {
        // The fake clock does not move during the copy (3 MB, several 1 MiB buffers): only the first report passes the
        // 100 ms throttle, then the final one.
        using var client = Client(new FakeTimeProvider());
        var progress = new RecordingProgress<DownloadProgress>();

        await client.DownloadAsync(Identifier.FromId(1), Stream.Null, new DownloadOptions { Progress = progress });

        Assert.That(progress.Values, Has.Count.EqualTo(2));
        Assert.That(progress.Values[0].BytesTransferred, Is.InRange(1, Content.Length - 1));
        Assert.That(progress.Values[^1], Is.EqualTo(new DownloadProgress(Content.Length, Content.Length)));
    }
}
