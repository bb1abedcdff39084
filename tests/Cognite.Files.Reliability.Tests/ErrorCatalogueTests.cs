using System.Net;
using System.Text;
using Cognite.Files.Emulator;
using Cognite.Files.Models;
using Cognite.Files.Reliability.Tests.Support;
using Cognite.Files.Transfer;
using Microsoft.Extensions.Time.Testing;

namespace Cognite.Files.Reliability.Tests;

/// <summary>
/// One test per row of docs/errors.md: a bad input and what the user sees (exception type, message shape). Every
/// message is also checked for the token and for URL signatures.
/// </summary>
[Category("ErrorCatalogue")]
public sealed class ErrorCatalogueTests
{
    private EmulatorClient _env = null!;

    [SetUp]
    public async Task StartAsync() => _env = await EmulatorClient.StartAsync();

    [TearDown]
    public async Task StopAsync() => await _env.DisposeAsync();

    private static void AssertClean(Exception e)
    {
        var text = e.ToString();
        TestContext.Out.WriteLine($"{e.GetType().FullName}: {e.Message}");
        Assert.That(text, Does.Not.Contain(EmulatorClient.DefaultToken).And.Not.Contain("sig=").And.Not.Contain("expires="), "no token or URL signature in what the user sees");
    }

    private static MemoryStream Bytes(int n) => new(EmulatorHarnessBytes(n));

    /// <summary>Runs the CLI (separate process) against this test's emulator; checks that its output holds no secret.</summary>
    private async Task<CliResult> CliAsync(int expectedExitCode, string? token = null, params string[] args)
    {
        var environment = Cli.Environment(_env, token ?? EmulatorClient.DefaultToken);
        var result = await Cli.RunAsync(environment, args);
        TestContext.Out.WriteLine($"cognite-files {string.Join(' ', args)} -> exit {result.ExitCode}: {result.StdErr.Trim()}");
        Assert.That(result.ExitCode, Is.EqualTo(expectedExitCode), result.All);
        Assert.That(result.All, Does.Not.Contain(environment["COGNITE_TOKEN"]!).And.Not.Contain("sig=").And.Not.Contain("expires="));
        if (expectedExitCode != 0)
        {
            // One error line; notices (the journal path, the embedded emulator) go to stderr too, before it.
            Assert.That(result.StdErr.Split('\n').Count(l => l.StartsWith("error: ", StringComparison.Ordinal)), Is.EqualTo(1), result.StdErr);
        }

        return result;
    }

    private static byte[] EmulatorHarnessBytes(int n)
    {
        var b = new byte[n];
        new Random(n).NextBytes(b);
        return b;
    }

    [TestCase(0)]
    [TestCase(251)]
    public async Task Parts0Or251(int parts)
    {
        using var client = _env.Client();
        var e = await AssertThrowsAsync<CogniteApiException>(() => client.Api.InitMultipartUploadAsync(parts, new FileCreate { Name = "p.bin" }));
        Assert.That(e.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(e.Message, Does.StartWith("CDF POST /api/v1/projects/emulator/files/initmultipartupload failed with 400 (BadRequest): ").And.Contain("'parts'").And.Contain("1..250"));
        Assert.That(e.RequestId, Is.Not.Null);
        AssertClean(e);
        if (parts == 0)
        {
            var cli = await CliAsync(2, null, "upload", WriteSource("p.bin", 10), "--part-size", "1MiB");
            Assert.That(cli.StdErr, Does.Contain("5 MiB"));
            Assert.That(_env.Emulator.Counters.ApiRequests, Is.EqualTo(1), "the CLI sent nothing");
        }
    }

    [Test]
    public async Task FileTooLargeForOneRequest()
    {
        // One request takes at most CDF's 5 000 000 000 bytes: a SingleUploadThreshold above that is refused, for a call
        // when it starts (before any request) and for a client when it is built.
        var tooHigh = new TransferOptions { SingleUploadThreshold = MultipartLimits.MaxSingleUploadSize + 1 };
        using var client = _env.Client();
        var e = await AssertThrowsAsync<ArgumentOutOfRangeException>(() => client.UploadAsync(
            new FileCreate { Name = "big.bin" }, new HugeStream(MultipartLimits.MaxSingleUploadSize + 1), new UploadOptions { Transfer = tooHigh }));
        Assert.That(e.ParamName, Is.EqualTo(nameof(TransferOptions.SingleUploadThreshold)));
        Assert.That(e.Message, Does.StartWith("SingleUploadThreshold must be between 0 and 5000000000 bytes (CDF's limit for one PUT)."));
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.Zero, "refused before any request");
        var atConstruction = Assert.Throws<ArgumentOutOfRangeException>(() => _env.Client(configure: o => o.Transfer = tooHigh));
        Assert.That(atConstruction!.ParamName, Is.EqualTo(nameof(TransferOptions.SingleUploadThreshold)));

        // Content above the limit is never planned as one request, whatever the threshold: it goes multipart.
        var plan = MultipartPlanner.Plan(MultipartLimits.MaxSingleUploadSize + 1, new TransferOptions { SingleUploadThreshold = MultipartLimits.MaxSingleUploadSize });
        Assert.That(plan.SingleRequest, Is.False);
        Assert.That(plan.PartCount, Is.GreaterThan(1));
        AssertClean(e);
    }

    [Test]
    public async Task EmptyFile()
    {
        using var client = _env.Client();
        var result = await client.UploadAsync(new FileCreate { Name = "empty.bin", ExternalId = "empty" }, new MemoryStream());
        Assert.That(result.Parts, Is.EqualTo(1));
        Assert.That(result.UploadId, Is.Empty, "one request, no multipart session");
        Assert.That(result.Checksum, Is.EqualTo(ContentChecksum.Compute([])));
        var file = await client.RetrieveAsync(result.File.Id);
        Assert.That(file.Uploaded, Is.True, "an empty file is a valid file");
        using var copy = new MemoryStream();
        var download = await client.DownloadAsync(Identifier.FromId(result.File.Id), copy);
        Assert.That(download.Bytes, Is.Zero);
        Assert.That(download.Checksum, Is.EqualTo(ContentChecksum.Compute([])));
    }

