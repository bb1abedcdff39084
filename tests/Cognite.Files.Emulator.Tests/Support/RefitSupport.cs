using System.Reflection;
using System.Text;
using Newtonsoft.Json;
using Refit;

namespace Cognite.Files.Emulator.Tests.Support;

/// <summary>Test-local Refit serializer over Newtonsoft (until Cognite.Files.Serialization.NewtonsoftContentSerializer lands on main).</summary>
internal sealed class NewtonsoftContentSerializer : IHttpContentSerializer
{
    private static readonly JsonSerializerSettings Settings = new() { NullValueHandling = NullValueHandling.Ignore, DateParseHandling = DateParseHandling.None };

    public HttpContent ToHttpContent<T>(T item) =>
        new StringContent(JsonConvert.SerializeObject(item, Settings), Encoding.UTF8, "application/json");

    public async Task<T?> FromHttpContentAsync<T>(HttpContent content, CancellationToken cancellationToken = default)
    {
        var text = await content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return JsonConvert.DeserializeObject<T>(text, Settings);
    }

    public string? GetFieldNameForProperty(PropertyInfo propertyInfo) =>
        propertyInfo.GetCustomAttribute<JsonPropertyAttribute>()?.PropertyName ?? propertyInfo.Name;
}

/// <summary>Sends booleans in query strings as <c>true</c>/<c>false</c> (Refit's default is <c>True</c>/<c>False</c>).</summary>
internal sealed class LowercaseBoolUrlParameterFormatter : DefaultUrlParameterFormatter
{
    public override string? Format(object? value, ICustomAttributeProvider attributeProvider, Type type) =>
        value is bool b ? (b ? "true" : "false") : base.Format(value, attributeProvider, type);
}
