using Cognite.Files.Serialization;
using Refit;

namespace Cognite.Files.Http;

/// <summary>The Refit settings every <see cref="Api.ICogniteFilesApi"/> instance in this SDK uses.</summary>
public static class CogniteRefitSettings
{
    /// <summary>
    /// Newtonsoft serialization of the generated DTOs and CDF's query formatting. Exceptions thrown by the HTTP
    /// pipeline (<see cref="CogniteApiException"/> and the rest of the <see cref="CogniteException"/> family, or
    /// transport errors) reach the caller unwrapped: Refit's default would wrap them in its ApiRequestException,
    /// which also keeps the live request and its Authorization header.
    /// </summary>
    public static RefitSettings Create() => new(new NewtonsoftContentSerializer(), new CdfUrlParameterFormatter())
    {
        TransportExceptionFactory = static (_, exception, _) => exception,
    };
}
