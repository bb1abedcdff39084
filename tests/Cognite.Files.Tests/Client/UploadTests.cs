using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Cognite.Files.Models;
using Cognite.Files.Transfer;
using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json.Linq;
using RichardSzalay.MockHttp;

namespace Cognite.Files.Tests.Client;

/// <summary>
/// <see cref="CogniteFilesClient.UploadAsync(FileCreate, Stream, UploadOptions?, CancellationToken)"/> and its overloads
/// over MockHttp: which requests each request shape makes (one PUT up to <see cref="TransferOptions.SingleUploadThreshold"/>,
/// multipart above), and how a call's options relate to the client's.
/// </summary>
public class UploadTests
{
    private const string UploadUrl = "https://storage.example.com/single/7";
    private const string PartUrl = "https://storage.example.com/part/";

    private FakeTimeProvider _time = null!;
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        _dir = Directory.CreateTempSubdirectory("cognite-upload-tests-").FullName;
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static byte[] Content(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    private static string Sha(byte[] bytes) => ContentChecksum.Compute(bytes);

    /// <summary>Multipart from the first byte, with 10-byte parts (the emulator-style internal minimum lets them be small).</summary>
    private static TransferOptions Multipart(long partSize = 10) => new()
    {
        SingleUploadThreshold = 0,
        MinimumPartSize = 1,
        PartSize = partSize,
        RetryBaseDelay = TimeSpan.Zero,
    };

    [Test]
    public async Task A_small_new_file_is_one_put_to_the_url_of_post_files_with_the_mime_type_then_confirmed()
    {
        var cdf = new FakeCdf(_time) { UploadedAfterPolls = 2 };
        using var client = cdf.Client();
        var content = Content(1000);

        var upload = client.UploadAsync(new FileCreate { Name = "a.txt", ExternalId = "a", MimeType = "text/plain" }, new MemoryStream(content), new UploadOptions { Overwrite = true });
        var result = await ClientFixture.RunWithFakeTime(_time, upload);

        Assert.That(cdf.Calls, Is.EqualTo(new[] { "POST /files?overwrite=true", "PUT /single/7", "POST /files/byids", "POST /files/byids" }));
        Assert.That(cdf.Bodies["/files"]!["name"]!.Value<string>(), Is.EqualTo("a.txt"));
        var put = cdf.Puts.Single();
        Assert.That(put.Body, Is.EqualTo(content));
        Assert.That(put.ContentType, Is.EqualTo("text/plain"), "the URL is signed for the file's mime type");
        Assert.That(put.ContentLength, Is.EqualTo(content.Length));
        Assert.That(put.Authorization, Is.Null);
        Assert.That(result.File.Uploaded, Is.True);
        Assert.That(result.Parts, Is.EqualTo(1));
        Assert.That(result.UploadId, Is.Empty);
        Assert.That(result.Bytes, Is.EqualTo(content.Length));
        Assert.That(result.Checksum, Is.EqualTo(Sha(content)));
    }

    [Test]
    public async Task A_small_existing_file_is_one_put_to_the_url_of_uploadlink()
    {
        var cdf = new FakeCdf(_time);
        using var client = cdf.Client();
        var path = Path.Combine(_dir, "small.bin");
        var content = Content(321);
        await File.WriteAllBytesAsync(path, content);

        var result = await ClientFixture.RunWithFakeTime(_time, client.UploadAsync(Identifier.FromExternalId("existing"), path));

        Assert.That(cdf.Calls, Is.EqualTo(new[] { "POST /files/uploadlink", "PUT /single/7", "POST /files/byids" }));
        Assert.That(cdf.Bodies["/files/uploadlink"]!["items"]![0]!["externalId"]!.Value<string>(), Is.EqualTo("existing"));
        Assert.That(cdf.Puts.Single().Body, Is.EqualTo(content));
        Assert.That(cdf.Puts.Single().ContentType, Is.EqualTo("text/plain"));
        Assert.That(result.Parts, Is.EqualTo(1));
        Assert.That(result.Checksum, Is.EqualTo(Sha(content)));
    }

    [Test]
    public async Task A_single_put_is_retried_like_a_part_after_a_503_without_creating_the_file_again()
    {
        var cdf = new FakeCdf(_time);
        cdf.PutStatuses.Enqueue(HttpStatusCode.ServiceUnavailable);
        using var client = cdf.Client();
        var content = Content(500);

        var result = await ClientFixture.RunWithFakeTime(_time, client.UploadAsync(new FileCreate { Name = "r.bin" }, new MemoryStream(content)));

        Assert.That(cdf.Calls.Count(c => c.StartsWith("POST /files?", StringComparison.Ordinal) || c == "POST /files"), Is.EqualTo(1), "the file is created once");
        Assert.That(cdf.Puts, Has.Count.EqualTo(2));
        Assert.That(cdf.Puts.Select(p => p.Body), Is.All.EqualTo(content), "the retry sends the whole content again");
        Assert.That(result.Retries, Is.EqualTo(1));
        Assert.That(result.Checksum, Is.EqualTo(Sha(content)));
    }

    [Test]
    public async Task A_single_put_that_fails_for_good_is_an_upload_error_without_the_url()
    {
        var cdf = new FakeCdf(_time);
        cdf.PutStatuses.Enqueue(HttpStatusCode.BadRequest);
        using var client = cdf.Client();

        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => ClientFixture.RunWithFakeTime(_time, client.UploadAsync(new FileCreate { Name = "f.bin" }, new MemoryStream(Content(10)))));

        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.PartFailed));
        Assert.That(ex.FileId, Is.EqualTo(7));
        Assert.That(ex.Attempts, Is.EqualTo(1), "400 is not retried");
        Assert.That(ex.Message, Does.Contain("one request").And.Not.Contain("sig="));
        Assert.That(cdf.Calls, Does.Not.Contain("POST /files/byids"));
    }

    [Test]
    public async Task A_single_put_writes_no_journal_even_with_a_journal_path()
    {
        var journal = Path.Combine(_dir, "upload.journal");
        var journalDuringPut = new ConcurrentBag<bool>();
        var cdf = new FakeCdf(_time) { OnPut = () => journalDuringPut.Add(File.Exists(journal)) };
        using var client = cdf.Client();

        await ClientFixture.RunWithFakeTime(_time, client.UploadAsync(new FileCreate { Name = "j.bin" }, new MemoryStream(Content(100)), new UploadOptions { JournalPath = journal }));
        cdf.PutStatuses.Enqueue(HttpStatusCode.BadRequest);
        await Assert.ThrowsAsync<CogniteUploadException>(() => ClientFixture.RunWithFakeTime(_time, client.UploadAsync(new FileCreate { Name = "j.bin" }, new MemoryStream(Content(100)), new UploadOptions { JournalPath = journal })));

        Assert.That(journalDuringPut, Is.EqualTo(new[] { false, false }));
        Assert.That(File.Exists(journal), Is.False, "nothing to resume: a failed single PUT leaves no journal either");
    }

    [Test]
    public async Task Content_above_the_threshold_goes_multipart_with_a_journal()
    {
        var journal = Path.Combine(_dir, "multi.journal");
        var journalDuringPut = new ConcurrentBag<bool>();
        var cdf = new FakeCdf(_time) { OnPut = () => journalDuringPut.Add(File.Exists(journal)) };
        using var client = cdf.Client(o => o.Transfer = new TransferOptions { SingleUploadThreshold = 20, MinimumPartSize = 1, PartSize = 10, MaxConcurrency = 1 });
        var content = Content(25);

        var result = await ClientFixture.RunWithFakeTime(_time, client.UploadAsync(new FileCreate { Name = "m.bin" }, new MemoryStream(content), new UploadOptions { JournalPath = journal }));

        Assert.That(cdf.Calls, Is.EqualTo(new[]
        {
            "POST /files/initmultipartupload?parts=3", "PUT /part/0", "PUT /part/1", "PUT /part/2", "POST /files/completemultipartupload", "POST /files/byids",
        }));
        Assert.That(cdf.Bodies["/files/completemultipartupload"]!["uploadId"]!.Value<string>(), Is.EqualTo("upload-7"));
        Assert.That(cdf.Puts.Select(p => p.ContentType), Is.All.Null, "part URLs are not signed for a content type");
        Assert.That(cdf.Puts.SelectMany(p => p.Body), Is.EqualTo(content));
        Assert.That(journalDuringPut, Is.All.True, "a multipart upload keeps a journal while its parts go out");
        Assert.That(File.Exists(journal), Is.False, "and deletes it once complete");
        Assert.That(result.Parts, Is.EqualTo(3));
        Assert.That(result.UploadId, Is.EqualTo("upload-7"));
    }

    [Test]
    public async Task An_existing_file_above_the_threshold_goes_through_multiuploadlink()
    {
        var cdf = new FakeCdf(_time);
        using var client = cdf.Client(o => o.Transfer = Multipart());

        await ClientFixture.RunWithFakeTime(_time, client.UploadAsync(Identifier.FromExternalId("existing"), new MemoryStream(Content(15))));

        Assert.That(cdf.Calls[0], Is.EqualTo("POST /files/multiuploadlink?parts=2"), "an external id needs no lookup");
        Assert.That(cdf.BodyLog[0].Body, Is.EqualTo(JToken.Parse("""{"items":[{"externalId":"existing"}]}""")).Using<JToken>(JToken.DeepEquals));
        Assert.That(cdf.Calls, Does.Contain("POST /files/completemultipartupload"));
    }

    // uploadlink and multiuploadlink take an externalId or an instanceId, not an id: a file given by id is looked up first.
    [TestCase(false, ",\"externalId\":\"plant-a/pump-42.pdf\"", """{"externalId":"plant-a/pump-42.pdf"}""", TestName = "A_small_file_by_id_is_looked_up_and_uploadlink_gets_its_externalId")]
    [TestCase(true, ",\"externalId\":\"plant-a/pump-42.pdf\"", """{"externalId":"plant-a/pump-42.pdf"}""", TestName = "A_multipart_file_by_id_is_looked_up_and_multiuploadlink_gets_its_externalId")]
    [TestCase(false, ",\"instanceId\":{\"space\":\"plant\",\"externalId\":\"pump_42\"}", """{"instanceId":{"space":"plant","externalId":"pump_42"}}""", TestName = "A_small_file_by_id_with_only_an_instanceId_gets_uploadlink_by_instanceId")]
    [TestCase(true, ",\"instanceId\":{\"space\":\"plant\",\"externalId\":\"pump_42\"}", """{"instanceId":{"space":"plant","externalId":"pump_42"}}""", TestName = "A_multipart_file_by_id_with_only_an_instanceId_gets_multiuploadlink_by_instanceId")]
    [TestCase(false, ",\"externalId\":\"x\",\"instanceId\":{\"space\":\"plant\",\"externalId\":\"pump_42\"}", """{"externalId":"x"}""", TestName = "A_file_by_id_with_both_gets_uploadlink_by_its_externalId")]
    public async Task A_file_by_id_is_looked_up_with_byids_before_the_link_request(bool multipart, string fileFields, string expectedItem)
    {
        var cdf = new FakeCdf(_time) { FileId = 42, FileFields = fileFields };
        var transfer = Multipart();
        transfer.MaxConcurrency = 1; // parts in order, so the PUT bodies concatenate to the content
        using var client = multipart ? cdf.Client(o => o.Transfer = transfer) : cdf.Client();
        var content = Content(15);

        var result = await ClientFixture.RunWithFakeTime(_time, client.UploadAsync(Identifier.FromId(42), new MemoryStream(content)));

        var link = multipart ? "POST /files/multiuploadlink?parts=2" : "POST /files/uploadlink";
        using (Assert.EnterMultipleScope())
        {
            Assert.That(cdf.Calls.Take(2), Is.EqualTo(new[] { "POST /files/byids", link }));
            Assert.That(cdf.BodyLog[0].Body, Is.EqualTo(JToken.Parse("""{"items":[{"id":42}],"ignoreUnknownIds":true}""")).Using<JToken>(JToken.DeepEquals), "the lookup (batched with other uploads')");
            Assert.That(cdf.BodyLog[1].Body, Is.EqualTo(JToken.Parse($$"""{"items":[{{expectedItem}}]}""")).Using<JToken>(JToken.DeepEquals), "the link request");
            Assert.That(cdf.Puts.SelectMany(p => p.Body), Is.EqualTo(content));
            Assert.That(result.File.Id, Is.EqualTo(42));
        }
    }

    [TestCase(false, TestName = "A_small_file_by_id_without_externalId_or_instanceId_is_refused_before_any_link_request")]
    [TestCase(true, TestName = "A_multipart_file_by_id_without_externalId_or_instanceId_is_refused_before_any_link_request")]
    public async Task A_file_by_id_without_externalId_or_instanceId_is_refused_before_any_link_request(bool multipart)
    {
        var cdf = new FakeCdf(_time) { FileId = 42 };
        using var client = multipart ? cdf.Client(o => o.Transfer = Multipart()) : cdf.Client();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => ClientFixture.RunWithFakeTime(_time, client.UploadAsync(Identifier.FromId(42), new MemoryStream(Content(15)))));

        Assert.That(ex!.Message, Does.Contain("File 42").And.Contain("externalId").And.Contain("instanceId"));
        Assert.That(ex.ParamName, Is.EqualTo("file"));
        Assert.That(cdf.Calls, Is.EqualTo(new[] { "POST /files/byids" }), "only the lookup: no link request, no PUT");
    }

    [Test]
    public async Task A_non_seekable_stream_with_its_ContentLength_uploads()
    {
        var cdf = new FakeCdf(_time);
        using var client = cdf.Client();
        var content = Content(64);

        var result = await ClientFixture.RunWithFakeTime(_time, client.UploadAsync(new FileCreate { Name = "n.bin" }, new Transfer.NonSeekableStream(new MemoryStream(content)), new UploadOptions { ContentLength = content.Length }));

        Assert.That(cdf.Puts.Single().Body, Is.EqualTo(content));
        Assert.That(result.Checksum, Is.EqualTo(Sha(content)));
    }

    [Test]
    public async Task The_calls_own_transfer_options_override_the_clients()
    {
        var cdf = new FakeCdf(_time);
        using var client = cdf.Client(o => o.Transfer = Multipart(partSize: 10));

        await ClientFixture.RunWithFakeTime(_time, client.UploadAsync(new FileCreate { Name = "a" }, new MemoryStream(Content(20))));
        await ClientFixture.RunWithFakeTime(_time, client.UploadAsync(new FileCreate { Name = "b" }, new MemoryStream(Content(20)), new UploadOptions { Transfer = Multipart(partSize: 5) }));
        await ClientFixture.RunWithFakeTime(_time, client.UploadAsync(new FileCreate { Name = "c" }, new MemoryStream(Content(20)), new UploadOptions { Transfer = new TransferOptions() }));

        Assert.That(cdf.Calls.Where(c => !c.StartsWith("PUT", StringComparison.Ordinal) && !c.Contains("byids", StringComparison.Ordinal) && !c.Contains("complete", StringComparison.Ordinal)), Is.EqualTo(new[]
        {
            "POST /files/initmultipartupload?parts=2", // the client's 10-byte parts
            "POST /files/initmultipartupload?parts=4", // the call's 5-byte parts
            "POST /files", // the call's default threshold: one PUT
        }));
    }

    [Test]
    public async Task A_calls_invalid_transfer_options_are_refused_before_any_request()
    {
        var cdf = new FakeCdf(_time);
        using var client = cdf.Client();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.UploadAsync(new FileCreate { Name = "a" }, new MemoryStream(Content(5)), new UploadOptions { Transfer = new TransferOptions { MaxConcurrency = 0 } }));

        Assert.That(cdf.Calls, Is.Empty);
    }

    [Test]
    public async Task Changing_the_transfer_options_after_building_the_client_has_no_effect()
    {
        var cdf = new FakeCdf(_time);
        var transfer = Multipart(partSize: 10);
        var options = ClientFixture.Options(o => o.Transfer = transfer);
        using var client = cdf.Client(options);
        transfer.PartSize = 5;
        transfer.SingleUploadThreshold = 1000;
        options.Transfer = new TransferOptions();

        await ClientFixture.RunWithFakeTime(_time, client.UploadAsync(new FileCreate { Name = "a" }, new MemoryStream(Content(20))));

        Assert.That(cdf.Calls[0], Is.EqualTo("POST /files/initmultipartupload?parts=2"), "still multipart, still 10-byte parts");
        Assert.That(client.Options, Is.Not.SameAs(options));
        Assert.That(client.Options.Transfer, Is.Not.SameAs(transfer));
    }

    [Test]
    public async Task Changing_the_clients_own_Options_has_no_effect_either()
    {
        var cdf = new FakeCdf(_time);
        using var client = cdf.Client(ClientFixture.Options(o => o.Transfer = Multipart(partSize: 10)));
        client.Options.Transfer.PartSize = 1;
        client.Options.Transfer.MaxAttemptsPerPart = 0;

        await ClientFixture.RunWithFakeTime(_time, client.UploadAsync(new FileCreate { Name = "a" }, new MemoryStream(Content(20))));

        Assert.That(cdf.Calls[0], Is.EqualTo("POST /files/initmultipartupload?parts=2"), "the client kept its own copy");
    }

    [Test]
    public async Task The_calls_confirmation_timeout_bounds_the_wait_for_uploaded()
    {
        var cdf = new FakeCdf(_time) { UploadedAfterPolls = int.MaxValue };
        using var client = cdf.Client();
        var transfer = new TransferOptions { UploadedConfirmationTimeout = TimeSpan.FromSeconds(2) };

        var upload = client.UploadAsync(new FileCreate { Name = "slow" }, new MemoryStream(Content(3)), new UploadOptions { Transfer = transfer });
        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => ClientFixture.RunWithFakeTime(_time, upload));

        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.NotConfirmed));
        Assert.That(ex.Message, Does.Contain("2 s"), "the call's 2 s, not the client's 30 s");
    }

    [Test]
    public async Task StoreChecksum_updates_the_files_metadata_after_the_confirmation()
    {
        var cdf = new FakeCdf(_time);
        using var client = cdf.Client();
        var content = Content(100);

        var result = await ClientFixture.RunWithFakeTime(_time, client.UploadAsync(new FileCreate { Name = "s.bin" }, new MemoryStream(content), new UploadOptions { StoreChecksum = true }));

        Assert.That(cdf.Calls, Is.EqualTo(new[] { "POST /files", "PUT /single/7", "POST /files/byids", "POST /files/update" }));
        var value = ContentChecksum.FormatMetadataValue(Sha(content), content.Length);
        Assert.That(cdf.Bodies["/files/update"], Is.EqualTo(JToken.Parse("""{"items":[{"id":7,"update":{"metadata":{"add":{"cognite-files-checksum":"VALUE"}}}}]}""".Replace("VALUE", value, StringComparison.Ordinal))).Using<JToken>(JToken.DeepEquals));
        Assert.That(result.File.Metadata![ContentChecksum.MetadataKey], Is.EqualTo(value));
    }

    [Test]
    public async Task StoreChecksum_with_ComputeChecksum_off_is_refused_before_any_request()
    {
        var cdf = new FakeCdf(_time);
        using var client = cdf.Client(o => o.Transfer = new TransferOptions { ComputeChecksum = false });

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => client.UploadAsync(new FileCreate { Name = "s" }, new MemoryStream(Content(5)), new UploadOptions { StoreChecksum = true }));

        Assert.That(ex!.ParamName, Is.EqualTo("options"));
        Assert.That(cdf.Calls, Is.Empty);
    }

    [Test]
    public async Task A_capped_but_moving_upload_is_not_taken_for_a_stall()
    {
        // 16 KiB/s: every 64 KiB slice of the body takes 4 s, four times the stall timeout; the cap's chunks feed the
        // watchdog, so the one attempt goes through.
        var cdf = new FakeCdf(_time);
        using var client = cdf.Client(o =>
        {
            o.MaxTransferBytesPerSecond = 16 * 1024;
            o.Transfer = new TransferOptions { StallTimeout = TimeSpan.FromSeconds(1), RetryBaseDelay = TimeSpan.Zero };
        });
        var content = Content(256 * 1024);
        var started = _time.GetUtcNow();

        var result = await ClientFixture.RunWithFakeTime(_time, client.UploadAsync(new FileCreate { Name = "capped.bin" }, new MemoryStream(content)));

        Assert.That(result.Retries, Is.Zero, "no attempt was aborted as stalled");
        Assert.That(cdf.Puts.Single().Body, Is.EqualTo(content));
        Assert.That(_time.GetUtcNow() - started, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(15.9)), "256 KiB at 16 KiB/s");
        Assert.That(result.Checksum, Is.EqualTo(Sha(content)));
    }

    /// <summary>
    /// A MockHttp CDF for uploads: <c>POST /files</c> and <c>uploadlink</c> hand out <see cref="UploadUrl"/>, the multipart
    /// operations hand out one <see cref="PartUrl"/> per part, <c>byids</c> reports the file uploaded from the
    /// <see cref="UploadedAfterPolls"/>-th poll (the first <c>byids</c> may be the lookup of a file given by id, see
    /// <see cref="FileFields"/>). Every request is logged as "METHOD path?query" (project prefix cut).
    /// </summary>
    private sealed class FakeCdf(FakeTimeProvider time)
    {
        private readonly MockHttpMessageHandler _api = new();
        private readonly MockHttpMessageHandler _presigned = new();
        private int _polls;

        public List<string> Calls { get; } = [];

        public Dictionary<string, JToken?> Bodies { get; } = [];

        /// <summary>Every API request's path and JSON body, in order.</summary>
        public List<(string Path, JToken? Body)> BodyLog { get; } = [];

        /// <summary>The id of the one file this fake knows.</summary>
        public long FileId { get; init; } = 7;

        /// <summary>Extra fields of the file in <c>byids</c> answers, e.g. <c>,"externalId":"x"</c> (none by default).</summary>
        public string FileFields { get; init; } = string.Empty;

        public List<(byte[] Body, string? ContentType, long? ContentLength, string? Authorization)> Puts { get; } = [];

        /// <summary>Statuses of the next PUTs (200 once empty).</summary>
        public Queue<HttpStatusCode> PutStatuses { get; } = new();

        public int UploadedAfterPolls { get; init; } = 1;

        public Action? OnPut { get; init; }

        public CogniteFilesClient Client(Action<CogniteFilesClientOptions>? configure = null) => Client(ClientFixture.Options(configure));

        public CogniteFilesClient Client(CogniteFilesClientOptions options)
        {
            const string single = $$""","mimeType":"text/plain","uploadUrl":"{{UploadUrl}}?sig=s" """;
            _api.Fallback.Respond(req =>
            {
                var path = Log(req);
                var body = req.Content is null ? null : JToken.Parse(req.Content.ReadAsStringAsync().GetAwaiter().GetResult());
                lock (Calls)
                {
                    Bodies[path] = body;
                    BodyLog.Add((path, body));
                }

                var parts = int.TryParse(System.Web.HttpUtility.ParseQueryString(req.RequestUri!.Query)["parts"], out var n) ? n : 0;
                var multipart = $$""","uploadId":"upload-7","uploadUrls":[{{string.Join(',', Enumerable.Range(0, parts).Select(i => $"\"{PartUrl}{i}?sig=s\""))}}]""";
                return path switch
                {
                    "/files" => ClientFixture.Json(HttpStatusCode.Created, ClientFixture.FileJson(FileId, extra: single)),
                    "/files/uploadlink" => ClientFixture.Json(HttpStatusCode.OK, $$"""{"items":[{{ClientFixture.FileJson(FileId, extra: single)}}]}"""),
                    "/files/initmultipartupload" => ClientFixture.Json(HttpStatusCode.Created, ClientFixture.FileJson(FileId, extra: multipart)),
                    "/files/multiuploadlink" => ClientFixture.Json(HttpStatusCode.OK, $$"""{"items":[{{ClientFixture.FileJson(FileId, extra: multipart)}}]}"""),
                    "/files/completemultipartupload" => ClientFixture.Json(HttpStatusCode.OK, "{}"),
                    "/files/update" => ClientFixture.Json(HttpStatusCode.OK, "{\"items\":[" + ClientFixture.FileJson(FileId, uploaded: true, extra: ",\"metadata\":" + body!["items"]![0]!["update"]!["metadata"]!["add"]!.ToString(Newtonsoft.Json.Formatting.None)) + "]}"),
                    "/files/byids" => ClientFixture.Json(HttpStatusCode.OK, $$"""{"items":[{{ClientFixture.FileJson(FileId, extra: FileFields, uploaded: Interlocked.Increment(ref _polls) >= UploadedAfterPolls)}}]}"""),
                    _ => ClientFixture.Json(HttpStatusCode.NotFound, """{"error":{"code":404,"message":"not in this fake"}}"""),
                };
            });
            _presigned.Fallback.Respond(req =>
            {
                Log(req);
                OnPut?.Invoke();
                var body = req.Content!.ReadAsByteArrayAsync().GetAwaiter().GetResult();
                HttpStatusCode status;
                lock (Calls)
                {
                    Puts.Add((body, req.Content.Headers.ContentType?.MediaType, req.Content.Headers.ContentLength, req.Headers.Authorization?.ToString()));
                    status = PutStatuses.Count > 0 ? PutStatuses.Dequeue() : HttpStatusCode.OK;
                }

                return new HttpResponseMessage(status);
            });
            return new CogniteFilesClient(options, new Cognite.Files.Auth.StaticAccessTokenProvider(ClientFixture.Token), null, time, _api, _presigned);
        }

        private string Log(HttpRequestMessage req)
        {
            var path = req.RequestUri!.AbsolutePath.Replace("/api/v1/projects/proj", string.Empty, StringComparison.Ordinal);
            var query = System.Web.HttpUtility.ParseQueryString(req.RequestUri.Query);
            query.Remove("sig");
            lock (Calls)
            {
                Calls.Add($"{req.Method} {path}{(query.Count > 0 ? "?" + query : string.Empty)}");
            }

            return path;
        }
    }
}
