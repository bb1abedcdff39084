using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NSwag;

namespace Cognite.Files.Emulator;

/// <summary>An error answered in the CDF format <c>{"error":{"code","message","missing"?,"duplicated"?}}</c>.</summary>
internal sealed class CdfError(int status, string message, IEnumerable<object>? missing = null, IEnumerable<object>? duplicated = null) : Exception(message)
{
    public int Status { get; } = status;
    public IReadOnlyList<object>? Missing { get; } = missing?.ToList();
    public IReadOnlyList<object>? Duplicated { get; } = duplicated?.ToList();

    public static CdfError BadRequest(string message) => new(400, message);
}

internal static class HttpJson
{
    public static readonly JsonSerializerSettings Settings = new()
    {
        NullValueHandling = NullValueHandling.Ignore,
        DateParseHandling = DateParseHandling.None,
        MaxDepth = 64,
    };

    public static readonly JsonSerializer Serializer = JsonSerializer.Create(Settings);

    public static async Task WriteAsync(HttpContext context, int status, object body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var json = body as string ?? JsonConvert.SerializeObject(body, Settings);
        await context.Response.WriteAsync(json, context.RequestAborted).ConfigureAwait(false);
    }

    public static Task WriteErrorAsync(HttpContext context, CdfError error) =>
        WriteErrorAsync(context, error.Status, error.Message, error.Missing, error.Duplicated);

    public static Task WriteErrorAsync(HttpContext context, int status, string message, IReadOnlyList<object>? missing = null, IReadOnlyList<object>? duplicated = null)
    {
        var err = new JObject { ["code"] = status, ["message"] = message };
        if (missing is { Count: > 0 }) err["missing"] = JArray.FromObject(missing, Serializer);
        if (duplicated is { Count: > 0 }) err["duplicated"] = JArray.FromObject(duplicated, Serializer);
        return WriteAsync(context, status, new JObject { ["error"] = err }.ToString(Formatting.None));
    }

    /// <summary>
    /// Reads a JSON request body: requires <c>application/json</c>, inflates <c>Content-Encoding: gzip</c>, caps the size,
    /// parses strictly (malformed → 400) and returns the token.
    /// </summary>
    public static async Task<JToken> ReadBodyAsync(HttpContext context, long maxBytes, TimeSpan idleTimeout, TimeProvider time)
    {
        var request = context.Request;
        var contentType = request.ContentType;
        if (contentType is null || !contentType.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase))
            throw new CdfError(415, "Unsupported Media Type: the request body must be application/json.");
        if (request.ContentLength > maxBytes && !IsGzip(request))
            throw new CdfError(413, $"Request body too large (limit {maxBytes} bytes).");

