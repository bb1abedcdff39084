using Cognite.Files.Models;
using Cognite.Files.Serialization;
using Newtonsoft.Json;

namespace Cognite.Files.Cli.Output;

/// <summary>Machine output: one compact JSON document per line. File metadata keeps CDF's own field names.</summary>
internal static class JsonOutput
{
    public static string File(FileMetadata file) => CogniteJson.Serialize(file);

    /// <summary>Serialises a result object (anonymous types with camelCase member names), nulls left out.</summary>
    public static string Object(object value) => JsonConvert.SerializeObject(value, Formatting.None, CogniteJson.CreateSettings());
}
