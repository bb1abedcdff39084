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
/// An API call got no response: the connection was refused or reset, the host name did not resolve, TLS failed, or
/// the body stalled (retries, where allowed, were used up). <see cref="Host"/> and <see cref="Operation"/> say where;
/// the original error is the inner exception. The message never holds a query string.
/// </summary>
public class CogniteTransportException : CogniteException
{
    /// <summary>Creates an exception for <paramref name="operation"/> (e.g. <c>POST /files/list</c>) on <paramref name="host"/>.</summary>
    public CogniteTransportException(string message, string host, string operation, Exception? innerException = null)
        : base(message, innerException)
    {
        Host = host;
        Operation = operation;
    }

    /// <summary>The host the call went to (with a port when not the scheme's default).</summary>
    public string Host { get; }

    /// <summary>The operation: HTTP method and path template, e.g. <c>POST /files/list</c> or <c>GET /files/{id}</c>.</summary>
    public string Operation { get; }
}

/// <summary>
/// One attempt of an API call took longer than <see cref="CogniteFilesClientOptions.RequestTimeout"/> and no retry
/// was allowed or left.
/// </summary>
public sealed class CogniteTimeoutException : CogniteTransportException
{
    /// <summary>Creates an exception for <paramref name="operation"/> on <paramref name="host"/>.</summary>
    public CogniteTimeoutException(string message, string host, string operation, Exception? innerException = null)
        : base(message, host, operation, innerException)
    {
    }
}
