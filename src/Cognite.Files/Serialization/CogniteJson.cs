using Newtonsoft.Json;

namespace Cognite.Files.Serialization;

/// <summary>The one place that decides how CDF JSON is read and written.</summary>
internal static class CogniteJson
{
    /// <summary>
    /// Settings matching the generated DTOs: property names come from their <c>[JsonProperty]</c> attributes,
    /// absent optionals are omitted, int64 ids stay <see cref="long"/> (never double), dates are not parsed.
    /// </summary>
    public static JsonSerializerSettings CreateSettings() => new()
    {
        NullValueHandling = NullValueHandling.Ignore,
        DateParseHandling = DateParseHandling.None,
        FloatParseHandling = FloatParseHandling.Double,
        MissingMemberHandling = MissingMemberHandling.Ignore,
        // Bodies come from the network; a deeply nested document must not exhaust the stack.
        MaxDepth = 64,
    };

    /// <summary>Serializes <paramref name="value"/> compactly with the CDF settings.</summary>
    public static string Serialize(object? value) => JsonConvert.SerializeObject(value, Formatting.None, CreateSettings());

    /// <summary>Deserializes <paramref name="json"/> with the CDF settings.</summary>
    public static T? Deserialize<T>(string json) => JsonConvert.DeserializeObject<T>(json, CreateSettings());
}
