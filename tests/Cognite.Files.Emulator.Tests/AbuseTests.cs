using System.Net;
using System.Text;
using Cognite.Files.Emulator.Tests.Support;
using Cognite.Files.Models;
using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Emulator.Tests;

/// <summary>
/// Correctness under concurrency and abuse, found by probing the standalone emulator: one consistent version per
/// download, idempotent concurrent completes, bounded bodies, idle request bodies, owner-only data, strict JSON text,
/// and CDF's week for never-uploaded files and expired sessions.
/// </summary>
public sealed class AbuseTests
{
    private const int PartSize = 1024 * 1024;

    private static async Task<(long Id, byte[] Content)> UploadMultipartAsync(EmulatorHarness h, string externalId, int parts, int seed)
    {
        var content = EmulatorHarness.RandomBytes(parts * PartSize, seed);
        var init = await h.Api.InitMultipartUploadAsync(parts, new FileCreate { Name = externalId + ".bin", ExternalId = externalId });
        for (var i = 0; i < parts; i++)
        {
            (await EmulatorHarness.PutAsync(init.UploadUrls[i], content[(i * PartSize)..((i + 1) * PartSize)])).Dispose();
        }

        await h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = init.Id, UploadId = init.UploadId });
        return (init.Id, content);
    }

    [Test]
    public async Task A_download_streaming_while_a_new_upload_completes_serves_the_version_it_began_with()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var (id, v1) = await UploadMultipartAsync(h, "versions", parts: 8, seed: 1);
        var link = (await h.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { Id = id }] })).Items[0].DownloadUrl;

        using var response = await EmulatorHarness.Plain.GetAsync(link, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var first = new byte[16];
        await body.ReadExactlyAsync(first);

        // A new version completes in the middle of the download.
        var v2 = EmulatorHarness.RandomBytes(8 * PartSize, 2);
        var again = (await h.Api.GetMultipartUploadLinkAsync(8, new UploadLinkRequest { Items = [new FileExternalIdEither { ExternalId = "versions" }] })).Items[0];
        for (var i = 0; i < 8; i++)
        {
            (await EmulatorHarness.PutAsync(again.UploadUrls[i], v2[(i * PartSize)..((i + 1) * PartSize)])).Dispose();
        }

        await h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = id, UploadId = again.UploadId });

        using var rest = new MemoryStream();
        await body.CopyToAsync(rest);
        var downloaded = first.Concat(rest.ToArray()).ToArray();
        Assert.That(EmulatorHarness.Sha256(downloaded), Is.EqualTo(EmulatorHarness.Sha256(v1)), "one version from start to end, never a mix");
        Assert.That(await h.Emulator.GetContentSha256Async(id), Is.EqualTo(EmulatorHarness.Sha256(v2)), "and the new one after");
    }

    [TestCase(true, false, TestName = "A_download_of_multipart_content_streaming_while_a_single_PUT_replaces_it_serves_the_version_it_began_with")]
    [TestCase(false, true, TestName = "A_download_of_single_PUT_content_streaming_while_a_multipart_upload_replaces_it_serves_the_version_it_began_with")]
    [TestCase(false, false, TestName = "A_download_of_single_PUT_content_streaming_while_another_single_PUT_replaces_it_serves_the_version_it_began_with")]
    public async Task A_download_streaming_while_new_content_arrives_the_other_way_serves_one_version(bool firstMultipart, bool secondMultipart)
    {
        // The content is kept in two ways (one file, or the parts of a multipart upload); a replacement of one by the
        // other must not mix them into the download either.
        await using var h = await EmulatorHarness.StartAsync();
        const int Parts = 8;
        var externalId = $"ways-{firstMultipart}-{secondMultipart}";
        var v1 = EmulatorHarness.RandomBytes(Parts * PartSize, 11);
        var v2 = EmulatorHarness.RandomBytes(Parts * PartSize, 12);
        long id;
        if (firstMultipart)
        {
            (id, v1) = await UploadMultipartAsync(h, externalId, Parts, seed: 11);
        }
        else
        {
            var created = await h.Api.CreateFileAsync(new FileCreate { Name = externalId + ".bin", ExternalId = externalId });
            (await EmulatorHarness.PutAsync(created.UploadUrl, v1)).Dispose();
            id = created.Id;
        }

        var link = (await h.Api.GetDownloadLinksAsync(new DownloadLinkRequest { Items = [new Identifier { Id = id }] })).Items[0].DownloadUrl;
        using var response = await EmulatorHarness.Plain.GetAsync(link, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var first = new byte[16];
        await body.ReadExactlyAsync(first);

        var target = new UploadLinkRequest { Items = [new FileExternalIdEither { ExternalId = externalId }] };
        if (secondMultipart)
        {
            var again = (await h.Api.GetMultipartUploadLinkAsync(Parts, target)).Items[0];
            for (var i = 0; i < Parts; i++)
            {
                (await EmulatorHarness.PutAsync(again.UploadUrls[i], v2[(i * PartSize)..((i + 1) * PartSize)])).Dispose();
            }

            await h.Api.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { Id = id, UploadId = again.UploadId });
        }
        else
        {
            (await EmulatorHarness.PutAsync((await h.Api.GetUploadLinkAsync(target)).Items[0].UploadUrl, v2)).Dispose();
        }

        using var rest = new MemoryStream();
        await body.CopyToAsync(rest);
        Assert.That(EmulatorHarness.Sha256([.. first, .. rest.ToArray()]), Is.EqualTo(EmulatorHarness.Sha256(v1)), "one version from start to end, never a mix");
        Assert.That(await h.Emulator.GetContentSha256Async(id), Is.EqualTo(EmulatorHarness.Sha256(v2)), "and the new one after");
    }

    [Test]
    public async Task Concurrent_completes_of_one_upload_all_answer_200_and_complete_it_once()
    {
        await using var h = await EmulatorHarness.StartAsync();
        var content = EmulatorHarness.RandomBytes(2 * PartSize, 3);
        var init = await h.Api.InitMultipartUploadAsync(2, new FileCreate { Name = "race.bin" });
        (await EmulatorHarness.PutAsync(init.UploadUrls[0], content[..PartSize])).Dispose();
        (await EmulatorHarness.PutAsync(init.UploadUrls[1], content[PartSize..])).Dispose();
        var body = $$"""{"id":{{init.Id}},"uploadId":"{{init.UploadId}}"}""";

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            h.Http.PostAsync("files/completemultipartupload", new StringContent(body, Encoding.UTF8, "application/json"))));

        Assert.That(responses.Select(r => (int)r.StatusCode), Is.All.EqualTo(200));
        Assert.That(await h.Emulator.GetContentSha256Async(init.Id), Is.EqualTo(EmulatorHarness.Sha256(content)));
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }

    [TestCase("""{"name":"a.txt","name":"b.txt"}""", "already exists")]
    [TestCase("""{"name":"\ud800.txt"}""", "unpaired UTF-16 surrogate")]
    [TestCase("""{"name":"ok.txt","metadata":{"\udfff":"v"}}""", "unpaired UTF-16 surrogate")]
    [TestCase("""{"name":"\ud83d\ud83d.txt"}""", "unpaired UTF-16 surrogate")]
    [TestCase("""{"name":"ok.txt","metadata":{"k":"1","k":"2"}}""", "already exists")]
    public async Task Duplicate_keys_and_unpaired_surrogates_are_400s_not_stored(string json, string reason)
    {
        await using var h = await EmulatorHarness.StartAsync();
        using var response = await h.Http.PostAsync("files", new StringContent(json, Encoding.UTF8, "application/json"));

        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), text);
        Assert.That((string?)JObject.Parse(text)["error"]?["message"], Does.Contain(reason));
        var count = await h.Api.AggregateFilesAsync(new FileAggregateRequest());
        Assert.That(count.Items.Sum(i => i.Count), Is.Zero, "nothing was stored");
    }

    [Test]
    public async Task A_surrogate_encoded_as_raw_UTF8_bytes_and_duplicate_keys_in_a_gzip_body_are_400s_not_stored()
    {
        await using var h = await EmulatorHarness.StartAsync();
        // ED A0 80 is U+D800 written as if it were a character: no valid UTF-8, and no way to smuggle a lone surrogate past the escape check.
        using var raw = new ByteArrayContent([.. "{\"name\":\""u8.ToArray(), 0xED, 0xA0, 0x80, .. ".txt\"}"u8.ToArray()]);
        raw.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var gzip = new MemoryStream();
        await using (var zip = new System.IO.Compression.GZipStream(gzip, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            await zip.WriteAsync("""{"items":[{"id":1,"update":{"source":{"set":"a"},"source":{"set":"b"}}}]}"""u8.ToArray());
        }

        using var zipped = new ByteArrayContent(gzip.ToArray());
        zipped.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        zipped.Headers.ContentEncoding.Add("gzip");

        using var rawResponse = await h.Http.PostAsync("files", raw);
        using var zippedResponse = await h.Http.PostAsync("files/update", zipped);

        Assert.That(rawResponse.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)JObject.Parse(await rawResponse.Content.ReadAsStringAsync())["error"]?["message"], Does.Contain("not valid UTF-8"));
        Assert.That(zippedResponse.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)JObject.Parse(await zippedResponse.Content.ReadAsStringAsync())["error"]?["message"], Does.Contain("already exists"));
        Assert.That((await h.Api.AggregateFilesAsync(new FileAggregateRequest())).Items.Sum(i => i.Count), Is.Zero, "nothing was stored");
    }

    [Test]
    public async Task A_large_malformed_body_is_refused_where_it_goes_wrong_and_an_oversized_one_at_the_cap()
    {
        await using var h = await EmulatorHarness.StartAsync(o => o.MaxJsonBodyBytes = 1024 * 1024);
        using var malformed = await h.Http.PostAsync("files/list", new StringContent("{\"filter\": x" + new string(' ', 50_000), Encoding.UTF8, "application/json"));
        Assert.That(malformed.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var big = "{\"filter\":{\"name\":\"" + new string('a', 2 * 1024 * 1024) + "\"}}";
        using var oversized = await h.Http.PostAsync("files/list", new StringContent(big, Encoding.UTF8, "application/json"));
        Assert.That(oversized.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
    }

    [Test]
    [NonParallelizable] // measures the process's managed heap
    public async Task Many_large_invalid_bodies_at_once_leave_no_memory_behind()
    {
        await using var h = await EmulatorHarness.StartAsync(o => o.MaxJsonBodyBytes = 16 * 1024 * 1024);
        using var client = new HttpClient { BaseAddress = new Uri(h.Emulator.ApiBaseUrl + "/") }; // no recording handler of the harness
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "test");
        var before = SettledHeap();

        // Each body is made and dropped inside its request, so that what stays is only what the server kept.
        var statuses = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var content = new StringContent("{\"name\":\"" + new string('a', 9 * 1024 * 1024) + "\"x", Encoding.UTF8, "application/json"); // read to the end, then malformed
            using var response = await client.PostAsync("files", content);
            return response.StatusCode;
        }));

        Assert.That(statuses, Is.All.EqualTo(HttpStatusCode.BadRequest));
        // With Newtonsoft's char buffers rented from ArrayPool.Shared the pools kept ~520 MiB of 9 M-char buffers after
        // this; without, ~80 MiB stays in shared socket/pipe pools whatever the body size. The bound catches the former.
        var growth = SettledHeap() - before;
        TestContext.Out.WriteLine($"managed heap growth after 8 x 9 MiB invalid bodies: {growth / (1024 * 1024)} MiB");
        Assert.That(growth, Is.LessThan(160L * 1024 * 1024), $"the managed heap grew by {growth / (1024 * 1024)} MiB and stayed there");
    }

    /// <summary>The managed heap after a full, compacting collection (large objects included).</summary>
    private static long SettledHeap()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    [Test]
    public async Task A_request_body_that_stops_arriving_is_cut_after_the_idle_timeout_on_the_emulators_clock()
    {
        var time = new FakeTimeProvider();
        using var guard = new BodyIdleGuard(time, TimeSpan.FromSeconds(60), CancellationToken.None);
        await using var silent = new SilentStream();

        var read = guard.ReadAsync(silent, new byte[16]).AsTask();
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.That(read.IsCompleted, Is.False, "still within the timeout");
        time.Advance(TimeSpan.FromSeconds(1));

        var error = await Assert.ThrowsAsync<CdfError>(() => read);
        Assert.That(error!.Status, Is.EqualTo(408));
    }

    [Test]
    public async Task A_slow_but_moving_body_is_never_cut_and_pauses_between_reads_are_not_timed()
    {
        var time = new FakeTimeProvider();
        using var guard = new BodyIdleGuard(time, TimeSpan.FromSeconds(60), CancellationToken.None);
        using var slow = new MemoryStream(new byte[10]);

        for (var i = 0; i < 10; i++)
        {
            Assert.That(await guard.ReadAsync(slow, new byte[1]), Is.EqualTo(1));
            time.Advance(TimeSpan.FromMinutes(5)); // the emulator's own pause (bandwidth cap) between reads
        }
    }

    [Test]
    public async Task The_data_directory_and_its_database_are_owner_only()
    {
        await using var h = await EmulatorHarness.StartAsync();
        await h.Api.CreateFileAsync(new FileCreate { Name = "written.bin" }); // a write, so that SQLite's journals exist

        if (!OperatingSystem.IsWindows())
        {
            Assert.That(File.GetUnixFileMode(h.DataDirectory), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
            // The database holds the URL-signing key; its write-ahead log and shared-memory journal hold its pages too.
            var database = Path.Combine(h.DataDirectory, "emulator.db");
            foreach (var file in new[] { database, database + "-wal", database + "-shm" })
            {
                Assert.That(File.Exists(file), Is.True, file);
                Assert.That(File.GetUnixFileMode(file), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), file);
            }
        }
    }

    [Test, CancelAfter(60_000)]
    public async Task An_API_body_that_stops_arriving_gets_a_CDF_shaped_408_after_the_idle_timeout_on_the_emulators_clock(CancellationToken cancellationToken)
    {
        var clock = new ArmSignallingClock(IdleTimeout);
        await using var h = await EmulatorHarness.StartAsync(o => (o.TimeProvider, o.RequestBodyIdleTimeout) = (clock, IdleTimeout));
        var api = h.Emulator.ApiBaseUrl;

        var (status, body) = await SendStalledBodyAsync(clock, api.Port, $"POST {api.AbsolutePath}/files/list HTTP/1.1\r\nAuthorization: Bearer test\r\nContent-Type: application/json\r\n", "{\"filter\":", cancellationToken);

        Assert.That(status, Is.EqualTo(408), body);
        Assert.That((int?)JObject.Parse(body)["error"]?["code"], Is.EqualTo(408), "CDF's error format");
    }

    [Test, CancelAfter(60_000)]
    public async Task An_upload_body_that_stops_arriving_gets_a_408_after_the_idle_timeout_and_stores_nothing(CancellationToken cancellationToken)
    {
        var clock = new ArmSignallingClock(IdleTimeout);
        await using var h = await EmulatorHarness.StartAsync(o => (o.TimeProvider, o.RequestBodyIdleTimeout) = (clock, IdleTimeout));
        var file = await h.Api.CreateFileAsync(new FileCreate { Name = "stalled.bin" }, null, cancellationToken);
        var url = new Uri(file.UploadUrl);

        var (status, body) = await SendStalledBodyAsync(clock, url.Port, $"PUT {url.PathAndQuery} HTTP/1.1\r\n", "first bytes", cancellationToken);

        Assert.That(status, Is.EqualTo(408), body);
        Assert.That((await h.Api.GetFileByIdAsync(file.Id, cancellationToken)).Uploaded, Is.False, "nothing of the body was stored");
        Assert.That(await h.Emulator.GetContentSha256Async(file.Id, cancellationToken), Is.Null);
    }

    /// <summary>The idle timeout of the stalled-body tests, distinct from every other timer of the emulator.</summary>
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(37);

    /// <summary>
    /// Sends a request whose Content-Length promises more than is sent, then keeps the connection open and silent. Each
    /// time the emulator arms its idle timer for a read, the clock is moved past the timeout; a read that got data has
    /// disarmed it by then and nothing happens, the read that waits for the missing bytes is cut. Returns the status
    /// and body of the response.
    /// </summary>
    private static async Task<(int Status, string Body)> SendStalledBodyAsync(ArmSignallingClock clock, int port, string requestLineAndHeaders, string partialBody, CancellationToken cancellationToken)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
        var stream = tcp.GetStream();
        var head = requestLineAndHeaders + $"Host: 127.0.0.1:{port}\r\nContent-Length: {partialBody.Length + 100}\r\n\r\n" + partialBody;
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken);
        await stream.FlushAsync(cancellationToken);

        var response = ReadResponseAsync(stream, cancellationToken);
        while (!response.IsCompleted)
        {
            await Task.WhenAny(response, clock.Armed.WaitAsync(cancellationToken));
            if (!response.IsCompleted)
            {
                clock.Inner.Advance(IdleTimeout);
            }
        }

        return await response;
    }

    /// <summary>Reads one HTTP/1.1 response: its status and its body (sent with a Content-Length or chunked).</summary>
    private static async Task<(int Status, string Body)> ReadResponseAsync(Stream stream, CancellationToken cancellationToken)
    {
        var bytes = new List<byte>();
        var buffer = new byte[4096];
        async Task<bool> MoreAsync()
        {
            var n = await stream.ReadAsync(buffer, cancellationToken);
            bytes.AddRange(buffer.AsSpan(0, n).ToArray());
            return n > 0;
        }

        int headEnd;
        while ((headEnd = IndexOf(bytes, "\r\n\r\n", 0)) < 0)
        {
            if (!await MoreAsync()) throw new EndOfStreamException("the connection closed before a response");
        }

        var head = Encoding.ASCII.GetString(bytes.ToArray(), 0, headEnd).Split("\r\n");
        var status = int.Parse(head[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        string? Header(string name) => head.Skip(1).Select(l => l.Split(':', 2)).FirstOrDefault(p => p[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))?[1].Trim();
        var body = new List<byte>();
        var at = headEnd + 4;
        if (Header("Content-Length") is { } length)
        {
            while (bytes.Count < at + int.Parse(length, System.Globalization.CultureInfo.InvariantCulture) && await MoreAsync())
            {
            }

            body.AddRange(bytes.Skip(at));
        }
        else
        {
            // Chunked: "<hex size>\r\n<data>\r\n" until a chunk of size 0.
            while (true)
            {
                int lineEnd;
                while ((lineEnd = IndexOf(bytes, "\r\n", at)) < 0)
                {
                    if (!await MoreAsync()) throw new EndOfStreamException("the connection closed inside the chunked body");
                }

                var size = Convert.ToInt32(Encoding.ASCII.GetString(bytes.ToArray(), at, lineEnd - at).Split(';')[0], 16);
                if (size == 0) break;
                while (bytes.Count < lineEnd + 2 + size + 2)
                {
                    if (!await MoreAsync()) throw new EndOfStreamException("the connection closed inside a chunk");
                }

                body.AddRange(bytes.Skip(lineEnd + 2).Take(size));
                at = lineEnd + 2 + size + 2;
            }
        }

        return (status, Encoding.UTF8.GetString(body.ToArray()));
    }

    private static int IndexOf(List<byte> bytes, string ascii, int from)
    {
        for (var i = from; i + ascii.Length <= bytes.Count; i++)
        {
            var match = true;
            for (var j = 0; j < ascii.Length && match; j++) match = bytes[i + j] == ascii[j];
            if (match) return i;
        }

        return -1;
    }

    /// <summary>A fake clock that signals <see cref="Armed"/> whenever a timer is set to <paramref name="watched"/> (the idle timer arming for a read).</summary>
    private sealed class ArmSignallingClock(TimeSpan watched) : TimeProvider
    {
        public FakeTimeProvider Inner { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

        public TimeSpan Watched => watched;

        public SemaphoreSlim Armed { get; } = new(0);

        public override DateTimeOffset GetUtcNow() => Inner.GetUtcNow();

        public override long GetTimestamp() => Inner.GetTimestamp();

        public override long TimestampFrequency => Inner.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            new SignallingTimer(Inner.CreateTimer(callback, state, dueTime, period), this);

        private sealed class SignallingTimer(ITimer inner, ArmSignallingClock clock) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                var changed = inner.Change(dueTime, period);
                if (dueTime == clock.Watched) clock.Armed.Release();
                return changed;
            }

            public void Dispose() => inner.Dispose();

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }

    [Test]
    public async Task Never_uploaded_files_and_expired_sessions_go_after_CDFs_week_on_the_emulators_clock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var h = await EmulatorHarness.StartAsync(o => o.TimeProvider = time);
        var empty = await h.Api.CreateFileAsync(new FileCreate { Name = "never.bin", ExternalId = "never" });
        var (kept, _) = await UploadMultipartAsync(h, "kept", parts: 1, seed: 4);
        var pending = await h.Api.InitMultipartUploadAsync(2, new FileCreate { Name = "pending.bin" });
        (await EmulatorHarness.PutAsync(pending.UploadUrls[0], new byte[PartSize])).Dispose();
        var partsDirectory = Path.Combine(h.DataDirectory, "parts");
        Assert.That(Directory.GetDirectories(partsDirectory), Is.Not.Empty);

        time.Advance(TimeSpan.FromDays(6));
        Assert.That((await h.Api.GetFileByIdAsync(empty.Id)).Name, Is.EqualTo("never.bin"), "within the week");
        time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromHours(2));

        var found = await h.Api.RetrieveFilesAsync(new FileRetrieveRequest { Items = [new Identifier { Id = empty.Id }, new Identifier { Id = pending.Id }, new Identifier { Id = kept }], IgnoreUnknownIds = true });
        Assert.That(found.Items.Select(f => f.Id), Is.EqualTo(new[] { kept }), "files without content are gone, the uploaded one stays");
        Assert.That(Directory.GetDirectories(partsDirectory), Is.Empty, "and the parts of the expired session");
    }

    /// <summary>A request body that never sends another byte (until cancelled).</summary>
    private sealed class SilentStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            return 0;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
