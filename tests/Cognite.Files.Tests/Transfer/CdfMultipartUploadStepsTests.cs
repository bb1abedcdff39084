using System.Reflection;
using Cognite.Files.Api;
using Cognite.Files.Http;
using Cognite.Files.Models;
using Cognite.Files.Tests.TestSupport;
using Cognite.Files.Transfer;
using Microsoft.Extensions.Time.Testing;
using RichardSzalay.MockHttp;

namespace Cognite.Files.Tests.Transfer;

public class CdfMultipartUploadStepsTests
{
    private static readonly PresignedUrlClient NoPuts = new(new HttpClient());

    [Test]
    public async Task A_new_file_starts_with_initmultipartupload_and_resolves_relative_urls()
    {
        var api = FakeApi.Create(out var calls);
        calls.InitMultipartUpload = (parts, file, overwrite) => new FileMultipartUploadResponse
        {
            Id = 7, Name = file.Name, UploadId = "u-7", UploadUrls = Enumerable.Range(0, parts).Select(i => i == 0 ? "/api/v1/files/gcs_proxy/p0?sig=x" : $"https://storage.example/p{i}?sig=y").ToList(),
        };
        var steps = new CdfMultipartUploadSteps(api, NoPuts, new FakeTimeProvider(), relativeUrlBase: new Uri("https://api.example.com/"));

        var session = await steps.StartAsync(UploadTarget.ForNewFile(new FileCreate { Name = "a" }, overwrite: true), 3, CancellationToken.None);

        Assert.That(calls.Log, Is.EqualTo(new[] { "init parts=3 overwrite=True" }));
        Assert.That(session.FileId, Is.EqualTo(7));
        Assert.That(session.UploadId, Is.EqualTo("u-7"));
        Assert.That(session.UploadUrls[0].ToString(), Does.StartWith("https://api.example.com/api/v1/files/gcs_proxy/p0"));
        Assert.That(session.ToString(), Does.Not.Contain("sig"));
    }

