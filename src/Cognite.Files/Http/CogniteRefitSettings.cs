using Cognite.Files.Serialization;
using Refit;

namespace Cognite.Files.Http;

/// <summary>The Refit settings every <see cref="Api.ICogniteFilesApi"/> instance in this SDK uses.</summary>
internal static class CogniteRefitSettings
{
    /// <summary>
    /// Newtonsoft serialization of the generated DTOs and CDF's query formatting. Exceptions thrown by the HTTP
    /// pipeline (<see cref="CogniteApiException"/> and the rest of the <see cref="CogniteException"/> family, or
    /// transport errors) reach the caller unwrapped: Refit's default would wrap them in its ApiRequestException,
    /// which also keeps the live request and its Authorization header.
    /// </summary>
    /// <remarks>
    /// A success response whose body cannot be read as the documented JSON becomes a <see cref="CogniteApiException"/>
    /// (status, path without query, request id, the parser's reason) instead of Refit's ApiException, which is outside
    /// the SDK's error family and keeps the request with its Authorization header.
    /// </remarks>
    public static RefitSettings Create(TimeProvider timeProvider) => new(new NewtonsoftContentSerializer(), new CdfUrlParameterFormatter())
    {
        TransportExceptionFactory = static (_, exception, _) => exception,
        DeserializationExceptionFactory = (response, exception) => ValueTask.FromResult<Exception?>(MalformedResponse(response, exception, timeProvider)),
    };

    private static CogniteApiException MalformedResponse(HttpResponseMessage response, Exception exception, TimeProvider timeProvider)
    {
        var details = CogniteErrorParser.ParseDetails(response, string.Empty, timeProvider);
        var reason = exception is Newtonsoft.Json.JsonException ? exception.Message : exception.GetType().Name;
        return CogniteErrorParser.Create(details with { ErrorMessage = $"the response body is not the JSON CDF documents for this operation ({reason})" }, exception);
    }
}
