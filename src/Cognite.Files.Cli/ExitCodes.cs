namespace Cognite.Files.Cli;

/// <summary>The process exit codes of <c>cognite-files</c>.</summary>
internal static class ExitCodes
{
    /// <summary>Everything worked.</summary>
    public const int Ok = 0;

    /// <summary>A request, transfer or file operation failed (one <c>error:</c> line says why).</summary>
    public const int Failure = 1;

    /// <summary>Bad usage: unknown command or option, bad option value, bad path or id, bad configuration. Nothing was sent.</summary>
    public const int Usage = 2;

    /// <summary>Cancelled with Ctrl+C (128 + SIGINT, the shell convention). An interrupted upload leaves a journal for <c>resume</c>.</summary>
    public const int Cancelled = 130;
}

/// <summary>A usage error found before anything is sent: exit code 2 with one <c>error:</c> line.</summary>
internal sealed class CliUsageException(string message) : Exception(message);

/// <summary>A failure the CLI finds itself (not a usage error, not the library's): exit code 1 with one <c>error:</c> line.</summary>
internal sealed class CliFailureException(string message) : Exception(message);
