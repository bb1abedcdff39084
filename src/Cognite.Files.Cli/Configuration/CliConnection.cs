using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Cognite.Files.Auth;
using Cognite.Files.Cli.Output;
using Cognite.Files.Emulator;
using Cognite.Files.Transfer;
using Microsoft.Kiota.Abstractions.Authentication;

namespace Cognite.Files.Cli.Configuration;

/// <summary>A connected <see cref="CogniteFilesClient"/>, plus the embedded emulator it talks to when there is no CDF configuration.</summary>
internal sealed class CliConnection : IAsyncDisposable
{
    private readonly IDisposable? _tokenProvider;

    private CliConnection(CogniteFilesClient client, CogniteFilesEmulator? emulator, IDisposable? tokenProvider, string description)
    {
        Client = client;
        Emulator = emulator;
        _tokenProvider = tokenProvider;
        Description = description;
    }

    public CogniteFilesClient Client { get; }

    /// <summary>The in-process emulator, when the CLI started one.</summary>
    public CogniteFilesEmulator? Emulator { get; }

    /// <summary>"project X at host" or "the embedded emulator"; no secrets.</summary>
    public string Description { get; }

    /// <summary>
    /// Connects as <paramref name="settings"/> say; starts the embedded emulator (and says so in one line) when they name
    /// no CDF project. <paramref name="transfer"/> is how content is split and sent (null: the library's defaults);
    /// <paramref name="maxBytesPerSecond"/> (<c>--bwlimit</c>) caps all content traffic of the client together.
    /// </summary>
    public static async Task<CliConnection> OpenAsync(CliContext context, CliSettings settings, TransferOptions? transfer, long? maxBytesPerSecond, CancellationToken cancellationToken)
    {
        if (settings.UseEmbeddedEmulator)
        {
            var dataDirectory = EmbeddedDataDirectory(context);
            var emulator = await StartEmbeddedEmulatorAsync(context, dataDirectory, cancellationToken).ConfigureAwait(false);
            context.Notice($"Using the embedded emulator (no CDF configuration found; data in {dataDirectory})");
            return ForEmulator(context, emulator, "the embedded emulator", transfer, maxBytesPerSecond);
        }

        IAccessTokenProvider provider;
        IDisposable? owned = null;
        if (settings.Token is { } token)
        {
            provider = new StaticAccessTokenProvider(token);
        }
        else
        {
            var options = new ClientCredentialsOptions { TokenUrl = settings.TokenUrl, ClientId = settings.ClientId!, ClientSecret = settings.ClientSecret! };
            foreach (var scope in settings.Scopes)
            {
                options.Scopes.Add(scope);
            }

            var cc = new ClientCredentialsAccessTokenProvider(options);
            provider = cc;
            owned = cc;
        }

        var clientOptions = new CogniteFilesClientOptions { BaseUrl = settings.BaseUrl, Cluster = settings.Cluster, Project = settings.Project, AppName = "cognite-files-cli", Transfer = transfer ?? new TransferOptions() };
        CogniteFilesClient client;
        try
        {
            client = new CogniteFilesClient(Finish(context, clientOptions, maxBytesPerSecond), provider);
        }
        catch (ArgumentException e)
        {
            owned?.Dispose();
            throw new CliUsageException(CliErrors.WithoutParameterName(e));
        }

        return new CliConnection(client, null, owned, $"project {settings.Project} at {clientOptions.GetRootUri().Host}");
    }

    /// <summary>A client for <paramref name="emulator"/>, which this connection then owns.</summary>
    public static CliConnection ForEmulator(CliContext context, CogniteFilesEmulator emulator, string description, TransferOptions? transfer, long? maxBytesPerSecond)
    {
        var root = new Uri(emulator.ApiBaseUrl.GetLeftPart(UriPartial.Authority) + "/");
        var options = new CogniteFilesClientOptions { BaseUrl = root, Project = emulator.Options.Project, AppName = "cognite-files-cli", Transfer = transfer ?? new TransferOptions() };
        var client = new CogniteFilesClient(Finish(context, options, maxBytesPerSecond), new StaticAccessTokenProvider("embedded-emulator"));
        return new CliConnection(client, emulator, null, description);
    }

    /// <summary>What every client of the CLI gets besides where it connects: the run's bandwidth cap (said once, on stderr).</summary>
    private static CogniteFilesClientOptions Finish(CliContext context, CogniteFilesClientOptions options, long? maxBytesPerSecond)
    {
        if (maxBytesPerSecond is { } cap)
        {
            options.MaxTransferBytesPerSecond = cap;
            context.Notice($"bandwidth cap: {Format.BytesPerSecond(cap)} for all transfers of this run together");
        }

        context.ConfigureClient?.Invoke(options);
        return options;
    }

    /// <summary><c>COGNITE_FILES_EMULATOR_DATA</c>, else <c>~/.cognite-files/emulator</c>.</summary>
    public static string EmbeddedDataDirectory(CliContext context)
    {
        var configured = context.Environment("COGNITE_FILES_EMULATOR_DATA");
        return string.IsNullOrWhiteSpace(configured) ? Path.Combine(context.HomeDirectory, "emulator") : Path.GetFullPath(configured);
    }

    /// <summary>
    /// Starts the emulator on the ports it had last time (saved in <c>cli-ports.json</c> in its data directory), so the
    /// pre-signed URLs in an upload journal still work for <c>resume</c> in a later process; free ports when those are taken.
    /// </summary>
    public static async Task<CogniteFilesEmulator> StartEmbeddedEmulatorAsync(CliContext context, string dataDirectory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dataDirectory);
        var portsFile = Path.Combine(dataDirectory, "cli-ports.json");
        var saved = ReadPorts(portsFile);
        CogniteFilesEmulator? emulator = null;
        if (saved is { } ports)
        {
            try
            {
                emulator = await CogniteFilesEmulator.StartAsync(EmulatorOptionsFor(context, dataDirectory, ports.Api, ports.Upload), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or InvalidOperationException)
            {
                emulator = null; // the saved ports are taken (another cognite-files is running): use free ones
            }
        }

        emulator ??= await CogniteFilesEmulator.StartAsync(EmulatorOptionsFor(context, dataDirectory, 0, 0), cancellationToken).ConfigureAwait(false);
        if (saved is null)
        {
            WritePorts(portsFile, emulator.ApiBaseUrl.Port, emulator.UploadBaseUrl.Port);
        }

        return emulator;
    }

    public static EmulatorOptions EmulatorOptionsFor(CliContext context, string dataDirectory, int apiPort, int uploadPort)
    {
        var options = new EmulatorOptions { DataDirectory = dataDirectory, ApiPort = apiPort, UploadPort = uploadPort };
        context.ConfigureEmulator?.Invoke(options);
        return options;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        _tokenProvider?.Dispose();
        if (Emulator is not null)
        {
            await Emulator.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static (int Api, int Upload)? ReadPorts(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }

            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var api = doc.RootElement.GetProperty("apiPort").GetInt32();
            var upload = doc.RootElement.GetProperty("uploadPort").GetInt32();
            return api is > 0 and < 65536 && upload is > 0 and < 65536 && api != upload ? (api, upload) : null;
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private static void WritePorts(string path, int api, int upload)
    {
        try
        {
            File.WriteAllText(path, string.Create(CultureInfo.InvariantCulture, $"{{\"apiPort\":{api},\"uploadPort\":{upload}}}\n"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not fatal: the next run picks free ports again.
        }
    }
}