    [Test]
    public async Task An_existing_file_starts_with_multiuploadlink()
    {
        var api = FakeApi.Create(out var calls);
        calls.MultiUploadLink = (parts, request) => new FileMultipartUploadResponseList
        {
            Items = [new FileMultipartUploadResponse { Id = 9, Name = "b", UploadId = "u-9", UploadUrls = Enumerable.Range(0, parts).Select(i => $"https://s/{i}").ToList() }],
        };
        var steps = new CdfMultipartUploadSteps(api, NoPuts, new FakeTimeProvider());

        var session = await steps.StartAsync(UploadTarget.ForExistingFile(Identifier.FromExternalId("b")), 2, CancellationToken.None);

        Assert.That(calls.Log, Is.EqualTo(new[] { "multiuploadlink parts=2 externalId=b" }));
        Assert.That(session.UploadUrls, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Complete_sends_id_and_upload_id_then_confirmation_polls_until_uploaded()
    {
        var time = new FakeTimeProvider();
        var api = FakeApi.Create(out var calls);
        var polls = 0;
        calls.Retrieve = _ => new FileMetadataList { Items = [new FileMetadata { Id = 5, Name = "c", Uploaded = ++polls >= 3 }] };
        var steps = new CdfMultipartUploadSteps(api, NoPuts, time);
        var session = new UploadSession(5, "u-5", [new Uri("https://s/0")]);

        await steps.CompleteAsync(session, CancellationToken.None);
        var confirm = steps.ConfirmUploadedAsync(session, TimeSpan.FromSeconds(30), CancellationToken.None);
        for (var i = 0; i < 100 && !confirm.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(1);
        }

        var file = await confirm;
        Assert.That(file.Uploaded, Is.True);
        Assert.That(polls, Is.EqualTo(3));
        Assert.That(calls.Log[0], Is.EqualTo("complete id=5 uploadId=u-5"));
    }

    [Test]
    public async Task Confirmation_gives_up_after_its_timeout_with_a_clear_error()
    {
        var time = new FakeTimeProvider();
        var api = FakeApi.Create(out var calls);
        calls.Retrieve = _ => new FileMetadataList { Items = [new FileMetadata { Id = 5, Name = "c", Uploaded = false }] };
        var steps = new CdfMultipartUploadSteps(api, NoPuts, time);

        var confirm = steps.ConfirmUploadedAsync(new UploadSession(5, "u-5", []), TimeSpan.FromSeconds(3), CancellationToken.None);
        for (var i = 0; i < 200 && !confirm.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(1);
        }

        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => confirm);
        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.NotConfirmed));
        Assert.That(ex.FileId, Is.EqualTo(5));
    }

    [Test]
    public async Task A_single_request_for_a_new_file_is_post_files_with_the_mime_type_kept_for_the_put()
    {
        var api = FakeApi.Create(out var calls);
        calls.CreateFile = (file, overwrite) => new FileUploadResponse { Id = 11, Name = file.Name, MimeType = "application/pdf", UploadUrl = "/api/v1/files/gcs_proxy/s?sig=z" };
        var steps = new CdfMultipartUploadSteps(api, NoPuts, new FakeTimeProvider(), relativeUrlBase: new Uri("https://api.example.com/"));

        var session = await steps.StartSingleAsync(UploadTarget.ForNewFile(new FileCreate { Name = "a.pdf" }, overwrite: true), CancellationToken.None);

        Assert.That(calls.Log, Is.EqualTo(new[] { "create name=a.pdf overwrite=True" }));
        Assert.That(session.SingleRequest, Is.True);
        Assert.That(session.FileId, Is.EqualTo(11));
        Assert.That(session.UploadId, Is.Empty);
        Assert.That(session.ContentType, Is.EqualTo("application/pdf"));
        Assert.That(session.UploadUrls.Single().ToString(), Does.StartWith("https://api.example.com/api/v1/files/gcs_proxy/s"));
    }

    [Test]
    public async Task A_single_request_for_an_existing_file_is_uploadlink()
    {
        var api = FakeApi.Create(out var calls);
        calls.UploadLink = request => new FileUploadResponseList { Items = [new FileUploadResponse { Id = 12, Name = "b", UploadUrl = "https://s/single" }] };
        var steps = new CdfMultipartUploadSteps(api, NoPuts, new FakeTimeProvider());

        var session = await steps.StartSingleAsync(UploadTarget.ForExistingFile(Identifier.FromExternalId("b")), CancellationToken.None);

        Assert.That(calls.Log, Is.EqualTo(new[] { "uploadlink externalId=b" }));
        Assert.That(session.SingleRequest, Is.True);
        Assert.That(session.ContentType, Is.Null);
        Assert.That(session.UploadUrls.Single(), Is.EqualTo(new Uri("https://s/single")));
    }

    [Test]
    public async Task A_single_request_without_an_upload_url_is_an_invalid_session()
    {
        var api = FakeApi.Create(out var calls);
        calls.CreateFile = (file, _) => new FileUploadResponse { Id = 13, Name = file.Name };
        var steps = new CdfMultipartUploadSteps(api, NoPuts, new FakeTimeProvider());

        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => steps.StartSingleAsync(UploadTarget.ForNewFile(new FileCreate { Name = "c" }), CancellationToken.None));

        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.InvalidSession));
        Assert.That(ex.FileId, Is.EqualTo(13));
    }

    [Test]
    public async Task A_single_put_carries_the_sessions_content_type_and_a_part_put_none()
    {
        using var mock = new MockHttpMessageHandler();
        var types = new List<string?>();
        mock.Fallback.Respond(req => { types.Add(req.Content!.Headers.ContentType?.ToString()); return new HttpResponseMessage(System.Net.HttpStatusCode.OK); });
        var steps = new CdfMultipartUploadSteps(FakeApi.Create(out _), new PresignedUrlClient(mock.ToHttpClient()), new FakeTimeProvider());
        var single = new UploadSession(1, string.Empty, [new Uri("https://s/single")]) { SingleRequest = true, ContentType = "text/csv; charset=utf-8" };
        var multipart = new UploadSession(1, "u", [new Uri("https://s/p0")]);

        using (var content = new ByteArrayContent([1]))
        {
            await steps.PutPartAsync(single, 0, content, CancellationToken.None);
        }

        using (var content = new ByteArrayContent([1]))
        {
            await steps.PutPartAsync(multipart, 0, content, CancellationToken.None);
        }

        Assert.That(types, Is.EqualTo(new[] { "text/csv; charset=utf-8", null }));
    }

    [Test]
    public async Task Completing_a_single_request_sends_nothing()
    {
        var api = FakeApi.Create(out var calls);
        var steps = new CdfMultipartUploadSteps(api, NoPuts, new FakeTimeProvider());

        await steps.CompleteAsync(new UploadSession(1, string.Empty, [new Uri("https://s/single")]) { SingleRequest = true }, CancellationToken.None);

        Assert.That(calls.Log, Is.Empty);
    }

    [Test]
    public async Task A_zero_confirmation_timeout_looks_once()
    {
        var api = FakeApi.Create(out var calls);
        var polls = 0;
        calls.Retrieve = _ => new FileMetadataList { Items = [new FileMetadata { Id = 5, Name = "c", Uploaded = ++polls > 1 }] };
        var steps = new CdfMultipartUploadSteps(api, NoPuts, new FakeTimeProvider());

        var file = await steps.ConfirmUploadedAsync(new UploadSession(5, "u-5", []), TimeSpan.Zero, CancellationToken.None);

        Assert.That(polls, Is.EqualTo(1));
        Assert.That(file.Uploaded, Is.False);
    }

    [Test]
    [ContractFor("UpdateFiles")]
    public async Task Storing_the_checksum_is_one_update_adding_one_metadata_pair_as_the_document_describes()
    {
        using var api = new RecordingCogniteApi(System.Net.HttpStatusCode.OK, """{"items":[{"id":5,"name":"c","uploaded":true,"createdTime":1,"lastUpdatedTime":2,"metadata":{"site":"A","cognite-files-checksum":"crc64-ecma182:6c40df5f0b497347;length=9"}}]}""");
        var steps = new CdfMultipartUploadSteps(api.Client, NoPuts, new FakeTimeProvider());

        var file = await steps.AddMetadataAsync(5, ContentChecksum.MetadataKey, "crc64-ecma182:6c40df5f0b497347;length=9", CancellationToken.None);

        api.Request.AssertSent(HttpMethod.Post, "/files/update", body: """{"items":[{"id":5,"update":{"metadata":{"add":{"cognite-files-checksum":"crc64-ecma182:6c40df5f0b497347;length=9"}}}}]}""");
        var errors = OpenApiContract.Validate((await OpenApiContract.GetAsync()).RequestSchema("UpdateFiles")!, api.Request.Body!);
        Assert.That(errors, Is.Empty, OpenApiContract.Describe(errors));
        Assert.That(file.Metadata, Has.Count.EqualTo(2), "the answer is the file with all its pairs");
    }

    /// <summary>An <see cref="ICogniteFilesApi"/> answering only the calls the upload steps make.</summary>
    public class FakeApi : DispatchProxy
    {
        public Calls Handlers { get; private set; } = null!;

        public static ICogniteFilesApi Create(out Calls calls)
        {
            var proxy = Create<ICogniteFilesApi, FakeApi>();
            calls = new Calls();
            ((FakeApi)(object)proxy).Handlers = calls;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            var a = args!;
            var c = Handlers;
            switch (targetMethod!.Name)
            {
                case nameof(ICogniteFilesApi.InitMultipartUploadAsync):
                    c.Log.Add($"init parts={a[0]} overwrite={a[2]}");
                    return Task.FromResult(c.InitMultipartUpload!((int)a[0]!, (FileCreate)a[1]!, (bool?)a[2]));
                case nameof(ICogniteFilesApi.GetMultipartUploadLinkAsync):
                    var request = (UploadLinkRequest)a[1]!;
                    c.Log.Add($"multiuploadlink parts={a[0]} externalId={request.Items.Single().ExternalId}");
                    return Task.FromResult(c.MultiUploadLink!((int)a[0]!, request));
                case nameof(ICogniteFilesApi.CompleteMultipartUploadAsync):
                    var complete = (CompleteMultipartUploadRequest)a[0]!;
                    c.Log.Add($"complete id={complete.Id} uploadId={complete.UploadId}");
                    return Task.FromResult(new EmptyResponse());
                case nameof(ICogniteFilesApi.CreateFileAsync):
                    var created = (FileCreate)a[0]!;
                    c.Log.Add($"create name={created.Name} overwrite={a[1]}");
                    return Task.FromResult(c.CreateFile!(created, (bool?)a[1]));
                case nameof(ICogniteFilesApi.GetUploadLinkAsync):
                    var link = (UploadLinkRequest)a[0]!;
                    c.Log.Add($"uploadlink externalId={link.Items.Single().ExternalId}");
                    return Task.FromResult(c.UploadLink!(link));
                case nameof(ICogniteFilesApi.RetrieveFilesAsync):
                    return Task.FromResult(c.Retrieve!((FileRetrieveRequest)a[0]!));
                default:
                    throw new NotSupportedException(targetMethod.Name);
            }
        }

        public sealed class Calls
        {
            public List<string> Log { get; } = [];

            public Func<int, FileCreate, bool?, FileMultipartUploadResponse>? InitMultipartUpload { get; set; }

            public Func<int, UploadLinkRequest, FileMultipartUploadResponseList>? MultiUploadLink { get; set; }

            public Func<FileRetrieveRequest, FileMetadataList>? Retrieve { get; set; }

            public Func<FileCreate, bool?, FileUploadResponse>? CreateFile { get; set; }

            public Func<UploadLinkRequest, FileUploadResponseList>? UploadLink { get; set; }
        }
    }
}
