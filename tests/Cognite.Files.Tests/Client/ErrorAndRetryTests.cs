using System.Net;
using Cognite.Files.Models;
using Microsoft.Extensions.Time.Testing;
using RichardSzalay.MockHttp;

namespace Cognite.Files.Tests.Client;

public class ErrorAndRetryTests
{
    private static readonly FileRetrieveRequest ById = new() { Items = [Identifier.FromId(1)] };

    [TestCase(HttpStatusCode.BadRequest, """{"error":{"code":400,"message":"m","missing":[{"id":1}]}}""", typeof(CogniteNotFoundException))]
    [TestCase(HttpStatusCode.UnprocessableEntity, """{"error":{"code":422,"message":"m","missing":[{"id":1}]}}""", typeof(CogniteNotFoundException))]
    [TestCase(HttpStatusCode.NotFound, """{"error":{"code":404,"message":"m"}}""", typeof(CogniteNotFoundException))]
    [TestCase(HttpStatusCode.BadRequest, """{"error":{"code":400,"message":"m","duplicated":[{"externalId":"x"}]}}""", typeof(CogniteConflictException))]
    [TestCase(HttpStatusCode.Conflict, """{"error":{"code":409,"message":"m"}}""", typeof(CogniteConflictException))]
    [TestCase(HttpStatusCode.Unauthorized, """{"error":{"code":401,"message":"m"}}""", typeof(CogniteUnauthorizedException))]
    [TestCase(HttpStatusCode.Forbidden, """{"error":{"code":403,"message":"m"}}""", typeof(CogniteForbiddenException))]
    [TestCase(HttpStatusCode.TooManyRequests, """{"error":{"code":429,"message":"m"}}""", typeof(CogniteRateLimitedException))]
    [TestCase(HttpStatusCode.InternalServerError, "<html>oops</html>", typeof(CogniteApiException))]
    [TestCase(HttpStatusCode.BadRequest, """{"error":{"code":400,"message":"bad filter"}}""", typeof(CogniteApiException))]
    public async Task Error_responses_surface_as_the_typed_family_through_the_real_pipeline(HttpStatusCode status, string body, Type expected)
    {
        using var api = new MockHttpMessageHandler();
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/byids").Respond(_ => ClientFixture.Json(status, body, "req-77"));
        using var client = ClientFixture.Client(api, configure: o => o.MaxRetries = 0);

        var ex = await Assert.CatchAsync(() => client.Api.RetrieveFilesAsync(ById));

        Assert.That(ex!.GetType(), Is.EqualTo(expected));
        var api_ = (CogniteApiException)ex;
        Assert.That(api_.StatusCode, Is.EqualTo(status));
        Assert.That(api_.RequestId, Is.EqualTo("req-77"));
        Assert.That(api_.Message, Does.Not.Contain(ClientFixture.Token));
    }

