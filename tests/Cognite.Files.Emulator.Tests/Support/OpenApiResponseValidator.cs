using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NSwag;

namespace Cognite.Files.Emulator.Tests.Support;

/// <summary>
/// Validates JSON responses against the response schemas of openapi/cognite-files.yaml (found by walking up from the test
/// directory). Use <see cref="ValidatingHandler"/> to check every response an HttpClient receives.
/// </summary>
public sealed class OpenApiResponseValidator
{
    private static readonly Lazy<Task<OpenApiResponseValidator>> Shared = new(() => LoadAsync(FindSpec()));
    private readonly OpenApiDocument _document;
    private readonly List<(Regex Pattern, string Template, int Literal)> _paths;

    private OpenApiResponseValidator(OpenApiDocument document)
    {
        _document = document;
        _paths = document.Paths.Keys
            .Select(t => (new Regex("^" + Regex.Replace(Regex.Escape(t), @"\\\{[^}]+}", "[^/]+") + "$"), t, t.Count(c => c != '{')))
            .OrderByDescending(p => p.Item3) // prefer literal paths (/files/list) over templates (/files/{id})
            .ToList();
    }

    public static Task<OpenApiResponseValidator> GetAsync() => Shared.Value;

    public static string FindSpec()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "openapi", "cognite-files.yaml");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("openapi/cognite-files.yaml not found above " + TestContext.CurrentContext.TestDirectory);
    }

    public static async Task<OpenApiResponseValidator> LoadAsync(string path) =>
        new(await OpenApiYamlDocument.FromFileAsync(path).ConfigureAwait(false));

    /// <summary>The schema for a response, or null when the operation is not in the document.</summary>
    public JsonSchema? FindSchema(string method, string relativePath, int status)
    {
        // The emulator accepts a trailing slash on every endpoint (the JS SDK sends one); it names the same operation.
        relativePath = relativePath.Length > 1 ? relativePath.TrimEnd('/') : relativePath;
        var match = _paths.FirstOrDefault(p => p.Pattern.IsMatch(relativePath));
        if (match.Template is null) return null;
        if (!_document.Paths[match.Template].TryGetValue(method.ToLowerInvariant(), out var operation)) return null;
        var responses = operation.ActualResponses;
        if (!responses.TryGetValue(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out var response) && !responses.TryGetValue("default", out response))
            return null;
        return response.ActualResponse.Content.TryGetValue("application/json", out var media) ? media.Schema?.ActualSchema : null;
    }

    /// <summary>The operation (<c>METHOD /template</c>) a request path names, or null when the document has none.</summary>
    public string? FindOperation(string method, string relativePath)
    {
        relativePath = relativePath.Length > 1 ? relativePath.TrimEnd('/') : relativePath;
        var match = _paths.FirstOrDefault(p => p.Pattern.IsMatch(relativePath));
        return match.Template is not null && _document.Paths[match.Template].ContainsKey(method.ToLowerInvariant())
            ? method.ToUpperInvariant() + " " + match.Template
            : null;
    }

    /// <summary>Every operation (<c>METHOD /template</c>) whose success response is JSON.</summary>
    public IEnumerable<string> JsonOperations() =>
        from path in _document.Paths
        from op in path.Value
        where op.Value.ActualResponses.Any(r => r.Key.StartsWith('2') && r.Value.ActualResponse.Content.ContainsKey("application/json"))
        select op.Key.ToUpperInvariant() + " " + path.Key;

    /// <summary>
    /// Returns the validation errors (empty when valid); throws when no schema is documented for the response. Stricter
    /// than the document: an object whose schema declares properties may hold no others (<see cref="Undeclared"/>), so a
    /// misspelt or invented field name fails even where the document leaves additional properties open.
    /// </summary>
    public IReadOnlyList<string> Validate(string method, string relativePath, int status, string json)
    {
        var schema = FindSchema(method, relativePath, status)
            ?? (status >= 400 ? _document.Components.Schemas["ErrorResponse"] : null) // errors of undocumented routes still use the CDF error shape
            ?? throw new InvalidOperationException($"No documented JSON response schema for {method} {relativePath} -> {status}.");
        var token = JToken.Parse(json);
        return schema.Validate(token, SchemaType.OpenApi3).Select(e => e.ToString()).Concat(Undeclared(schema, token)).ToList();
    }

    /// <summary>
    /// Properties of <paramref name="json"/> that its schema does not declare (own properties and those of <c>allOf</c>
    /// parts), at any depth. Objects whose schema declares none (maps such as <c>metadata</c>, free-form GeoJSON
    /// <c>properties</c>, error items) are open.
    /// </summary>
    public static IEnumerable<string> Undeclared(JsonSchema schema, JToken json)
    {
        schema = schema.ActualSchema;
        switch (json)
        {
            case JObject o:
                var declared = Declared(schema);
                foreach (var p in o.Properties())
                {
                    if (declared.TryGetValue(p.Name, out var property))
                    {
                        foreach (var e in Undeclared(property, p.Value)) yield return e;
                    }
                    else if (declared.Count > 0)
                    {
                        yield return $"UndeclaredProperty: {p.Path}";
                    }
                    else if (schema.AdditionalPropertiesSchema is { } values)
                    {
                        foreach (var e in Undeclared(values, p.Value)) yield return e;
                    }
                }
                break;
            case JArray a when schema.Item is { } item:
                foreach (var e in a.SelectMany(i => Undeclared(item, i))) yield return e;
                break;
        }
    }

    private static Dictionary<string, JsonSchema> Declared(JsonSchema schema)
    {
        var result = new Dictionary<string, JsonSchema>(StringComparer.Ordinal);
        foreach (var (name, property) in schema.Properties) result[name] = property;
        foreach (var part in schema.AllOf)
            foreach (var (name, property) in Declared(part.ActualSchema))
                result.TryAdd(name, property);
        return result;
    }
}

/// <summary>Buffers each JSON response of the API and fails the call when it does not match its OpenAPI schema.</summary>
public sealed class ValidatingHandler(OpenApiResponseValidator validator, string apiBasePath) : DelegatingHandler(new HttpClientHandler())
{
    public int Validated { get; private set; }

    /// <summary>The operations (<c>METHOD /template</c>) that answered a validated 2xx JSON body.</summary>
    public ConcurrentDictionary<string, int> SucceededOperations { get; } = new(StringComparer.Ordinal);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var path = request.RequestUri!.AbsolutePath;
        if (!response.Headers.Contains("x-request-id"))
            throw new AssertionException($"{request.Method} {path}: response has no x-request-id header.");
        if (response.Content.Headers.ContentType?.MediaType == "application/json" && path.StartsWith(apiBasePath, StringComparison.Ordinal))
        {
            await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
            var json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var errors = validator.Validate(request.Method.Method, path[apiBasePath.Length..], (int)response.StatusCode, json);
            if (errors.Count > 0)
                throw new AssertionException($"{request.Method} {path} -> {(int)response.StatusCode} does not match its schema: {string.Join("; ", errors)}\n{json}");
            Validated++;
            if ((int)response.StatusCode is >= 200 and < 300 && validator.FindOperation(request.Method.Method, path[apiBasePath.Length..]) is { } operation)
                SucceededOperations.AddOrUpdate(operation, 1, (_, n) => n + 1);
        }
        return response;
    }
}
