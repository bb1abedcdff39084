using System.Globalization;
using System.Text.RegularExpressions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Cognite.Files.SpecDiff;

/// <summary>A problem with the command line or an input file: the tool exits 2.</summary>
public sealed class SpecDiffUsageException : Exception
{
    /// <summary>Creates the exception with the message printed after <c>error: </c>.</summary>
    public SpecDiffUsageException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with the message printed after <c>error: </c> and its cause.</summary>
    public SpecDiffUsageException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception (for serializers and analyzers).</summary>
    public SpecDiffUsageException()
    {
    }
}

/// <summary>
/// Reads JSON or YAML into one JSON tree. A text whose first non-blank character is <c>{</c> or <c>[</c> is read as
/// JSON, anything else as YAML with the YAML 1.2 core schema (plain <c>123</c> is a number, plain <c>true</c> a
/// boolean, a quoted scalar always a string), so both spellings of one document give the same tree.
/// </summary>
public static partial class DocumentLoader
{
    /// <summary>Reads a JSON or YAML text.</summary>
    /// <exception cref="SpecDiffUsageException">The text is neither valid JSON nor valid YAML.</exception>
    public static JToken Parse(string text, string label)
    {
        ArgumentNullException.ThrowIfNull(text);
        var first = text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (first.StartsWith('{') || first.StartsWith('['))
        {
            try
            {
                using var reader = new JsonTextReader(new StringReader(text))
                {
                    DateParseHandling = DateParseHandling.None,
                    FloatParseHandling = FloatParseHandling.Double,
                };
                var token = JToken.ReadFrom(reader);
                if (reader.Read())
                {
                    throw new JsonReaderException($"unexpected content after the document at line {reader.LineNumber}");
                }

                return token;
            }
            catch (JsonException e)
            {
                throw new SpecDiffUsageException($"{label}: not valid JSON: {e.Message}", e);
            }
        }

        try
        {
            var stream = new YamlStream();
            using (var reader = new StringReader(text))
            {
                stream.Load(reader);
            }

            return stream.Documents.Count switch
            {
                0 => JValue.CreateNull(),
                1 => ToJsonOrUsageError(stream.Documents[0].RootNode),
                _ => throw new SpecDiffUsageException($"{label}: holds {stream.Documents.Count} YAML documents, expected one"),
            };
        }
        catch (YamlException e)
        {
            throw new SpecDiffUsageException($"{label}: neither JSON nor valid YAML: {e.Message}", e);
        }
    }

    /// <summary>Reads a file holding JSON or YAML.</summary>
    /// <exception cref="SpecDiffUsageException">The file is missing, unreadable, or neither JSON nor YAML.</exception>
    public static JToken LoadFile(string path, string label)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            throw new SpecDiffUsageException($"{label}: {path} is a directory, not a file");
        }

        if (!File.Exists(path))
        {
            throw new SpecDiffUsageException($"{label}: no such file: {path}");
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SpecDiffUsageException($"{label}: cannot read {path}: {e.Message}", e);
        }

        return Parse(text, $"{label} ({path})");
    }

    /// <summary>Reads a file and checks that it is an OpenAPI 3.x document (an <c>openapi</c> version and <c>paths</c>).</summary>
    /// <exception cref="SpecDiffUsageException">The file is missing, unreadable, not JSON/YAML, or not OpenAPI 3.</exception>
    public static JObject LoadOpenApi(string path, string label)
    {
        var token = LoadFile(path, label);
        return CheckOpenApi(token, $"{label} ({path})");
    }

    /// <summary>Checks that a parsed tree is an OpenAPI 3.x document.</summary>
    /// <exception cref="SpecDiffUsageException">It is not.</exception>
    public static JObject CheckOpenApi(JToken token, string label)
    {
        if (token is not JObject root)
        {
            throw new SpecDiffUsageException($"{label}: not an OpenAPI document (the top level is not an object)");
        }

        var version = root["openapi"] is JValue { Value: not null } v ? Convert.ToString(v.Value, CultureInfo.InvariantCulture) : null;
        if (version is null)
        {
            var swagger = root["swagger"] is null ? "" : " (it is Swagger 2.0; convert it to OpenAPI 3 first)";
            throw new SpecDiffUsageException($"{label}: not an OpenAPI 3 document: no 'openapi' version{swagger}");
        }

        if (!version.StartsWith("3.", StringComparison.Ordinal))
        {
            throw new SpecDiffUsageException($"{label}: OpenAPI version '{version}' is not 3.x");
        }

        if (root["paths"] is not JObject)
        {
            throw new SpecDiffUsageException($"{label}: not an OpenAPI document: no 'paths' object");
        }

        return root;
    }

    private static JToken ToJsonOrUsageError(YamlNode root)
    {
        try
        {
            return YamlJson.ToJson(root);
        }
        catch (FormatException e)
        {
            throw new SpecDiffUsageException(e.Message, e);
        }
    }
}
