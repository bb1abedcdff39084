using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Cognite.Files.Emulator.Tests.Support;
using Cognite.Files.Models;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Emulator.Tests;

/// <summary>
/// CDF's size limits on upload PUTs (<see cref="EmulatorConventions.MaxPartBytes"/> for a part,
/// <see cref="EmulatorConventions.MaxSingleUploadBytes"/> for a single upload): a PUT announcing more is refused from its
/// headers, in CDF's error format, before any byte of its body is read. The requests go over a raw socket that sends the
/// headers and no body at all: an answer at all shows that the emulator did not wait for the body, and with
/// <c>Expect: 100-continue</c> the emulator never even asks for it (no <c>100 Continue</c> comes first).
/// </summary>
public sealed class UploadSizeLimitTests
{
    private EmulatorHarness _h = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _h = await EmulatorHarness.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _h.DisposeAsync();

    /// <summary>
    /// Sends the headers of a PUT to <paramref name="url"/> announcing <paramref name="contentLength"/> bytes and no body;
    /// returns the first answer: its status, its header block and its body (read by its Content-Length).
    /// </summary>
    private static async Task<(int Status, string Headers, string Body)> PutHeadersOnlyAsync(string url, long contentLength, bool expectContinue)
    {
        var uri = new Uri(url);
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60)); // against a hang only: the answer needs no body
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, uri.Port, guard.Token);
        await using var stream = tcp.GetStream();
        var expect = expectContinue ? "Expect: 100-continue\r\n" : "";
        var request = string.Create(CultureInfo.InvariantCulture, $"PUT {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\nContent-Length: {contentLength}\r\n{expect}\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), guard.Token);

        var received = new List<byte>();
        var one = new byte[1];
        while (!Encoding.ASCII.GetString([.. received]).EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            Assert.That(await stream.ReadAsync(one, guard.Token), Is.EqualTo(1), "the connection ended before an answer");
            received.Add(one[0]);
        }

        var head = Encoding.ASCII.GetString([.. received]);
        var status = int.Parse(head.Split(' ')[1], CultureInfo.InvariantCulture);
        if (status == 100)
        {
            return (status, head, "");
        }

        // The error body is chunked (its length is not set ahead): chunks until the empty one.
        Assert.That(head, Does.Contain("Transfer-Encoding: chunked").IgnoreCase);
        var body = new MemoryStream();
        while (true)
        {
            var line = await ReadLineAsync(stream, guard.Token);
            var size = int.Parse(line, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var chunk = new byte[size + 2]; // and its CRLF
            await stream.ReadExactlyAsync(chunk, guard.Token);
            if (size == 0)
            {
                return (status, head, Encoding.UTF8.GetString(body.ToArray()));
            }

            body.Write(chunk, 0, size);
        }
    }

    private static async Task<string> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (!line.ToString().EndsWith("\r\n", StringComparison.Ordinal))
        {
            await stream.ReadExactlyAsync(one, cancellationToken);
            line.Append((char)one[0]);
        }

        return line.ToString()[..^2];
    }

    private static void AssertPayloadTooLarge((int Status, string Headers, string Body) answer, string says)
    {
        Assert.That(answer.Status, Is.EqualTo(EmulatorConventions.PutTooLargeStatus), answer.Headers);
        Assert.That(answer.Headers, Does.Contain("Connection: close").IgnoreCase);
        var error = JObject.Parse(answer.Body)["error"]!;
        Assert.That((int)error["code"]!, Is.EqualTo(413));
        Assert.That((string?)error["message"], Does.StartWith("Payload Too Large: " + says));
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task A_part_PUT_announcing_more_than_4000_MiB_is_413_before_any_body_byte_and_the_upload_goes_on(bool expectContinue)
    {
        var init = await _h.Api.InitMultipartUploadAsync(2, new FileCreate { Name = "huge-part.bin" });

        var answer = await PutHeadersOnlyAsync(init.UploadUrls[0], EmulatorConventions.MaxPartBytes + 1, expectContinue);

        AssertPayloadTooLarge(answer, "a part of a multipart upload is at most 4194304000 bytes (4000 MiB)");
        Assert.That(answer.Body, Does.Contain("announces 4194304001"));
        Assert.That(_h.Emulator.Counters.ForUpload(init.UploadId)!.BytesReceived, Is.Zero);

        // The refusal costs the upload nothing: its parts are PUT and it completes.
        var content = EmulatorHarness.RandomBytes(1500, 1);
        (await EmulatorHarness.PutAsync(init.UploadUrls[0], content[..1024])).Dispose();
        (await EmulatorHarness.PutAsync(init.UploadUrls[1], content[1024..])).Dispose();
        await _h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = init.Id, UploadId = init.UploadId });
        Assert.That(await _h.Emulator.GetContentSha256Async(init.Id), Is.EqualTo(EmulatorHarness.Sha256(content)));
    }

    [TestCase(EmulatorConventions.MaxSingleUploadBytes + 1, false)]
    [TestCase(EmulatorConventions.MaxSingleUploadBytes + 1, true)]
    [TestCase(long.MaxValue, false)]
    public async Task A_single_upload_PUT_announcing_more_than_5000_MB_is_413_before_any_body_byte(long announced, bool expectContinue)
    {
        var file = await _h.Api.CreateFileAsync(new FileCreate { Name = "huge-single.bin" });

        var answer = await PutHeadersOnlyAsync(file.UploadUrl, announced, expectContinue);

        AssertPayloadTooLarge(answer, "a single-upload PUT is at most 5000000000 bytes (5000 MB)");
        var uploadId = new Uri(file.UploadUrl).AbsolutePath.Split('/')[2];
        Assert.That(_h.Emulator.Counters.ForUpload(uploadId)?.BytesReceived ?? 0, Is.Zero);
        var stored = (await _h.Api.RetrieveFilesAsync(new FileRetrieveRequest { Items = [new Identifier { Id = file.Id }] })).Items[0];
        Assert.That(stored.Uploaded, Is.False);
    }

    [Test]
    public async Task Within_its_limit_a_PUT_is_asked_for_its_body_a_single_upload_above_the_part_limit_too()
    {
        // 4000 MiB + 1 is too much for a part but not for a single upload: the emulator starts reading the body, which
        // for a client that sent Expect: 100-continue is a 100 Continue.
        var file = await _h.Api.CreateFileAsync(new FileCreate { Name = "between.bin" });
        var init = await _h.Api.InitMultipartUploadAsync(1, new FileCreate { Name = "part-at-limit.bin" });

        var single = await PutHeadersOnlyAsync(file.UploadUrl, EmulatorConventions.MaxPartBytes + 1, expectContinue: true);
        var part = await PutHeadersOnlyAsync(init.UploadUrls[0], EmulatorConventions.MaxPartBytes, expectContinue: true);
        var singleAtLimit = await PutHeadersOnlyAsync(file.UploadUrl, EmulatorConventions.MaxSingleUploadBytes, expectContinue: true);

        Assert.That((single.Status, part.Status, singleAtLimit.Status), Is.EqualTo((100, 100, 100)));
    }
}
