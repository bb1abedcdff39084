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
        Assert.That(sp.GetRequiredService<ICogniteFilesApi>(), Is.SameAs(client.Api));
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
    public async Task Named_clients_for_two_projects_resolve_to_two_clients_with_their_own_base_uris_and_one_shared_token_provider()
    {
        using var mock = new MockHttpMessageHandler();
        var seen = new List<HttpRequestMessage>();
        mock.Fallback.Respond(req =>
        {
            lock (seen)
            {
                seen.Add(req);
            }

            return req.RequestUri!.Host.StartsWith("dl.", StringComparison.Ordinal)
                ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([1]) }
                : ClientFixture.Json(HttpStatusCode.OK, ClientFixture.FileJson(1));
        });
        var shared = new StaticAccessTokenProvider("shared-token");
        var services = new ServiceCollection();
        services.AddSingleton<IAccessTokenProvider>(shared);
        services.AddCogniteFiles("plant-a", o => { o.BaseUrl = new Uri("https://a.example.com"); o.Project = "project-a"; o.AppName = "app-a"; });
        services.AddCogniteFiles("plant-b", o => { o.BaseUrl = new Uri("https://b.example.com:8443"); o.Project = "project-b"; o.AppName = "app-b"; });
        services.ConfigureAll<HttpClientFactoryOptions>(o => o.HttpMessageHandlerBuilderActions.Add(b => b.PrimaryHandler = mock));
        await using var sp = services.BuildServiceProvider();

        var a = sp.GetRequiredKeyedService<CogniteFilesClient>("plant-a");
        var b = sp.GetRequiredKeyedService<CogniteFilesClient>("plant-b");
        Assert.That(b, Is.Not.SameAs(a));
        Assert.That(sp.GetRequiredKeyedService<CogniteFilesClient>("plant-a"), Is.SameAs(a), "a keyed singleton");
        Assert.That(sp.GetRequiredKeyedService<ICogniteFilesApi>("plant-a"), Is.SameAs(a.Api));
        Assert.That(sp.GetRequiredKeyedService<ICogniteFilesApi>("plant-b"), Is.SameAs(b.Api));
        Assert.That(sp.GetService<CogniteFilesClient>(), Is.Null, "no default client was registered");
        Assert.That(a.ApiBaseUri, Is.EqualTo(new Uri("https://a.example.com/api/v1/projects/project-a/")));
        Assert.That(b.ApiBaseUri, Is.EqualTo(new Uri("https://b.example.com:8443/api/v1/projects/project-b/")));

        await a.RetrieveAsync(1);
        await b.RetrieveAsync(1);
        (await a.PresignedUrls.GetAsync(new Uri("https://dl.example.com/1?sig=x"), default)).Dispose();

        Assert.That(seen.Select(r => $"{r.RequestUri!.GetLeftPart(UriPartial.Path)} {r.Headers.Authorization?.Parameter} {string.Join(",", r.Headers.TryGetValues("x-cdp-app", out var v) ? v : [])}"), Is.EqualTo(new[]
        {
            "https://a.example.com/api/v1/projects/project-a/files/1 shared-token app-a",
            "https://b.example.com:8443/api/v1/projects/project-b/files/1 shared-token app-b",
            "https://dl.example.com/1  ",
        }));
        Assert.That(shared.AllowedHostsValidator.AllowedHosts, Is.Empty, "the provider was not bound to either host");
    }

    [Test]
    public void A_named_client_has_its_own_options_and_a_name_cannot_be_registered_twice()
    {
        var services = new ServiceCollection();
        services.AddCogniteFiles(o => { o.BaseUrl = new Uri(ClientFixture.Root); o.Project = "proj"; o.AppName = "default"; }, _ => new StaticAccessTokenProvider("t"));
        services.AddCogniteFiles("other", o => { o.Cluster = "westeurope-1"; o.Project = "other"; o.AppName = "named"; }, _ => new StaticAccessTokenProvider("u"));
        using var sp = services.BuildServiceProvider();

        Assert.That(sp.GetRequiredService<CogniteFilesClient>().Options.AppName, Is.EqualTo("default"));
        Assert.That(sp.GetRequiredKeyedService<CogniteFilesClient>("other").ApiBaseUri, Is.EqualTo(new Uri("https://westeurope-1.cognitedata.com/api/v1/projects/other/")));
        var ex = Assert.Throws<InvalidOperationException>(() => services.AddCogniteFiles("other", _ => { }));
        Assert.That(ex!.Message, Does.Contain("\"other\""));
        Assert.Throws<ArgumentException>(() => services.AddCogniteFiles(" ", _ => { }));
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
