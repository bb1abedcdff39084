using System.Collections.Concurrent;
using Cognite.Files.Auth;
using Cognite.Files.Emulator;
using Cognite.Files.Transfer;
using Microsoft.Extensions.Time.Testing;
using InnerEmulator = Cognite.Files.Emulator.CogniteFilesEmulator;

namespace Cognite.Files.Testing;

/// <summary>
/// A local Cognite Files API for your tests, in one line from any test framework:
/// <c>await using var emulator = await CogniteFilesEmulator.StartAsync();</c>. It listens on ephemeral ports of
/// 127.0.0.1, keeps its data in a temporary directory that is deleted on dispose, and accepts one known token.
/// <para>
/// Talk to it with <see cref="CreateClient"/> (a ready <see cref="CogniteFilesClient"/>), or with your own client from
/// <see cref="BaseUrl"/>, <see cref="Project"/> and <see cref="Token"/> (or <see cref="ApiBaseUrl"/> for a raw
/// <see cref="HttpClient"/>). Inject faults with <see cref="Faults"/>, read what it saw in <see cref="Counters"/> (and wait
/// for it with <see cref="EmulatorCounters.WaitForAsync"/>), check stored content with <see cref="GetContentChecksumAsync"/> or <see cref="GetContentSha256Async"/>,
/// and move time with <see cref="Clock"/> when started with <see cref="EmulatorStartOptions.ManualClock"/>.
/// </para>
/// <para>
/// This wraps <see cref="Cognite.Files.Emulator.CogniteFilesEmulator"/> (<see cref="Server"/>). A file that imports both
/// namespaces (<c>Cognite.Files.Testing</c> and <c>Cognite.Files.Emulator</c>, e.g. for <see cref="FaultKind"/>) picks this
/// one with <c>using CogniteFilesEmulator = Cognite.Files.Testing.CogniteFilesEmulator;</c>.
/// </para>
/// </summary>
public sealed class CogniteFilesEmulator : IAsyncDisposable
{
    private readonly FakeTimeProvider? _clock;
    private readonly bool _ownsDataDirectory;
    private readonly ConcurrentQueue<CogniteFilesClient> _clients = new();
    private int _disposed;

    private CogniteFilesEmulator(InnerEmulator server, EmulatorStartOptions options, FakeTimeProvider? clock, string dataDirectory, bool ownsDataDirectory)
    {
        Server = server;
        _clock = clock;
        _ownsDataDirectory = ownsDataDirectory;
        DataDirectory = dataDirectory;
        Project = options.Project;
        Token = options.Token;
        TimeProvider = (TimeProvider?)clock ?? TimeProvider.System;
        BaseUrl = new Uri(server.ApiBaseUrl.GetLeftPart(UriPartial.Authority) + "/");
        ApiBaseUrl = new Uri(BaseUrl, "api/v1/projects/" + Uri.EscapeDataString(Project) + "/");
        Faults = new EmulatorFaults(server.Faults);
    }

    /// <summary>
    /// The CDF root of the emulator, e.g. <c>http://127.0.0.1:41234/</c>: what <see cref="CogniteFilesClientOptions.BaseUrl"/>
    /// (or another SDK's base URL) takes, without <c>/api/v1/…</c>.
    /// </summary>
    public Uri BaseUrl { get; }

    /// <summary>The CDF project to use in requests (<see cref="EmulatorStartOptions.Project"/>).</summary>
    public string Project { get; }

    /// <summary>The bearer token the emulator accepts (<see cref="EmulatorStartOptions.Token"/>): send <c>Authorization: Bearer {Token}</c>.</summary>
    public string Token { get; }

    /// <summary>
    /// The base of every API call, <c>{BaseUrl}api/v1/projects/{Project}/</c>, ending in <c>/</c>: a raw
    /// <see cref="HttpClient"/> with this <see cref="HttpClient.BaseAddress"/> posts to relative paths such as <c>files/list</c>.
    /// </summary>
    public Uri ApiBaseUrl { get; }

