using System.Collections.Concurrent;
using Cognite.Files.Auth;
using Cognite.Files.Emulator;
using Microsoft.Extensions.Logging;

namespace Cognite.Files.Reliability.Tests.Support;

/// <summary>An in-process emulator on 127.0.0.1:0 with a temp data directory, and a <see cref="CogniteFilesClient"/> for it.</summary>
internal sealed class EmulatorClient : IAsyncDisposable
{
    public const string DefaultToken = "reliability-token";

    private EmulatorClient(CogniteFilesEmulator emulator, DirectoryInfo dir)
    {
        Emulator = emulator;
        Directory = dir;
    }

    public CogniteFilesEmulator Emulator { get; }

    public DirectoryInfo Directory { get; }

    /// <summary>The CDF root URL of the emulator (what CogniteFilesClientOptions.BaseUrl takes).</summary>
    public Uri Root => new(Emulator.ApiBaseUrl.GetLeftPart(UriPartial.Authority));

    public static async Task<EmulatorClient> StartAsync(Action<EmulatorOptions>? configure = null)
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("cf-rel-");
        var options = new EmulatorOptions { DataDirectory = Path.Combine(dir.FullName, "data"), AcceptedTokens = [DefaultToken], MinPartSize = 64 * 1024 };
        configure?.Invoke(options);
        return new EmulatorClient(await CogniteFilesEmulator.StartAsync(options), dir);
    }

    /// <summary>A client for the emulator; <paramref name="presigned"/> (wrapping a real socket handler) sees every upload/download URL request.</summary>
    public CogniteFilesClient Client(
        string token = DefaultToken,
        Action<CogniteFilesClientOptions>? configure = null,
        ILoggerFactory? loggerFactory = null,
        DelegatingHandler? presigned = null,
        HttpMessageHandler? api = null)
    {
        var options = new CogniteFilesClientOptions
        {
            BaseUrl = Root,
            Project = Emulator.Options.Project,
            AppName = "reliability-tests",
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
            MaxRetryDelay = TimeSpan.FromMilliseconds(50),
        };
        configure?.Invoke(options);
        if (presigned is not null)
        {
            presigned.InnerHandler ??= Cognite.Files.Http.CogniteHttpPipeline.CreatePrimaryHandler(decompress: false);
        }

        return presigned is null && api is null
            ? new CogniteFilesClient(options, new StaticAccessTokenProvider(token), loggerFactory)
            : new CogniteFilesClient(options, new StaticAccessTokenProvider(token), loggerFactory, null, api, presigned);
    }

    public async ValueTask DisposeAsync()
    {
        await Emulator.DisposeAsync();
        try
        {
            Directory.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A delegating handler whose behaviour is a lambda over the inner handler.</summary>
internal sealed class InterceptingHandler(Func<HttpRequestMessage, Func<HttpRequestMessage, Task<HttpResponseMessage>>, Task<HttpResponseMessage>> send) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        send(request, r => base.SendAsync(r, cancellationToken));
}

/// <summary>Collects every log line (formatted message plus exception text) of every category.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            lines.Enqueue($"[scope {category}] {state}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            lines.Enqueue($"{logLevel} {category} {formatter(state, exception)} {{{structured}}} {exception}");
        }
    }
}
