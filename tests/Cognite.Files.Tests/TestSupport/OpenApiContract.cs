using Cognite.Files.SpecDiff;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;
using NSwag;

namespace Cognite.Files.Tests.TestSupport;

/// <summary>
/// The OpenAPI document (<c>openapi/cognite-files.yaml</c>) as test data: its operations, the JSON schemas of
/// their request bodies, responses and parameters, and its examples. Loaded once per test run.
/// </summary>
/// <remarks>
/// The YAML is converted with <see cref="YamlJson"/> (types kept) and then loaded with
/// <see cref="OpenApiDocument.FromJsonAsync(string, string?)"/>; see <see cref="YamlJson"/> for why
/// <c>OpenApiYamlDocument.FromFileAsync</c> is not used directly.
/// </remarks>
public sealed class OpenApiContract
{
    private static readonly Lazy<Task<OpenApiContract>> Shared = new(() => LoadAsync(RepoPaths.OpenApiDocument));

    private OpenApiContract(OpenApiDocument document, JObject raw)
    {
        Document = document;
        Raw = raw;
        Operations = document.Operations
            .Select(o => new ContractOperation(o.Operation.OperationId, o.Method.ToUpperInvariant(), o.Path, o.Operation))
            .OrderBy(o => o.OperationId, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The parsed document.</summary>
    public OpenApiDocument Document { get; }

    /// <summary>The document as plain JSON, scalar types as written in the YAML.</summary>
    public JObject Raw { get; }

    /// <summary>Every operation of the document, ordered by operationId.</summary>
    public IReadOnlyList<ContractOperation> Operations { get; }

    /// <summary>The document of this repository, loaded once and shared by all tests.</summary>
    public static Task<OpenApiContract> GetAsync() => Shared.Value;

    /// <summary>
    /// The document, loaded synchronously; for <c>[TestCaseSource]</c> members, which cannot await.
    /// </summary>
    public static OpenApiContract Get() => Shared.Value.GetAwaiter().GetResult();

    /// <summary>Loads an OpenAPI YAML document from <paramref name="path"/>.</summary>
    public static async Task<OpenApiContract> LoadAsync(string path)
    {
        var raw = (JObject)YamlJson.Parse(await File.ReadAllTextAsync(path).ConfigureAwait(false));
        var document = await OpenApiDocument.FromJsonAsync(raw.ToString(), path).ConfigureAwait(false);
        return new OpenApiContract(document, raw);
    }

    /// <summary>The operation with this operationId.</summary>
    /// <exception cref="KeyNotFoundException">The document has no such operation.</exception>
    public ContractOperation Operation(string operationId) =>
        Operations.SingleOrDefault(o => o.OperationId == operationId)
        ?? throw new KeyNotFoundException($"The document has no operation '{operationId}'.");

    /// <summary>The <c>components/schemas</c> entry with this name.</summary>
    public JsonSchema Schema(string componentName) => Document.Components.Schemas[componentName];

    /// <summary>
    /// The component name of <paramref name="schema"/> (after resolving references), or null for an inline schema.
    /// </summary>
    public string? ComponentName(JsonSchema schema)
    {
        var actual = schema.ActualSchema;
        return Document.Components.Schemas.FirstOrDefault(kv => ReferenceEquals(kv.Value, actual)).Key;
    }

    /// <summary>The <c>application/json</c> request body schema of an operation, or null when it takes no body.</summary>
    public JsonSchema? RequestSchema(string operationId) =>
        Operation(operationId).Operation.ActualRequestBody?.Content.TryGetValue("application/json", out var media) == true
            ? media.Schema.ActualSchema
            : null;

    /// <summary>
    /// The <c>application/json</c> schema of the operation's success response (its only 2xx); see
    /// <see cref="HasBinaryResponse"/> for an operation that answers with bytes instead.
    /// </summary>
    public JsonSchema ResponseSchema(string operationId) =>
        Operation(operationId).SuccessResponse.Content["application/json"].Schema.ActualSchema;

    /// <summary>The media type of the operation's success response body (its only one), e.g. <c>application/json</c>.</summary>
    public string ResponseMediaType(string operationId) =>
        Operation(operationId).SuccessResponse.Content.Keys.Single();

    /// <summary>
    /// True when the operation's success response is a binary body (<c>type: string, format: binary</c> under a media type
    /// other than JSON, e.g. <c>image/jpeg</c>) rather than a JSON document.
    /// </summary>
    public bool HasBinaryResponse(string operationId)
    {
        var mediaType = ResponseMediaType(operationId);
        return mediaType != "application/json" && Operation(operationId).SuccessResponse.Content[mediaType].Schema.ActualSchema.IsBinary;
    }

    /// <summary>The schema of a query, path or header parameter.</summary>
    public JsonSchema ParameterSchema(string operationId, string parameterName) =>
        Operation(operationId).Parameter(parameterName).Schema.ActualSchema;

    /// <summary>
    /// The example of the operation's success response, with the types written in the YAML
    /// (<c>paths/{path}/{method}/responses/{status}/content/application/json/example</c>).
    /// </summary>
    public JToken? ResponseExample(string operationId)
    {
        var op = Operation(operationId);
        return Raw["paths"]?[op.Path]?[op.Method.ToLowerInvariant()]?["responses"]?[op.SuccessStatus]?["content"]?["application/json"]?["example"];
    }

    /// <summary>The example of the operation's JSON request body, with the types written in the YAML.</summary>
    public JToken? RequestExample(string operationId)
    {
        var op = Operation(operationId);
        return Raw["paths"]?[op.Path]?[op.Method.ToLowerInvariant()]?["requestBody"]?["content"]?["application/json"]?["example"];
    }

    /// <summary>Validates <paramref name="json"/> against <paramref name="schema"/>; an empty list means valid.</summary>
    public static IReadOnlyList<ValidationError> Validate(JsonSchema schema, string json)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return [.. schema.Validate(json)];
    }

    /// <summary>Validates <paramref name="json"/> against <paramref name="schema"/>; an empty list means valid.</summary>
    public static IReadOnlyList<ValidationError> Validate(JsonSchema schema, JToken json)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return [.. schema.Validate(json)];
    }

