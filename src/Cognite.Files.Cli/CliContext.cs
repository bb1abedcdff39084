using Cognite.Files.Emulator;
using Spectre.Console;

namespace Cognite.Files.Cli;

/// <summary>
/// Everything a command touches outside itself: the terminal (<see cref="Console"/>, used only when
/// <see cref="Interactive"/>), stdout for plain and <c>--json</c> output, stderr for error lines, the environment and
/// the home directory. <c>Program.Main</c> wires the real ones; tests pass a TestConsole and StringWriters.
/// </summary>
internal sealed class CliContext
{
    private int _liveDisplays;

    /// <summary>The rich terminal (progress bars, tables). Only used when <see cref="Interactive"/> is true.</summary>
    public required IAnsiConsole Console { get; init; }

    /// <summary>stdout: plain lines when not interactive, and machine output (<c>--json</c>) always.</summary>
    public required TextWriter Out { get; init; }

    /// <summary>stderr: the one-line errors and the notices.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>True when stdout is a terminal that can show live progress; false gives plain line-by-line output.</summary>
    public bool Interactive { get; init; }

    /// <summary>Reads an environment variable (tests pass a dictionary).</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Test seam: adjusts the options of an emulator the CLI starts (embedded, demo or standalone).</summary>
    public Action<EmulatorOptions>? ConfigureEmulator { get; init; }

    /// <summary>
    /// Test seam: sees (and may adjust) the options of every client the CLI builds, after the CLI has set them (the
    /// bandwidth cap, the transfer options), just before the client is made.
    /// </summary>
    public Action<CogniteFilesClientOptions>? ConfigureClient { get; init; }

    /// <summary>
    /// The CLI's home: <c>COGNITE_FILES_HOME</c>, else <c>~/.cognite-files</c>. Holds <c>config.json</c>, the embedded
    /// emulator's data (<c>emulator/</c>) and upload journals (<c>journals/</c>).
    /// </summary>
    public string HomeDirectory
    {
        get
        {
            var home = Environment("COGNITE_FILES_HOME");
            if (!string.IsNullOrWhiteSpace(home))
            {
                return Path.GetFullPath(home);
            }

            return Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".cognite-files");
        }
    }

    /// <summary>Writes a human line: through the terminal when interactive, else as a plain line on stdout.</summary>
    public void Line(string text)
    {
        if (Interactive)
        {
            Console.WriteLine(text);
        }
        else
        {
            Out.WriteLine(text);
            Out.Flush();
        }
    }

    /// <summary>Writes a line with Spectre markup when interactive; the plain text otherwise.</summary>
    public void Markup(string markup, string plain)
    {
        if (Interactive)
        {
            Console.MarkupLine(markup);
        }
        else
        {
            Out.WriteLine(plain);
            Out.Flush();
        }
    }

    /// <summary>
    /// A notice about the run itself (the embedded emulator, the journal path, the resume command): always a stderr
    /// line, so that stdout holds only the command's own output (<c>ls | …</c>, <c>--json</c>).
    /// </summary>
    public void Notice(string text)
    {
        lock (Error)
        {
            Error.WriteLine(text);
            Error.Flush();
        }
    }

    /// <summary>
    /// Says that a cancellation (Ctrl+C, SIGTERM) was asked for. While a live display runs on the terminal the line goes
    /// through it, so it lands on a line of its own above the bars instead of in the middle of one.
    /// </summary>
    public void Cancelling()
    {
        const string text = "cancelling… (Ctrl+C again to quit at once)";
        if (Interactive && Volatile.Read(ref _liveDisplays) > 0)
        {
            Console.MarkupLine("[yellow]" + Spectre.Console.Markup.Escape(text) + "[/]");
        }
        else
        {
            Notice(text);
        }
    }

    /// <summary>Marks a live display as running until the result is disposed (see <see cref="Cancelling"/>).</summary>
    public IDisposable EnterLiveDisplay()
    {
        Interlocked.Increment(ref _liveDisplays);
        return new LiveDisplayScope(this);
    }

    /// <summary>Writes one JSON document as one line on stdout.</summary>
    public void Json(string json)
    {
        Out.WriteLine(json);
        Out.Flush();
    }

    private sealed class LiveDisplayScope(CliContext owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref owner._liveDisplays);
            }
        }
    }
}
