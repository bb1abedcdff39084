using System.Net;
using Cognite.Files.Api;
using Cognite.Files.Auth;
using Cognite.Files.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Kiota.Abstractions.Authentication;
using RichardSzalay.MockHttp;

namespace Cognite.Files.Tests.Client;

public class DependencyInjectionTests
{
    [Test]
    public async Task AddCogniteFiles_resolves_a_wired_client_on_IHttpClientFactory()
    {
        using var mock = new MockHttpMessageHandler();
        var seen = new List<HttpRequestMessage>();
        mock.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/byids").Respond(req =>
        {
            seen.Add(req);
            return seen.Count == 1
                ? ClientFixture.Json(HttpStatusCode.ServiceUnavailable, "{}")
                : ClientFixture.Json(HttpStatusCode.OK, $$"""{"items":[{{ClientFixture.FileJson(3)}}]}""");
        });
        mock.When(HttpMethod.Get, "https://api.example.com:9000/download/3").Respond(req => { seen.Add(req); return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([9]) }; });
        var time = new FakeTimeProvider();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddCogniteFiles(o => { o.BaseUrl = new Uri(ClientFixture.Root); o.Project = "proj"; o.AppName = "di"; }, _ => new StaticAccessTokenProvider("di-token"));
        services.ConfigureAll<HttpClientFactoryOptions>(o => o.HttpMessageHandlerBuilderActions.Add(b => b.PrimaryHandler = mock));
        await using var sp = services.BuildServiceProvider();

        var client = sp.GetRequiredService<CogniteFilesClient>();
        Assert.That(sp.GetRequiredService<CogniteFilesClient>(), Is.SameAs(client));
        Assert.That(sp.GetRequiredService<ICogniteFilesApi>(), Is.Not.Null);
        Assert.That(client.Options.AppName, Is.EqualTo("di"));
        Assert.That(client.TimeProvider, Is.SameAs(time));

        var file = await ClientFixture.RunWithFakeTime(time, client.RetrieveAsync(Identifier.FromId(3)));
        var download = await client.PresignedUrls.GetAsync(new Uri("https://api.example.com:9000/download/3?sig=x"), default);
        download.Dispose();

        Assert.That(file.Id, Is.EqualTo(3));
        Assert.That(seen, Has.Count.EqualTo(3), "503 retried through the DI pipeline");
        Assert.That(seen[0].Headers.Authorization?.Parameter, Is.EqualTo("di-token"));
        Assert.That(seen[0].Headers.GetValues("x-cdp-app").Single(), Is.EqualTo("di"));
        Assert.That(seen[2].Headers.Authorization, Is.Null, "the pre-signed client has no auth handler");
    }

    [Test]
    public async Task App_wide_resilience_defaults_do_not_add_a_second_retry_layer()
    {
        using var mock = new MockHttpMessageHandler();
        var calls = 0;
        mock.When(HttpMethod.Post, ClientFixture.ApiBase + "/files").Respond(_ => { calls++; return ClientFixture.Json(HttpStatusCode.ServiceUnavailable, "{}"); });
        mock.When(HttpMethod.Put, "https://api.example.com:9000/upload/1").Respond(_ => { calls++; return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable); });
        var services = new ServiceCollection();
        services.ConfigureHttpClientDefaults(b => b.AddStandardResilienceHandler()); // what e.g. Aspire service defaults do
        services.AddCogniteFiles(o => { o.BaseUrl = new Uri(ClientFixture.Root); o.Project = "proj"; o.AppName = "di"; }, _ => new StaticAccessTokenProvider("di-token"));
        services.ConfigureAll<HttpClientFactoryOptions>(o => o.HttpMessageHandlerBuilderActions.Add(b => b.PrimaryHandler = mock));
        await using var sp = services.BuildServiceProvider();
        var client = sp.GetRequiredService<CogniteFilesClient>();

        // POST /files is never repeated on 503 by this client's rules; the standard handler would repeat it.
        await Assert.ThrowsAsync<CogniteApiException>(() => client.Api.CreateFileAsync(new FileCreate { Name = "a" }));
        Assert.That(calls, Is.EqualTo(1));

        // Part PUTs get no generic retry either (their bodies are consumed streams; the transfer engine retries parts).
        using var content = new ByteArrayContent([1]);
        await Assert.ThrowsAsync<CogniteApiException>(() => client.PresignedUrls.PutAsync(new Uri("https://api.example.com:9000/upload/1?sig=x"), content, default));
        Assert.That(calls, Is.EqualTo(2));
    }

    [Test]
    public void Missing_token_provider_gives_a_clear_error()
    {
        var services = new ServiceCollection();
        services.AddCogniteFiles(o => { o.BaseUrl = new Uri(ClientFixture.Root); o.Project = "proj"; o.AppName = "di"; });
        using var sp = services.BuildServiceProvider();

        var ex = Assert.Throws<InvalidOperationException>(() => sp.GetRequiredService<CogniteFilesClient>());
        Assert.That(ex!.Message, Does.Contain("no IAccessTokenProvider is registered"));
    }

    [Test]
    public void Registered_token_provider_and_validation_are_used()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IAccessTokenProvider>(new StaticAccessTokenProvider("t"));
        services.AddCogniteFiles(o => { o.BaseUrl = new Uri(ClientFixture.Root); o.Project = "proj"; });
        using var sp = services.BuildServiceProvider();

        var ex = Assert.Throws<ArgumentException>(() => sp.GetRequiredService<CogniteFilesClient>());
        Assert.That(ex!.Message, Does.Contain("AppName is required"));
    }

    [Test]
    public void Calling_AddCogniteFiles_twice_is_an_error()
    {
        var services = new ServiceCollection();
        services.AddCogniteFiles(_ => { }, _ => new StaticAccessTokenProvider("t"));
        Assert.Throws<InvalidOperationException>(() => services.AddCogniteFiles(_ => { }, _ => new StaticAccessTokenProvider("t")));
    }
}
