using System.Globalization;

namespace Cognite.Files.Emulator;

/// <summary>Standalone entry point: <c>dotnet run --project src/Cognite.Files.Emulator -- --port 5080 --upload-port 5081 --data ./data</c>.</summary>
internal static class Program
{
    private const string Usage = """
        Cognite Files API emulator

        Options:
          --port N                      API listener port (default 5080; 0 = any free port)
          --upload-port N               upload/download listener port (default 5081; 0 = any free port)
          --data DIR                    data directory: SQLite db + content (default ./.cogfiles-data)
          --content-store disk|memory   where content lives (default disk, in --data); memory keeps it in the
                                        process, the metadata too: nothing survives a restart
          --project NAME                serve only this project (repeatable); default: any project name works,
                                        each with its own files, and the printed base URL uses "emulator"
          --token T                     accepted bearer token (repeatable); none = any non-empty token
          --min-part-size BYTES         minimum size of non-last multipart parts (default 5242880)
          --uploaded-delay-ms MS        delay before `uploaded` turns true after an upload (default 0)
          --bandwidth BYTES_PER_SEC     per-connection cap for upload and download bodies (default unthrottled)
          --ignore-range                answer downloads whole (200) whatever their Range header, like a server
                                        without range support (default: one range per request is served, 206)
          --fault-seed N                seed of the fault generator (default 0)
          --part-failure-probability P  probability 0..1 that an upload PUT gets a fault
          --api-failure-probability P   probability 0..1 that an API request gets a fault
          --fault-kinds K1,K2           kinds to draw: Status500,Status503,Status429WithRetryAfter,ResetMidBody,Stall (default all)
          --fail-put N:KIND             fail the Nth upload PUT (1-based) with KIND (repeatable)
          --fail-part I:A:KIND          fail the A-th PUT of part index I (0-based) with KIND (repeatable)
          --fail-download N:KIND        fail the Nth download GET (1-based) with KIND (repeatable)
          --download-failure-probability P  probability 0..1 that a download GET gets a fault
          --stall-ms MS                 how long a Stall fault stops reading (default 30000)
          --retry-after S               Retry-After seconds on injected 429s (default 1)
          --verbose                     log one line per request (path only: no query strings, no headers)
          --help                        show this text
        """;

    public static async Task<int> Main(string[] args)
    {
        var options = new EmulatorOptions { ApiPort = 5080, UploadPort = 5081, CompactMemoryWhenIdle = true };
        var tokens = new List<string>();
        string? data = null;
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                switch (args[i])
                {
                    case "--help" or "-h": Console.WriteLine(Usage); return 0;
                    case "--verbose": options.RequestLog = Console.WriteLine; break;
                    case "--port": options.ApiPort = Int(Next()); break;
                    case "--upload-port": options.UploadPort = Int(Next()); break;
                    case "--data": data = Path.GetFullPath(Next()); break;
                    case "--content-store":
                        options.ContentStore = Next().ToLowerInvariant() switch
                        {
                            "disk" => ContentStoreKind.Disk,
                            "memory" => ContentStoreKind.Memory,
                            var other => throw new ArgumentException($"Unknown content store '{other}': disk or memory."),
                        };
                        break;
                    case "--project":
                        var project = Next();
                        options.AllowedProjects ??= [];
                        if (options.AllowedProjects.Count == 0) options.Project = project; // the first one is printed
                        options.AllowedProjects.Add(project);
                        break;
                    case "--token": tokens.Add(Next()); break;
                    case "--min-part-size": options.MinPartSize = Long(Next()); break;
                    case "--uploaded-delay-ms": options.UploadedFlagDelay = TimeSpan.FromMilliseconds(Long(Next())); break;
                    case "--bandwidth": options.BandwidthBytesPerSecondPerConnection = Long(Next()); break;
                    case "--ignore-range": options.IgnoreRangeRequests = true; break;
                    case "--fault-seed": options.Faults.Seed = Int(Next()); break;
                    case "--part-failure-probability": options.Faults.PartFailureProbability = Dbl(Next()); break;
                    case "--api-failure-probability": options.Faults.ApiFailureProbability = Dbl(Next()); break;
                    case "--download-failure-probability": options.Faults.DownloadFailureProbability = Dbl(Next()); break;
                    case "--fault-kinds":
                        options.Faults.Kinds = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Kind).ToList();
                        break;
                    case "--fail-put":
                        {
                            var p = Next().Split(':');
                            if (p.Length != 2) throw new ArgumentException("--fail-put expects N:KIND.");
                            options.Faults.Schedule.Add(new ScheduledFault { PutNumber = Int(p[0]), Kind = Kind(p[1]) });
                            break;
                        }
                    case "--fail-part":
                        {
                            var p = Next().Split(':');
                            if (p.Length != 3) throw new ArgumentException("--fail-part expects INDEX:ATTEMPT:KIND.");
                            options.Faults.Schedule.Add(new ScheduledFault { PartIndex = Int(p[0]), Attempt = Int(p[1]), Kind = Kind(p[2]) });
                            break;
                        }
                    case "--fail-download":
                        {
                            var p = Next().Split(':');
                            if (p.Length != 2) throw new ArgumentException("--fail-download expects N:KIND.");
                            options.Faults.Schedule.Add(new ScheduledFault { DownloadNumber = Int(p[0]), Kind = Kind(p[1]) });
                            break;
                        }
                    case "--stall-ms": options.Faults.StallDuration = TimeSpan.FromMilliseconds(Long(Next())); break;
                    case "--retry-after": options.Faults.RetryAfterSeconds = Int(Next()); break;
                    default: throw new ArgumentException($"Unknown option '{args[i]}'. Use --help.");
                }
            }
            if (tokens.Count > 0) options.AcceptedTokens = tokens;
            if (options.ContentStore == ContentStoreKind.Memory && data is not null)
                throw new ArgumentException("--data does not go with --content-store memory: nothing of it would survive a restart.");
            if (options.ContentStore == ContentStoreKind.Disk) options.DataDirectory = data ?? Path.GetFullPath(".cogfiles-data");
            options.Validate();
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
            return 2;
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true; // shut down through the normal path below
            stop.Cancel();
        });
        await using var emulator = await CogniteFilesEmulator.StartAsync(options).ConfigureAwait(false);
        Console.WriteLine($"api: {emulator.ApiBaseUrl}");
        Console.WriteLine($"upload: {emulator.UploadBaseUrl}");
        Console.WriteLine($"admin: {emulator.AdminBaseUrl}");
        Console.WriteLine(options.ContentStore == ContentStoreKind.Memory
            ? $"data: memory (metadata in {emulator.DataDirectory}, deleted on exit; nothing survives a restart)"
            : $"data: {options.DataDirectory}");
        Console.WriteLine(options.AcceptedTokens is { Count: > 0 } ? $"tokens: {options.AcceptedTokens.Count} accepted" : "tokens: dev mode (any non-empty bearer token)");
        Console.WriteLine("ready (Ctrl+C to stop)");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        return 0;
    }

    private static int Int(string s) => int.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
    private static long Long(string s) => long.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
    private static double Dbl(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static FaultKind Kind(string s) => s.ToLowerInvariant() switch
    {
        "500" => FaultKind.Status500,
        "503" => FaultKind.Status503,
        "429" => FaultKind.Status429WithRetryAfter,
        "reset" => FaultKind.ResetMidBody,
        "stall" => FaultKind.Stall,
        _ => Enum.TryParse<FaultKind>(s, ignoreCase: true, out var k) ? k : throw new ArgumentException($"Unknown fault kind '{s}'."),
    };
}
