using System.Diagnostics;
using System.Globalization;

namespace Cognite.Files.Emulator.Tests.Support;

/// <summary>The standalone emulator (<c>Cognite.Files.Emulator.dll</c> beside the tests, its own command line) in a child process.</summary>
internal sealed class StandaloneEmulator : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _data;

    private StandaloneEmulator(Process process, string data, Uri api, Uri admin, IReadOnlyList<string> printed)
    {
        _process = process;
        _data = data;
        Api = api;
        Admin = admin;
        Printed = printed;
    }

    /// <summary>The project's API base as printed, ending in '/'.</summary>
    public Uri Api { get; }

    public Uri Admin { get; }

    /// <summary>What it printed on stdout up to "ready".</summary>
    public IReadOnlyList<string> Printed { get; }

    /// <summary>Starts it on free ports with a new data directory and <paramref name="arguments"/>; returns once it is ready.</summary>
    public static async Task<StandaloneEmulator> StartAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var data = Path.Combine(Path.GetTempPath(), "cogfiles-emu-tests", Guid.NewGuid().ToString("N"));
        var process = Process.Start(StartInfo(["--port", "0", "--upload-port", "0", "--data", data, .. arguments]))!;
        var printed = new List<string>();
        Uri? api = null, admin = null;
        while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line && line != "ready (Ctrl+C to stop)")
        {
            printed.Add(line);
            if (line.StartsWith("api: ", StringComparison.Ordinal)) api = new Uri(line[5..] + "/");
            if (line.StartsWith("admin: ", StringComparison.Ordinal)) admin = new Uri(line[7..]);
        }

        if (api is null || admin is null)
        {
            var error = await process.StandardError.ReadToEndAsync(cancellationToken);
            process.Kill();
            Assert.Fail("The standalone emulator did not start: " + error);
        }

        return new StandaloneEmulator(process, data, api!, admin!, printed);
    }

    /// <summary>Runs it with <paramref name="arguments"/> to its end (bad arguments, --help): exit code, stdout, stderr.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        using var process = Process.Start(StartInfo(arguments))!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await output, await error);
    }

    private static ProcessStartInfo StartInfo(string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Cognite.Files.Emulator.dll"));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    /// <summary>The process's peak resident memory (VmHWM; Linux), for the log; 0 elsewhere.</summary>
    public long PeakResidentBytes()
    {
        var status = $"/proc/{_process.Id.ToString(CultureInfo.InvariantCulture)}/status";
        if (!File.Exists(status)) return 0;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
