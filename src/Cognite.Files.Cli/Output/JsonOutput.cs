using Cognite.Files.Models;
using Newtonsoft.Json;

namespace Cognite.Files.Cli.Output;

/// <summary>Machine output: one compact JSON document per line. File metadata keeps CDF's own field names (the DTOs' attributes).</summary>
internal static class JsonOutput
{
    private static readonly JsonSerializerSettings Settings = new() { NullValueHandling = NullValueHandling.Ignore, Formatting = Formatting.None };

    public static string File(FileMetadata file) => JsonConvert.SerializeObject(file, Settings);

    /// <summary>Serialises a result object (anonymous types with camelCase member names), nulls left out.</summary>
    public static string Object(object value) => JsonConvert.SerializeObject(value, Settings);
}
