using System.Net.Http.Headers;
using System.Security.Cryptography;
using Cognite.Files.Api;
using Refit;

namespace Cognite.Files.Emulator.Tests.Support;

/// <summary>An emulator on 127.0.0.1:0 with a temp data directory, plus a Refit client whose responses are schema-validated.</summary>
public sealed class EmulatorHarness : IAsyncDisposable
{
    private EmulatorHarness(CogniteFilesEmulator emulator, string dataDirectory, HttpClient api, ValidatingHandler handler, bool ownsDirectory)
    {
        Emulator = emulator;
        DataDirectory = dataDirectory;
        Http = api;
        Handler = handler;
        Api = RestService.For<ICogniteFilesApi>(api, Cognite.Files.Http.CogniteRefitSettings.Create(TimeProvider.System));
        OwnsDirectory = ownsDirectory;
    }

    public CogniteFilesEmulator Emulator { get; private set; }
    public string DataDirectory { get; }
    /// <summary>Authenticated client on the API base URL (trailing slash), responses schema-validated.</summary>
    public HttpClient Http { get; }
    public ValidatingHandler Handler { get; }
    public ICogniteFilesApi Api { get; }
    private bool OwnsDirectory { get; }

    /// <summary>Client for pre-signed URLs: no Authorization header, ever.</summary>
    public static readonly HttpClient Plain = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static EmulatorOptions DefaultOptions(string dataDirectory) => new()
    {
        DataDirectory = dataDirectory,
        MinPartSize = 1024,
        MaxJsonBodyBytes = 256 * 1024,
    };

    public static async Task<EmulatorHarness> StartAsync(Action<EmulatorOptions>? configure = null, string? dataDirectory = null)
    {
        var owns = dataDirectory is null;
        dataDirectory ??= Path.Combine(Path.GetTempPath(), "cogfiles-emu-tests", Guid.NewGuid().ToString("N"));
        var options = DefaultOptions(dataDirectory);
        configure?.Invoke(options);
        var emulator = await CogniteFilesEmulator.StartAsync(options).ConfigureAwait(false);
        var validator = await OpenApiResponseValidator.GetAsync().ConfigureAwait(false);
        var handler = new ValidatingHandler(validator, emulator.ApiBaseUrl.AbsolutePath);
        var http = new HttpClient(handler) { BaseAddress = new Uri(emulator.ApiBaseUrl + "/"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "test");
        return new EmulatorHarness(emulator, dataDirectory, http, handler, owns);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Emulator.DisposeAsync().ConfigureAwait(false);
        if (OwnsDirectory)
            try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static async Task<HttpResponseMessage> PutAsync(string url, byte[] body, CancellationToken cancellationToken = default)
    {
        using var content = new ByteArrayContent(body);
        return await Plain.PutAsync(url, content, cancellationToken).ConfigureAwait(false);
    }
}
