using Cognite.Files.Cli.Configuration;
using Cognite.Files.Emulator;

namespace Cognite.Files.Cli.Commands;

/// <summary><c>emulator</c>: runs the Files API emulator standalone until Ctrl+C.</summary>
internal static class EmulatorCommand
{
    public static Task<int> RunAsync(CliContext context, int port, int uploadPort, string? data, IReadOnlyList<string> tokens, bool verbose, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(context, cancellationToken, async () =>
        {
            var dataDirectory = data is null ? CliConnection.EmbeddedDataDirectory(context) : Path.GetFullPath(data);
            var options = CliConnection.EmulatorOptionsFor(context, dataDirectory, port, uploadPort);
            if (tokens.Any(string.IsNullOrWhiteSpace))
            {
                throw new CliUsageException("--token must not be empty");
            }

            if (tokens.Count > 0)
            {
                options.AcceptedTokens = [.. tokens];
            }
            if (verbose)
            {
                options.RequestLog = line =>
                {
                    lock (context.Out)
                    {
                        context.Out.WriteLine(line);
                        context.Out.Flush();
                    }
                };
            }

            CogniteFilesEmulator emulator;
            try
            {
                emulator = await CogniteFilesEmulator.StartAsync(options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                throw new CliUsageException($"cannot start the emulator on ports {port}/{uploadPort}: {e.Message}");
            }

            await using (emulator.ConfigureAwait(false))
            {
                var root = emulator.ApiBaseUrl.GetLeftPart(UriPartial.Authority);
                context.Line($"api: {emulator.ApiBaseUrl}");
                context.Line($"upload: {emulator.UploadBaseUrl}");
                context.Line($"admin: {emulator.AdminBaseUrl}");
                context.Line($"data: {dataDirectory}");
                // Like the standalone emulator: how many tokens, never the tokens.
                context.Line(tokens.Count > 0 ? $"tokens: {tokens.Count} accepted" : "tokens: dev mode (any non-empty bearer token)");
                context.Line($"use it: COGNITE_BASE_URL={root} COGNITE_PROJECT={emulator.Options.Project} COGNITE_TOKEN={(tokens.Count > 0 ? "<one of the tokens>" : "any")} cognite-files ls");
                context.Line("ready (Ctrl+C to stop)");
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    context.Line("stopping");
                }
            }

            return ExitCodes.Ok;
        });
}
