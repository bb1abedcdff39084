using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cognite.Files.Bench;

/// <summary>
/// The emulator as a separate process, like a real server: the standalone emulator's command line
/// (<c>Cognite.Files.Emulator.Tool.dll</c>, built with the bench) on free ports of 127.0.0.1, its data in a temporary
/// directory (tmpfs when <c>/dev/shm</c> exists). Conditions (bandwidth cap, random part faults) are set through its
/// admin endpoints; its CPU time and resident memory are read from the process.
/// </summary>
internal sealed class EmulatorProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _admin;
    private readonly string _data;

    private EmulatorProcess(Process process, Uri apiBase, Uri admin, string data)
    {
        _process = process;
        ApiBase = apiBase;
        Root = new Uri(apiBase.GetLeftPart(UriPartial.Authority));
        Project = apiBase.Segments[^1].TrimEnd('/');
        _admin = new HttpClient { BaseAddress = admin };
        _data = data;
    }

    /// <summary>The CDF-style root (scheme, host, port) for <c>CogniteFilesClientOptions.BaseUrl</c>.</summary>
    public Uri Root { get; }

    /// <summary><c>…/api/v1/projects/{project}/</c>.</summary>
    public Uri ApiBase { get; }

    public string Project { get; }

    public int ProcessId => _process.Id;

    /// <summary>CPU time (user + system) the emulator process has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>Resident set size of the emulator process (VmRSS), in bytes.</summary>
    public long ResidentBytes
    {
        get
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                }
            }

            return 0;
        }
    }

    public static async Task<EmulatorProcess> StartAsync(string contentStore, CancellationToken cancellationToken)
    {
        var tool = typeof(EmulatorProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "EmulatorTool").Value!;
        if (!File.Exists(tool))
        {
            throw new FileNotFoundException($"The standalone emulator was not built with the bench ({tool}).");
        }

        var tmpfs = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var data = Path.Combine(tmpfs, "cognite-files-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { tool, "--port", "0", "--upload-port", "0" })
        {
            start.ArgumentList.Add(arg);
        }

        // The memory store keeps its metadata in a temporary directory of its own; the disk store gets one on tmpfs.
        foreach (var arg in contentStore == "disk" ? ["--data", data] : new[] { "--content-store", contentStore })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the emulator");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Console.Error.WriteLine("emulator: " + line);
            }
        };
        process.BeginErrorReadLine();
        Uri? api = null;
        Uri? admin = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("api: ", StringComparison.Ordinal))
            {
                api = new Uri(line[5..].Trim().TrimEnd('/') + "/");
            }
            else if (line.StartsWith("admin: ", StringComparison.Ordinal))
            {
                admin = new Uri(line[7..].Trim().TrimEnd('/') + "/");
            }
            else if (line.StartsWith("ready", StringComparison.Ordinal))
            {
                break;
            }
        }

        if (api is null || admin is null)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("the emulator did not print its api: and admin: lines");
        }

        // Keep draining stdout so that the child never blocks on a full pipe.
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync(CancellationToken.None) is not null)
            {
            }
        }, CancellationToken.None);
        return new EmulatorProcess(process, api, admin, data);
    }

    /// <summary>Sets the per-connection bandwidth cap (null: none) and the probability of a random upload-PUT fault.</summary>
    public async Task SetConditionsAsync(long? bytesPerSecondPerConnection, double partFailureProbability, int seed, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["seed"] = seed,
            ["partFailureProbability"] = partFailureProbability,
            ["kinds"] = new JsonArray("Status500", "Status503", "Status429WithRetryAfter", "ResetMidBody"),
            ["retryAfterSeconds"] = 1,
            ["bandwidthBytesPerSecondPerConnection"] = bytesPerSecondPerConnection ?? 0,
        };
        using var response = await _admin.PostAsJsonAsync("faults", body, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"the emulator refused the conditions: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    /// <summary>Faults injected so far (the admin counters).</summary>
    public async Task<long> FaultsInjectedAsync(CancellationToken cancellationToken)
    {
        var counters = await _admin.GetFromJsonAsync<JsonElement>("counters", cancellationToken);
        return counters.GetProperty("faultsInjected").GetInt64();
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        finally
        {
            _process.Dispose();
            try
            {
                Directory.Delete(_data, recursive: true);
            }
            catch (IOException)
            {
                // best effort
            }
        }
    }
}
