using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.SpecDiff;

/// <summary>A request or response body: its media types and the schema of the JSON one (or of the first one).</summary>
public sealed record BodyModel(IReadOnlyList<string> MediaTypes, NormalizedSchema? Schema);

/// <summary>One parameter: where it goes, whether it is required, and its schema.</summary>
public sealed record ParameterModel(string In, string Name, bool Required, string? ContentType, NormalizedSchema Schema)
{
    /// <summary>How difference lines name it, e.g. <c>query parameter limit</c>.</summary>
    public string Label => $"{In} parameter {Name}";
}

/// <summary>One operation of the Files part of a document, normalised.</summary>
public sealed class OperationModel
{
    /// <summary>Upper-case HTTP method.</summary>
    public required string Method { get; init; }

    /// <summary>The path as written (server prefix and trailing slash removed), e.g. <c>/files/{id}</c>.</summary>
    public required string Path { get; init; }

    /// <summary>Method and path with parameter names blanked (<c>POST /files/{}</c>): what operations are matched by.</summary>
    public required string MatchKey { get; init; }

    /// <summary>The operationId, when there is one.</summary>
    public string? OperationId { get; init; }

    /// <summary>Parameters by <c>in</c> and name (header names lower-cased).</summary>
    public SortedDictionary<string, ParameterModel> Parameters { get; } = new(StringComparer.Ordinal);

    /// <summary>The request body, if any.</summary>
    public BodyModel? Request { get; set; }

    /// <summary>The 2xx responses by status code (a response without content has a null schema).</summary>
    public SortedDictionary<string, BodyModel> Success { get; } = new(StringComparer.Ordinal);
}

/// <summary>Extracts the <c>/files</c> operations of an OpenAPI 3.0/3.1 document.</summary>
public static partial class ApiModel
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

    /// <summary>
    /// The operations whose path is <c>/files</c> or below it, after removing a leading
    /// <c>/api/v1/projects/{project}</c> (should a document spell the server prefix in its paths) and a trailing slash.
    /// </summary>
    public static IReadOnlyList<OperationModel> FilesOperations(JObject document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var normalizer = new SchemaNormalizer(document);
        var operations = new List<OperationModel>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (document["paths"] is not JObject paths)
        {
            return operations;
        }

        foreach (var (rawPath, rawItem) in paths)
        {
            var prefix = ServerPrefix().Match(rawPath);
            var path = rawPath[prefix.Length..];
            if (path.Length > 1)
            {
                path = path.TrimEnd('/');
            }

            if (path != "/files" && !path.StartsWith("/files/", StringComparison.Ordinal))
            {
                continue;
            }

            if (normalizer.Deref(rawItem) is not JObject item)
            {
                continue;
            }

            var prefixParameters = PathTemplate().Matches(prefix.Value).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
            foreach (var method in Methods)
            {
                if (item[method] is not JObject operation)
                {
                    continue;
                }

                var model = new OperationModel
                {
                    Method = method.ToUpperInvariant(),
                    Path = path,
                    MatchKey = method.ToUpperInvariant() + " " + PathTemplate().Replace(path, "{}"),
                    OperationId = (string?)operation["operationId"],
                };
                if (!seen.Add(model.MatchKey))
                {
                    continue;
                }

                // Path-level parameters first; the operation's own override them (same name and place).
                foreach (var p in Enumerate(item["parameters"]).Concat(Enumerate(operation["parameters"])))
                {
                    if (ReadParameter(normalizer, p) is { } parameter &&
                        !(parameter.In == "path" && prefixParameters.Contains(parameter.Name)))
                    {
                        model.Parameters[parameter.In + " " + parameter.Name] = parameter;
                    }
                }

                if (normalizer.Deref(operation["requestBody"]) is JObject body)
                {
                    model.Request = ReadBody(normalizer, body);
                }

                if (operation["responses"] is JObject responses)
                {
                    foreach (var (code, response) in responses)
                    {
                        if (code.StartsWith('2') && normalizer.Deref(response) is JObject r)
                        {
                            model.Success[code.ToUpperInvariant()] = ReadBody(normalizer, r);
                        }
                    }
                }

                operations.Add(model);
            }
        }

        return operations;
    }

    private static IEnumerable<JToken> Enumerate(JToken? token) => token as JArray ?? Enumerable.Empty<JToken>();

    private static ParameterModel? ReadParameter(SchemaNormalizer normalizer, JToken token)
    {
        if (normalizer.Deref(token) is not JObject p || (string?)p["name"] is not { } name || (string?)p["in"] is not { } place)
        {
            return null;
        }

        if (place == "header")
        {
            name = name.ToLowerInvariant();
        }

        string? contentType = null;
        var schema = p["schema"];
        if (schema is null && p["content"] is JObject content && content.Properties().FirstOrDefault() is { } media)
        {
            contentType = media.Name;
            schema = media.Value["schema"];
        }

        var required = place == "path" || p["required"] is JValue { Type: JTokenType.Boolean } r && (bool)r!;
        return new ParameterModel(place, name, required, contentType, normalizer.Normalize(schema));
    }

    private static BodyModel ReadBody(SchemaNormalizer normalizer, JObject body)
    {
        if (body["content"] is not JObject content || !content.HasValues)
        {
            return new BodyModel([], null);
        }

        var types = content.Properties().Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        var chosen = content.Properties().FirstOrDefault(p => p.Name.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            ?? content.Properties().FirstOrDefault(p => p.Name.Contains("json", StringComparison.OrdinalIgnoreCase))
            ?? content.Properties().First();
        var schema = chosen.Value is JObject media && media.ContainsKey("schema") ? normalizer.Normalize(media["schema"]) : null;
        return new BodyModel(types, schema);
    }

    [GeneratedRegex(@"^/api/v[0-9]+/projects/\{[^}/]+\}")]
    private static partial Regex ServerPrefix();

    [GeneratedRegex(@"\{([^}/]*)\}")]
    private static partial Regex PathTemplate();
}
