namespace Cognite.Files;

/// <summary>
/// Getting an access token failed (the token endpoint refused the credentials, was unreachable, or answered
/// something that is not a token). The message never contains the client secret or a token.
/// </summary>
public sealed class CogniteAuthenticationException : CogniteException
{
    /// <summary>Creates an exception with a message and an optional cause.</summary>
    public CogniteAuthenticationException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception with a message, the HTTP status of the token endpoint and its OAuth error code.</summary>
    public CogniteAuthenticationException(string message, int? statusCode, string? oauthError, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        OAuthError = oauthError;
    }

    /// <summary>The HTTP status of the token endpoint's answer, when there was one.</summary>
    public int? StatusCode { get; }

    /// <summary>The OAuth <c>error</c> code of the token endpoint's answer (e.g. <c>invalid_client</c>), when there was one.</summary>
    public string? OAuthError { get; }
}

/// <summary>
/// One attempt of an API call took longer than <see cref="CogniteFilesClientOptions.RequestTimeout"/> and no retry
/// was allowed or left.
/// </summary>
public sealed class CogniteTimeoutException : CogniteException
{
    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public CogniteTimeoutException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
