using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Cognite.Files.Emulator.Tests.Support;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using NSwag;

namespace Cognite.Files.Emulator.Tests;

/// <summary>
/// Robustness: a bounded, seeded run of malformed requests against every operation of openapi/cognite-files.yaml and
/// against the pre-signed upload/download URLs. With injected faults off, the emulator must answer every one with a
/// 4xx CDF error (a mutation that happens to stay valid may succeed), never a 5xx or a dropped connection, and must
/// still serve valid requests afterwards.
/// </summary>
[Category("Fuzz")]
public sealed class FuzzTests
{
    /// <summary>Fixed in CI; set COGNITE_FUZZ_SEED to explore other sequences locally.</summary>
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("COGNITE_FUZZ_SEED"), CultureInfo.InvariantCulture, out var s) ? s : 20261126;
    private const int ApiRequests = 4000;
    private const int UrlRequests = 600;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(45);

    /// <summary>A valid body (and query) per operationId; the fuzz starts from these and breaks them.</summary>
    private static readonly Dictionary<string, (string Query, string? Body)> Valid = new(StringComparer.Ordinal)
    {
        ["CreateFile"] = ("", """{"name":"fuzz.bin","externalId":"fuzz-$N","metadata":{"k":"v"},"assetIds":[1],"sourceCreatedTime":1}"""),
        ["ListFiles"] = ("limit=5&uploaded=false&name=fuzz.bin", null),
        ["GetUploadLink"] = ("", """{"items":[{"externalId":"anchor"}]}"""),
        ["InitMultipartUpload"] = ("parts=2", """{"name":"fuzz-mp.bin","externalId":"fuzz-mp-$N"}"""),
        ["GetMultipartUploadLink"] = ("parts=3", """{"items":[{"externalId":"anchor"}]}"""),
        ["CompleteMultipartUpload"] = ("", """{"id":$ID,"uploadId":"$UPLOAD"}"""),
        ["FilterFiles"] = ("", """{"filter":{"name":"fuzz.bin","uploaded":false,"createdTime":{"min":0,"max":99999999999999}},"limit":10,"partition":"1/2"}"""),
        ["GetFileById"] = ("", null),
        ["GetIcon"] = ("externalId=anchor", null),
        ["RetrieveFiles"] = ("", """{"items":[{"id":$ID},{"externalId":"anchor"}],"ignoreUnknownIds":true}"""),
        ["UpdateFiles"] = ("", """{"items":[{"id":$ID,"update":{"source":{"set":"s"},"metadata":{"add":{"a":"b"}},"labels":{"add":[{"externalId":"l"}]}}}]}"""),
        ["DeleteFiles"] = ("", """{"items":[{"id":1}],"ignoreUnknownIds":true}"""),
        ["SearchFiles"] = ("", """{"search":{"name":"fuzz"},"filter":{"uploaded":false},"limit":5}"""),
        ["AggregateFiles"] = ("", """{"filter":{"uploaded":false}}"""),
        ["GetDownloadLinks"] = ("extendedExpiration=true", """{"items":[{"id":$ID}]}"""),
    };

    /// <summary>Mutations that can leave a request valid (an optional field removed, a query value that parses); all others must be refused.</summary>
    private static readonly HashSet<string> MayStayValid = ["missing-field", "unknown-field", "wrong-type", "odd-query", "odd-path-id", "unexpected-body"];

    private static readonly string[] OddQueryValues =
    [
        "", "-1", "0", "251", "1000001", "abc", "1e3", "1.5", "true", "null", "%00", "%FF%FE", "99999999999999999999999999",
        "-9223372036854775809", "9223372036854775808", "[1,2", "{}", "11/10", "0/0", "1/", "/", "a/b", "%2F%2F", " 1 ",
        "%E2%80%AE", new string('x', 3000), "1,2,3", "[\"a\"]", "[1e999]", "maybe",
    ];

    private static readonly string[] HugeNumbers =
    [
        "1e999", "-1e999", "123456789012345678901234567890", "9223372036854775808", "-9223372036854775809", "1.7976931348623157e309",
        "0.000000000000000000000000000000000000001", "1E+2147483648", "18446744073709551616",
    ];

    [Test, CancelAfter(120_000), Cognite.Files.Testing.ProbesAuthorizationOnSignedUrls] // one mutation adds Authorization to signed URLs
    public async Task MalformedRequests_ToEveryEndpoint_Get4xx_NeverA5xx_AndTheServerStaysUp(CancellationToken cancellationToken)
    {
        await using var h = await EmulatorHarness.StartAsync(o => o.AcceptedTokens = ["test", "fuzz"]);
        Assert.That(h.Emulator.Faults.Current.PartFailureProbability + h.Emulator.Faults.Current.ApiFailureProbability, Is.Zero, "faults must be off");
        var operations = await LoadOperationsAsync();
        Assert.That(operations.Select(o => o.OperationId), Is.EquivalentTo(Valid.Keys), "every operation of openapi/ has a valid starting point in the fuzz (add new operations to Valid)");

        using var http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None, AllowAutoRedirect = false })
        {
            Timeout = TimeSpan.FromSeconds(20),
        };
        var apiRoot = h.Emulator.ApiBaseUrl.ToString().TrimEnd('/');
        var anchor = await CreateAnchorAsync(h);
        var random = new Random(Seed);
        var stats = new FuzzStats();
        var clock = Stopwatch.StartNew();

        for (var i = 0; i < ApiRequests && clock.Elapsed < Budget; i++)
        {
            var op = operations[random.Next(operations.Count)];
            var (mutation, request) = BuildApiRequest(random, op, apiRoot, anchor, i);
            await SendAndCheckAsync(http, request, mutation, op.Method + " " + op.Path, stats, acceptSuccess: MayStayValid.Contains(mutation), cancellationToken);
        }

        var urls = await CreateUploadUrlsAsync(h);
        for (var i = 0; i < UrlRequests && clock.Elapsed < Budget; i++)
        {
            var (mutation, request) = BuildUrlRequest(random, urls);
            await SendAndCheckAsync(http, request, mutation, "upload/download URL", stats, acceptSuccess: false, cancellationToken);
        }

        TestContext.Progress.WriteLine(stats.Report(clock.Elapsed));

        // Alive afterwards: health, a valid create + PUT + list still work.
        using (var health = await http.GetAsync(h.Emulator.AdminBaseUrl + "health", cancellationToken))
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var created = await h.Api.CreateFileAsync(new Models.FileCreate { Name = "after-fuzz.txt", ExternalId = "after-fuzz" }, null, cancellationToken);
        using (var put = await EmulatorHarness.PutAsync(created.UploadUrl, "still alive"u8.ToArray(), cancellationToken))
            Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var byId = await h.Api.GetFileByIdAsync(created.Id, cancellationToken);
        Assert.That(byId.Uploaded, Is.True);

        Assert.Multiple(() =>
        {
            Assert.That(stats.ServerErrors, Is.Empty, "5xx answers (first few)");
            Assert.That(stats.TransportErrors, Is.Empty, "dropped connections or timeouts (first few)");
            Assert.That(stats.NotCdfErrors, Is.Empty, "4xx answers without a CDF error body (first few)");
            Assert.That(stats.UnexpectedSuccess, Is.Empty, "mutations that must be refused but were accepted (first few)");
            Assert.That(stats.Total, Is.GreaterThanOrEqualTo(500), "the run sent too few requests within its time budget");
            Assert.That(stats.Status4xx, Is.GreaterThan(stats.Total * 8 / 10), "most mutations must be refused");
        });
    }

    // Regressions the fuzz found: both were 500 "Internal emulator error".
    [TestCase("files", """{"name":"a","sourceCreatedTime":123456789012345678901234567890}""")]
    [TestCase("files/byids", """{"items":[{"id":99999999999999999999}]}""")]
    [TestCase("files/list", """{"filter":{"createdTime":{"min":-9223372036854775809}}}""")]
    public async Task IntegerBeyond64Bits_InABody_Is400(string path, string json)
    {
        await using var h = await EmulatorHarness.StartAsync();
        using var response = await h.Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.That((int)response.StatusCode, Is.EqualTo(400), await response.Content.ReadAsStringAsync());
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("out of range"));
    }

    [TestCase("[1e999]")]
    [TestCase("[\"a\"]")]
    [TestCase("[{\"id\":\"x\"}]")]
    public async Task OddDataSetIds_InTheListQuery_Is400(string value)
    {
        await using var h = await EmulatorHarness.StartAsync();
        using var response = await h.Http.GetAsync("files?dataSetIds=" + Uri.EscapeDataString(value));
        Assert.That((int)response.StatusCode, Is.EqualTo(400), await response.Content.ReadAsStringAsync());
    }

    private sealed record Operation(string OperationId, string Method, string Path, IReadOnlyList<string> QueryParameters);

    private sealed record Anchor(long Id, string UploadId);

    private sealed record UploadUrls(string Single, string Part0, string Part1, string Download);

    private static async Task<List<Operation>> LoadOperationsAsync()
    {
        var doc = await OpenApiYamlDocument.FromFileAsync(OpenApiResponseValidator.FindSpec());
        var list = new List<Operation>();
        foreach (var (path, item) in doc.Paths)
        {
            foreach (var (method, op) in item)
            {
                var query = op.ActualParameters.Where(p => p.Kind == OpenApiParameterKind.Query).Select(p => p.Name).ToList();
                list.Add(new Operation(op.OperationId, method.ToUpperInvariant(), path, query));
            }
        }

        return list;
    }

    private static async Task<Anchor> CreateAnchorAsync(EmulatorHarness h)
    {
        var created = await h.Api.CreateFileAsync(new Models.FileCreate { Name = "anchor.bin", ExternalId = "anchor" }, null);
        using (var put = await EmulatorHarness.PutAsync(created.UploadUrl, EmulatorHarness.RandomBytes(100, 1)))
            Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var mp = await h.Api.InitMultipartUploadAsync(2, new Models.FileCreate { Name = "anchor-mp.bin", ExternalId = "anchor-mp" }, null);
        return new Anchor(created.Id, mp.UploadId);
    }

    private static async Task<UploadUrls> CreateUploadUrlsAsync(EmulatorHarness h)
    {
        var single = await h.Api.CreateFileAsync(new Models.FileCreate { Name = "tamper.bin", ExternalId = "tamper" }, null);
        var mp = await h.Api.InitMultipartUploadAsync(2, new Models.FileCreate { Name = "tamper-mp.bin", ExternalId = "tamper-mp" }, null);
        var uploaded = await h.Api.CreateFileAsync(new Models.FileCreate { Name = "tamper-dl.bin", ExternalId = "tamper-dl" }, null);
        using (var put = await EmulatorHarness.PutAsync(uploaded.UploadUrl, EmulatorHarness.RandomBytes(2000, 2)))
            Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var links = await h.Api.GetDownloadLinksAsync(new Models.DownloadLinkRequest { Items = [Models.Identifier.FromId(uploaded.Id)] }, true);
        return new UploadUrls(single.UploadUrl, mp.UploadUrls[0], mp.UploadUrls[1], links.Items[0].DownloadUrl);
    }

    // ---------------- API requests ----------------

    private static (string Mutation, HttpRequestMessage Request) BuildApiRequest(Random r, Operation op, string apiRoot, Anchor anchor, int n)
    {
        var (validQuery, validBody) = Valid[op.OperationId];
        var body = validBody?.Replace("$ID", anchor.Id.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("$UPLOAD", anchor.UploadId, StringComparison.Ordinal)
            .Replace("$N", n.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var path = op.Path.Replace("{id}", anchor.Id.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var query = validQuery;
        var method = op.Method;
        var contentType = "application/json";
        string? encoding = null;
        byte[]? raw = body is null ? null : Encoding.UTF8.GetBytes(body);
        string? auth = "Bearer fuzz";

        // Operations without a body get query/path/method/auth mutations only; the others every kind.
        var kinds = body is null
            ? new[] { "odd-query", op.Path.Contains('{', StringComparison.Ordinal) ? "odd-path-id" : "odd-query", "wrong-method", "bad-auth", "unexpected-body" }
            : new[]
            {
                "truncated-json", "wrong-type", "huge-number", "missing-field", "unknown-field", "random-bytes", "wrong-method",
                "bad-content-type", "gzip-garbage", "gzip-bomb", "odd-query", "deep-nesting", "not-an-object", "invalid-utf8",
                "bad-auth", "empty-body", "bad-encoding",
            };
        var mutation = kinds[r.Next(kinds.Length)];
        switch (mutation)
        {
            case "truncated-json":
                raw = raw![..r.Next(0, Math.Max(1, raw!.Length - 1))];
                if (raw.Length == 0) raw = "{"u8.ToArray();
                break;
            case "wrong-type":
                raw = Encoding.UTF8.GetBytes(MutateTree(r, body!, WrongTypeValue));
                break;
            case "huge-number":
                raw = Encoding.UTF8.GetBytes(MutateTree(r, body!, _ => "__HUGE__").Replace("\"__HUGE__\"", HugeNumbers[r.Next(HugeNumbers.Length)], StringComparison.Ordinal));
                break;
            case "missing-field":
                raw = Encoding.UTF8.GetBytes(RemoveProperty(r, body!));
                break;
            case "unknown-field":
                raw = Encoding.UTF8.GetBytes(AddProperty(r, body!));
                break;
            case "random-bytes":
                raw = new byte[r.Next(1, 2048)];
                r.NextBytes(raw);
                break;
            case "wrong-method":
                var defined = op.Path == "/files" ? new[] { "GET", "POST" } : [op.Method];
                var others = new[] { "PUT", "DELETE", "PATCH", "GET", "POST", "OPTIONS" }.Except(defined).ToArray();
                method = others[r.Next(others.Length)];
                break;
            case "bad-content-type":
                contentType = new[] { "text/plain", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "", "application/jsonx", "json" }[r.Next(7)];
                break;
            case "gzip-garbage":
                encoding = "gzip";
                var zipped = Gzip(raw!);
                raw = r.Next(2) == 0 ? RandomBytes(r, r.Next(1, 512)) : zipped[..(zipped.Length / 2)]; // random bytes or a stream cut in half
                break;
            case "gzip-bomb":
                encoding = "gzip";
                raw = Gzip(Encoding.UTF8.GetBytes("{\"name\":\"" + new string('a', 1024 * 1024) + "\"}"));
                break;
            case "odd-query":
                query = OddQuery(r, op, validQuery);
                break;
            case "odd-path-id":
                path = op.Path.Replace("{id}", new[] { "-1", "0", "abc", "99999999999999999999999", "1.5", "%00", "1%2F2", "9223372036854775807", "%20", "1;2" }[r.Next(10)], StringComparison.Ordinal);
                break;
            case "deep-nesting":
                var depth = r.Next(65, 5000);
                raw = Encoding.UTF8.GetBytes("{\"items\":" + new string('[', depth) + new string(']', depth) + "}");
                break;
            case "not-an-object":
                raw = Encoding.UTF8.GetBytes(new[] { "null", "[]", "1", "\"s\"", "true", "[" + body + "]" }[r.Next(6)]);
                break;
            case "invalid-utf8":
                raw = [.. "{\"name\":\""u8, 0xC3, 0x28, 0xFF, .. "\"}"u8];
                break;
            case "bad-auth":
                auth = new string?[] { null, "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "bearer\t", "Token abc", "Bearer " + new string('x', 8000) }[r.Next(7)];
                break;
            case "empty-body":
                raw = [];
                break;
            case "bad-encoding":
                encoding = new[] { "br", "deflate", "compress", "gzip, gzip", "x-unknown" }[r.Next(5)];
                break;
            case "unexpected-body":
                raw = RandomBytes(r, r.Next(1, 256));
                break;
        }

        var request = new HttpRequestMessage(new HttpMethod(method), apiRoot + path + (query.Length > 0 ? "?" + query : ""));
        if (auth is not null) request.Headers.TryAddWithoutValidation("Authorization", auth);
        if (raw is not null)
        {
            var content = new ByteArrayContent(raw);
            if (contentType.Length > 0) content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            if (encoding is not null) content.Headers.TryAddWithoutValidation("Content-Encoding", encoding);
            request.Content = content;
        }

        return (mutation, request);
    }

    private static string OddQuery(Random r, Operation op, string validQuery)
    {
        var names = op.QueryParameters.Concat(["parts", "limit", "unknown", "cursor", "partition"]).Distinct().ToList();
        var pairs = validQuery.Split('&', StringSplitOptions.RemoveEmptyEntries).ToList();
        for (var k = r.Next(1, 4); k > 0; k--)
        {
            var name = names[r.Next(names.Count)];
            var value = OddQueryValues[r.Next(OddQueryValues.Length)];
            pairs.RemoveAll(p => r.Next(2) == 0 && p.StartsWith(name + "=", StringComparison.Ordinal));
            pairs.Add(Uri.EscapeDataString(name) + "=" + (value.Contains('%', StringComparison.Ordinal) ? value : Uri.EscapeDataString(value)));
        }

        if (r.Next(5) == 0) pairs.Add("parts"); // a key without a value
        return string.Join('&', pairs);
    }

    private static JToken WrongTypeValue(Random r) => r.Next(9) switch
    {
        0 => JValue.CreateString(new string('é', r.Next(300, 3000))),
        1 => new JValue(r.NextDouble() * 1e12),
        2 => new JValue(-1),
        3 => new JValue(true),
        4 => JValue.CreateNull(),
        5 => new JArray(1, "a", JValue.CreateNull()),
        6 => new JObject { ["x"] = new JObject() },
        7 => JValue.CreateString(""),
        _ => new JValue(long.MaxValue),
    };

    private static string MutateTree(Random r, string json, Func<Random, JToken> replacement)
    {
        var root = JToken.Parse(json);
        var candidates = root.SelectTokens("$..*").Where(t => t.Parent is JProperty or JArray).ToList();
        var target = candidates[r.Next(candidates.Count)];
        target.Replace(replacement(r));
        return root.ToString(Formatting.None);
    }

    private static string RemoveProperty(Random r, string json)
    {
        var root = JToken.Parse(json);
        var properties = root.SelectTokens("$..*").Select(t => t.Parent).OfType<JProperty>().ToList();
        if (properties.Count == 0) return "{}";
        properties[r.Next(properties.Count)].Remove();
        return root.ToString(Formatting.None);
    }

    private static string AddProperty(Random r, string json)
    {
        var root = JToken.Parse(json);
        var objects = root.SelectTokens("$..*").OfType<JObject>().Prepend(root).OfType<JObject>().ToList();
        objects[r.Next(objects.Count)]["fuzz" + r.Next(1000).ToString(CultureInfo.InvariantCulture)] = WrongTypeValue(r);
        return root.ToString(Formatting.None);
    }

    // ---------------- pre-signed URL requests ----------------

    private static (string Mutation, HttpRequestMessage Request) BuildUrlRequest(Random r, UploadUrls urls)
    {
        var url = new[] { urls.Single, urls.Part0, urls.Part1, urls.Download }[r.Next(4)];
        var isDownload = url == urls.Download;
        var uri = new Uri(url);
        var query = System.Web.HttpUtility.ParseQueryString(uri.Query);
        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();
        var method = isDownload ? "GET" : "PUT";
        var withAuth = false;
        var chunked = false;
        var kinds = new[] { "sig-flipped", "sig-missing", "expires-changed", "expires-odd", "index-odd", "id-changed", "extra-segment", "wrong-method", "authorization", "no-content-length", "traversal", "query-dropped" };
        var mutation = kinds[r.Next(kinds.Length)];
        switch (mutation)
        {
            case "sig-flipped":
                var sig = query["sig"]!.ToCharArray();
                var at = r.Next(sig.Length);
                sig[at] = sig[at] == 'A' ? 'B' : 'A';
                query["sig"] = new string(sig);
                break;
            case "sig-missing":
                query.Remove("sig");
                break;
            case "expires-changed":
                query["expires"] = (long.Parse(query["expires"]!, CultureInfo.InvariantCulture) + r.Next(1, 100_000)).ToString(CultureInfo.InvariantCulture);
                break;
            case "expires-odd":
                query["expires"] = new[] { "", "-1", "abc", "99999999999999999999999", "1e10", " 1", "0x10" }[r.Next(7)];
                break;
            case "index-odd":
                segments[^1] = isDownload
                    ? new[] { "-1", "abc", "99999999999999999999999", "0", "9223372036854775807" }[r.Next(5)]
                    : new[] { "-1", "abc", "99999999999999999999999", "250", "2147483648", "1.0", "%00" }[r.Next(7)];
                break;
            case "id-changed":
                segments[segments.Count - (isDownload ? 1 : 2)] = isDownload ? "1" + segments[^1] : "AAAA" + segments[^2][4..];
                break;
            case "extra-segment":
                segments.Add("x");
                break;
            case "wrong-method":
                method = new[] { "POST", "DELETE", "PATCH", isDownload ? "PUT" : "GET", "OPTIONS" }[r.Next(5)];
                break;
            case "authorization":
                withAuth = true;
                break;
            case "no-content-length":
                chunked = !isDownload;
                if (isDownload) query["sig"] = "";
                break;
            case "traversal":
                segments.Insert(1, "..");
                break;
            case "query-dropped":
                query.Clear();
                break;
        }

        var builder = new UriBuilder(uri) { Path = "/" + string.Join('/', segments), Query = query.ToString() };
        var request = new HttpRequestMessage(new HttpMethod(method), builder.Uri);
        if (withAuth) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "fuzz-token");
        if (method is "PUT" or "POST" or "PATCH")
        {
            var bytes = RandomBytes(r, r.Next(1, 4096));
            request.Content = chunked ? new StreamContent(new NonSeekable(bytes)) : new ByteArrayContent(bytes);
            if (chunked) request.Headers.TransferEncodingChunked = true;
        }

        return (mutation, request);
    }

    // ---------------- send and classify ----------------

    private static async Task SendAndCheckAsync(HttpClient http, HttpRequestMessage request, string mutation, string target, FuzzStats stats, bool acceptSuccess, CancellationToken cancellationToken)
    {
        using (request)
        {
            var label = $"{mutation} {request.Method} {target} ({request.RequestUri!.PathAndQuery[..Math.Min(120, request.RequestUri.PathAndQuery.Length)]})";
            try
            {
                using var response = await http.SendAsync(request, cancellationToken);
                var status = (int)response.StatusCode;
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                stats.Record(mutation, status);
                if (status >= 500)
                {
                    stats.Add(stats.ServerErrors, $"{label} -> {status}: {Trim(text)}");
                }
                else if (status >= 400)
                {
                    // Kestrel itself refuses a NUL in the path (400, empty body) before the emulator sees the request.
                    var httpLevel = status == 400 && text.Length == 0 && request.RequestUri!.OriginalString.Contains("%00", StringComparison.Ordinal);
                    if (request.Method != HttpMethod.Head && !httpLevel && !IsCdfError(text, status))
                        stats.Add(stats.NotCdfErrors, $"{label} -> {status}: {Trim(text)}");
                }
                else if (!acceptSuccess)
                {
                    var sent = request.Content is null ? "" : Trim(Encoding.UTF8.GetString(await request.Content.ReadAsByteArrayAsync(cancellationToken)));
                    stats.Add(stats.UnexpectedSuccess, $"{label} {sent} -> {status}: {Trim(text)}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                stats.Record(mutation, -1);
                stats.Add(stats.TransportErrors, $"{label}: {e.GetType().Name} {e.Message}");
            }
        }
    }

    private static bool IsCdfError(string text, int status)
    {
        try
        {
            return JObject.Parse(text)["error"] is JObject e && (int?)e["code"] == status && !string.IsNullOrEmpty((string?)e["message"]);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Trim(string s) => s.Length > 200 ? s[..200] + "…" : s;

    private static byte[] RandomBytes(Random r, int n)
    {
        var b = new byte[n];
        r.NextBytes(b);
        return b;
    }

    private static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            gz.Write(data);
        return buffer.ToArray();
    }

    private sealed class FuzzStats
    {
        private readonly SortedDictionary<string, SortedDictionary<int, int>> _byMutation = new(StringComparer.Ordinal);
        public List<string> ServerErrors { get; } = [];
        public List<string> TransportErrors { get; } = [];
        public List<string> NotCdfErrors { get; } = [];
        public List<string> UnexpectedSuccess { get; } = [];
        public int Total { get; private set; }
        public int Status4xx { get; private set; }

        public void Record(string mutation, int status)
        {
            Total++;
            if (status is >= 400 and < 500) Status4xx++;
            if (!_byMutation.TryGetValue(mutation, out var h)) _byMutation[mutation] = h = new SortedDictionary<int, int>();
            h[status] = h.GetValueOrDefault(status) + 1;
        }

        public void Add(List<string> list, string item)
        {
            if (list.Count < 10) list.Add(item);
        }

        public string Report(TimeSpan elapsed)
        {
            var sb = new StringBuilder();
            var statuses = _byMutation.Values.SelectMany(h => h).GroupBy(p => p.Key).OrderBy(g => g.Key).Select(g => $"{(g.Key < 0 ? "transport-error" : g.Key.ToString(CultureInfo.InvariantCulture))}×{g.Sum(p => p.Value)}");
            sb.Append(CultureInfo.InvariantCulture, $"Emulator fuzz (seed {Seed}): {Total} malformed requests in {elapsed.TotalSeconds:0.0} s; statuses: {string.Join(", ", statuses)}");
            foreach (var (mutation, h) in _byMutation)
                sb.Append(CultureInfo.InvariantCulture, $"\n  {mutation,-18} {string.Join(" ", h.Select(p => $"{p.Key}×{p.Value}"))}");
            return sb.ToString();
        }
    }

    /// <summary>A body of unknown length, so HttpClient sends it chunked (no Content-Length).</summary>
    private sealed class NonSeekable(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