    /// <summary>Renders validation errors one per line, nested ones indented, for assertion messages.</summary>
    public static string Describe(IEnumerable<ValidationError> errors) =>
        string.Join(Environment.NewLine, errors.Select(e => e is ChildSchemaValidationError child
            ? $"{e.Kind} at {e.Path}: " + string.Join("; ", child.Errors.SelectMany(kv => kv.Value).Select(c => $"{c.Kind} at {c.Path}"))
            : $"{e.Kind} at {e.Path}"));
}

/// <summary>One operation of the document.</summary>
/// <param name="OperationId">The operationId, e.g. <c>CreateFile</c>.</param>
/// <param name="Method">The HTTP method, upper case.</param>
/// <param name="Path">The path template relative to the server URL, e.g. <c>/files/{id}</c>.</param>
/// <param name="Operation">NSwag's model of the operation.</param>
public sealed record ContractOperation(string OperationId, string Method, string Path, OpenApiOperation Operation)
{
    /// <summary>The operation's single 2xx status code, e.g. <c>"201"</c>.</summary>
    public string SuccessStatus => Operation.ActualResponses.Keys.Single(k => k.StartsWith('2'));

    /// <summary>The operation's single 2xx response.</summary>
    public OpenApiResponse SuccessResponse => Operation.ActualResponses[SuccessStatus].ActualResponse;

    /// <summary>The query, path and header parameters (NSwag also lists the request body as a parameter; it is left out).</summary>
    public IReadOnlyList<OpenApiParameter> Parameters =>
        [.. Operation.ActualParameters.Where(p => p.Kind is OpenApiParameterKind.Query or OpenApiParameterKind.Path or OpenApiParameterKind.Header)];

    /// <summary>The parameter with this name.</summary>
    public OpenApiParameter Parameter(string name) =>
        Parameters.SingleOrDefault(p => p.Name == name)
        ?? throw new KeyNotFoundException($"Operation '{OperationId}' has no parameter '{name}'.");

    /// <inheritdoc />
    public override string ToString() => OperationId;
}