    /// <summary>
    /// The directory that holds the emulator's data (a temporary one unless <see cref="EmulatorStartOptions.DataDirectory"/>
    /// named one; with the memory content store, a temporary one of the metadata only).
    /// </summary>
    public string DataDirectory { get; }

    /// <summary>The smallest non-last part size the emulator accepts at completion (<see cref="EmulatorStartOptions.MinPartSize"/>).</summary>
    public long MinPartSize => Server.Options.MinPartSize;

    /// <summary>Request, byte and fault counters; <see cref="EmulatorCounters.WaitForAsync"/> waits for a condition without polling.</summary>
    public EmulatorCounters Counters => Server.Counters;

    /// <summary>Fault injection, changeable at any time: a schedule per part and attempt, random faults with a seed, a bandwidth cap.</summary>
    public EmulatorFaults Faults { get; }

    /// <summary>The emulator's clock: the <see cref="Clock"/> with <see cref="EmulatorStartOptions.ManualClock"/>, else <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>True when the emulator runs on a manual <see cref="Clock"/>.</summary>
    public bool HasManualClock => _clock is not null;

    /// <summary>
    /// The manual clock (<see cref="EmulatorStartOptions.ManualClock"/>): <c>emulator.Clock.Advance(TimeSpan.FromDays(8))</c>
    /// expires the upload URLs handed out so far, and moving past <see cref="EmulatorStartOptions.UploadedFlagDelay"/>
    /// turns the <c>uploaded</c> flag of a finished upload true. Throws <see cref="InvalidOperationException"/> on the
    /// system clock.
    /// </summary>
    public FakeTimeProvider Clock => _clock ?? throw new InvalidOperationException(
        "This emulator runs on the system clock. Start it with new EmulatorStartOptions { ManualClock = true } to move time by hand.");

    /// <summary>The emulator itself (<see cref="Cognite.Files.Emulator.CogniteFilesEmulator"/>): upload and admin URLs, its options.</summary>
    public InnerEmulator Server { get; }

    /// <summary>
    /// Starts an emulator and returns once it accepts connections. <paramref name="options"/> null means the defaults of
    /// <see cref="EmulatorStartOptions"/> (temporary data directory, ephemeral ports, <c>test-project</c>, <c>test-token</c>,
    /// system clock).
    /// </summary>
    public static async Task<CogniteFilesEmulator> StartAsync(EmulatorStartOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EmulatorStartOptions();
        options.Validate();
        // The memory store makes (and deletes) its own temporary directory for the metadata.
        var ownsDataDirectory = options.DataDirectory is null && options.ContentStore == ContentStoreKind.Disk;
        var dataDirectory = ownsDataDirectory
            ? Directory.CreateTempSubdirectory("cognite-files-emulator-").FullName
            : options.DataDirectory is null ? "" : Path.GetFullPath(options.DataDirectory);
        var clock = options.ManualClock ? new FakeTimeProvider(options.ClockStart ?? DateTimeOffset.UtcNow) : null;
        var emulatorOptions = new EmulatorOptions
        {
            DataDirectory = dataDirectory,
            ContentStore = options.ContentStore,
            ApiPort = 0,
            UploadPort = 0,
            Project = options.Project,
            AcceptedTokens = [options.Token],
            MinPartSize = options.MinPartSize,
            UploadedFlagDelay = options.UploadedFlagDelay,
            TimeProvider = (TimeProvider?)clock ?? TimeProvider.System,
            RequestLog = options.RequestLog,
        };
        options.ConfigureEmulator?.Invoke(emulatorOptions);
        if (emulatorOptions.ContentStore == ContentStoreKind.Memory && ownsDataDirectory && emulatorOptions.DataDirectory == dataDirectory)
        {
            // The memory store was chosen in ConfigureEmulator: it keeps its metadata in a directory of its own.
            emulatorOptions.DataDirectory = "";
            DeleteDirectory(dataDirectory);
            ownsDataDirectory = false;
        }

        try
        {
            var server = await InnerEmulator.StartAsync(emulatorOptions, cancellationToken).ConfigureAwait(false);
            return new CogniteFilesEmulator(server, options, clock, server.DataDirectory, ownsDataDirectory);
        }
        catch
        {
            if (ownsDataDirectory)
            {
                DeleteDirectory(dataDirectory);
            }

            throw;
        }
    }

