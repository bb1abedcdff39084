namespace Cognite.Files;

/// <summary>
/// The base of every exception this SDK throws on purpose. Messages never carry access tokens or the
/// signatures of pre-signed URLs.
/// </summary>
public class CogniteException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    public CogniteException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public CogniteException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception with a message, the CDF request id and an optional cause.</summary>
    public CogniteException(string message, string? requestId, Exception? innerException)
        : base(message, innerException)
    {
        RequestId = requestId;
    }

    /// <summary>The <c>x-request-id</c> of the CDF response this error came from, when there was one.</summary>
    public string? RequestId { get; }
}
