using System.Security.Cryptography;
using Cognite.Files.Transfer;
using Cognite.Files.Emulator;
using Spectre.Console.Testing;

namespace Cognite.Files.Cli.Tests;

/// <summary>The output of one in-process CLI run.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Error, string Console)
{
    public string All => Out + Error + Console;

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}\n--- console\n{Console}";
}

/// <summary>
/// An in-process emulator (temporary data directory) plus the CLI configured for it through environment variables
/// (a dictionary, not the process environment), with its home in a temporary directory.
/// </summary>
internal sealed class CliHarness : IAsyncDisposable
{
    public const string Token = "test-token-5ecr3t";

    private CliHarness(string root, CogniteFilesEmulator emulator)
    {
        Root = root;
        Emulator = emulator;
        Home = Path.Combine(root, "home");
        Files = Path.Combine(root, "files");
        Directory.CreateDirectory(Home);
        Directory.CreateDirectory(Files);
        Environment = new Dictionary<string, string?>
        {
            ["COGNITE_BASE_URL"] = emulator.ApiBaseUrl.GetLeftPart(UriPartial.Authority),
            ["COGNITE_PROJECT"] = emulator.Options.Project,
            ["COGNITE_TOKEN"] = Token,
            ["COGNITE_FILES_HOME"] = Home,
        };
    }

    public string Root { get; }

    public string Home { get; }

    public string Files { get; }

    public CogniteFilesEmulator Emulator { get; }

    public Dictionary<string, string?> Environment { get; }

