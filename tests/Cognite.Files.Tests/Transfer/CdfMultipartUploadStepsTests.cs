using System.Reflection;
using Cognite.Files.Api;
using Cognite.Files.Http;
using Cognite.Files.Models;
using Cognite.Files.Transfer;
using Microsoft.Extensions.Time.Testing;

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
        var steps = new CdfMultipartUploadSteps(api, NoPuts, TimeSpan.Zero, relativeUrlBase: new Uri("https://api.example.com/"));

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
        var steps = new CdfMultipartUploadSteps(api, NoPuts, TimeSpan.Zero);

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
        var steps = new CdfMultipartUploadSteps(api, NoPuts, TimeSpan.FromSeconds(30), time);
        var session = new UploadSession(5, "u-5", [new Uri("https://s/0")]);

        await steps.CompleteAsync(session, CancellationToken.None);
        var confirm = steps.ConfirmUploadedAsync(session, CancellationToken.None);
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
        var steps = new CdfMultipartUploadSteps(api, NoPuts, TimeSpan.FromSeconds(3), time);

        var confirm = steps.ConfirmUploadedAsync(new UploadSession(5, "u-5", []), CancellationToken.None);
        for (var i = 0; i < 200 && !confirm.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(1);
        }

        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => confirm);
        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.NotConfirmed));
        Assert.That(ex.FileId, Is.EqualTo(5));
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
        }
    }
}