        Stream source = request.Body;
        var encoding = request.Headers.ContentEncoding.ToString();
        if (IsGzip(request)) source = new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true);
        else if (!string.IsNullOrEmpty(encoding) && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
            throw new CdfError(415, $"Unsupported Content-Encoding '{encoding}'.");

        // Parsed as it streams in, through a cap on the (inflated) bytes: a large or malformed body is refused at the
        // point it goes wrong and never held whole, so many of them at once do not pile up memory.
        using var idle = new BodyIdleGuard(time, idleTimeout, context.RequestAborted);
        var capped = new CappedReadStream(source, maxBytes, idle);
        try
        {
            // Buffers sized to the body (most API bodies are a few hundred bytes): a fixed 16 KiB reader costs ~48 KiB of
            // zeroed memory per request, more than parsing the body itself.
            var bufferSize = (int)Math.Clamp(IsGzip(request) ? MaxReadBuffer : request.ContentLength ?? MaxReadBuffer, MinReadBuffer, MaxReadBuffer);
            using var utf8 = new StreamReader(capped, StrictUtf8, detectEncodingFromByteOrderMarks: false, bufferSize: bufferSize, leaveOpen: true);
            // Newtonsoft turns an unpaired \uD800-\uDFFF escape into U+FFFD, so it is caught in the text, before parsing.
            using var text = new SurrogateEscapeCheckingReader(utf8);
            using var reader = new JsonTextReader(text) { DateParseHandling = DateParseHandling.None, MaxDepth = 64 };
            var token = await JToken.ReadFromAsync(reader, StrictLoad, context.RequestAborted).ConfigureAwait(false);
            if (await reader.ReadAsync(context.RequestAborted).ConfigureAwait(false))
                throw CdfError.BadRequest("Malformed JSON: unexpected content after the JSON value.");
            return token;
        }
        catch (JsonReaderException) when (capped.BytesRead == 0)
        {
            throw CdfError.BadRequest("The request body is empty; a JSON object is required.");
        }
        catch (JsonException e)
        {
            throw CdfError.BadRequest("Malformed JSON: " + e.Message);
        }
        catch (DecoderFallbackException)
        {
            throw CdfError.BadRequest("The request body is not valid UTF-8.");
        }
        catch (InvalidDataException)
        {
            throw CdfError.BadRequest("The gzip request body could not be inflated.");
        }
        finally
        {
            if (!ReferenceEquals(source, request.Body)) await source.DisposeAsync().ConfigureAwait(false);
        }
    }

    private const int MinReadBuffer = 128;
    private const int MaxReadBuffer = 16 * 1024;
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>Duplicate keys are an error (a second value silently winning would store what the client did not mean).</summary>
    private static readonly JsonLoadSettings StrictLoad = new() { DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Error, LineInfoHandling = LineInfoHandling.Ignore };

    private static bool IsGzip(HttpRequest request) =>
        request.Headers.ContentEncoding.ToString().Trim().Equals("gzip", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Validates request bodies against the request schemas of the embedded <c>openapi/cognite-files.yaml</c>.</summary>
internal sealed class RequestSchemas
{
    private static readonly Lazy<Task<RequestSchemas>> Instance = new(LoadAsync);

    // One validator for every request: it keeps only its settings, and building one (its format validators) cost more
    // than validating a small body.
    private static readonly NJsonSchema.Validation.JsonSchemaValidator Validator = new(new NJsonSchema.Validation.JsonSchemaValidatorSettings());
    private readonly Dictionary<string, JsonSchema> _schemas;

    private readonly Dictionary<string, List<(string Name, JsonSchema Schema)>> _stringQueryParameters;

    private RequestSchemas(Dictionary<string, JsonSchema> schemas, IReadOnlyList<(string Method, string Path, string OperationId)> operations, Dictionary<string, List<(string Name, JsonSchema Schema)>> stringQueryParameters)
    {
        _schemas = schemas;
        Operations = operations;
        _stringQueryParameters = stringQueryParameters;
    }

    /// <summary>Every operation of the document: HTTP method (upper case), path template relative to the project, operation id.</summary>
    public IReadOnlyList<(string Method, string Path, string OperationId)> Operations { get; }

    public static Task<RequestSchemas> GetAsync() => Instance.Value;

    private static async Task<RequestSchemas> LoadAsync()
    {
        await using var stream = typeof(RequestSchemas).Assembly.GetManifestResourceStream("Cognite.Files.Emulator.cognite-files.yaml")
            ?? throw new InvalidOperationException("The embedded OpenAPI document is missing.");
        using var reader = new StreamReader(stream);
        var yaml = await reader.ReadToEndAsync().ConfigureAwait(false);
        var doc = await OpenApiYamlDocument.FromYamlAsync(yaml).ConfigureAwait(false);
        foreach (var schema in doc.Components.Schemas.Values) FixBooleanEnums(schema, new HashSet<JsonSchema>());
        var schemas = new Dictionary<string, JsonSchema>(StringComparer.Ordinal);
        var operations = new List<(string, string, string)>();
        var stringQueryParameters = new Dictionary<string, List<(string, JsonSchema)>>(StringComparer.Ordinal);
        foreach (var (path, item) in doc.Paths)
            foreach (var (method, op) in item)
            {
                operations.Add((method.ToUpperInvariant(), path, op.OperationId));
                if (op.RequestBody?.Content.TryGetValue("application/json", out var media) == true && media.Schema is not null)
                    schemas[method.ToUpperInvariant() + " " + path] = media.Schema.ActualSchema;
                stringQueryParameters[op.OperationId] = op.ActualParameters
                    .Select(p => p.ActualParameter)
                    .Where(p => p.Kind == OpenApiParameterKind.Query && p.Schema?.ActualSchema.Type.HasFlag(JsonObjectType.String) == true)
                    .Select(p => (p.Name, p.Schema.ActualSchema))
                    .ToList();
            }
        return new RequestSchemas(schemas, operations, stringQueryParameters);
    }

    /// <summary>
    /// Throws a 400 naming the parameter when a string query value of the operation breaks its schema (length, pattern).
    /// Numbers, booleans and lists are read, with their own 400s, by the operation's handler.
    /// </summary>
    public void ValidateQuery(string operationId, IQueryCollection query)
    {
        foreach (var (name, schema) in _stringQueryParameters[operationId])
        {
            if (!query.TryGetValue(name, out var values)) continue;
            foreach (var value in values)
            {
                var errors = Validator.Validate(new JValue(value ?? ""), schema, SchemaType.OpenApi3);
                if (errors.Count > 0)
                    throw CdfError.BadRequest($"Query parameter '{name}' does not match the schema: {string.Join("; ", errors.Take(3).Select(Describe))}.");
            }
        }
    }

    /// <summary>
    /// The YAML loader keeps <c>enum: [true]</c> as the string "true", which then never equals a JSON boolean;
    /// turn such enum values back into booleans.
    /// </summary>
    internal static void FixBooleanEnums(JsonSchema schema, HashSet<JsonSchema> seen)
    {
        if (!seen.Add(schema)) return;
        if (schema.Type.HasFlag(JsonObjectType.Boolean) && schema.Enumeration.Count > 0)
        {
            var values = schema.Enumeration.Select(v => v is string s && bool.TryParse(s, out var b) ? (object)b : v).ToList();
            schema.Enumeration.Clear();
            foreach (var v in values) schema.Enumeration.Add(v);
        }
        foreach (var p in schema.Properties.Values) FixBooleanEnums(p, seen);
        foreach (var s in schema.AllOf.Concat(schema.OneOf).Concat(schema.AnyOf)) FixBooleanEnums(s, seen);
        if (schema.Item is not null) FixBooleanEnums(schema.Item, seen);
        if (schema.AdditionalPropertiesSchema is not null) FixBooleanEnums(schema.AdditionalPropertiesSchema, seen);
        if (schema.HasReference) FixBooleanEnums(schema.ActualSchema, seen);
    }

    /// <summary>Throws a 400 naming the first problems when <paramref name="body"/> does not match the operation's request schema.</summary>
    public void Validate(string method, string pathTemplate, JToken body)
    {
        if (!_schemas.TryGetValue(method + " " + pathTemplate, out var schema)) return;
        // NJsonSchema's number checks throw InvalidCastException on integers beyond 64 bits (BigInteger): refuse them first.
        var huge = (body as JContainer)?.DescendantsAndSelf().OfType<JValue>().FirstOrDefault(v => v.Value is System.Numerics.BigInteger);
        if (huge is not null)
            throw CdfError.BadRequest($"Request body does not match the schema: the number at #/{huge.Path} is out of range (integers must fit in 64 bits).");
        var errors = Validator.Validate(body, schema, SchemaType.OpenApi3);
        if (errors.Count == 0) return;
        var text = string.Join("; ", errors.Take(5).Select(Describe));
        throw CdfError.BadRequest("Request body does not match the schema: " + text);
    }

    private static string Describe(NJsonSchema.Validation.ValidationError e)
    {
        var sb = new StringBuilder();
        sb.Append(e.Kind);
        if (!string.IsNullOrEmpty(e.Path)) sb.Append(" at ").Append(e.Path);
        if (!string.IsNullOrEmpty(e.Property) && e.Path?.EndsWith(e.Property, StringComparison.Ordinal) != true) sb.Append(" (").Append(e.Property).Append(')');
        if (e is NJsonSchema.Validation.ChildSchemaValidationError child)
            foreach (var inner in child.Errors.SelectMany(p => p.Value).Take(2)) sb.Append(" [").Append(Describe(inner)).Append(']');
        return sb.ToString();
    }
}

/// <summary>HMAC-SHA256 signatures of pre-signed upload and download URLs. The key lives in the data directory, so URLs survive a restart.</summary>
internal sealed class UrlSigner(byte[] key)
{
    public string Sign(string method, string path, long expiresUnixSeconds)
    {
        var data = Encoding.UTF8.GetBytes(method + "\n" + path + "\n" + expiresUnixSeconds.ToString(CultureInfo.InvariantCulture));
        return Base64Url(HMACSHA256.HashData(key, data));
    }

    public string Query(string method, string path, DateTimeOffset expires)
    {
        var e = expires.ToUnixTimeSeconds();
        return "?expires=" + e.ToString(CultureInfo.InvariantCulture) + "&sig=" + Sign(method, path, e);
    }

    /// <summary>Null when valid; else the reason (never containing the signature).</summary>
    public string? Check(string method, string path, string? expires, string? sig, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(expires) || string.IsNullOrEmpty(sig) || !long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var e))
            return "The URL is not signed.";
        var expected = Encoding.ASCII.GetBytes(Sign(method, path, e));
        if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(sig)))
            return "The URL signature does not match.";
        if (now.ToUnixTimeSeconds() >= e) return "The URL has expired.";
        return null;
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>Reads at most <c>maxBytes</c> from the inner stream; one byte more is CDF's 413.</summary>
internal sealed class CappedReadStream(Stream inner, long maxBytes, BodyIdleGuard idle) : Stream
{
    public long BytesRead { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("async only: reads are bounded by the idle timeout");

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await idle.ReadAsync(inner, buffer).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Count(int n)
    {
        BytesRead += n;
        return BytesRead > maxBytes ? throw new CdfError(413, $"Request body too large (limit {maxBytes} bytes).") : n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// A minimum data rate that cannot cut a slow but moving body: each read of the request body must deliver something
/// within <see cref="EmulatorOptions.RequestBodyIdleTimeout"/> (on the emulator's clock). Only the waits for the client
/// count; the emulator's own pauses (bandwidth cap, injected stalls) happen between reads and are not timed.
/// </summary>
internal sealed class BodyIdleGuard : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly ITimer _timer;
    private readonly TimeSpan _timeout;
    private int _fired;

    public BodyIdleGuard(TimeProvider time, TimeSpan timeout, CancellationToken requestAborted)
    {
        _timeout = timeout;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        _timer = time.CreateTimer(static s => ((BodyIdleGuard)s!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>One read of <paramref name="body"/>; a client that sends nothing for the timeout gets CDF's 408.</summary>
    public async ValueTask<int> ReadAsync(Stream body, Memory<byte> buffer)
    {
        _timer.Change(_timeout, Timeout.InfiniteTimeSpan);
        try
        {
            return await body.ReadAsync(buffer, _cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (Volatile.Read(ref _fired) != 0)
        {
            throw new CdfError(408, $"The request body stopped arriving: nothing for {_timeout.TotalSeconds:0.###} s.");
        }
        finally
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    private void Fire()
    {
        Volatile.Write(ref _fired, 1);
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The request ended meanwhile.
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        _cts.Dispose();
    }
}

/// <summary>
/// Passes JSON text through and refuses a <c>\uXXXX</c> escape of a UTF-16 surrogate that is not part of a high-low pair
/// (such text is no Unicode; JSON parsers differ in what they make of it). Raw surrogates cannot occur: the UTF-8
/// decoder before it refuses them.
/// </summary>
internal sealed class SurrogateEscapeCheckingReader(TextReader inner) : TextReader
{
    private int _state; // 0 text, 1 after '\', 2..5 hex digits of \u
    private int _hex;
    private bool _expectLow; // a high surrogate escape was just read: the next thing must be \u + a low surrogate

    public override int Peek() => inner.Peek();

    public override int Read()
    {
        var c = inner.Read();
        if (c >= 0) Scan((char)c);
        return c;
    }

    public override int Read(char[] buffer, int index, int count) => Checked(buffer.AsSpan(index), inner.Read(buffer, index, count));

    public override int Read(Span<char> buffer) => Checked(buffer, inner.Read(buffer));

    public override async Task<int> ReadAsync(char[] buffer, int index, int count)
    {
        var n = await inner.ReadAsync(buffer, index, count).ConfigureAwait(false);
        return Checked(buffer.AsSpan(index), n);
    }

    public override async ValueTask<int> ReadAsync(Memory<char> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Checked(buffer.Span, n);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    private int Checked(ReadOnlySpan<char> chars, int n)
    {
        foreach (var c in chars[..n]) Scan(c);
        return n;
    }

    private void Scan(char c)
    {
        switch (_state)
        {
            case 0:
                if (c == '\\') _state = 1;
                else if (_expectLow) Unpaired();
                break;
            case 1:
                if (c == 'u') (_state, _hex) = (2, 0);
                else if (_expectLow) Unpaired();
                else _state = 0;
                break;
            default:
                var digit = HexValue(c);
                if (digit < 0) { _state = 0; return; } // not an escape the parser accepts; it reports that itself
                _hex = (_hex << 4) | digit;
                if (++_state < 6) return;
                _state = 0;
                var unit = (char)_hex;
                if (_expectLow)
                {
                    if (!char.IsLowSurrogate(unit)) Unpaired();
                    _expectLow = false;
                }
                else if (char.IsHighSurrogate(unit)) _expectLow = true;
                else if (char.IsLowSurrogate(unit)) Unpaired();
                break;
        }
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private static void Unpaired() =>
        throw CdfError.BadRequest("Malformed JSON: an unpaired UTF-16 surrogate escape (\\uD800-\\uDFFF) is not text.");
}
