using System.Net;
using System.Text;
using Cognite.Files.Http;
using RichardSzalay.MockHttp;

namespace Cognite.Files.Tests.Http;

public class PresignedUrlClientTests
{
    private const string S3SignatureError = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message>
        <AWSAccessKeyId>AKIAEXAMPLEKEY</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256 20261126T000000Z</StringToSign>
        <SignatureProvided>5ecretS1gnatureValue</SignatureProvided></Error>
        """;

    [Test]
    public async Task An_object_store_error_body_is_reduced_to_its_code()
    {
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Put, "https://bucket.example/part-1").Respond(HttpStatusCode.Forbidden, new StringContent(S3SignatureError, Encoding.UTF8, "application/xml"));
        var client = new PresignedUrlClient(mock.ToHttpClient());
        using var content = new ByteArrayContent([1, 2, 3]);

        var e = await Assert.ThrowsAsync<CogniteForbiddenException>(() => client.PutAsync(new Uri("https://bucket.example/part-1?X-Amz-Signature=5ecretS1gnatureValue"), content, default));

        Assert.That(e.Message, Does.Contain("SignatureDoesNotMatch"));
        Assert.That(e.ToString(), Does.Not.Contain("5ecretS1gnatureValue").And.Not.Contain("AKIAEXAMPLEKEY").And.Not.Contain("StringToSign"));
    }

    [Test]
    public async Task A_cdf_error_body_from_an_upload_url_is_kept()
    {
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Put, "https://api.example/upload/1").Respond(HttpStatusCode.Forbidden, new StringContent("""{"error":{"code":403,"message":"The upload URL has expired."}}""", Encoding.UTF8, "application/json"));
        var client = new PresignedUrlClient(mock.ToHttpClient());
        using var content = new ByteArrayContent([1]);

        var e = await Assert.ThrowsAsync<CogniteForbiddenException>(() => client.PutAsync(new Uri("https://api.example/upload/1?sig=abc"), content, default));

        Assert.That(e.ErrorMessage, Is.EqualTo("The upload URL has expired."));
    }

    [Test]
    public async Task An_unrecognised_error_body_is_not_shown()
    {
        using var mock = new MockHttpMessageHandler();
        mock.When(HttpMethod.Get, "https://bucket.example/file").Respond(HttpStatusCode.BadRequest, new StringContent("canonical request: GET /file sig=5ecret", Encoding.UTF8, "text/plain"));
        var client = new PresignedUrlClient(mock.ToHttpClient());

        var e = await Assert.ThrowsAsync<CogniteApiException>(() => client.GetAsync(new Uri("https://bucket.example/file?sig=5ecret"), default));

        Assert.That(e.Message, Does.Not.Contain("5ecret"));
        Assert.That(e.ErrorMessage, Does.Contain("not shown"));
    }
}
