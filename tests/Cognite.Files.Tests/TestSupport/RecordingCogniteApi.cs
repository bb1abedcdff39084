using System.Net;
using System.Text;
using Cognite.Files.Api;
using Cognite.Files.Http;
using Newtonsoft.Json.Linq;
using Refit;
using RichardSzalay.MockHttp;

namespace Cognite.Files.Tests.TestSupport;

/// <summary>
/// The generated <see cref="ICogniteFilesApi"/> wired exactly as the SDK wires it (<see cref="CogniteRefitSettings"/>),
/// over a MockHttp handler that records every request and answers with one canned response. No network.
/// </summary>
/// <example>
/// <code>
/// using var api = new RecordingCogniteApi(HttpStatusCode.OK, """{"items":[]}""");
/// await api.Client.RetrieveFilesAsync(request);
/// Assert.That(api.Request.Path, Is.EqualTo(RecordingCogniteApi.PathPrefix + "/files/byids"));
/// </code>
/// </example>
public sealed class RecordingCogniteApi : IDisposable
{
    /// <summary>The base address the client is built with.</summary>
    public static readonly Uri BaseAddress = new("https://api.cognitedata.com/api/v1/projects/test-project/");

    /// <summary>The path every API request must start with.</summary>
    public const string PathPrefix = "/api/v1/projects/test-project";

    private readonly MockHttpMessageHandler _handler = new();
    private readonly HttpClient _httpClient;
    private readonly List<RecordedRequest> _requests = [];

    /// <summary>Creates a client whose every request is answered with <paramref name="status"/> and <paramref name="responseJson"/>.</summary>
    public RecordingCogniteApi(HttpStatusCode status, string responseJson)
        : this(status, () => new StringContent(responseJson, Encoding.UTF8, "application/json"))
    {
    }

    /// <summary>
    /// Creates a client whose every request is answered with <paramref name="status"/> and the bytes <paramref name="responseBody"/>
    /// as <paramref name="mediaType"/> (a binary body such as the <c>image/jpeg</c> of <c>GET /files/icon</c>).
    /// </summary>
    public RecordingCogniteApi(HttpStatusCode status, byte[] responseBody, string mediaType)
        : this(status, () => new ByteArrayContent(responseBody) { Headers = { ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(mediaType) } })
    {
    }

    private RecordingCogniteApi(HttpStatusCode status, Func<HttpContent> responseContent)
    {
        _handler.Fallback.Respond(async request =>
        {
            // Read here: Refit disposes the request content once SendAsync returns.
            var body = request.Content is null ? null : await request.Content.ReadAsStringAsync().ConfigureAwait(false);
            lock (_requests)
            {
                _requests.Add(new RecordedRequest(request.Method, request.RequestUri!, request.Content?.Headers.ContentType?.MediaType, body));
            }

            var response = new HttpResponseMessage(status) { Content = responseContent() };
            response.Headers.Add("x-request-id", "test-request-id");
            return response;
        });
        _httpClient = _handler.ToHttpClient();
        _httpClient.BaseAddress = BaseAddress;
        Client = RestService.For<ICogniteFilesApi>(_httpClient, CogniteRefitSettings.Create(TimeProvider.System));
    }

    /// <summary>The generated Refit client.</summary>
    public ICogniteFilesApi Client { get; }

    /// <summary>Every request sent so far, in order.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>The one request sent; fails the test when there were none or several.</summary>
    public RecordedRequest Request
    {
        get
        {
            var requests = Requests;
            Assert.That(requests, Has.Count.EqualTo(1), "expected exactly one request");
            return requests[0];
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _httpClient.Dispose();
        _handler.Dispose();
    }
}

/// <summary>What the client put on the wire.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Uri">The absolute request URI.</param>
/// <param name="ContentType">The body's media type, without parameters; null without a body.</param>
/// <param name="Body">The body as text; null without a body.</param>
public sealed record RecordedRequest(HttpMethod Method, Uri Uri, string? ContentType, string? Body)
{
    /// <summary>The URI path, percent-encoding kept (e.g. <c>/api/v1/projects/test-project/files/1</c>).</summary>
    public string Path => Uri.AbsolutePath;

    /// <summary>The raw query string without the leading <c>?</c>.</summary>
    public string RawQuery => Uri.Query.TrimStart('?');

    /// <summary>The decoded query pairs, in wire order; a repeated parameter appears once per value.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Query =>
        [.. RawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(pair =>
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            return eq < 0
                ? new KeyValuePair<string, string>(Uri.UnescapeDataString(pair), "")
                : new KeyValuePair<string, string>(Uri.UnescapeDataString(pair[..eq]), Uri.UnescapeDataString(pair[(eq + 1)..]));
        })];

    /// <summary>The decoded query as sorted <c>name=value</c> strings: compare with an expected list, order-insensitively.</summary>
    public IReadOnlyList<string> SortedQuery => [.. Query.Select(kv => $"{kv.Key}={kv.Value}").Order(StringComparer.Ordinal)];

    /// <summary>The body parsed as JSON; fails the test when there is no body.</summary>
    public JToken BodyJson
    {
        get
        {
            Assert.That(Body, Is.Not.Null, "expected a request body");
            return Json.Parse(Body!);
        }
    }
}

/// <summary>Assertions on a <see cref="RecordedRequest"/>.</summary>
public static class RecordedRequestAssertions
{
    /// <summary>
    /// Asserts the request line and body: <paramref name="method"/>, the path under <see cref="RecordingCogniteApi.PathPrefix"/>,
    /// exactly the <paramref name="query"/> pairs (<c>name=value</c>, any order, decoded), and either no body
    /// (<paramref name="body"/> null) or an <c>application/json</c> body structurally equal to <paramref name="body"/>.
    /// </summary>
    public static void AssertSent(this RecordedRequest request, HttpMethod method, string path, IEnumerable<string>? query = null, string? body = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(request.Method, Is.EqualTo(method), "method");
            Assert.That(request.Uri.Host, Is.EqualTo(RecordingCogniteApi.BaseAddress.Host), "host");
            Assert.That(request.Path, Is.EqualTo(RecordingCogniteApi.PathPrefix + path), "path");
            Assert.That(request.SortedQuery, Is.EqualTo((query ?? []).Order(StringComparer.Ordinal).ToList()), $"query was '{request.RawQuery}'");
            if (body is null)
            {
                Assert.That(request.Body, Is.Null.Or.Empty, "body");
            }
            else
            {
                Assert.That(request.ContentType, Is.EqualTo("application/json"), "content type");
                Json.AssertEquivalent(request.BodyJson, body);
            }
        }
    }
}
