using System.Runtime.InteropServices;
using Spectre.Console;

namespace Cognite.Files.Cli;

/// <summary>Wires the real terminal, stdout/stderr and Ctrl+C to <see cref="CliApp"/>.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var interactive = !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
        });
        var context = new CliContext
        {
            Console = console,
            Out = Console.Out,
            Error = Console.Error,
            Interactive = interactive && console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi,
        };

        using var cancellation = new CancellationTokenSource();
        var presses = 0;
        Console.CancelKeyPress += (_, e) =>
        {
            // The first Ctrl+C cancels cleanly (an upload keeps its journal; CliApp says "cancelling…" through the
            // live display when one runs); a second one ends the process at once.
            if (Interlocked.Increment(ref presses) == 1)
            {
                e.Cancel = true;
                cancellation.Cancel();
            }
        };

        // SIGTERM (e.g. `kill`, a container stop) cancels the same way, so an upload keeps a resumable journal.
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = true;
            cancellation.Cancel();
        });

        return await CliApp.RunAsync(args, context, cancellation.Token).ConfigureAwait(false);
    }
}
