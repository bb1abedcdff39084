using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Cognite.Files.Models;
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
    public static async Task<JToken> ReadBodyAsync(HttpContext context, long maxBytes)
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
        var capped = new CappedReadStream(source, maxBytes);
        try
        {
            using var text = new StreamReader(capped, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: false, bufferSize: 16 * 1024, leaveOpen: true);
            using var reader = new JsonTextReader(text) { DateParseHandling = DateParseHandling.None, MaxDepth = 64, ArrayPool = JsonCharPool.Instance };
            var token = await JToken.ReadFromAsync(reader, StrictLoad, context.RequestAborted).ConfigureAwait(false);
            if (await reader.ReadAsync(context.RequestAborted).ConfigureAwait(false))
                throw CdfError.BadRequest("Malformed JSON: unexpected content after the JSON value.");
            if (FirstLoneSurrogate(token) is { } path)
                throw CdfError.BadRequest($"Malformed JSON: the string at #/{path} holds an unpaired UTF-16 surrogate (\\uD800-\\uDFFF), which is not text.");
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

    /// <summary>Duplicate keys are an error (a second value silently winning would store what the client did not mean).</summary>
    private static readonly JsonLoadSettings StrictLoad = new() { DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Error, LineInfoHandling = LineInfoHandling.Ignore };

    /// <summary>The path of the first property name or string value with an unpaired surrogate; null when all text is valid.</summary>
    private static string? FirstLoneSurrogate(JToken token)
    {
        foreach (var t in token is JContainer c ? c.DescendantsAndSelf() : [token])
        {
            if (t is JProperty p && HasLoneSurrogate(p.Name)) return p.Path;
            if (t is JValue { Type: JTokenType.String, Value: string s } && HasLoneSurrogate(s)) return t.Path;
        }

        return null;
    }

    private static bool HasLoneSurrogate(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            if (char.IsSurrogate(s[i])) return true;
        }

        return false;
    }

    private static bool IsGzip(HttpRequest request) =>
        request.Headers.ContentEncoding.ToString().Trim().Equals("gzip", StringComparison.OrdinalIgnoreCase);

    /// <summary>Converts a schema-validated token to its DTO; a leftover mismatch is a 400, never a 500.</summary>
    public static T ToDto<T>(JToken token)
    {
        try
        {
            return token.ToObject<T>(Serializer) ?? throw CdfError.BadRequest("The request body must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw CdfError.BadRequest("Invalid request body: " + e.Message);
        }
        catch (ArgumentException e)
        {
            throw CdfError.BadRequest("Invalid request body: " + e.Message);
        }
    }
}

/// <summary>Validates request bodies against the request schemas of the embedded <c>openapi/cognite-files.yaml</c>.</summary>
internal sealed class RequestSchemas
{
    private static readonly Lazy<Task<RequestSchemas>> Instance = new(LoadAsync);
    private readonly Dictionary<string, JsonSchema> _schemas;

    private RequestSchemas(Dictionary<string, JsonSchema> schemas, IReadOnlyList<(string Method, string Path, string OperationId)> operations)
    {
        _schemas = schemas;
        Operations = operations;
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
        foreach (var (path, item) in doc.Paths)
            foreach (var (method, op) in item)
            {
                operations.Add((method.ToUpperInvariant(), path, op.OperationId));
                if (op.RequestBody?.Content.TryGetValue("application/json", out var media) == true && media.Schema is not null)
                    schemas[method.ToUpperInvariant() + " " + path] = media.Schema.ActualSchema;
            }
        return new RequestSchemas(schemas, operations);
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
        var errors = schema.Validate(body, SchemaType.OpenApi3);
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
internal sealed class CappedReadStream(Stream inner, long maxBytes) : Stream
{
    public long BytesRead { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

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

/// <summary>Newtonsoft's char buffers from the shared pool (a parse of many bodies reuses them).</summary>
internal sealed class JsonCharPool : IArrayPool<char>
{
    public static readonly JsonCharPool Instance = new();

    public char[] Rent(int minimumLength) => System.Buffers.ArrayPool<char>.Shared.Rent(minimumLength);

    public void Return(char[]? array)
    {
        if (array is not null) System.Buffers.ArrayPool<char>.Shared.Return(array);
    }
}
