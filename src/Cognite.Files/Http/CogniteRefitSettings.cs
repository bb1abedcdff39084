using Cognite.Files.Serialization;
using Refit;

namespace Cognite.Files.Http;

/// <summary>The Refit settings every <see cref="Api.ICogniteFilesApi"/> instance in this SDK uses.</summary>
public static class CogniteRefitSettings
{
    /// <summary>Newtonsoft serialization of the generated DTOs and CDF's query formatting.</summary>
    public static RefitSettings Create() => new(new NewtonsoftContentSerializer(), new CdfUrlParameterFormatter());
}
