using System.Globalization;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Cognite.Files.Tests.TestSupport;

/// <summary>
/// Converts YAML to JSON keeping scalar types (YAML 1.2 core schema): plain <c>123</c> is a JSON number,
/// plain <c>true</c> a boolean, quoted <c>"123"</c> a string.
/// </summary>
/// <remarks>
/// <c>NSwag.OpenApiYamlDocument</c> does not do this: it turns every untyped scalar into a JSON string, so
/// examples come back as <c>"id": "4503599627370496"</c> and <c>enum: [true]</c> as <c>["true"]</c>
/// (pinned by <c>OpenApiContractTests</c>). Schema keywords such as <c>minimum</c> survive that, examples
/// and enums do not, hence this converter.
/// </remarks>
public static partial class YamlJson
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

    private static JToken ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JObject(map.Children.Select(kv => new JProperty(((YamlScalarNode)kv.Key).Value ?? "", ToJson(kv.Value)))),
        YamlSequenceNode seq => new JArray(seq.Children.Select(ToJson)),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new NotSupportedException($"YAML node {node.NodeType} at {node.Start} (aliases are not supported)."),
    };

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
