using System.Diagnostics;
using System.Text;

namespace Cognite.Files.Reliability.Tests.Support;

/// <summary>Runs the built <c>cognite-files</c> CLI (src/Cognite.Files.Cli) as a separate process: <c>dotnet Cognite.Files.Cli.dll …</c>.</summary>
internal static class Cli
{
    /// <summary>The CLI's dll of the same configuration as this test assembly (bin/Debug or bin/Release).</summary>
    public static string DllPath
    {
        get
        {
            var configuration = new DirectoryInfo(TestContext.CurrentContext.TestDirectory).Parent!.Name; // …/bin/<Configuration>/net10.0
            var path = Repo.File("src", "Cognite.Files.Cli", "bin", configuration, "net10.0", "Cognite.Files.Cli.dll");
            return System.IO.File.Exists(path) ? path : throw new FileNotFoundException("Build src/Cognite.Files.Cli first: " + path);
        }
    }

    /// <summary>
    /// Completes when <paramref name="condition"/> holds or <paramref name="process"/> has exited, checking again on every
    /// change in the directory of <paramref name="path"/> (a CLI's journal is replaced by a rename as parts finish): no
    /// polling, no clock. A hang is bounded by the test's own CancelAfter.
    /// </summary>
    public static async Task WhenFileAsync(string path, Func<bool> condition, Process process, CancellationToken cancellationToken)
    {
        using var changed = new SemaphoreSlim(0);
        using var watcher = new FileSystemWatcher(Path.GetDirectoryName(Path.GetFullPath(path))!) { NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
        watcher.Created += (_, _) => changed.Release();
        watcher.Changed += (_, _) => changed.Release();
        watcher.Renamed += (_, _) => changed.Release();
        watcher.EnableRaisingEvents = true;
        var exited = process.WaitForExitAsync(cancellationToken);
        while (!condition() && !process.HasExited)
        {
            await Task.WhenAny(changed.WaitAsync(cancellationToken), exited);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Environment for a CLI process talking to <paramref name="env"/> with <paramref name="token"/>; its home is a fresh directory.</summary>
    public static Dictionary<string, string?> Environment(EmulatorClient env, string token = EmulatorClient.DefaultToken) => new()
    {
        ["COGNITE_BASE_URL"] = env.Root.ToString(),
        ["COGNITE_PROJECT"] = env.Emulator.Options.Project,
        ["COGNITE_TOKEN"] = token,
        ["COGNITE_FILES_HOME"] = System.IO.Directory.CreateTempSubdirectory("cf-cli-home-").FullName,
        ["NO_COLOR"] = "1",
        ["DOTNET_NOLOGO"] = "1",
    };

    public static CliProcess Start(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(DllPath);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment)
        {
            info.Environment[k] = v;
        }

        return new CliProcess(Process.Start(info)!);
    }

    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        using var p = Start(environment, args);
        return await p.WaitAsync(TimeSpan.FromSeconds(60));
    }
}

internal sealed record CliResult(int ExitCode, string StdOut, string StdErr)
{
    public string All => StdOut + "\n" + StdErr;
}

/// <summary>A running CLI process with its output collected as it comes.</summary>
internal sealed class CliProcess : IDisposable
{
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();

    public CliProcess(Process process)
    {
        Process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
    }

    public Process Process { get; }

    public string Output
    {
        get
        {
            lock (_out)
            {
                lock (_err)
                {
                    return _out + "\n" + _err;
                }
            }
        }
    }

    public async Task<CliResult> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await Process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the CLI did not finish within {timeout}: {Output}");
        }

        Process.WaitForExit(); // flush the output events
        lock (_out)
        {
            lock (_err)
            {
                return new CliResult(Process.ExitCode, _out.ToString(), _err.ToString());
            }
        }
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
        }

        Process.Dispose();
    }
}
