using System.Globalization;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Cognite.Files.SpecDiff;

/// <summary>
/// Converts YAML to JSON keeping scalar types (YAML 1.2 core schema): plain <c>123</c> is a JSON number, plain
/// <c>true</c> a boolean, quoted <c>"123"</c> a string. The one converter of the repository: spec-diff reads
/// <c>openapi/</c> with it, and the contract tests compile this file too (NSwag's YAML loader turns every untyped scalar
/// into a string, which examples and enums do not survive).
/// </summary>
internal static partial class YamlJson
{
    /// <summary>Parses a single-document YAML text into a JSON token.</summary>
    public static JToken Parse(string yaml)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(yaml))
        {
            stream.Load(reader);
        }

        return stream.Documents.Count == 1
            ? ToJson(stream.Documents[0].RootNode)
            : throw new FormatException($"Expected one YAML document, found {stream.Documents.Count}.");
    }

    /// <summary>The JSON of a YAML node; <see cref="FormatException"/> for what JSON cannot hold (aliases, non-scalar keys).</summary>
    public static JToken ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => MapToJson(map),
        YamlSequenceNode seq => new JArray(seq.Children.Select(ToJson)),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new FormatException($"unsupported YAML node {node.NodeType} at {node.Start} (aliases are not supported)"),
    };

    private static JObject MapToJson(YamlMappingNode map)
    {
        var obj = new JObject();
        foreach (var (key, value) in map.Children)
        {
            if (key is not YamlScalarNode scalarKey)
            {
                throw new FormatException($"a YAML mapping key at {key.Start} is not a scalar");
            }

            obj[scalarKey.Value ?? ""] = ToJson(value);
        }

        return obj;
    }

    private static JValue Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        var isPlain = scalar.Style is ScalarStyle.Plain or ScalarStyle.Any;
        if (!isPlain || scalar.Tag == "tag:yaml.org,2002:str")
        {
            return new JValue(text);
        }

        if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            return JValue.CreateNull();
        }

        if (text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            return new JValue(text[0] is 't' or 'T');
        }

        if (IntPattern().IsMatch(text))
        {
            // Beyond int64: decimal keeps every digit (a double would not).
            return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)
                ? new JValue(l)
                : new JValue(decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
        }

        return FloatPattern().IsMatch(text)
            ? new JValue(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture))
            : new JValue(text);
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