    /// <summary>
    /// A <see cref="CogniteFilesClient"/> for this emulator (see <see cref="ConfigureClient"/> for its settings), sending
    /// <see cref="Token"/>; <paramref name="configure"/> may change any setting afterwards. The client is disposed with the
    /// emulator (disposing it earlier is fine).
    /// </summary>
    public CogniteFilesClient CreateClient(Action<CogniteFilesClientOptions>? configure = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var options = new CogniteFilesClientOptions();
        ConfigureClient(options);
        configure?.Invoke(options);
        var client = new CogniteFilesClient(options, CreateTokenProvider());
        _clients.Enqueue(client);
        return client;
    }

    /// <summary>
    /// Points <paramref name="options"/> at this emulator, also for a client from dependency injection
    /// (<c>services.AddCogniteFiles(emulator.ConfigureClient, _ =&gt; emulator.CreateTokenProvider())</c>):
    /// <see cref="BaseUrl"/>, <see cref="Project"/>, an <c>AppName</c> if none is set, retry delays of milliseconds instead
    /// of seconds (so fault tests run fast; a server's <c>Retry-After</c> is capped by them too), and transfer options
    /// that go multipart from just above 5 MiB with 5 MiB parts: a 12 MiB upload has three parts.
    /// <para>
    /// 5 MiB (<see cref="MultipartLimits.MinPartSize"/>) is the smallest <see cref="TransferOptions.PartSize"/> the
    /// library accepts, because CDF rejects smaller parts; for multipart tests with smaller parts, use your own client
    /// with a lower <see cref="EmulatorStartOptions.MinPartSize"/>.
    /// </para>
    /// </summary>
    public void ConfigureClient(CogniteFilesClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.BaseUrl = BaseUrl;
        options.Cluster = null;
        options.Project = Project;
        if (string.IsNullOrWhiteSpace(options.AppName))
        {
            options.AppName = "cognite-files-testing";
        }

        options.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
        options.MaxRetryDelay = TimeSpan.FromMilliseconds(250);
        options.Transfer = new TransferOptions
        {
            SingleUploadThreshold = MultipartLimits.MinPartSize,
            PartSize = MultipartLimits.MinPartSize,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            MaxRetryDelay = TimeSpan.FromMilliseconds(250),
        };
    }

    /// <summary>A token provider of <see cref="Token"/>, for clients you build yourself.</summary>
    public StaticAccessTokenProvider CreateTokenProvider() => new(Token);

    /// <summary>Lowercase hex SHA-256 of the stored content of file <paramref name="fileId"/>; null when the file or its content does not exist.</summary>
    public Task<string?> GetContentSha256Async(long fileId, CancellationToken cancellationToken = default) =>
        Server.GetContentSha256Async(fileId, cancellationToken);

    /// <summary>
    /// The checksum (<see cref="ContentChecksum"/>, as in <see cref="UploadResult.Checksum"/>) of the stored content of file
    /// <paramref name="fileId"/>; null when the file or its content does not exist.
    /// </summary>
    public async Task<string?> GetContentChecksumAsync(long fileId, CancellationToken cancellationToken = default)
    {
        var content = Server.OpenStoredContent(fileId);
        if (content is null)
        {
            return null;
        }

        await using (content.ConfigureAwait(false))
        {
            return await ContentChecksum.ComputeAsync(content, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Disposes the clients of <see cref="CreateClient"/>, stops the emulator and deletes its temporary data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        while (_clients.TryDequeue(out var client))
        {
            client.Dispose();
        }

        try
        {
            await Server.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            if (_ownsDataDirectory)
            {
                DeleteDirectory(DataDirectory);
            }
        }
    }

    private static void DeleteDirectory(string path)
    {
        // A content file can be held open for a moment by a response that is still being torn down (Windows refuses to
        // delete it then): a few short retries, and a temporary directory left behind is no reason to fail a test.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }

                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (attempt == 5)
                {
                    return;
                }

                Thread.Sleep(50 * attempt);
            }
        }
    }
}
