using System.Net.Sockets;

namespace Cognite.Files.Cli;

/// <summary>Turns an exception into the CLI's one error line and exit code. Never prints tokens or URL query strings.</summary>
internal static class CliErrors
{
    public static (string Message, int ExitCode) Describe(Exception exception)
    {
        var (message, code) = exception switch
        {
            CliUsageException e => (e.Message, ExitCodes.Usage),
            CliFailureException e => (e.Message, ExitCodes.Failure),
            CogniteTransportException { InnerException: HttpRequestException h } e when e is not CogniteTimeoutException => ($"cannot reach CDF at {e.Host}: {NetworkCause(h)}", ExitCodes.Failure),
            CogniteException e => (WithRequestId(e.Message, e.RequestId), ExitCodes.Failure),
            HttpRequestException e => (DescribeNetwork(e), ExitCodes.Failure),
            UnauthorizedAccessException e => (e.Message, ExitCodes.Failure),
            IOException e => (e.Message, ExitCodes.Failure),
            ArgumentException e => (WithoutParameterName(e), ExitCodes.Failure),
            // The message only: an exception's type name means nothing to the user.
            _ => (exception.Message, ExitCodes.Failure),
        };
        return (OneLine(message), code);
    }

    /// <summary>Writes <c>error: &lt;message&gt;</c> to stderr and returns the exit code.</summary>
    public static int Report(CliContext context, Exception exception)
    {
        var (message, code) = Describe(exception);
        context.Error.WriteLine("error: " + message);
        context.Error.Flush();
        return code;
    }

    public static int Report(CliContext context, string message, int exitCode)
    {
        context.Error.WriteLine("error: " + OneLine(message));
        context.Error.Flush();
        return exitCode;
    }

    private static string WithRequestId(string message, string? requestId) =>
        requestId is null || message.Contains(requestId, StringComparison.Ordinal) ? message : $"{message} (request id {requestId})";

    private static string DescribeNetwork(HttpRequestException e) => "cannot reach CDF: " + NetworkCause(e);

    private static string NetworkCause(HttpRequestException e) => e.InnerException is SocketException s ? s.Message : e.Message;

    /// <summary>The message of <paramref name="e"/> without .NET's <c>(Parameter 'x')</c> suffix, on one line.</summary>
    public static string WithoutParameterName(ArgumentException e)
    {
        var message = OneLine(e.Message);
        var at = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return at < 0 ? message : message[..at];
    }

    /// <summary>A URL for display: scheme, host, port and path only (a query may hold signatures, user info a secret).</summary>
    public static string RedactUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri)
            ? uri.GetComponents(UriComponents.Scheme | UriComponents.Host | UriComponents.Port | UriComponents.Path, UriFormat.UriEscaped) + (uri.Query.Length > 0 ? "?REDACTED" : string.Empty)
            : "(unparseable URL)";

    /// <summary>One line, with anything that looks like a URL stripped of its query (signatures).</summary>
    public static string OneLine(string message)
    {
        var line = string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var words = line.Split(' ');
        for (var i = 0; i < words.Length; i++)
        {
            if (words[i].Contains("://", StringComparison.Ordinal) && words[i].Contains('?', StringComparison.Ordinal))
            {
                words[i] = RedactUrl(words[i].Trim('\'', '"', '(', ')', ',', '.'));
            }
        }

        return string.Join(' ', words);
    }
}