    [Test]
    public async Task Post_files_is_not_retried_on_503()
    {
        using var api = new MockHttpMessageHandler();
        var calls = 0;
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files").Respond(_ => { calls++; return ClientFixture.Json(HttpStatusCode.ServiceUnavailable, """{"error":{"code":503,"message":"busy"}}"""); });
        var time = new FakeTimeProvider();
        using var client = ClientFixture.Client(api, time: time);

        var ex = await Assert.CatchAsync<CogniteApiException>(() => ClientFixture.RunWithFakeTime(time, client.Api.CreateFileAsync(new FileCreate { Name = "a" })));

        Assert.That(ex!.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(calls, Is.EqualTo(1));
    }

    [Test]
    public async Task Post_files_is_retried_on_429()
    {
        using var api = new MockHttpMessageHandler();
        var calls = 0;
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files").Respond(_ => ++calls == 1
            ? ClientFixture.Json(HttpStatusCode.TooManyRequests, """{"error":{"code":429,"message":"slow down"}}""")
            : ClientFixture.Json(HttpStatusCode.Created, ClientFixture.FileJson(5, extra: ",\"uploadUrl\":\"https://u/x\"")));
        var time = new FakeTimeProvider();
        using var client = ClientFixture.Client(api, time: time);

        var created = await ClientFixture.RunWithFakeTime(time, client.Api.CreateFileAsync(new FileCreate { Name = "a" }));

        Assert.That(created.Id, Is.EqualTo(5));
        Assert.That(calls, Is.EqualTo(2));
    }

    [Test]
    public async Task Delete_is_not_retried_on_503_but_is_on_429()
    {
        using var api = new MockHttpMessageHandler();
        var statuses = new Queue<HttpStatusCode>([HttpStatusCode.TooManyRequests, HttpStatusCode.ServiceUnavailable]);
        var calls = 0;
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/delete").Respond(_ => { calls++; return ClientFixture.Json(statuses.Dequeue(), "{}"); });
        var time = new FakeTimeProvider();
        using var client = ClientFixture.Client(api, time: time);

        var ex = await Assert.CatchAsync<CogniteApiException>(() => ClientFixture.RunWithFakeTime(time, client.DeleteAsync(1)));

        Assert.That(ex!.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(calls, Is.EqualTo(2), "429 retried once, then 503 not retried");
    }

    [Test]
    public async Task Byids_is_retried_on_503_and_honours_retry_after()
    {
        using var api = new MockHttpMessageHandler();
        var time = new FakeTimeProvider();
        var attemptTimes = new List<DateTimeOffset>();
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/byids").Respond(_ =>
        {
            attemptTimes.Add(time.GetUtcNow());
            if (attemptTimes.Count == 1)
            {
                var r = ClientFixture.Json(HttpStatusCode.ServiceUnavailable, """{"error":{"code":503,"message":"busy"}}""");
                r.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(7));
                return r;
            }

            return ClientFixture.Json(HttpStatusCode.OK, $$"""{"items":[{{ClientFixture.FileJson(1)}}]}""");
        });
        using var client = ClientFixture.Client(api, time: time);

        var result = await ClientFixture.RunWithFakeTime(time, client.Api.RetrieveFilesAsync(ById), TimeSpan.FromMilliseconds(50));

        Assert.That(result.Items.Single().Id, Is.EqualTo(1));
        Assert.That(attemptTimes, Has.Count.EqualTo(2));
        var waited = attemptTimes[1] - attemptTimes[0];
        Assert.That(waited, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(7)).And.LessThan(TimeSpan.FromSeconds(8)), "Retry-After (7 s) replaces the backoff");
    }

    [Test]
    public async Task Retry_after_is_capped_by_max_retry_delay()
    {
        using var api = new MockHttpMessageHandler();
        var time = new FakeTimeProvider();
        var attemptTimes = new List<DateTimeOffset>();
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/list").Respond(_ =>
        {
            attemptTimes.Add(time.GetUtcNow());
            if (attemptTimes.Count == 1)
            {
                var r = ClientFixture.Json(HttpStatusCode.TooManyRequests, "{}");
                r.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromHours(5));
                return r;
            }

            return ClientFixture.Json(HttpStatusCode.OK, """{"items":[]}""");
        });
        using var client = ClientFixture.Client(api, time: time, configure: o => o.MaxRetryDelay = TimeSpan.FromSeconds(3));

        await ClientFixture.RunWithFakeTime(time, client.Api.FilterFilesAsync(new FileFilterRequest()));

        Assert.That(attemptTimes[1] - attemptTimes[0], Is.LessThan(TimeSpan.FromSeconds(3.5)));
    }

    [Test]
    public async Task Retries_stop_after_max_retries_with_the_last_error()
    {
        using var api = new MockHttpMessageHandler();
        var calls = 0;
        api.When(HttpMethod.Get, ClientFixture.ApiBase + "/files/9").Respond(_ => { calls++; return ClientFixture.Json(HttpStatusCode.BadGateway, "{}"); });
        var time = new FakeTimeProvider();
        using var client = ClientFixture.Client(api, time: time, configure: o => o.MaxRetries = 3);

        var ex = await Assert.CatchAsync<CogniteApiException>(() => ClientFixture.RunWithFakeTime(time, client.RetrieveAsync(9), TimeSpan.FromSeconds(1)));

        Assert.That(ex!.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway));
        Assert.That(calls, Is.EqualTo(4));
    }

    [Test]
    public async Task Network_errors_are_retried_for_safe_requests_only()
    {
        using var api = new MockHttpMessageHandler();
        var listCalls = 0;
        var createCalls = 0;
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/list").Respond(_ => ++listCalls == 1 ? throw new HttpRequestException("connection reset") : ClientFixture.Json(HttpStatusCode.OK, """{"items":[]}"""));
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files").Respond(_ => { createCalls++; throw new HttpRequestException("connection reset"); });
        var time = new FakeTimeProvider();
        using var client = ClientFixture.Client(api, time: time);

        await ClientFixture.RunWithFakeTime(time, client.Api.FilterFilesAsync(new FileFilterRequest()));
        var ex = await Assert.ThrowsAsync<CogniteTransportException>(() => ClientFixture.RunWithFakeTime(time, client.Api.CreateFileAsync(new FileCreate { Name = "a" })));

        Assert.That(listCalls, Is.EqualTo(2));
        Assert.That(createCalls, Is.EqualTo(1));
        Assert.That(ex!.InnerException, Is.InstanceOf<HttpRequestException>());
    }

    [Test]
    public async Task A_hanging_attempt_times_out_per_attempt_and_is_retried_then_reported()
    {
        var time = new FakeTimeProvider();
        var calls = 0;
        using var hang = new LambdaHandler(async (_, ct) => { Interlocked.Increment(ref calls); await Task.Delay(Timeout.Infinite, ct); throw new InvalidOperationException(); });
        using var api = new MockHttpMessageHandler();
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/byids").Respond(hang);
        using var client = ClientFixture.Client(api, time: time, configure: o => { o.MaxRetries = 1; o.RequestTimeout = TimeSpan.FromSeconds(10); });

        var ex = await Assert.CatchAsync<CogniteTimeoutException>(() => ClientFixture.RunWithFakeTime(time, client.Api.RetrieveFilesAsync(ById), TimeSpan.FromSeconds(1)));

        Assert.That(ex!.Message, Does.Contain("/files/byids").And.Contain("10 s"));
        Assert.That(calls, Is.EqualTo(2));
    }

    [Test]
    public async Task A_body_that_stalls_after_the_headers_times_out_per_attempt_instead_of_hanging()
    {
        var time = new FakeTimeProvider();
        var calls = 0;
        using var stall = new LambdaHandler((_, _) =>
        {
            Interlocked.Increment(ref calls);
            // Headers now, body never: Refit reads with ResponseHeadersRead, so only buffering inside the attempt bounds it.
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new StallingStream()) };
            response.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            return Task.FromResult(response);
        });
        // The stalling handler is the primary handler itself (MockHttp would buffer the body on its own).
        using var client = new CogniteFilesClient(
            ClientFixture.Options(o => { o.MaxRetries = 1; o.RequestTimeout = TimeSpan.FromSeconds(10); }),
            new Cognite.Files.Auth.StaticAccessTokenProvider(ClientFixture.Token), null, time, stall, new MockHttpMessageHandler());

        await Assert.CatchAsync<CogniteTimeoutException>(() => ClientFixture.RunWithFakeTime(time, client.Api.RetrieveFilesAsync(ById), TimeSpan.FromSeconds(1)));

        Assert.That(calls, Is.EqualTo(2), "the stalled attempt was timed out and retried once");
    }

    /// <summary>A body whose reads never complete until cancelled.</summary>
    private sealed class StallingStream : MemoryStream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken) =>
            Task.Delay(Timeout.Infinite, cancellationToken);
    }

    [Test]
    public async Task Each_retry_asks_the_token_provider_again()
    {
        using var api = new MockHttpMessageHandler();
        var tokens = new List<string?>();
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/search").Respond(req =>
        {
            tokens.Add(req.Headers.Authorization?.Parameter);
            return tokens.Count == 1 ? ClientFixture.Json(HttpStatusCode.ServiceUnavailable, "{}") : ClientFixture.Json(HttpStatusCode.OK, """{"items":[]}""");
        });
        var provider = new CountingTokenProvider();
        var time = new FakeTimeProvider();
        using var client = ClientFixture.Client(api, time: time, tokenProvider: provider);

        await ClientFixture.RunWithFakeTime(time, client.Api.SearchFilesAsync(new FileSearchRequest()));

        Assert.That(tokens, Is.EqualTo(new[] { "token-1", "token-2" }));
    }

    [TestCase("GET", "/files/12", true)]
    [TestCase("GET", "/files", true)]
    [TestCase("POST", "/files", false)]
    [TestCase("POST", "/files/delete", false)]
    [TestCase("POST", "/files/byids", true)]
    [TestCase("POST", "/files/list", true)]
    [TestCase("POST", "/files/search", true)]
    [TestCase("POST", "/files/aggregate", true)]
    [TestCase("POST", "/files/downloadlink", true)]
    [TestCase("POST", "/files/update", true)]
    [TestCase("POST", "/files/uploadlink", true)]
    [TestCase("POST", "/files/multiuploadlink", true)]
    [TestCase("POST", "/files/initmultipartupload", false)]
    [TestCase("POST", "/files/completemultipartupload", true)]
    [TestCase("POST", "/files/some-future-operation", false)]
    public void Retry_rules_repeat_only_requests_that_create_nothing(string method, string path, bool safe)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), ClientFixture.ApiBase + path + "?overwrite=true");
        Assert.That(Cognite.Files.Http.ApiRetryRules.Classify(request) == Cognite.Files.Http.ApiRetryRules.RetryClass.SafeToRepeat, Is.EqualTo(safe));
    }

    private sealed class CountingTokenProvider : Microsoft.Kiota.Abstractions.Authentication.IAccessTokenProvider
    {
        private int _n;

        public Microsoft.Kiota.Abstractions.Authentication.AllowedHostsValidator AllowedHostsValidator { get; } = new();

        public Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default) =>
            Task.FromResult("token-" + Interlocked.Increment(ref _n));
    }
}
