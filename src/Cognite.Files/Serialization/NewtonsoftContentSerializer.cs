using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using Newtonsoft.Json;
using Refit;

namespace Cognite.Files.Serialization;

/// <summary>
/// Refit's content serializer over Newtonsoft.Json, so the generated DTOs' <c>[JsonProperty]</c> attributes
/// (names, required, null handling) are what goes on the wire.
/// </summary>
internal sealed class NewtonsoftContentSerializer : IHttpContentSerializer
{
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json") { CharSet = "utf-8" };
    private readonly JsonSerializer _serializer;

    /// <summary>Creates a serializer with <see cref="CogniteJson.CreateSettings"/> or the given settings.</summary>
    public NewtonsoftContentSerializer(JsonSerializerSettings? settings = null)
    {
        _serializer = JsonSerializer.Create(settings ?? CogniteJson.CreateSettings());
    }

    /// <inheritdoc />
    public HttpContent ToHttpContent<T>(T item)
    {
        // Serialized up front so the request carries Content-Length and can be re-sent by a retry handler.
        var builder = new StringBuilder(256);
        using (var writer = new StringWriter(builder, System.Globalization.CultureInfo.InvariantCulture))
        {
            _serializer.Serialize(writer, item, typeof(T));
        }

        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(builder.ToString()));
        content.Headers.ContentType = JsonMediaType;
        return content;
    }

    /// <inheritdoc />
    public async Task<T?> FromHttpContentAsync<T>(HttpContent content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new StreamReader(stream, Encoding.UTF8);
            using var jsonReader = new JsonTextReader(reader);
            return _serializer.Deserialize<T>(jsonReader);
        }
    }

    /// <inheritdoc />
    public string? GetFieldNameForProperty(PropertyInfo propertyInfo)
    {
        ArgumentNullException.ThrowIfNull(propertyInfo);
        return propertyInfo.GetCustomAttribute<JsonPropertyAttribute>(inherit: true)?.PropertyName;
    }
}
