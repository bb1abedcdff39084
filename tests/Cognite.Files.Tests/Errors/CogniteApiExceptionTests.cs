using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;

namespace Cognite.Files.Tests.Errors;

public class CogniteApiExceptionTests
{
    private static readonly FakeTimeProvider Time = new(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));

    private static HttpResponseMessage Response(HttpStatusCode status, string body, string? requestId = "req-1", string url = "https://api.cognitedata.com/api/v1/projects/p/files/byids")
    {
        var response = new HttpResponseMessage(status)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
            RequestMessage = new HttpRequestMessage(HttpMethod.Post, url),
        };
        if (requestId is not null)
        {
            response.Headers.Add("x-request-id", requestId);
        }

        return response;
    }

    [Test]
    public async Task Missing_items_map_to_not_found_with_items_and_request_id()
    {
        using var response = Response(HttpStatusCode.BadRequest, """{"error":{"code":400,"message":"Files not found","missing":[{"id":9007199254740991}]}}""");

        var ex = await CogniteErrorParser.FromResponseAsync(response, Time, default);

        Assert.That(ex, Is.InstanceOf<CogniteNotFoundException>());
        Assert.That(ex.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(ex.ErrorCode, Is.EqualTo(400));
        Assert.That(ex.ErrorMessage, Is.EqualTo("Files not found"));
        Assert.That(ex.Missing.Single()["id"], Is.EqualTo(9007199254740991L));
        Assert.That(ex.RequestId, Is.EqualTo("req-1"));
        Assert.That(ex.Message, Does.Contain("Files not found").And.Contain("9007199254740991").And.Contain("req-1"));
    }

    [TestCase(HttpStatusCode.Unauthorized, typeof(CogniteUnauthorizedException))]
    [TestCase(HttpStatusCode.Forbidden, typeof(CogniteForbiddenException))]
    [TestCase(HttpStatusCode.Conflict, typeof(CogniteConflictException))]
    [TestCase(HttpStatusCode.TooManyRequests, typeof(CogniteRateLimitedException))]
    [TestCase(HttpStatusCode.NotFound, typeof(CogniteNotFoundException))]
    [TestCase(HttpStatusCode.InternalServerError, typeof(CogniteApiException))]
    public async Task Status_picks_the_exception_type(HttpStatusCode status, Type expected)
    {
        using var response = Response(status, """{"error":{"code":1,"message":"m"}}""");

        var ex = await CogniteErrorParser.FromResponseAsync(response, Time, default);

        Assert.That(ex.GetType(), Is.EqualTo(expected));
    }

    [Test]
    public async Task Duplicated_items_on_400_map_to_conflict()
    {
        using var response = Response(HttpStatusCode.BadRequest, """{"error":{"code":400,"message":"dup","duplicated":[{"externalId":"a"}]}}""");

        var ex = await CogniteErrorParser.FromResponseAsync(response, Time, default);

        Assert.That(ex, Is.InstanceOf<CogniteConflictException>());
        Assert.That(ex.Duplicated.Single()["externalId"], Is.EqualTo("a"));
    }

    [Test]
    public async Task Non_json_body_becomes_the_message_and_query_is_never_shown()
    {
        using var response = Response(HttpStatusCode.BadGateway, "<html>bad gateway</html>", requestId: null, url: "https://upload.example/part?sig=SECRET&expires=1");

        var ex = await CogniteErrorParser.FromResponseAsync(response, Time, default);

        Assert.That(ex.ErrorMessage, Is.EqualTo("<html>bad gateway</html>"));
        Assert.That(ex.Message, Does.Not.Contain("SECRET"));
        Assert.That(ex.RequestPath, Is.EqualTo("/part"));
        Assert.That(ex.IsTransient, Is.True);
    }

    [Test]
    public async Task Retry_after_seconds_is_read()
    {
        using var response = Response(HttpStatusCode.TooManyRequests, """{"error":{"code":429,"message":"slow down"}}""");
        response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(3));

        var ex = await CogniteErrorParser.FromResponseAsync(response, Time, default);

        Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(3)));
    }

    [Test]
    public async Task Retry_after_as_a_date_is_relative_to_the_time_provider_and_never_negative()
    {
        using var later = Response(HttpStatusCode.ServiceUnavailable, "{}");
        later.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(Time.GetUtcNow().AddSeconds(12));
        using var past = Response(HttpStatusCode.ServiceUnavailable, "{}");
        past.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(Time.GetUtcNow().AddMinutes(-1));

        Assert.That((await CogniteErrorParser.FromResponseAsync(later, Time, default)).RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(12)));
        Assert.That((await CogniteErrorParser.FromResponseAsync(past, Time, default)).RetryAfter, Is.EqualTo(TimeSpan.Zero));
    }

    [TestCase("""{"error":{"code":"not-a-number","message":"m"}}""")]
    [TestCase("""{"error":"a string"}""")]
    [TestCase("""{"message":"not the CDF shape"}""")]
    public async Task A_json_body_that_is_not_cdfs_error_shape_becomes_the_message(string body)
    {
        using var response = Response(HttpStatusCode.BadRequest, body);

        var ex = await CogniteErrorParser.FromResponseAsync(response, Time, default);

        Assert.That(ex.GetType(), Is.EqualTo(typeof(CogniteApiException)));
        Assert.That(ex.ErrorMessage, Is.EqualTo(body));
        Assert.That(ex.ErrorCode, Is.Null);
    }

    [Test]
    public async Task An_empty_body_gives_the_reason_phrase()
    {
        using var response = Response(HttpStatusCode.ServiceUnavailable, "");

        var ex = await CogniteErrorParser.FromResponseAsync(response, Time, default);

        Assert.That(ex.ErrorMessage, Is.EqualTo("Service Unavailable"));
        Assert.That(ex.IsTransient, Is.True);
    }
}
