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

    /// <summary>Returns the validation errors (empty when valid); throws when no schema is documented for the response.</summary>
    public IReadOnlyList<string> Validate(string method, string relativePath, int status, string json)
    {
        var schema = FindSchema(method, relativePath, status)
            ?? (status >= 400 ? _document.Components.Schemas["ErrorResponse"] : null) // errors of undocumented routes still use the CDF error shape
            ?? throw new InvalidOperationException($"No documented JSON response schema for {method} {relativePath} -> {status}.");
        return schema.Validate(JToken.Parse(json), SchemaType.OpenApi3).Select(e => e.ToString()).ToList();
    }
}

/// <summary>Buffers each JSON response of the API and fails the call when it does not match its OpenAPI schema.</summary>
public sealed class ValidatingHandler(OpenApiResponseValidator validator, string apiBasePath) : DelegatingHandler(new HttpClientHandler())
{
    public int Validated { get; private set; }

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
        }
        return response;
    }
}