    public static async Task<CliHarness> StartAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), "cognite-files-cli-tests-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        var emulator = await CogniteFilesEmulator.StartAsync(new EmulatorOptions { DataDirectory = Path.Combine(root, "emulator"), AcceptedTokens = [Token] });
        return new CliHarness(root, emulator);
    }

    /// <summary>Runs the CLI with plain (non-terminal) output.</summary>
    public Task<CliRun> RunAsync(params string[] args) => RunAsync(args, interactive: false, CancellationToken.None);

    /// <summary>
    /// Runs the CLI. <paramref name="interactive"/> gives it a recorded terminal (Spectre's TestConsole); with
    /// <paramref name="recordEscapes"/> the recording keeps the escape sequences (cursor moves, erases), so that
    /// <see cref="TerminalScreen"/> can replay it into what the screen shows at the end. <paramref name="typed"/> are
    /// lines the user types at the terminal's prompts. <paramref name="configureClient"/> sees (and may adjust) the
    /// options of every client the CLI builds.
    /// </summary>
    public async Task<CliRun> RunAsync(string[] args, bool interactive, CancellationToken cancellationToken, IReadOnlyDictionary<string, string?>? environment = null, bool recordEscapes = false, IReadOnlyList<string>? typed = null, Action<CogniteFilesClientOptions>? configureClient = null)
    {
        var console = new TestConsole();
        if (interactive)
        {
            console.Interactive();
            console.SupportsAnsi(true);
            console.EmitAnsiSequences = recordEscapes;
            console.Profile.Width = 160;
            foreach (var line in typed ?? [])
            {
                console.Input.PushTextWithEnter(line);
            }
        }

        using var output = new StringWriter();
        using var error = new StringWriter();
        var env = environment ?? Environment;
        var context = new CliContext
        {
            Console = console,
            Out = TextWriter.Synchronized(output),
            Error = TextWriter.Synchronized(error),
            Interactive = interactive,
            Environment = name => env.TryGetValue(name, out var value) ? value : null,
            ConfigureEmulator = o => o.AcceptedTokens = null,
            ConfigureClient = configureClient,
        };
        var code = await CliApp.RunAsync(args, context, cancellationToken);
        var run = new CliRun(code, output.ToString(), error.ToString(), console.Output);
        Assert.That(run.All, Does.Not.Contain(Token), "the token must never be printed");
        Assert.That(run.All, Does.Not.Contain("sig="), "URL signatures must never be printed");
        return run;
    }

    /// <summary>Stalls part <paramref name="part"/> (0-based) of the next upload on its first attempt, for the cancel/resume tests.</summary>
    public void StallPart(int part) => Emulator.Faults.Set(new FaultOptions
    {
        Schedule = [new ScheduledFault { PartIndex = part, Attempt = 1, Kind = FaultKind.Stall }],
        StallDuration = TimeSpan.FromMinutes(5),
    });

    /// <summary>
    /// Runs the CLI with <paramref name="args"/> (an upload or sync of one part at a time) while part 2 stalls on its first
    /// attempt, cancels it as Ctrl+C would once the emulator has stalled that part (woken by its counters, no polling; a
    /// run that ends first is returned as it ended), clears the faults and returns the run.
    /// </summary>
    public async Task<CliRun> CancelledWhilePartStallsAsync(string[] args, bool interactive = false, bool recordEscapes = false)
    {
        StallPart(2);
        var faultsBefore = Emulator.Counters.FaultsInjected;
        using var cts = new CancellationTokenSource();
        var running = RunAsync(args, interactive, cts.Token, recordEscapes: recordEscapes);
        await Task.WhenAny(Emulator.Counters.WaitForAsync(c => c.FaultsInjected > faultsBefore, cts.Token), running);
        await cts.CancelAsync();
        var run = await running;
        Emulator.Faults.Clear();
        return run;
    }

    /// <summary>
    /// Uploads <paramref name="path"/> in 5 MiB parts one at a time (plus <paramref name="extra"/> arguments), cancels the
    /// run while part 2 stalls (parts 0 and 1 are done), and returns the run and the journal it says to resume.
    /// </summary>
    public async Task<(CliRun Run, string Journal)> CancelledUploadAsync(string path, string[] extra, bool interactive = false, bool recordEscapes = false)
    {
        var run = await CancelledWhilePartStallsAsync(["upload", path, "--part-size", "5MiB", "--concurrency", "1", .. extra], interactive, recordEscapes);
        Assert.That(run.ExitCode, Is.EqualTo(130), run.ToString());
        var line = run.Error.Split('\n').Single(l => l.TrimStart().StartsWith("cognite-files resume ", StringComparison.Ordinal)).Trim();
        return (run, line["cognite-files resume ".Length..]);
    }

    /// <summary>A library client for this emulator, to arrange what the CLI then meets (e.g. a stored checksum).</summary>
    public CogniteFilesClient CreateClient() => new(
        new CogniteFilesClientOptions { BaseUrl = new Uri(Emulator.ApiBaseUrl.GetLeftPart(UriPartial.Authority) + "/"), Project = Emulator.Options.Project, AppName = "cli-tests" },
        new Cognite.Files.Auth.StaticAccessTokenProvider(Token));

    /// <summary>Uploads <paramref name="content"/> with the checksum value in its metadata, as an upload that stores it does.</summary>
    public async Task<long> UploadWithStoredChecksumAsync(string name, string directory, byte[] content, string? externalId = null)
    {
        using var client = CreateClient();
        var create = new Cognite.Files.Models.FileCreate
        {
            Name = name,
            Directory = directory,
            ExternalId = externalId,
            Metadata = new Dictionary<string, string> { [ContentChecksum.MetadataKey] = ContentChecksum.FormatMetadataValue(ContentChecksum.Compute(content), content.Length) },
        };
        var result = await client.UploadAsync(create, new MemoryStream(content));
        return result.File.Id;
    }

    /// <summary>Writes a file of deterministic pseudo-random bytes under <see cref="Files"/>.</summary>
    public string CreateFile(string relativePath, long size, int seed = 1)
    {
        var path = Path.Combine(Files, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var random = new Random(seed);
        var buffer = new byte[1 << 20];
        using var stream = File.Create(path);
        for (long written = 0; written < size;)
        {
            var n = (int)Math.Min(buffer.Length, size - written);
            random.NextBytes(buffer.AsSpan(0, n));
            stream.Write(buffer, 0, n);
            written += n;
        }

        return path;
    }

    public static string Checksum(string path) => ContentChecksum.Compute(File.ReadAllBytes(path));

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public async ValueTask DisposeAsync()
    {
        await Emulator.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
