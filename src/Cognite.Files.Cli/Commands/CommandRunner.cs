using Cognite.Files.Cli.Configuration;
using Cognite.Files.Transfer;

namespace Cognite.Files.Cli.Commands;

/// <summary>Runs a command body with the CLI's uniform error handling: one <c>error:</c> line and an exit code.</summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken, Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            context.Error.WriteLine("cancelled");
            context.Error.Flush();
            return ExitCodes.Cancelled;
        }
#pragma warning disable CA1031 // the CLI's last line of defence: every failure becomes one error line and exit code 1
        catch (Exception e)
#pragma warning restore CA1031
        {
            return CliErrors.Report(context, e);
        }
    }

    /// <summary>
    /// Resolves the configuration and connects (starting the embedded emulator when nothing is configured), with the
    /// transfer options and bandwidth cap of a command that moves content (none for one that does not).
    /// </summary>
    public static Task<CliConnection> ConnectAsync(CliContext context, string? configPath, CancellationToken cancellationToken, TransferOptions? transfer = null, long? maxBytesPerSecond = null) =>
        CliConnection.OpenAsync(context, CliSettings.Resolve(context, configPath), transfer, maxBytesPerSecond, cancellationToken);
}
