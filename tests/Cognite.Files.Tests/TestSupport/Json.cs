using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Tests.TestSupport;

/// <summary>JSON parsing and structural comparison for contract tests.</summary>
/// <remarks>
/// Comparison is <see cref="JToken.DeepEquals(JToken?, JToken?)"/>: object key order is ignored, array order
/// and number kinds are not (<c>123</c> and <c>123.0</c> differ), so a round-trip that turns an integer into
/// a float is caught.
/// </remarks>
public static class Json
{
    /// <summary>Parses JSON without turning date-like strings into dates; numbers stay integer or float as written.</summary>
    public static JToken Parse(string json)
    {
        using var reader = new JsonTextReader(new StringReader(json))
        {
            DateParseHandling = DateParseHandling.None,
            FloatParseHandling = FloatParseHandling.Double,
        };
        var token = JToken.ReadFrom(reader);
        return reader.Read() ? throw new JsonReaderException("Additional content after the JSON value.") : token;
    }

    /// <summary>Asserts that <paramref name="actual"/> is structurally equal to <paramref name="expected"/>.</summary>
    public static void AssertEquivalent(JToken? actual, string expected) => AssertEquivalent(actual, Parse(expected));

    /// <summary>Asserts that <paramref name="actual"/> is structurally equal to <paramref name="expected"/>.</summary>
    public static void AssertEquivalent(JToken? actual, JToken expected) =>
        Assert.That(JToken.DeepEquals(actual, expected), Is.True,
            $"JSON differs.{Environment.NewLine}Expected: {expected.ToString(Formatting.None)}{Environment.NewLine}Actual:   {actual?.ToString(Formatting.None) ?? "(null)"}");
}