    private static readonly string EmptySha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([]));

    [Test]
    public async Task UnknownLengthStream()
    {
        // Small content (one request at the default threshold), to a new file and to an existing one.
        using var client = _env.Client();
        var e = await AssertThrowsAsync<ArgumentException>(() => client.UploadAsync(new FileCreate { Name = "pipe.bin" }, new NonSeekableStream(new byte[10])));
        AssertUnknownLength(e);
        var existing = await AssertThrowsAsync<ArgumentException>(() => client.UploadAsync(Identifier.FromId(1), new NonSeekableStream(new byte[10])));
        AssertUnknownLength(existing);
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.Zero);
        AssertClean(e);
    }

    private static void AssertUnknownLength(ArgumentException e)
    {
        Assert.That(e.Message, Does.StartWith("A non-seekable stream needs its length: CDF fixes the number of parts before the first byte is sent. Set UploadOptions.ContentLength"));
        Assert.That(e.ParamName, Is.EqualTo("content"));
    }

    [Test]
    public async Task StreamShorterThanDeclaredLength()
    {
        // A non-seekable stream is read (into memory) before its PUT: the short read fails the upload before any byte is sent.
        using var client = _env.Client();
        var e = await AssertThrowsAsync<CogniteUploadException>(() => client.UploadAsync(
            new FileCreate { Name = "short.bin", ExternalId = "short" }, new NonSeekableStream(new byte[10]), new UploadOptions { ContentLength = 20 }));
        Assert.That(e.Reason, Is.EqualTo(UploadFailureReason.SourceChanged), "the content is not what was announced");
        Assert.That(e.SourceChange, Is.EqualTo(SourceChange.Length));
        Assert.That(e.InnerException, Is.InstanceOf<EndOfStreamException>());
        Assert.That(e.FileId, Is.GreaterThan(0));
        Assert.That(e.Message, Is.EqualTo("The non-seekable NonSeekableStream is shorter than planned: it ended after 10 of the 20 bytes planned. The upload was not completed."));
        Assert.That(_env.Emulator.Counters.UploadPutRequests, Is.Zero, "nothing was sent");
        Assert.That((await client.RetrieveAsync(Identifier.FromExternalId("short"))).Uploaded, Is.False, "nothing half-written is marked uploaded");

        // A seekable stream knows how much it holds: a ContentLength beyond that is refused before any request.
        var before = _env.Emulator.Counters.ApiRequests;
        var seekable = await AssertThrowsAsync<ArgumentOutOfRangeException>(() => client.UploadAsync(
            new FileCreate { Name = "short-seekable.bin" }, new MemoryStream(new byte[10]), new UploadOptions { ContentLength = 20 }));
        Assert.That(seekable.Message, Does.StartWith("The stream holds only 10 bytes after its position."));
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.EqualTo(before));
        AssertClean(e);
        AssertClean(seekable);
    }

    [Test]
    public async Task ExpiredUploadUrl()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await _env.DisposeAsync();
        _env = await EmulatorClient.StartAsync(o => o.TimeProvider = time);
        // The PUT reaches the emulator eight days after the URL was issued (URLs live a week).
        using var client = _env.Client(presigned: new InterceptingHandler((request, next) =>
        {
            time.Advance(TimeSpan.FromDays(8));
            return next(request);
        }));
        var e = await AssertThrowsAsync<CogniteUploadException>(() => client.UploadAsync(new FileCreate { Name = "late.bin" }, Bytes(100)));
        Assert.That(e.Reason, Is.EqualTo(UploadFailureReason.PartFailed));
        Assert.That(e.Attempts, Is.EqualTo(1), "403 is not retried");
        var forbidden = e.InnerException as CogniteForbiddenException;
        Assert.That(forbidden, Is.Not.Null, "the PUT's own error is the inner exception");
        Assert.That(forbidden!.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(forbidden.Message, Does.Match(@"^CDF PUT /upload/[^/?]+/0 failed with 403 \(Forbidden\): .*expired"));
        Assert.That(e.Message, Does.Match(@"^The upload of file id \d+ \(one request\) failed after 1 attempt\(s\): CDF PUT /upload/[^/?]+/0 failed with 403 \(Forbidden\): .*expired"));
        AssertClean(e);
    }

    [Test]
    public async Task TamperedUploadUrl()
    {
        using var client = _env.Client(presigned: new InterceptingHandler((request, next) =>
        {
            var url = request.RequestUri!.ToString();
            request.RequestUri = new Uri(url.Replace("sig=", "sig=x", StringComparison.Ordinal));
            return next(request);
        }));
        var e = await AssertThrowsAsync<CogniteUploadException>(() => client.UploadAsync(new FileCreate { Name = "tampered.bin" }, Bytes(100)));
        Assert.That(e.Reason, Is.EqualTo(UploadFailureReason.PartFailed));
        Assert.That(e.Attempts, Is.EqualTo(1), "403 is not retried");
        Assert.That(e.UploadId, Is.Null.Or.Empty, "one request: no multipart session");
        Assert.That(e.InnerException, Is.TypeOf<CogniteForbiddenException>());
        Assert.That(e.InnerException!.Message, Does.Match(@"^CDF PUT /upload/[^/?]+/0 failed with 403 \(Forbidden\): .*signature does not match"));
        Assert.That(e.Message, Does.Match(@"^The upload of file id \d+ \(one request\) failed after 1 attempt\(s\): CDF PUT /upload/[^/?]+/0 failed with 403 \(Forbidden\): .*signature does not match"));
        Assert.That(_env.Emulator.Counters.RejectedSignatures, Is.EqualTo(1));
        AssertClean(e);
    }

    [Test]
    public async Task DuplicateExternalId()
    {
        using var client = _env.Client();
        await client.UploadAsync(new FileCreate { Name = "a.bin", ExternalId = "dup" }, Bytes(10));
        var e = await AssertThrowsAsync<CogniteConflictException>(() => client.UploadAsync(new FileCreate { Name = "b.bin", ExternalId = "dup" }, Bytes(10)));
        Assert.That(e.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(e.Duplicated.Single()["externalId"], Is.EqualTo("dup"));
        Assert.That(e.Message, Does.StartWith("CDF POST /api/v1/projects/emulator/files failed with 409 (Conflict): ").And.Contain("Duplicated: [{externalId: \"dup\"}]").And.Contain("(request id emu-"));

        // Multipart (SingleUploadThreshold = 0): the same conflict, from initmultipartupload.
        var multipart = await AssertThrowsAsync<CogniteConflictException>(() => client.UploadAsync(
            new FileCreate { Name = "c.bin", ExternalId = "dup" }, Bytes(10), new UploadOptions { Transfer = new TransferOptions { SingleUploadThreshold = 0, MinimumPartSize = 1, PartSize = 64 * 1024 } }));
        Assert.That(multipart.Message, Does.StartWith("CDF POST /api/v1/projects/emulator/files/initmultipartupload failed with 409 (Conflict): ").And.Contain("Duplicated: [{externalId: \"dup\"}]"));

        // The CLI sends a file that fits in one part as one request: POST /files.
        var cli = await CliAsync(1, null, "upload", WriteSource("dup.bin", 10), "--external-id", "dup");
        Assert.That(cli.StdErr, Does.StartWith("error: dup.bin: CDF POST /api/v1/projects/emulator/files failed with 409 (Conflict): ").And.Contain("Duplicated: [{externalId: \"dup\"}]").And.Contain("request id emu-").And.Contain("(use --overwrite to replace the existing file)"));
        AssertClean(e);
        AssertClean(multipart);
    }

    [Test]
    public async Task UnknownId()
    {
        using var client = _env.Client();
        var e = await AssertThrowsAsync<CogniteNotFoundException>(() => client.RetrieveAsync(Identifier.FromId(424242)));
        Assert.That(e.Missing.Single()["id"], Is.EqualTo(424242L));
        Assert.That(e.Message, Does.StartWith("CDF POST /api/v1/projects/emulator/files/byids failed with 400 (BadRequest): ").And.Contain("Missing: [{id: 424242}]"));
        var download = await AssertThrowsAsync<CogniteNotFoundException>(() => client.DownloadAsync(Identifier.FromExternalId("nope"), Path.Combine(_env.Directory.FullName, "x.bin")));
        Assert.That(download.Message, Does.Contain("/files/downloadlink").And.Contain("Missing: [{externalId: \"nope\"}]"));
        Assert.That(Directory.GetFiles(_env.Directory.FullName), Is.Empty, "no partial file is left behind");
        var cli = await CliAsync(1, null, "info", "424242");
        Assert.That(cli.StdErr, Does.Contain("Missing: [{id: 424242}]"));
        AssertClean(e);
        AssertClean(download);
    }

    [Test]
    public async Task Unauthorized401()
    {
        using var client = _env.Client(token: "wrong-token-value");
        var e = await AssertThrowsAsync<CogniteUnauthorizedException>(() => client.RetrieveAsync(1));
        Assert.That(e.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(e.Message, Does.StartWith("CDF GET /api/v1/projects/emulator/files/1 failed with 401 (Unauthorized): "));
        Assert.That(e.ToString(), Does.Not.Contain("wrong-token-value"));
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.EqualTo(1), "401 is not retried");
        var cli = await CliAsync(1, "wrong-token-value", "ls");
        Assert.That(cli.StdErr, Does.Contain("401 (Unauthorized)"));
        AssertClean(e);
    }

    [Test]
    public async Task Forbidden403()
    {
        // Any project name works on the emulator (as on CDF); one restricted to its own project refuses the others as CDF
        // refuses a project the token has no access to.
        await using var restricted = await EmulatorClient.StartAsync(o => o.AllowedProjects = [o.Project]);
        using var client = restricted.Client(configure: o => o.Project = "someone-elses-project");
        var e = await AssertThrowsAsync<CogniteForbiddenException>(() => client.RetrieveAsync(1));
        Assert.That(e.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(e.Message, Does.StartWith("CDF GET /api/v1/projects/someone-elses-project/files/1 failed with 403 (Forbidden): ").And.Contain("insufficient access rights"));
        var environment = Cli.Environment(restricted);
        environment["COGNITE_PROJECT"] = "someone-elses-project";
        var cli = await Cli.RunAsync(environment, "info", "1");
        Assert.That(cli.ExitCode, Is.EqualTo(1), cli.All);
        Assert.That(cli.StdErr, Does.StartWith("error: ").And.Contain("403 (Forbidden)"));
        AssertClean(e);
    }

    [Test]
    public async Task RateLimitStorm429()
    {
        _env.Emulator.Faults.Set(new FaultOptions { ApiFailureProbability = 1, Kinds = [FaultKind.Status429WithRetryAfter], RetryAfterSeconds = 1 });
        using var client = _env.Client(configure: o => o.MaxRetries = 3);
        var e = await AssertThrowsAsync<CogniteRateLimitedException>(() => client.RetrieveAsync(1));
        Assert.That(e.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(e.Message, Does.StartWith("CDF GET /api/v1/projects/emulator/files/1 failed with 429 (TooManyRequests): "));
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.EqualTo(4), "1 attempt + MaxRetries retries");
        _env.Emulator.Faults.Set(new FaultOptions { ApiFailureProbability = 1, Kinds = [FaultKind.Status429WithRetryAfter], RetryAfterSeconds = 0 });
        var cli = await CliAsync(1, null, "ls");
        Assert.That(cli.StdErr, Does.Contain("429 (TooManyRequests)"));
        AssertClean(e);
    }

    [Test]
    public async Task ServerErrorStorm5xx()
    {
        _env.Emulator.Faults.Set(new FaultOptions { ApiFailureProbability = 1, Kinds = [FaultKind.Status503] });
        using var client = _env.Client(configure: o => o.MaxRetries = 2);
        var e = await AssertThrowsAsync<CogniteApiException>(() => client.RetrieveAsync(1));
        Assert.That(e.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(e.IsTransient, Is.True);
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.EqualTo(3));
        var create = await AssertThrowsAsync<CogniteApiException>(() => client.UploadAsync(new FileCreate { Name = "x" }, Bytes(1)));
        Assert.That(create.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(create.Message, Does.StartWith("CDF POST /api/v1/projects/emulator/files failed with 503 (ServiceUnavailable): "));
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.EqualTo(4), "create is not safe to repeat: not retried on 503");

        // The PUT of a small upload (one request) is retried like a part, then reported as the upload's failure.
        _env.Emulator.Faults.Set(new FaultOptions { PartFailureProbability = 1, Kinds = [FaultKind.Status503] });
        using var putClient = _env.Client(configure: o => o.Transfer = new TransferOptions
        {
            MaxAttemptsPerPart = 3,
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
            MaxRetryDelay = TimeSpan.FromMilliseconds(50),
        });
        var put = await AssertThrowsAsync<CogniteUploadException>(() => putClient.UploadAsync(new FileCreate { Name = "y" }, Bytes(1)));
        Assert.That(put.Reason, Is.EqualTo(UploadFailureReason.PartFailed));
        Assert.That(put.Attempts, Is.EqualTo(3));
        Assert.That(put.InnerException, Is.InstanceOf<CogniteApiException>());
        Assert.That(((CogniteApiException)put.InnerException!).StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(put.Message, Does.Match(@"^The upload of file id \d+ \(one request\) failed after 3 attempt\(s\): CDF PUT /upload/[^/?]+/0 failed with 503 \(ServiceUnavailable\)"));
        Assert.That(_env.Emulator.Counters.UploadPutRequests, Is.EqualTo(3), "MaxAttemptsPerPart PUTs");
        AssertClean(e);
        AssertClean(create);
        AssertClean(put);
    }

    [Test]
    public async Task MalformedServerJson()
    {
        var api = new StubHandler(_ => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent("{\"items\":[{\"id\":1,\"name\":", Encoding.UTF8, "application/json"),
            Headers = { { "x-request-id", "rid-malformed" } },
        });
        using var client = _env.Client(api: api);
        var e = await AssertThrowsAsync<CogniteException>(() => client.RetrieveAsync(Identifier.FromId(1)));
        Assert.That(e, Is.TypeOf<CogniteApiException>());
        Assert.That(e.Message, Does.StartWith("CDF POST /api/v1/projects/emulator/files/byids failed with 200 (OK): the response body is not the JSON CDF documents"));
        Assert.That(e.RequestId, Is.EqualTo("rid-malformed"));
        AssertClean(e);
    }

    [Test]
    public async Task ApiUnreachable()
    {
        var port = _env.Root.Port;
        await _env.Emulator.DisposeAsync(); // nothing listens there any more
        using var client = _env.Client(configure: o => o.MaxRetries = 1);
        var e = await AssertThrowsAsync<CogniteTransportException>(() => client.RetrieveAsync(1));
        Assert.That(e, Is.Not.InstanceOf<CogniteTimeoutException>());
        Assert.That(e.Host, Is.EqualTo($"127.0.0.1:{port}"));
        Assert.That(e.Operation, Is.EqualTo("GET /files/{id}"));
        Assert.That(e.InnerException, Is.InstanceOf<HttpRequestException>(), "the original transport error");
        Assert.That(e.Message, Does.StartWith($"CDF GET /api/v1/projects/emulator/files/1 on 127.0.0.1:{port} got no response: ").And.Contain("Connection refused"));
        var cli = await CliAsync(1, null, "ls");
        Assert.That(cli.StdErr, Does.Match(@"^error: cannot reach CDF at 127\.0\.0\.1:\d+: Connection refused"));
        AssertClean(e);
    }

    [Test]
    public async Task InvalidOptions()
    {
        var e = Assert.Throws<ArgumentException>(() => _env.Client(configure: o => o.BaseUrl = new Uri(_env.Root, "api/v1/projects/emulator")));
        Assert.That(e!.Message, Does.Contain("BaseUrl must be the CDF root"));
        Assert.That(e.ParamName, Is.EqualTo("BaseUrl"));
        var environment = Cli.Environment(_env);
        environment["COGNITE_BASE_URL"] = new Uri(_env.Root, "api/v1/projects/emulator").ToString();
        var cli = await Cli.RunAsync(environment, "ls");
        TestContext.Out.WriteLine($"cognite-files ls -> exit {cli.ExitCode}: {cli.StdErr.Trim()}");
        Assert.That(cli.ExitCode, Is.EqualTo(2), cli.All);
        Assert.That(cli.StdErr, Does.StartWith("error: BaseUrl must be the CDF root").And.Not.Contain("(Parameter"));
    }

    [Test]
    public async Task DownloadToMissingDirectory()
    {
        using var client = _env.Client();
        var created = (await client.UploadAsync(new FileCreate { Name = "d.bin" }, Bytes(10))).File;
        var before = _env.Emulator.Counters.ApiRequests;
        var e = await AssertThrowsAsync<DirectoryNotFoundException>(() => client.DownloadAsync(Identifier.FromId(created.Id), Path.Combine(_env.Directory.FullName, "no", "such", "dir", "d.bin")));
        Assert.That(e.Message, Does.StartWith($"Cannot download id {created.Id} to ").And.Contain("d.bin").And.Contain("does not exist").And.Not.Contain(".partial"));
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.EqualTo(before), "refused before any request");
        var cli = await CliAsync(2, null, "download", created.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), Path.Combine(_env.Directory.FullName, "no", "such", "dir", "d.bin"));
        Assert.That(cli.StdErr, Does.Contain("no/such/dir"));
        AssertClean(e);
    }

    [Test]
    public async Task DownloadOverExistingFile()
    {
        using var client = _env.Client();
        var created = (await client.UploadAsync(new FileCreate { Name = "e.bin" }, Bytes(10))).File;
        var path = Path.Combine(_env.Directory.FullName, "existing.bin");
        await File.WriteAllTextAsync(path, "keep me");
        var before = _env.Emulator.Counters.ApiRequests;
        var e = await AssertThrowsAsync<IOException>(() => client.DownloadAsync(Identifier.FromId(created.Id), path));
        Assert.That(e, Is.TypeOf<IOException>());
        Assert.That(e.Message, Is.EqualTo($"Cannot download id {created.Id} to \"{path}\": the file exists (set DownloadOptions.Overwrite to replace it)."));
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.EqualTo(before), "refused before any request");
        Assert.That(await File.ReadAllTextAsync(path), Is.EqualTo("keep me"), "the existing file is untouched");

        var replaced = await client.DownloadAsync(Identifier.FromId(created.Id), path, new DownloadOptions { Overwrite = true });
        Assert.That(replaced.Bytes, Is.EqualTo(10));
        Assert.That(await File.ReadAllBytesAsync(path), Is.EqualTo(EmulatorHarnessBytes(10)), "Overwrite replaces it");

        var requests = _env.Emulator.Counters.ApiRequests;
        var cli = await CliAsync(2, null, "download", created.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), path);
        Assert.That(cli.StdErr, Does.Contain("already exists").And.Contain("--overwrite"));
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.EqualTo(requests), "the CLI sent nothing");
        AssertClean(e);
    }

    // ---------------- downloads (ranges, journal, verification) ----------------

    private const int DownloadRange = 64 * 1024;

    /// <summary>A client that downloads in ranges of 64 KiB, one at a time (so that "the n-th GET" is a known range).</summary>
    private static CogniteFilesClient RangedClient(EmulatorClient env, DelegatingHandler? presigned = null) => env.Client(
        configure: o => o.Transfer = new TransferOptions
        {
            MinimumPartSize = 1,
            PartSize = DownloadRange,
            MaxConcurrency = 1,
            MaxAttemptsPerPart = 2,
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
            MaxRetryDelay = TimeSpan.FromMilliseconds(50),
        },
        presigned: presigned);

    /// <summary>Calls <paramref name="onGet"/> with the number (from 1) of each GET of a download URL, before it is sent.</summary>
    private static InterceptingHandler OnGet(Func<int, HttpRequestMessage, Task> onGet)
    {
        var gets = 0;
        return new InterceptingHandler(async (request, next) =>
        {
            if (request.Method == HttpMethod.Get)
            {
                await onGet(Interlocked.Increment(ref gets), request);
            }

            return await next(request);
        });
    }

    private static async Task<(long Id, byte[] Content)> UploadForDownloadAsync(CogniteFilesClient client, int length, int seed = 7)
    {
        var content = new byte[length];
        new Random(seed).NextBytes(content);
        var result = await client.UploadAsync(new FileCreate { Name = "dl.bin" }, new MemoryStream(content));
        return (result.File.Id, content);
    }

    private string[] FilesIn(string directory) => [.. Directory.GetFiles(directory).Select(Path.GetFileName).Order()!];

    [Test]
    public async Task DownloadRangeRefused()
    {
        // The GET of the third range asks for bytes beyond the end instead (the emulator answers 416); later, for bytes
        // one further on (the emulator's 206 then names a Content-Range other than the one the client asked for).
        var mode = "416";
        using var client = RangedClient(_env, OnGet((_, request) =>
        {
            var asked = request.Headers.Range!.Ranges.Single();
            if (asked.From == 2 * DownloadRange && mode == "416")
            {
                request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(10_000_000, null);
            }

            if (asked.From == 2 * DownloadRange && mode == "shifted")
            {
                request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(asked.From + 1, asked.To);
            }

            return Task.CompletedTask;
        }));
        var (id, content) = await UploadForDownloadAsync(client, (5 * DownloadRange) + 10);
        var dir = Directory.CreateDirectory(Path.Combine(_env.Directory.FullName, "range")).FullName;
        var path = Path.Combine(dir, "r.bin");

        var e = await AssertThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(Identifier.FromId(id), path));
        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.RangeRefused));
        Assert.That((e.RangeIndex, e.FileId, e.Destination), Is.EqualTo(((int?)2, (long?)id, path)));
        Assert.That(e.Message, Is.EqualTo($"The server of file id {id} refused bytes 131072-196607 with 416 (Range Not Satisfiable); the file may have become shorter."));
        Assert.That(e.InnerException, Is.TypeOf<CogniteApiException>().With.Property("StatusCode").EqualTo(HttpStatusCode.RequestedRangeNotSatisfiable));
        Assert.That(e.JournalPath, Is.EqualTo(CogniteFilesClient.GetDownloadJournalPath(path)));
        Assert.That(FilesIn(dir), Is.EqualTo(new[] { ".r.bin.partial", ".r.bin.partial.json" }), "no file at the destination; the two ranges done are kept");

        // The same call again resumes: the two ranges done are not fetched again.
        mode = "none";
        var resumed = await client.DownloadAsync(Identifier.FromId(id), path);
        Assert.That(await File.ReadAllBytesAsync(path), Is.EqualTo(content));
        Assert.That(resumed.BytesSkipped, Is.EqualTo(2 * DownloadRange));
        Assert.That(FilesIn(dir), Is.EqualTo(new[] { "r.bin" }));

        // A 206 whose Content-Range is not the range asked for.
        mode = "shifted";
        var shifted = await AssertThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(Identifier.FromId(id), Path.Combine(dir, "s.bin")));
        Assert.That(shifted.Reason, Is.EqualTo(DownloadFailureReason.RangeRefused));
        Assert.That(shifted.Message, Is.EqualTo($"The server of file id {id} answered bytes 131072-196607 with bytes 131073-196607/{content.Length}."));
        AssertClean(e);
        AssertClean(shifted);
    }

    [Test]
    public async Task DownloadLinkExpired()
    {
        // CDF's download links last 30 s: the emulator's clock jumps 31 s before the third GET. The link is renewed
        // (one more downloadlink request) and the download completes.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var env = await EmulatorClient.StartAsync(o => o.TimeProvider = clock);
        var tamperFrom = int.MaxValue;
        using var client = RangedClient(env, OnGet((n, request) =>
        {
            if (n == 3)
            {
                clock.Advance(TimeSpan.FromSeconds(31));
            }

            if (n >= tamperFrom)
            {
                request.RequestUri = new Uri(request.RequestUri!.ToString().Replace("sig=", "sig=x", StringComparison.Ordinal));
            }

            return Task.CompletedTask;
        }));
        var (id, content) = await UploadForDownloadAsync(client, 5 * DownloadRange);
        var path = Path.Combine(env.Directory.FullName, "expired.bin");
        var before = env.Emulator.Counters.Snapshot();

        var result = await client.DownloadAsync(Identifier.FromId(id), path);
        Assert.That(await File.ReadAllBytesAsync(path), Is.EqualTo(content));
        Assert.That(env.Emulator.Counters.RejectedSignatures - before.RejectedSignatures, Is.EqualTo(1));
        Assert.That(env.Emulator.Counters.ApiRequests - before.ApiRequests, Is.EqualTo(3), "downloadlink and byids, and one downloadlink to renew");
        Assert.That(result.Retries, Is.Zero);

        // A link refused on its first use is not renewed: it is an error at once (here: a broken signature).
        tamperFrom = 0;
        var e = await AssertThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(Identifier.FromId(id), Path.Combine(env.Directory.FullName, "expired2.bin")));
        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.LinkRefused));
        Assert.That(e.Message, Does.Match($@"^The download URL of file id {id} was refused on its first use \(403 Forbidden\): CDF GET /download/{id} failed with 403 \(Forbidden\): Forbidden: The URL signature does not match\."));
        Assert.That(e.InnerException, Is.TypeOf<CogniteForbiddenException>());
        AssertClean(e);

        // Only when the renewed link is refused too is an expiry an error (here: from the GET after the expiry on, signatures are broken).
        using var renewalRefused = RangedClient(env, OnGet((n, request) =>
        {
            if (n == 3)
            {
                clock.Advance(TimeSpan.FromSeconds(31));
            }

            if (n >= 4)
            {
                request.RequestUri = new Uri(request.RequestUri!.ToString().Replace("sig=", "sig=x", StringComparison.Ordinal));
            }

            return Task.CompletedTask;
        }));
        var renewal = await AssertThrowsAsync<CogniteDownloadException>(() => renewalRefused.DownloadAsync(Identifier.FromId(id), Path.Combine(env.Directory.FullName, "expired3.bin")));
        Assert.That(renewal.Reason, Is.EqualTo(DownloadFailureReason.LinkRefused));
        Assert.That(renewal.Message, Does.Match($@"^The download URL of file id {id} expired and its renewal was refused too \(403 Forbidden\): CDF GET /download/{id} failed with 403 \(Forbidden\): Forbidden: The URL signature does not match\."));
        Assert.That(renewal.JournalPath, Is.Not.Null, "the ranges done are kept: the same call later resumes");
        AssertClean(renewal);
    }

    [Test]
    public async Task DownloadDestinationNotWritable()
    {
        using var client = _env.Client();
        var (id, _) = await UploadForDownloadAsync(client, 100);
        var dir = Directory.CreateDirectory(Path.Combine(_env.Directory.FullName, "read-only")).FullName;
        var path = Path.Combine(dir, "x.bin");
        var temp = Path.Combine(dir, ".x.bin.partial");
        if (!MakeReadOnly(dir))
        {
            // Root writes anywhere (and Windows has no mode bits): a directory where the temporary file would go stands
            // in for the read-only directory.
            Directory.CreateDirectory(temp);
        }

        var before = _env.Emulator.Counters.ApiRequests;
        var e = await AssertThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(Identifier.FromId(id), path));
        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.DestinationNotWritable));
        Assert.That(e.Message, Is.EqualTo($"Cannot download id {id} to \"{path}\": it cannot be written (writing \"{temp}\"): Access to the path '{temp}' is denied."));
        Assert.That(e.InnerException, Is.TypeOf<UnauthorizedAccessException>());
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.EqualTo(before), "refused before any request");

        var isDirectory = await AssertThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(Identifier.FromId(id), dir, new DownloadOptions { Overwrite = true }));
        Assert.That(isDirectory.Reason, Is.EqualTo(DownloadFailureReason.DestinationNotWritable));
        Assert.That(isDirectory.Message, Is.EqualTo($"Cannot download id {id} to \"{dir}\": it is a directory."));
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.EqualTo(before));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        AssertClean(e);
    }

    /// <summary>Makes <paramref name="dir"/> read-only (r-x); false (and left writable) when files can still be created in it.</summary>
    private static bool MakeReadOnly(string dir)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var probe = Path.Combine(dir, ".probe");
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }

        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return false;
    }

    [Test]
    public async Task DownloadToPathInUse()
    {
        using var client = _env.Client();
        var (id, _) = await UploadForDownloadAsync(client, 100);
        var path = Path.Combine(_env.Directory.FullName, "busy.bin");
        using var running = File.OpenHandle(Path.Combine(_env.Directory.FullName, ".busy.bin.partial"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        var before = _env.Emulator.Counters.ApiRequests;

        var e = await AssertThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(Identifier.FromId(id), path));
        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.DestinationInUse));
        Assert.That(e.Message, Is.EqualTo($"Cannot download id {id} to \"{path}\": another download to it is running (it holds \"{Path.Combine(_env.Directory.FullName, ".busy.bin.partial")}\")."));
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.EqualTo(before), "refused before any request");
        AssertClean(e);
    }

    [Test]
    [Platform("Linux", Reason = "/dev/full stands in for a full disk")]
    public async Task DownloadDiskFull()
    {
        using var client = RangedClient(_env);
        var (id, _) = await UploadForDownloadAsync(client, 3 * DownloadRange);
        var dir = Directory.CreateDirectory(Path.Combine(_env.Directory.FullName, "full")).FullName;
        var path = Path.Combine(dir, "f.bin");
        var temp = Path.Combine(dir, ".f.bin.partial");
        File.CreateSymbolicLink(temp, "/dev/full"); // every write fails with ENOSPC

        var e = await AssertThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(Identifier.FromId(id), path));
        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.DiskFull));
        Assert.That(e.Message, Is.EqualTo($"Cannot download id {id} to \"{path}\": the disk is full (writing \"{temp}\"): No space left on device : '{temp}'"));
        Assert.That(e.InnerException, Is.TypeOf<IOException>());
        Assert.That(FilesIn(dir), Is.Empty, "nothing at the destination; no range was done, so nothing is kept");
        AssertClean(e);
    }

    [Test]
    public async Task DownloadChecksumMismatch()
    {
        using var client = RangedClient(_env);
        var (id, content) = await UploadForDownloadAsync(client, (3 * DownloadRange) + 1);
        var wrong = ContentChecksum.Compute([1, 2, 3]);
        await client.UpdateAsync(Identifier.FromId(id), new FileUpdate
        {
            Metadata = new MetadataUpdate { Add = new Dictionary<string, string> { [ContentChecksum.MetadataKey] = ContentChecksum.FormatMetadataValue(wrong, content.Length) } },
        });
        var dir = Directory.CreateDirectory(Path.Combine(_env.Directory.FullName, "mismatch")).FullName;
        var path = Path.Combine(dir, "m.bin");

        var e = await AssertThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(Identifier.FromId(id), path));
        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.ChecksumMismatch));
        Assert.That(e.Message, Is.EqualTo(
            $"The content of file id {id} does not match its stored checksum: the bytes received have the checksum {ContentChecksum.Compute(content)}, but its metadata (cognite-files-checksum) says {wrong}; nothing was written to \"{path}\"."));
        Assert.That(e.JournalPath, Is.Null);
        Assert.That(FilesIn(dir), Is.Empty, "no file, no temporary file, no journal: the next call starts over");

        var cli = await CliAsync(1, null, "download", id.ToString(System.Globalization.CultureInfo.InvariantCulture), path);
        Assert.That(cli.StdErr, Does.Contain("does not match its stored checksum").And.Contain("; nothing was kept: run the command again to download it anew; if it fails the same way, the content CDF stores does not match the checksum stored with it"));
        Assert.That(File.Exists(path), Is.False);
        AssertClean(e);
    }

    [Test]
    public async Task DownloadFileChanged()
    {
        // While the third range is asked for, another client uploads new, longer content to the file: that GET asks for
        // the first answer's ETag (If-Match), and the emulator answers 412.
        using var other = _env.Client();
        var replaced = false;
        using var client = RangedClient(_env, OnGet(async (n, _) =>
        {
            if (n == 3 && !replaced)
            {
                replaced = true;
                await other.UploadAsync(Identifier.FromExternalId("changing"), new MemoryStream(EmulatorHarnessBytes((6 * DownloadRange) + 1)));
            }
        }));
        var created = await client.UploadAsync(new FileCreate { Name = "changing.bin", ExternalId = "changing" }, new MemoryStream(EmulatorHarnessBytes(5 * DownloadRange)));
        var dir = Directory.CreateDirectory(Path.Combine(_env.Directory.FullName, "changing")).FullName;
        var path = Path.Combine(dir, "c.bin");

        var e = await AssertThrowsAsync<CogniteDownloadException>(() => client.DownloadAsync(Identifier.FromId(created.File.Id), path));
        Assert.That(e.Reason, Is.EqualTo(DownloadFailureReason.FileChanged));
        Assert.That(e.Message, Does.Match($"^File id {created.File.Id} changed on the server: the server no longer has the version with ETag \"[0-9a-f]+\" \\(412 Precondition Failed\\)\\. Download it again\\.$"));
        Assert.That(e.InnerException, Is.TypeOf<CogniteApiException>().With.Property("StatusCode").EqualTo(HttpStatusCode.PreconditionFailed));
        Assert.That(e.JournalPath, Is.Null);
        Assert.That(FilesIn(dir), Is.Empty, "what was downloaded is of the old content: nothing is kept");

        // Downloading again gets the new content (an interrupted download of a file updated since starts over by itself).
        await client.DownloadAsync(Identifier.FromId(created.File.Id), path);
        Assert.That(await File.ReadAllBytesAsync(path), Is.EqualTo(EmulatorHarnessBytes((6 * DownloadRange) + 1)));
        AssertClean(e);
    }

    // ---------------- multipart uploads (the transfer engine) ----------------

    private CogniteFilesClient MultipartClient(int attempts = 3, DelegatingHandler? presigned = null) => _env.Client(
        configure: o => o.Transfer = new TransferOptions
        {
            SingleUploadThreshold = 0, // multipart even for these small files
            MinimumPartSize = 1,
            PartSize = 64 * 1024,
            MaxAttemptsPerPart = attempts,
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
            MaxRetryDelay = TimeSpan.FromMilliseconds(50),
            StallTimeout = TimeSpan.FromSeconds(2),
        },
        presigned: presigned);

    private string WriteSource(string name, int length)
    {
        var path = Path.Combine(_env.Directory.FullName, name);
        File.WriteAllBytes(path, EmulatorHarnessBytes(length));
        return path;
    }

    [Test]
    public async Task SourceChangedDuringUpload()
    {
        // One part at a time, so that the part that meets the change is known.
        var path = WriteSource("changing.bin", 4 * 64 * 1024);
        var puts = 0;
        Action<int>? onPut = null;
        using var client = MultipartClient(presigned: new InterceptingHandler((request, next) =>
        {
            onPut?.Invoke(Interlocked.Increment(ref puts));
            return next(request);
        }));
        var oneAtATime = new UploadOptions { Transfer = new TransferOptions { SingleUploadThreshold = 0, MinimumPartSize = 1, PartSize = 64 * 1024, MaxConcurrency = 1 } };

        // Touched while its last part goes out: found before completing.
        var modified = File.GetLastWriteTimeUtc(path);
        var later = modified.AddMinutes(1);
        onPut = n =>
        {
            if (n == 4)
            {
                File.SetLastWriteTimeUtc(path, later);
            }
        };
        var e = await AssertThrowsAsync<CogniteUploadException>(() => client.UploadAsync(new FileCreate { Name = "changing.bin", ExternalId = "changing" }, path, oneAtATime));
        Assert.That(e.Reason, Is.EqualTo(UploadFailureReason.SourceChanged));
        Assert.That(e.SourceChange, Is.EqualTo(SourceChange.ModificationTime));
        Assert.That(e.Message, Is.EqualTo($"The file changing.bin changed while it was uploaded: its modification time is now {later:O}, it was {modified:O} (same length). The upload was not completed: upload it again."));
        Assert.That((await client.RetrieveAsync(Identifier.FromExternalId("changing"))).Uploaded, Is.False, "not completed");
        AssertClean(e);

        // Truncated while its second part goes out: that part's read ends early, and it is not retried.
        puts = 0;
        onPut = n =>
        {
            if (n == 2)
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
                stream.SetLength(100_000);
            }
        };
        e = await AssertThrowsAsync<CogniteUploadException>(() => client.UploadAsync(new FileCreate { Name = "changing.bin", ExternalId = "changing" }, path, new UploadOptions { Overwrite = true, Transfer = oneAtATime.Transfer }));
        Assert.That(e.Reason, Is.EqualTo(UploadFailureReason.SourceChanged));
        Assert.That(e.SourceChange, Is.EqualTo(SourceChange.Length));
        Assert.That(e.PartIndex, Is.EqualTo(1));
        Assert.That(e.Attempts, Is.EqualTo(1));
        Assert.That(e.GetBaseException(), Is.InstanceOf<EndOfStreamException>(), "the read that ended early, inside HttpClient's error");
        Assert.That(e.Message, Is.EqualTo($"The file changing.bin is shorter than planned: it ended after 100000 of the {4 * 64 * 1024} bytes planned. The upload was not completed."));
        AssertClean(e);
    }

    [Test]
    public async Task MultipartPartsAbove250_ArePlannedAway()
    {
        // 251 parts' worth at the preferred part size: the planner grows the parts instead of asking for 251 URLs.
        var plan = MultipartPlanner.Plan(251L * MultipartLimits.MinPartSize, new TransferOptions { PartSize = MultipartLimits.MinPartSize });
        Assert.That(plan.SingleRequest, Is.False);
        Assert.That(plan.PartCount, Is.EqualTo(250));
        Assert.That(plan.PartSize, Is.GreaterThan(MultipartLimits.MinPartSize));
        using var client = MultipartClient();
        var result = await client.UploadAsync(new FileCreate { Name = "many.bin" }, WriteSource("many.bin", (64 * 1024 * 3) + 1));
        Assert.That(result.Parts, Is.EqualTo(4));
        Assert.That(result.UploadId, Is.Not.Empty);
    }

    [Test]
    public async Task FileTooLargeForMultipart()
    {
        using var client = MultipartClient();
        var e = await AssertThrowsAsync<ArgumentOutOfRangeException>(() => client.UploadAsync(new FileCreate { Name = "huge.bin" }, new HugeStream(MultipartLimits.MaxFileSize + 1)));
        Assert.That(e.ParamName, Is.EqualTo("length"));
        Assert.That(e.Message, Does.StartWith($"A file of {MultipartLimits.MaxFileSize + 1} bytes cannot be uploaded to CDF: the largest is 250 parts of 4194304000 bytes"));
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.Zero, "refused before any request");
        AssertClean(e);

        // The CLI with a sparse file of that size (no disk space used).
        var sparse = Path.Combine(_env.Directory.FullName, "sparse.bin");
        using (var f = File.Create(sparse))
        {
            f.SetLength(MultipartLimits.MaxFileSize + 1);
        }

        var cli = await CliAsync(2, null, "upload", sparse);
        Assert.That(cli.StdErr, Does.Contain("larger than CDF's limit of 250 parts × 4000 MiB"));
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.Zero, "the CLI sent nothing");
    }

    [Test]
    public async Task EmptyFileIsOneRequest()
    {
        // SingleUploadThreshold = 0 sends everything else multipart; 0 bytes is still "up to the threshold": one request.
        using var client = MultipartClient();
        var journal = Path.Combine(_env.Directory.FullName, "empty.journal");
        var result = await client.UploadAsync(new FileCreate { Name = "empty-mp.bin" }, WriteSource("empty-mp.bin", 0), new UploadOptions { JournalPath = journal });
        Assert.That(result.File.Uploaded, Is.True);
        Assert.That(result.Bytes, Is.Zero);
        Assert.That(result.Parts, Is.EqualTo(1));
        Assert.That(result.UploadId, Is.Empty, "no multipart session");
        Assert.That(File.Exists(journal), Is.False, "one request writes no journal");
        Assert.That(result.Checksum, Is.EqualTo(ContentChecksum.Compute([])));
        Assert.That(await _env.Emulator.GetContentSha256Async(result.File.Id), Is.EqualTo(EmptySha256));
        var cli = await CliAsync(0, null, "upload", WriteSource("empty-cli.bin", 0), "--external-id", "empty-cli", "--json");
        Assert.That(cli.StdOut, Does.Contain("\"bytes\":0").And.Contain("\"parts\":1"));
        Assert.That(cli.StdErr, Does.Not.Contain("journal"), "the CLI announces a journal only for multipart files");
    }

    [Test]
    public async Task UnknownLengthStreamMultipart()
    {
        // Multipart (SingleUploadThreshold = 0), and a resume: the same refusal, before the journal is even read.
        using var client = MultipartClient();
        var e = await AssertThrowsAsync<ArgumentException>(() => client.UploadAsync(new FileCreate { Name = "pipe-mp.bin" }, new NonSeekableStream(new byte[10])));
        AssertUnknownLength(e);
        var resume = await AssertThrowsAsync<ArgumentException>(() => client.ResumeUploadAsync(Path.Combine(_env.Directory.FullName, "no-such.journal"), new NonSeekableStream(new byte[10])));
        AssertUnknownLength(resume);
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.Zero);
        AssertClean(e);
    }

    [Test]
    public async Task MissingFile()
    {
        var path = Path.Combine(_env.Directory.FullName, "does-not-exist.bin");
        using var client = MultipartClient();
        var e = await AssertThrowsAsync<FileNotFoundException>(() => client.UploadAsync(new FileCreate { Name = "missing.bin" }, path));
        Assert.That(e.Message, Does.Contain(path));
        var existing = await AssertThrowsAsync<FileNotFoundException>(() => client.UploadAsync(Identifier.FromId(1), path));
        Assert.That(existing.Message, Does.Contain(path));
        var cli = await CliAsync(2, null, "upload", path);
        Assert.That(cli.StdErr, Does.Contain("does-not-exist.bin"));
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.Zero);
    }

    [Test]
    public async Task UnreadableFile()
    {
        // A path that cannot be opened for reading. (chmod 000 would do for a normal user; this also holds under root.)
        var path = Directory.CreateDirectory(Path.Combine(_env.Directory.FullName, "a-directory.bin")).FullName;
        using var client = _env.Client();
        var e = await AssertThrowsAsync<UnauthorizedAccessException>(() => client.UploadAsync(new FileCreate { Name = "dir.bin" }, path));
        Assert.That(e.Message, Does.Contain(path));
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.Zero);
    }

    [Test]
    public async Task ReadErrorMidUpload()
    {
        using var client = MultipartClient(attempts: 1);
        using var source = new FailingStream(EmulatorHarnessBytes(4 * 64 * 1024), failAt: 100_000);
        var e = await AssertThrowsAsync<CogniteUploadException>(() => client.UploadAsync(new FileCreate { Name = "flaky-disk.bin", ExternalId = "flaky" }, source));
        Assert.That(e.Reason, Is.EqualTo(UploadFailureReason.PartFailed));
        Assert.That(e.Message, Does.Match(@"^Part \d of 4 of upload \S+ \(file id \d+\) failed after 1 attempt\(s\): Error while copying content to a stream\. \(IOException: Input/output error \(simulated\)\)$"));
        Assert.That((await client.RetrieveAsync(Identifier.FromExternalId("flaky"))).Uploaded, Is.False);
        AssertClean(e);
    }

    [Test]
    public async Task TamperedUploadUrlMultipart()
    {
        using var client = MultipartClient(presigned: new InterceptingHandler((request, next) =>
        {
            request.RequestUri = new Uri(request.RequestUri!.ToString().Replace("sig=", "sig=x", StringComparison.Ordinal));
            return next(request);
        }));
        var e = await AssertThrowsAsync<CogniteUploadException>(() => client.UploadAsync(new FileCreate { Name = "t.bin" }, WriteSource("t.bin", 200_000)));
        Assert.That(e.Reason, Is.EqualTo(UploadFailureReason.PartFailed));
        Assert.That(e.InnerException, Is.TypeOf<CogniteForbiddenException>());
        Assert.That(e.Attempts, Is.EqualTo(1), "403 is not retried");
        Assert.That(e.Message, Does.Match(@"^Part \d of 4 of upload \S+ \(file id \d+\) failed after 1 attempt\(s\): CDF PUT /upload/[^/?]+/\d failed with 403 \(Forbidden\): .*signature does not match"));
        AssertClean(e);
    }

    [Test]
    public async Task ExpiredUploadUrlOnResume()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await _env.DisposeAsync();
        _env = await EmulatorClient.StartAsync(o =>
        {
            o.TimeProvider = time;
            o.Faults = new FaultOptions { Schedule = [new ScheduledFault { PartIndex = 2, Kind = FaultKind.Status500 }] };
        });
        var journal = Path.Combine(_env.Directory.FullName, "t.journal");
        var path = WriteSource("late-resume.bin", 4 * 64 * 1024);
        using var client = MultipartClient(attempts: 1);
        var first = await AssertThrowsAsync<CogniteUploadException>(() => client.UploadAsync(new FileCreate { Name = "late-resume.bin" }, path, new UploadOptions { JournalPath = journal }));
        Assert.That(File.Exists(journal), Is.True, "an interrupted upload keeps its journal");
        time.Advance(TimeSpan.FromDays(8));
        var e = await AssertThrowsAsync<CogniteUploadException>(() => client.ResumeUploadAsync(journal, path));
        Assert.That(e.Reason, Is.EqualTo(UploadFailureReason.SessionExpired));
        Assert.That(e.Message, Is.EqualTo("The upload URLs of the resumed session were refused (403): the session has probably expired. Start a new upload."));
        AssertClean(first);
        AssertClean(e);

        // The CLI: an upload killed after its first part, resumed when the session has expired.
        _env.Emulator.Faults.Clear();
        _env.Emulator.Faults.BandwidthBytesPerSecondPerConnection = 8L * 1024 * 1024;
        var big = WriteSource("cli-late.bin", 12 * 1024 * 1024);
        var cliJournal = Path.Combine(_env.Directory.FullName, "cli-late.journal.json");
        var environment = Cli.Environment(_env);
        using (var upload = Cli.Start(environment, "upload", big, "--concurrency", "1", "--part-size", "5MiB", "--journal", cliJournal))
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(2)); // only against a hang; nothing is timed
            await Cli.WhenFileAsync(cliJournal, () => ReadIfExists(cliJournal).Contains("\"partsDone\": [\n    0", StringComparison.Ordinal), upload.Process, bound.Token);

            upload.Process.Kill(entireProcessTree: true);
            await upload.Process.WaitForExitAsync();
        }

        time.Advance(TimeSpan.FromDays(8));
        _env.Emulator.Faults.BandwidthBytesPerSecondPerConnection = null;
        var cli = await CliAsync(1, null, "resume", cliJournal);
        // The library's advice is followed by the command that does it (not said twice), then the request id.
        Assert.That(cli.StdErr, Does.Match(@"error: cli-late\.bin: The upload URLs of the resumed session were refused \(403\): the session has probably expired\. Start a new upload \(cognite-files upload \S+cli-late\.bin …\) \(request id [^)]+\)"));
        Assert.That(cli.StdErr, Does.Not.Contain("can be resumed"), "only a resume that can succeed is suggested");
    }

    [Test]
    public async Task ChecksumNotStored()
    {
        // A file whose metadata is full (256 pairs): CDF refuses the pair the checksum would add.
        using var client = _env.Client();
        var full = Enumerable.Range(0, 256).ToDictionary(i => $"k{i}", _ => "v");
        var content = EmulatorHarnessBytes(1000);
        var e = await AssertThrowsAsync<CogniteUploadException>(() => client.UploadAsync(
            new FileCreate { Name = "full.bin", ExternalId = "full-metadata", Metadata = full }, new MemoryStream(content), new UploadOptions { StoreChecksum = true }));
        Assert.That(e.Reason, Is.EqualTo(UploadFailureReason.ChecksumNotStored));
        Assert.That(e.InnerException, Is.InstanceOf<CogniteApiException>());
        Assert.That(e.Message, Does.Match(
            @"^File id \d+ is uploaded \(1000 bytes, complete and confirmed\) with checksum crc64-ecma182:[0-9a-f]{16}, but storing the checksum in its metadata \(""cognite-files-checksum""\) failed: CDF POST /api/v1/projects/\S+/files/update failed with 400 \(BadRequest\): metadata: at most 256 key-value pairs\."));
        var file = await client.RetrieveAsync(e.FileId!.Value);
        Assert.That(file.Uploaded, Is.True, "the content is there");
        Assert.That(file.Metadata, Has.Count.EqualTo(256).And.Not.ContainKey(ContentChecksum.MetadataKey));
        AssertClean(e);
    }

    [Test]
    public async Task StaleChecksumNotRemoved()
    {
        // A file with a stored checksum gets new content without StoreChecksum: the old value must go, and CDF refuses
        // the update that removes it (here a 403 from an API that refuses it).
        static (HttpStatusCode, string)? RefuseRemoval(string method, string path, string body) =>
            method == "POST" && path.EndsWith("/files/update", StringComparison.Ordinal) && body.Contains("\"remove\"", StringComparison.Ordinal)
                ? (HttpStatusCode.Forbidden, "Resource not found. This may also be due to insufficient access rights.")
                : null;
        using var setup = _env.Client();
        var old = EmulatorHarnessBytes(500);
        var file = await setup.UploadAsync(new FileCreate { Name = "stale.bin", ExternalId = "stale" }, new MemoryStream(old), new UploadOptions { StoreChecksum = true });
        var staleValue = ContentChecksum.FormatMetadataValue(ContentChecksum.Compute(old), old.Length);
        var api = new InterceptingHandler(async (request, next) =>
        {
            var body = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync();
            if (RefuseRemoval(request.Method.Method, request.RequestUri!.AbsolutePath, body) is var (status, message))
            {
                return new HttpResponseMessage(status)
                {
                    RequestMessage = request,
                    Content = new StringContent(Newtonsoft.Json.JsonConvert.SerializeObject(new { error = new { code = (int)status, message } }), Encoding.UTF8, "application/json"),
                    Headers = { { "x-request-id", "refused-1" } },
                };
            }

            return await next(request);
        }) { InnerHandler = Cognite.Files.Http.CogniteHttpPipeline.CreatePrimaryHandler(decompress: true) };
        using var client = _env.Client(api: api);
        var content = EmulatorHarnessBytes(1000);

        var e = await AssertThrowsAsync<CogniteUploadException>(() => client.UploadAsync(Identifier.FromExternalId("stale"), new MemoryStream(content)));

        Assert.That(e.Reason, Is.EqualTo(UploadFailureReason.StaleChecksumNotRemoved));
        Assert.That(e.FileId, Is.EqualTo(file.File.Id));
        Assert.That(e.InnerException, Is.InstanceOf<CogniteForbiddenException>());
        Assert.That(e.Message, Is.EqualTo(
            $"File id {file.File.Id} is uploaded (1000 bytes, complete and confirmed) with checksum {ContentChecksum.Compute(content)}, but its metadata still holds the checksum of its previous content (\"cognite-files-checksum\": \"{staleValue}\"), and removing it failed: "
            + $"CDF POST /api/v1/projects/{_env.Emulator.Options.Project}/files/update failed with 403 (Forbidden): Resource not found. This may also be due to insufficient access rights. (request id refused-1) "
            + "Until it is removed or replaced, downloads that verify the content fail: upload the content again with StoreChecksum, or remove the pair."));
        Assert.That(await _env.Emulator.GetContentSha256Async(file.File.Id), Is.EqualTo(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content))), "the content is uploaded");
        AssertClean(e);

        // The CLI (through a proxy that refuses the same update): the content is uploaded, the line says what is left
        // and the command that replaces it.
        await using var proxy = ApiProxy.Start(_env.Root, (request, body) => RefuseRemoval(request.HttpMethod, request.Url!.AbsolutePath, body));
        var environment = Cli.Environment(_env);
        environment["COGNITE_BASE_URL"] = proxy.Root.ToString();
        var source = WriteSource("stale-new.bin", 1000);
        var cli = await Cli.RunAsync(environment, "upload", "--to", "ext:stale", source);
        TestContext.Out.WriteLine($"cognite-files upload --to -> exit {cli.ExitCode}: {cli.StdErr.Trim()}");
        var id = file.File.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(cli.ExitCode, Is.EqualTo(1), cli.All);
        Assert.That(cli.StdOut, Does.Contain($"uploaded stale-new.bin → id {id} (1000 B), but the checksum of its previous content is still in its metadata (the error follows)").And.Contain("; stale checksum left on 1: stale-new.bin"));
        Assert.That(cli.StdErr, Does.Contain($"error: stale-new.bin: File id {id} is uploaded (1000 bytes, complete and confirmed) with checksum {ContentChecksum.Compute(File.ReadAllBytes(source))}, but its metadata still holds the checksum of its previous content")
            .And.Contain($"; the content is in CDF (nothing to resume): to replace the stale checksum with the new content's, upload it again with --store-checksum (cognite-files upload --to id:{id} {source} --store-checksum)"));
        Assert.That(cli.All, Does.Not.Contain("can be resumed"));
        Assert.That(await _env.Emulator.GetContentSha256Async(file.File.Id), Is.EqualTo(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(source)))), "the content is uploaded");
    }

    private static string ReadIfExists(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return string.Empty; // not there yet, or being replaced
        }
    }

    // ---------------- the CLI's own checks ----------------

    /// <summary>A CLI upload of 12 MiB in 5 MiB parts, killed once its first part is done: its journal (and sidecar) stay.</summary>
    private async Task<(string Journal, string Source, Dictionary<string, string?> Environment)> KilledCliUploadAsync(string name)
    {
        _env.Emulator.Faults.BandwidthBytesPerSecondPerConnection = 8L * 1024 * 1024;
        var source = WriteSource(name, 12 * 1024 * 1024);
        var journal = Path.Combine(_env.Directory.FullName, name + ".journal.json");
        var environment = Cli.Environment(_env);
        using (var upload = Cli.Start(environment, "upload", source, "--concurrency", "1", "--part-size", "5MiB", "--journal", journal))
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(2)); // only against a hang; nothing is timed
            await Cli.WhenFileAsync(journal, () => ReadIfExists(journal).Contains("\"partsDone\": [\n    0", StringComparison.Ordinal), upload.Process, bound.Token);
            upload.Process.Kill(entireProcessTree: true);
            await upload.Process.WaitForExitAsync();
        }

        _env.Emulator.Faults.BandwidthBytesPerSecondPerConnection = null;
        return (journal, source, environment);
    }

    [Test]
    public async Task ResumeOfAChangedSource()
    {
        // The library names the check that failed, with both values where there are two.
        _env.Emulator.Faults.Set(new FaultOptions { Schedule = [new ScheduledFault { PartIndex = 2, Kind = FaultKind.Status500 }] });
        var journal = Path.Combine(_env.Directory.FullName, "changed.journal");
        var path = WriteSource("changed.bin", 4 * 64 * 1024);
        using var client = MultipartClient(attempts: 1);
        await AssertThrowsAsync<CogniteUploadException>(() => client.UploadAsync(new FileCreate { Name = "changed.bin" }, path, new UploadOptions { JournalPath = journal }));
        var modified = File.GetLastWriteTimeUtc(path);
        await using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            stream.WriteByte(42);
        }

        File.SetLastWriteTimeUtc(path, modified);
        var e = await AssertThrowsAsync<CogniteUploadException>(() => client.ResumeUploadAsync(journal, path));
        Assert.That(e.Reason, Is.EqualTo(UploadFailureReason.SourceChanged));
        Assert.That(e.SourceChange, Is.EqualTo(SourceChange.FirstMiB));
        Assert.That(e.Message, Is.EqualTo("The file changed.bin changed since the upload began: the content of its first MiB differs (same length and modification time). A resume cannot finish this upload: start a new upload."));
        AssertClean(e);

        var later = modified.AddMinutes(1);
        File.SetLastWriteTimeUtc(path, later);
        e = await AssertThrowsAsync<CogniteUploadException>(() => client.ResumeUploadAsync(journal, path));
        Assert.That(e.SourceChange, Is.EqualTo(SourceChange.ModificationTime));
        Assert.That(e.Message, Is.EqualTo($"The file changed.bin changed since the upload began: its modification time is now {later:O}, it was {modified:O} (same length). A resume cannot finish this upload: start a new upload."));

        await using (var stream = new FileStream(path, FileMode.Append))
        {
            stream.WriteByte(1);
        }

        e = await AssertThrowsAsync<CogniteUploadException>(() => client.ResumeUploadAsync(journal, path));
        Assert.That(e.SourceChange, Is.EqualTo(SourceChange.Length));
        Assert.That(e.Message, Is.EqualTo($"The file changed.bin changed since the upload began: its length is now {(4 * 64 * 1024) + 1} bytes, it was {4 * 64 * 1024}. A resume cannot finish this upload: start a new upload."));

        // The CLI: the library's message names the check that failed; the CLI adds the command that starts anew, and no
        // resume is suggested.
        var (cliJournal, source, environment) = await KilledCliUploadAsync("cli-changed.bin");
        var cliModified = File.GetLastWriteTimeUtc(source);
        await using (var stream = new FileStream(source, FileMode.Open, FileAccess.Write))
        {
            stream.Position = stream.Length - 10;
            stream.WriteByte(42);
        }

        File.SetLastWriteTimeUtc(source, cliModified);
        var puts = _env.Emulator.Counters.UploadPutRequests;
        var cli = await Cli.RunAsync(environment, "resume", cliJournal);
        TestContext.Out.WriteLine($"cognite-files resume -> exit {cli.ExitCode}: {cli.StdErr.Trim()}");
        Assert.That(cli.ExitCode, Is.EqualTo(1), cli.All);
        Assert.That(cli.StdErr, Does.Contain($"error: cli-changed.bin: The file cli-changed.bin changed since the upload began: the content of its last MiB differs (same length and modification time). A resume cannot finish this upload: start a new upload (cognite-files upload {source} …)"));
        Assert.That(cli.All, Does.Not.Contain("can be resumed"));
        Assert.That(_env.Emulator.Counters.UploadPutRequests, Is.EqualTo(puts), "nothing sent");
        Assert.That(File.Exists(cliJournal), Is.False, "the journal that cannot finish is removed");
    }

    [Test]
    public async Task UploadGoneOnResume()
    {
        var (journal, source, environment) = await KilledCliUploadAsync("gone.bin");
        var fileId = (long)Newtonsoft.Json.Linq.JObject.Parse(File.ReadAllText(journal))["fileId"]!;
        using var client = _env.Client();
        await client.DeleteAsync(fileId);

        // The library: the part PUT's 404 (not retried) is its own reason, with advice.
        var copy = journal + ".copy";
        File.Copy(journal, copy);
        var e = await AssertThrowsAsync<CogniteUploadException>(() => client.ResumeUploadAsync(copy, source));
        Assert.That(e.Reason, Is.EqualTo(UploadFailureReason.UploadNotFound));
        Assert.That(e.Attempts, Is.EqualTo(1));
        Assert.That(e.InnerException, Is.InstanceOf<CogniteApiException>().With.Property(nameof(CogniteApiException.StatusCode)).EqualTo(HttpStatusCode.NotFound));
        Assert.That(e.Message, Does.Match(
            @"^Part \d of 3 of upload \S+ \(file id \d+\) failed: CDF PUT /upload/[^/?]+/\d failed with 404 \(NotFound\): The upload does not exist \(the file may have been deleted\)\. \(request id [^)]+\) The upload no longer exists in CDF \(was the file deleted\?\): a resume cannot finish it, start a new upload\.$"));
        AssertClean(e);

        // With every part done before, the resume only completes: CDF names the deleted file as missing.
        var allDone = Newtonsoft.Json.Linq.JObject.Parse(File.ReadAllText(journal));
        allDone["partsDone"] = new Newtonsoft.Json.Linq.JArray(0, 1, 2);
        File.WriteAllText(copy, allDone.ToString());
        e = await AssertThrowsAsync<CogniteUploadException>(() => client.ResumeUploadAsync(copy, source));
        Assert.That(e.Reason, Is.EqualTo(UploadFailureReason.UploadNotFound));
        Assert.That(e.InnerException, Is.InstanceOf<CogniteNotFoundException>());
        Assert.That(e.Message, Does.Match(
            @"^Completing upload \S+ \(file id \d+\) failed: CDF POST /api/v1/projects/\S+/files/completemultipartupload failed with 400 \(BadRequest\): Files not found\. Missing: \[\{id: \d+\}\]\. \(request id [^)]+\) The upload no longer exists in CDF \(was the file deleted\?\): a resume cannot finish it, start a new upload\.$"));
        AssertClean(e);

        var cli = await Cli.RunAsync(environment, "resume", journal);
        TestContext.Out.WriteLine($"cognite-files resume -> exit {cli.ExitCode}: {cli.StdErr.Trim()}");
        Assert.That(cli.ExitCode, Is.EqualTo(1), cli.All);
        Assert.That(cli.StdErr, Does.Match(@"error: gone\.bin: Part \d of 3 of upload \S+ \(file id \d+\) failed: CDF PUT /upload/[^/?]+/\d failed with 404 \(NotFound\): The upload does not exist \(the file may have been deleted\)\. \(request id [^)]+\) The upload no longer exists in CDF \(was the file deleted\?\): a resume cannot finish it, start a new upload \(cognite-files upload \S+gone\.bin …\)\n"));
        Assert.That(cli.All, Does.Not.Contain("can be resumed"));
    }

    [Test]
    public async Task JournalOfAnOlderVersion()
    {
        // A journal as version 1 wrote it: its source fingerprint one string, not the fields a resume now checks.
        var (journal, source, environment) = await KilledCliUploadAsync("old-format.bin");
        var old = Newtonsoft.Json.Linq.JObject.Parse(File.ReadAllText(journal));
        old["version"] = 1;
        old.Remove("source");
        old["fingerprint"] = "262144:0f1e2d3c";
        File.WriteAllText(journal, old.ToString());
        var copy = journal + ".copy";
        File.Copy(journal, copy);
        var (requests, puts) = (_env.Emulator.Counters.ApiRequests, _env.Emulator.Counters.UploadPutRequests);

        using var client = _env.Client();
        var e = await AssertThrowsAsync<CogniteUploadException>(() => client.ResumeUploadAsync(copy, source));
        Assert.That(e.Reason, Is.EqualTo(UploadFailureReason.InvalidJournal));
        Assert.That(e.Message, Is.EqualTo("The upload journal 'old-format.bin.journal.json.copy' cannot be used: it was written by an older version (format 1): start a new upload."));
        AssertClean(e);

        var cli = await Cli.RunAsync(environment, "resume", journal);
        TestContext.Out.WriteLine($"cognite-files resume -> exit {cli.ExitCode}: {cli.StdErr.Trim()}");
        Assert.That(cli.ExitCode, Is.EqualTo(1), cli.All);
        Assert.That(cli.StdErr, Does.Contain($"error: old-format.bin: The upload journal 'old-format.bin.journal.json' cannot be used: it was written by an older version (format 1): start a new upload (cognite-files upload {source} …)\n"));
        Assert.That(cli.All, Does.Not.Contain("can be resumed").And.Not.Contain("resume start"));
        Assert.That((_env.Emulator.Counters.ApiRequests, _env.Emulator.Counters.UploadPutRequests), Is.EqualTo((requests, puts)), "nothing sent");
        Assert.That(File.Exists(journal) || File.Exists(journal + ".cli.json"), Is.False, "the journal that cannot finish is removed, with its sidecar");
    }

    [Test]
    public async Task JournalInUse()
    {
        // The library: a resume holds the journal's lock while it runs; a second one at the same time fails at once.
        _env.Emulator.Faults.Set(new FaultOptions { Schedule = [new ScheduledFault { PartIndex = 2, Kind = FaultKind.Status500 }] });
        var libraryJournal = Path.Combine(_env.Directory.FullName, "busy-library.journal");
        var path = WriteSource("busy-library.bin", 4 * 64 * 1024);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (hold, held, puts) = (0, 0, 0);
        using var client = MultipartClient(attempts: 1, presigned: new InterceptingHandler(async (request, next) =>
        {
            Interlocked.Increment(ref puts);
            if (Volatile.Read(ref hold) == 1 && Interlocked.Exchange(ref held, 1) == 0)
            {
                sending.TrySetResult();
                await release.Task;
            }

            return await next(request);
        }));
        await AssertThrowsAsync<CogniteUploadException>(() => client.UploadAsync(new FileCreate { Name = "busy-library.bin" }, path, new UploadOptions { JournalPath = libraryJournal }));
        _env.Emulator.Faults.Clear();
        Volatile.Write(ref hold, 1);
        var running = client.ResumeUploadAsync(libraryJournal, path);
        await sending.Task.WaitAsync(TimeSpan.FromMinutes(1)); // only against a hang; nothing is timed
        var (apiBefore, putsBefore) = (_env.Emulator.Counters.ApiRequests, Volatile.Read(ref puts));
        var e = await AssertThrowsAsync<CogniteUploadException>(() => client.ResumeUploadAsync(libraryJournal, path));
        Assert.That(e.Reason, Is.EqualTo(UploadFailureReason.JournalInUse));
        Assert.That(e.Message, Is.EqualTo("The upload journal 'busy-library.journal' is in use by another upload or resume (it holds '.busy-library.journal.lock'): wait for it to finish, or end it first."));
        Assert.That((_env.Emulator.Counters.ApiRequests, Volatile.Read(ref puts)), Is.EqualTo((apiBefore, putsBefore)), "nothing sent");
        AssertClean(e);
        release.SetResult();
        Assert.That((await running).File.Uploaded, Is.True, "the first resume finishes");

        var (journal, _, environment) = await KilledCliUploadAsync("busy.bin");
        var requests = _env.Emulator.Counters.ApiRequests;
        CliResult cli;
        // Another run holds the journal's lock, the library's (an OS file lock, so it works across processes).
        await using (new FileStream(Path.Combine(Path.GetDirectoryName(journal)!, $".{Path.GetFileName(journal)}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            cli = await Cli.RunAsync(environment, "resume", journal);
        }

        TestContext.Out.WriteLine($"cognite-files resume -> exit {cli.ExitCode}: {cli.StdErr.Trim()}");
        Assert.That(cli.ExitCode, Is.EqualTo(1), cli.All);
        Assert.That(cli.StdErr, Does.Contain($"\nerror: busy.bin: another cognite-files run is using the journal '{journal}' (it is locked): wait for it to finish, or end it first\n"));
        Assert.That(cli.StdErr, Does.Not.Contain("can be resumed"), "the journal is the other run's");
        Assert.That(File.Exists(journal), Is.True, "the journal stays");
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.EqualTo(requests), "nothing sent");

        // A new upload never writes over another upload's journal.
        var over = await Cli.RunAsync(environment, "upload", WriteSource("other.bin", 10), "--journal", journal);
        Assert.That(over.ExitCode, Is.EqualTo(2), over.All);
        Assert.That(over.StdErr, Does.Contain($"error: '{journal}' exists: it is the journal of another upload (resume it with 'cognite-files resume {journal}'), or give another --journal"));
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.EqualTo(requests), "nothing sent");

        var afterwards = await Cli.RunAsync(environment, "resume", journal);
        Assert.That(afterwards.ExitCode, Is.EqualTo(0), afterwards.All);
    }

    [Test]
    public async Task SyncDeleteWithoutTerminal()
    {
        var local = Path.Combine(_env.Directory.FullName, "synced");
        Directory.CreateDirectory(local);
        File.WriteAllText(Path.Combine(local, "kept.txt"), "kept");
        using var client = _env.Client();
        var extra = await client.UploadAsync(new FileCreate { Name = "gone.txt", ExternalId = "/synced/gone.txt", Directory = "/synced" }, Bytes(3));
        var puts = _env.Emulator.Counters.UploadPutRequests;

        var cli = await CliAsync(2, null, "sync", local, "--delete");

        Assert.That(cli.StdErr, Does.Contain("error: --delete would delete 1 file under /synced/ and there is no terminal to confirm on: add --yes (see them with --dry-run)"));
        Assert.That(_env.Emulator.Counters.UploadPutRequests, Is.EqualTo(puts), "nothing sent");
        Assert.That((await client.RetrieveAsync(extra.File.Id)).Id, Is.EqualTo(extra.File.Id), "nothing deleted");
    }

    [Test]
    public async Task DownloadedTreeFileDiffers()
    {
        var content = EmulatorHarnessBytes(100);
        using var client = _env.Client();
        var metadata = new Dictionary<string, string> { [ContentChecksum.MetadataKey] = ContentChecksum.FormatMetadataValue(ContentChecksum.Compute(content), content.Length) };
        await client.UploadAsync(new FileCreate { Name = "r.bin", Directory = "/tree", Metadata = metadata }, new MemoryStream(content));
        var destination = Path.Combine(_env.Directory.FullName, "tree-out");
        Directory.CreateDirectory(destination);
        File.WriteAllBytes(Path.Combine(destination, "r.bin"), new byte[99]);

        var cli = await CliAsync(1, null, "download", "--directory-prefix", "/tree", destination);

        Assert.That(cli.StdErr, Does.Contain($"error: r.bin: '{Path.Combine(destination, "r.bin")}' exists and differs: 99 bytes here, 100 in CDF: use --overwrite to replace it"));
        Assert.That(new FileInfo(Path.Combine(destination, "r.bin")).Length, Is.EqualTo(99), "left as it was");
    }

    [Test]
    public async Task BadGlobPattern()
    {
        var local = Path.Combine(_env.Directory.FullName, "globbed");
        Directory.CreateDirectory(local);
        File.WriteAllText(Path.Combine(local, "a.csv"), "a");
        var requests = _env.Emulator.Counters.ApiRequests;

        var absolute = await CliAsync(2, null, "upload", local, "--include", "/data/*.csv");
        var none = await CliAsync(2, null, "upload", local, "--include", "**/*.parquet");

        Assert.That(absolute.StdErr.Trim(), Is.EqualTo("error: --include '/data/*.csv': patterns are relative to the directory (no leading '/', no '..'), e.g. 'logs/**' or '**/*.csv'"));
        Assert.That(none.StdErr.Trim(), Is.EqualTo($"error: '{local}' holds no files matching --include/--exclude"));
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.EqualTo(requests), "no request");
    }

    [Test]
    public async Task BadBandwidthLimit()
    {
        var source = WriteSource("capped.bin", 10);
        var requests = _env.Emulator.Counters.ApiRequests;

        var notARate = await CliAsync(2, null, "upload", source, "--bwlimit", "fast");
        var tooLow = await CliAsync(2, null, "download", "1", Path.Combine(_env.Directory.FullName, "capped.copy"), "--bwlimit", "1000");

        Assert.That(notARate.StdErr.Trim(), Is.EqualTo("error: --bwlimit 'fast' is not a rate (use bytes per second with a unit: 50MiB/s, 800KiB/s, 1.5GB/s) (see 'cognite-files upload --help')"));
        Assert.That(tooLow.StdErr.Trim(), Is.EqualTo("error: --bwlimit must be at least 1KiB/s (got 1000 = 1000 bytes per second) (see 'cognite-files download --help')"));
        Assert.That(_env.Emulator.Counters.ApiRequests, Is.EqualTo(requests), "no request");
    }

    [Test]
    public async Task UploadedWithoutItsChecksum()
    {
        // New content for a file whose metadata is full (256 pairs): CDF refuses the pair the checksum would add.
        using var client = _env.Client();
        var full = Enumerable.Range(0, 256).ToDictionary(i => $"k{i}", _ => "v");
        var file = await client.UploadAsync(new FileCreate { Name = "full.bin", ExternalId = "full-for-cli", Metadata = full }, Bytes(3));
        var source = WriteSource("new-content.bin", 1000);

        var cli = await CliAsync(1, null, "upload", "--to", "ext:full-for-cli", source, "--store-checksum");

        var id = file.File.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(cli.StdErr, Does.Contain($"error: new-content.bin: File id {id} is uploaded (1000 bytes, complete and confirmed) with checksum {ContentChecksum.Compute(File.ReadAllBytes(source))}, but storing the checksum in its metadata (\"cognite-files-checksum\") failed: ")
            .And.Contain("metadata: at most 256 key-value pairs.")
            .And.Contain($"; the content is in CDF, only its checksum is missing (nothing to resume): to store one, upload it again with --store-checksum (cognite-files upload --to id:{id} {source} --store-checksum)"));
        Assert.That(cli.StdOut, Does.Contain("but its checksum was not stored").And.Contain("; checksum not stored for 1: new-content.bin"));
        Assert.That(cli.All, Does.Not.Contain("can be resumed"));
        Assert.That(await _env.Emulator.GetContentSha256Async(file.File.Id), Is.EqualTo(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(source)))), "the content is uploaded");
    }

    [Test]
    public async Task DownloadResumedByRunningAgain()
    {
        // A CLI download of 12 MiB in 5 MiB ranges, one at a time and capped (--bwlimit), killed once its first range is
        // done: the range stays beside the destination with the journal, and the same command fetches only the rest.
        using var client = _env.Client();
        var content = EmulatorHarnessBytes(12 * 1024 * 1024);
        var file = await client.UploadAsync(new FileCreate { Name = "interrupted.bin" }, new MemoryStream(content));
        var destination = Path.Combine(_env.Directory.FullName, "interrupted.copy");
        var journal = CogniteFilesClient.GetDownloadJournalPath(destination);
        var environment = Cli.Environment(_env);
        var args = new[] { "download", file.File.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), destination, "--part-size", "5MiB", "-c", "1" };
        using (var download = Cli.Start(environment, [.. args, "--bwlimit", "8MiB/s"]))
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(2)); // only against a hang; nothing is timed
            // A header line and one whole range line (the journal is appended to, line by line).
            await Cli.WhenFileAsync(journal, () => ReadIfExists(journal) is var text && text.EndsWith('\n') && text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length >= 2, download.Process, bound.Token);
            download.Process.Kill(entireProcessTree: true);
            await download.Process.WaitForExitAsync();
        }

        Assert.That(File.Exists(destination), Is.False, "nothing at the destination until it is complete");
        var sent = _env.Emulator.Counters.DownloadBytesSent;
        var cli = await Cli.RunAsync(environment, [.. args, "--json"]);
        TestContext.Out.WriteLine($"cognite-files download (again) -> exit {cli.ExitCode}: {cli.StdOut.Trim()}");

        Assert.That(cli.ExitCode, Is.EqualTo(0), cli.All);
        var skipped = (long)Newtonsoft.Json.Linq.JObject.Parse(cli.StdOut.Trim())["bytesSkipped"]!;
        Assert.That(skipped, Is.GreaterThanOrEqualTo(5 * 1024 * 1024), "the range done is kept");
        // Plus the one byte of the resume's version check (If-Match with the journal's ETag).
        Assert.That(_env.Emulator.Counters.DownloadBytesSent - sent, Is.EqualTo(content.Length - skipped + 1), "only the rest is fetched");
        Assert.That(File.ReadAllBytes(destination), Is.EqualTo(content));
        Assert.That(File.Exists(journal), Is.False);
    }

    [Test]
    public void TheCatalogue_HasOneRowPerTest_AndOneTestPerRow()
    {
        var rows = System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(Repo.File("docs", "errors.md")), @"^\| `(\w+)` \|", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).ToList();
        var tests = typeof(ErrorCatalogueTests).GetMethods()
            .Where(m => m.GetCustomAttributes(typeof(TestAttribute), false).Length + m.GetCustomAttributes(typeof(TestCaseAttribute), false).Length > 0)
            .Select(m => m.Name).Where(n => n != nameof(TheCatalogue_HasOneRowPerTest_AndOneTestPerRow)).ToList();
        Assert.That(rows, Is.Unique);
        Assert.That(rows, Is.EquivalentTo(tests));
    }

    private static async Task<T> AssertThrowsAsync<T>(Func<Task> action)
        where T : Exception
    {
        try
        {
            await action();
        }
        catch (T e)
        {
            return e;
        }
        catch (Exception e)
        {
            Assert.Fail($"Expected {typeof(T).Name} but got {e.GetType().FullName}: {e.Message}");
        }

        Assert.Fail($"Expected {typeof(T).Name} but nothing was thrown.");
        return null!;
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();
    }

    /// <summary>A seekable stream that claims <paramref name="length"/> bytes without holding them.</summary>
    private sealed class HugeStream(long length) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get; set; }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => 0;

        public override long Seek(long offset, SeekOrigin origin) => Position = offset;

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A seekable stream whose reads fail past <paramref name="failAt"/> (a disk error mid-upload).</summary>
    private sealed class FailingStream(byte[] data, long failAt) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => Position + count > failAt ? throw new IOException("Input/output error (simulated)") : base.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => Position + buffer.Length > failAt ? throw new IOException("Input/output error (simulated)") : base.Read(buffer);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Position + buffer.Length > failAt ? throw new IOException("Input/output error (simulated)") : base.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Position + count > failAt ? throw new IOException("Input/output error (simulated)") : base.ReadAsync(buffer, offset, count, cancellationToken);
    }

    private sealed class StubHandler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = respond(request);
            response.RequestMessage = request; // as a socket handler does
            return Task.FromResult(response);
        }
    }
}
