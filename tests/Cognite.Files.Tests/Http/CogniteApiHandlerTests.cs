using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Cognite.Files.Models;
using Cognite.Files.Tests.Client;
using Microsoft.Extensions.Time.Testing;
using RichardSzalay.MockHttp;

namespace Cognite.Files.Tests.Http;

/// <summary>API calls that get no response surface as <see cref="CogniteTransportException"/> naming host and operation.</summary>
public class CogniteApiHandlerTests
{
    private static IEnumerable<TestCaseData> Failures()
    {
        yield return new TestCaseData(new HttpRequestException("Connection refused (api.example.com:443)", new SocketException((int)SocketError.ConnectionRefused))).SetName("connection refused");
        yield return new TestCaseData(new HttpRequestException("No such host is known. (api.example.com:443)", new SocketException((int)SocketError.HostNotFound))).SetName("DNS");
        yield return new TestCaseData(new HttpRequestException("The SSL connection could not be established, see inner exception.", new AuthenticationException("The remote certificate is invalid."))).SetName("TLS");
        yield return new TestCaseData(new IOException("Unable to read data from the transport connection: Connection reset by peer.")).SetName("reset");
    }

    [TestCaseSource(nameof(Failures))]
    public async Task A_call_without_a_response_names_host_and_operation_and_keeps_the_original_error(Exception failure)
    {
        using var api = new MockHttpMessageHandler();
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files").Throw(failure);
        using var client = ClientFixture.Client(api, configure: o => o.MaxRetries = 0);

        var ex = await Assert.ThrowsAsync<CogniteTransportException>(() => client.Api.CreateFileAsync(new FileCreate { Name = "a" }, overwrite: true));

        Assert.That(ex!.Host, Is.EqualTo("api.example.com"));
        Assert.That(ex.Operation, Is.EqualTo("POST /files"));
        Assert.That(ex.InnerException, Is.SameAs(failure));
        Assert.That(ex.Message, Does.Contain("api.example.com").And.Contain("/files").And.Contain(failure.GetBaseException().Message));
        Assert.That(ex.Message, Does.Not.Contain("overwrite").And.Not.Contain("?"), "never the query string");
    }

    [Test]
    public async Task The_operation_is_the_path_template_and_a_non_default_port_is_part_of_the_host()
    {
        using var api = new MockHttpMessageHandler();
        api.Fallback.Throw(new HttpRequestException("Connection refused"));
        using var client = ClientFixture.Client(api, configure: o => { o.BaseUrl = new Uri("https://cdf.example.com:8443"); o.MaxRetries = 0; });

        var ex = await Assert.ThrowsAsync<CogniteTransportException>(() => client.RetrieveAsync(9_007_199_254_740_991));

        Assert.That(ex!.Host, Is.EqualTo("cdf.example.com:8443"));
        Assert.That(ex.Operation, Is.EqualTo("GET /files/{id}"));
    }

    [Test]
    public async Task A_safe_call_is_retried_on_transport_failures_then_reported()
    {
        using var api = new MockHttpMessageHandler();
        var calls = 0;
        api.When(HttpMethod.Post, ClientFixture.ApiBase + "/files/list").Respond(_ =>
        {
            calls++;
            throw new HttpRequestException("Connection reset");
        });
        var time = new FakeTimeProvider();
        using var client = ClientFixture.Client(api, time: time, configure: o => o.MaxRetries = 2);

        var ex = await Assert.ThrowsAsync<CogniteTransportException>(() => ClientFixture.RunWithFakeTime(time, client.Api.FilterFilesAsync(new FileFilterRequest())));

        Assert.That(calls, Is.EqualTo(3));
        Assert.That(ex!.Operation, Is.EqualTo("POST /files/list"));
        Assert.That(ex.InnerException, Is.InstanceOf<HttpRequestException>());
    }

    [Test]
    public async Task A_timeout_is_a_transport_error_naming_host_and_operation()
    {
        var time = new FakeTimeProvider();
        using var hang = new LambdaHandler(async (_, ct) => { await Task.Delay(Timeout.Infinite, ct); throw new InvalidOperationException(); });
        using var client = new CogniteFilesClient(
            ClientFixture.Options(o => { o.MaxRetries = 0; o.RequestTimeout = TimeSpan.FromSeconds(5); }),
            new Cognite.Files.Auth.StaticAccessTokenProvider(ClientFixture.Token), null, time, hang, new MockHttpMessageHandler());

        var ex = await Assert.ThrowsAsync<CogniteTimeoutException>(() => ClientFixture.RunWithFakeTime(time, client.Api.GetFileByIdAsync(3), TimeSpan.FromSeconds(1)));

        // A CogniteTransportException (by type): its Host and Operation say where.
        Assert.That(ex!.Host, Is.EqualTo("api.example.com"));
        Assert.That(ex.Operation, Is.EqualTo("GET /files/{id}"));
    }

    [Test]
    public async Task The_callers_cancellation_is_not_a_transport_error()
    {
        using var hang = new LambdaHandler(async (_, ct) => { await Task.Delay(Timeout.Infinite, ct); throw new InvalidOperationException(); });
        using var client = new CogniteFilesClient(
            ClientFixture.Options(), new Cognite.Files.Auth.StaticAccessTokenProvider(ClientFixture.Token), null, new FakeTimeProvider(), hang, new MockHttpMessageHandler());
        using var cts = new CancellationTokenSource();

        var call = client.Api.GetFileByIdAsync(3, cts.Token);
        await cts.CancelAsync();

        await Assert.CatchAsync<OperationCanceledException>(() => call);
    }
}
