using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Connections;

namespace Cognite.Files.Emulator;

/// <summary>Everything a request handler needs.</summary>
internal sealed class EmulatorState
{
    public required EmulatorOptions Options { get; init; }
    public required FileStore Store { get; init; }
    public required UrlSigner Signer { get; init; }
    public required RequestSchemas Schemas { get; init; }
    public required EmulatorCounters Counters { get; init; }
    public required FaultController Faults { get; init; }
    public ApiHandler Api { get; set; } = null!;

    /// <summary>The periodic sweep of never-uploaded files and expired sessions.</summary>
    public ITimer? Cleanup { get; set; }

    public void SweepQuietly()
    {
        try
        {
            Store.Sweep(Options.TimeProvider.GetUtcNow());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException or ObjectDisposedException or InvalidOperationException)
        {
            // The next sweep tries again; a disposed store means the emulator is stopping.
        }
    }
    /// <summary>Base of pre-signed URLs, e.g. <c>http://127.0.0.1:5081/</c>.</summary>
    public string UploadBase { get; set; } = "";
}

/// <summary>
/// A local Cognite Files API: an API listener (<see cref="ApiBaseUrl"/>, bearer token required) and an upload listener
/// (<see cref="UploadBaseUrl"/>, pre-signed URLs only) on 127.0.0.1. Metadata in SQLite and content files under
/// <see cref="EmulatorOptions.DataDirectory"/>; both survive a restart.
/// </summary>
public sealed partial class CogniteFilesEmulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly EmulatorState _state;
    private int _disposed;

    private CogniteFilesEmulator(WebApplication app, EmulatorState state, Uri api, Uri upload)
    {
        _app = app;
        _state = state;
        ApiBaseUrl = api;
        UploadBaseUrl = upload;
    }

    /// <summary>What SDK users pass as base URL: <c>http://127.0.0.1:PORT/api/v1/projects/{project}</c> (no trailing slash).</summary>
    public Uri ApiBaseUrl { get; }

    /// <summary>Root of the upload listener, e.g. <c>http://127.0.0.1:PORT2/</c>.</summary>
    public Uri UploadBaseUrl { get; }

    /// <summary>Root of the API listener (admin endpoints live under <c>/_emulator/</c> here).</summary>
    public Uri AdminBaseUrl => new(ApiBaseUrl.GetLeftPart(UriPartial.Authority) + "/_emulator/");

    /// <summary>Request, byte and fault counters.</summary>
    public EmulatorCounters Counters => _state.Counters;

    /// <summary>Fault settings, changeable at run time.</summary>
    public FaultController Faults => _state.Faults;

    /// <summary>The directory of the metadata and the content: <see cref="EmulatorOptions.DataDirectory"/>; with the memory content store (both in memory) an empty temporary one.</summary>
    public string DataDirectory => _state.Store.Root;

    /// <summary>The options the emulator was started with.</summary>
    public EmulatorOptions Options => _state.Options;

    /// <summary>Starts both listeners and returns once they accept connections.</summary>
    public static async Task<CogniteFilesEmulator> StartAsync(EmulatorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var schemas = await RequestSchemas.GetAsync().ConfigureAwait(false);
        var store = FileStore.Open(options);
        try
        {
            var key = Convert.FromBase64String(store.GetOrCreateSetting("url-signing-key", () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));
            var state = new EmulatorState
            {
                Options = options,
                Store = store,
                Signer = new UrlSigner(key),
                Schemas = schemas,
                Counters = new EmulatorCounters(),
                Faults = new FaultController(options.Faults, options.BandwidthBytesPerSecondPerConnection) { IgnoreRangeRequests = options.IgnoreRangeRequests },
            };
            // For the upload listener's project-free uses (faults, committing content by file id).
            state.Api = new ApiHandler(state, options.Project);

            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Production" });
            builder.Logging.ClearProviders();
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
            builder.Services.AddSingleton<IMemoryPoolFactory<byte>, ConnectionMemoryPoolFactory>(); // 256 KiB receives: see the type
            if (options.CompactMemoryWhenIdle) builder.Services.AddSingleton<IdleHeapCompaction>();
            var address = IPAddress.Parse(options.Host);
            ListenOptions? apiListen = null, uploadListen = null;
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.AddServerHeader = false;
                k.Limits.MaxRequestBodySize = null; // uploads are unbounded; JSON bodies are capped by the handler
                k.Limits.MinRequestBodyDataRate = null; // stalls and throttling are intentional
                k.Limits.MinResponseDataRate = null;
                k.Listen(address, options.ApiPort, l => apiListen = l);
                k.Listen(address, options.UploadPort, l => uploadListen = l);
            });
            var app = builder.Build();
            var dispatcher = new Dispatcher(state);
            if (app.Services.GetService<IdleHeapCompaction>() is { } compaction) app.Use(compaction.WatchAsync);
            app.Use(dispatcher.HandleAsync);
            app.UseRouting();
            MapOperations(app, state, schemas);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            // CDF's week, on the emulator's clock: now (a data directory may be old), then every CleanupInterval.
            store.Sweep(options.TimeProvider.GetUtcNow());
            state.Cleanup = options.TimeProvider.CreateTimer(static s => ((EmulatorState)s!).SweepQuietly(), state, EmulatorConventions.CleanupInterval, EmulatorConventions.CleanupInterval);

            var apiPort = ((IPEndPoint)apiListen!.EndPoint).Port;
            var uploadPort = ((IPEndPoint)uploadListen!.EndPoint).Port;
            dispatcher.ApiPort = apiPort;
            var host = address.ToString();
            state.UploadBase = $"http://{host}:{uploadPort.ToString(CultureInfo.InvariantCulture)}/";
            var api = new Uri($"http://{host}:{apiPort.ToString(CultureInfo.InvariantCulture)}/api/v1/projects/{Uri.EscapeDataString(options.Project)}");
            return new CogniteFilesEmulator(app, state, api, new Uri(state.UploadBase));
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Lowercase hex SHA-256 of the file's stored content; null if the file or its content does not exist.</summary>
    public Task<string?> GetContentSha256Async(long fileId, CancellationToken cancellationToken = default) =>
        CogniteFilesEmulatorSha.ComputeAsync(_state, fileId, cancellationToken);

    /// <summary>Reads the file's stored content (the caller disposes it); null if the file or its content does not exist.</summary>
    public Stream? OpenStoredContent(long fileId) => CogniteFilesEmulatorSha.OpenStored(_state, fileId);

    /// <summary>Stops the listeners and closes the database. The data directory is kept.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _state.Cleanup?.Dispose();
        try
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            _state.Store.Dispose();
        }
    }

    /// <summary>
    /// One endpoint per operation of the embedded OpenAPI document (the project a route value; a trailing slash is
    /// accepted, as CDF does), each running the handler of its operation id; a document operation without a handler
    /// stops the emulator from starting. Anything else is a CDF-shaped 404 (403 for a project outside
    /// <see cref="EmulatorOptions.AllowedProjects"/>).
    /// </summary>
    private static void MapOperations(WebApplication app, EmulatorState state, RequestSchemas schemas)
    {
        foreach (var (method, path, operationId) in schemas.Operations)
        {
            if (!ApiHandler.Handlers.ContainsKey(operationId))
                throw new InvalidOperationException($"The emulator has no handler for operation {operationId} ({method} {path}) of openapi/cognite-files.yaml.");
            // Path parameters of the document are ids: constrained to int64, so /files/list is never taken for one.
            var route = ProjectPrefix + PathParameter().Replace(path, "{$1:long}");
            app.MapMethods(route, [method], context =>
            {
                var project = (string)context.Request.RouteValues["project"]!;
                state.Options.CheckProject(project);
                return new ApiHandler(state, project).HandleAsync(context, operationId);
            });
        }

        // "{**path}": every path, also those that look like file names ("1.5"), which the default fallback skips.
        app.MapFallback("{**path}", context =>
        {
            var path = context.Request.Path.Value ?? "";
            if (path.StartsWith("/api/v1/projects/", StringComparison.Ordinal))
            {
                var project = path["/api/v1/projects/".Length..].Split('/')[0];
                if (project.Length > 0) state.Options.CheckProject(Uri.UnescapeDataString(project));
                // The catch-all wins over routing's own 405, so a known path with another method is told apart here.
                var known = schemas.Operations.Any(o => MatchesTemplate(path, ProjectPrefix + o.Path));
                throw known
                    ? new CdfError(405, $"Method {context.Request.Method} is not allowed on {path}.")
                    : new CdfError(404, $"No such endpoint: {context.Request.Method} {path}.");
            }

            throw new CdfError(404, "Not found.");
        });
    }

    private const string ProjectPrefix = "/api/v1/projects/{project}";

    /// <summary>
    /// Whether <paramref name="path"/> (a trailing slash allowed) has the shape of <paramref name="template"/>. A
    /// <c>{name}</c> matches one segment that its route would take: the project any name, a path parameter (an id) an
    /// integer, as the <c>long</c> constraint of <see cref="MapOperations"/> has it; so <c>/files/frobnicate</c> is no file.
    /// </summary>
    private static bool MatchesTemplate(string path, string template)
    {
        var segments = path.TrimEnd('/').Split('/');
        var parts = template.Split('/');
        return segments.Length == parts.Length && parts.Zip(segments).All(p => p.First switch
        {
            "{project}" => true,
            ['{', ..] => long.TryParse(p.Second, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
            _ => string.Equals(p.First, p.Second, StringComparison.Ordinal),
        });
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\{(\w+)\}")]
    private static partial System.Text.RegularExpressions.Regex PathParameter();

    /// <summary>Routes by listener (local port), sets <c>x-request-id</c> and maps every failure to a CDF error body.</summary>
    private sealed class Dispatcher(EmulatorState state)
    {
        private readonly UploadHandler _upload = new(state);
        private readonly AdminHandler _admin = new(state);
        private long _requestCounter;
        public int ApiPort { get; set; } = -1;

        public async Task HandleAsync(HttpContext context, RequestDelegate next)
        {
            // The random half tells emulator runs apart; it needs no cryptographic source (a Guid costs a system call).
            var id = "emu-" + Interlocked.Increment(ref _requestCounter).ToString("x8", CultureInfo.InvariantCulture) + "-" + Random.Shared.Next().ToString("x8", CultureInfo.InvariantCulture);
            context.Response.Headers["x-request-id"] = id;
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                await HandleCoreAsync(context, next).ConfigureAwait(false);
            }
            finally
            {
                if (state.Options.RequestLog is { } log)
                {
                    var outcome = context.RequestAborted.IsCancellationRequested ? "aborted" : context.Response.StatusCode.ToString(CultureInfo.InvariantCulture);
                    var ms = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    log($"{id} {context.Request.Method} {context.Request.Path} -> {outcome} in {ms.ToString("0", CultureInfo.InvariantCulture)} ms");
                }
            }
        }

        private async Task HandleCoreAsync(HttpContext context, RequestDelegate next)
        {
            try
            {
                if (context.Connection.LocalPort != ApiPort)
                {
                    await _upload.HandleAsync(context).ConfigureAwait(false);
                    return;
                }
                var path = context.Request.Path.Value ?? "";
                if (path.StartsWith("/_emulator/", StringComparison.Ordinal))
                {
                    await _admin.HandleAsync(context, path["/_emulator".Length..]).ConfigureAwait(false);
                    return;
                }
                await next(context).ConfigureAwait(false);
                if (context.Response.StatusCode == StatusCodes.Status405MethodNotAllowed && !context.Response.HasStarted)
                {
                    // Routing found the path but not the method: say so in CDF's error format.
                    throw new CdfError(405, $"Method {context.Request.Method} is not allowed on {path}.");
                }
            }
            catch (CdfError e)
            {
                await TryWriteErrorAsync(context, e.Status, e.Message, e.Missing, e.Duplicated).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // client went away
            }
            catch (Microsoft.AspNetCore.Http.BadHttpRequestException e)
            {
                await TryWriteErrorAsync(context, e.StatusCode, "Bad request: " + e.Message).ConfigureAwait(false);
            }
            catch (ConnectionResetException)
            {
            }
            catch (IOException) when (context.RequestAborted.IsCancellationRequested)
            {
            }
#pragma warning disable CA1031 // the catch-all maps anything unexpected to a CDF error instead of a bare 500
            catch (Exception e)
#pragma warning restore CA1031
            {
                await TryWriteErrorAsync(context, 500, "Internal emulator error: " + e.GetType().Name).ConfigureAwait(false);
            }
        }

        private static async Task TryWriteErrorAsync(HttpContext context, int status, string message, IReadOnlyList<object>? missing = null, IReadOnlyList<object>? duplicated = null)
        {
            if (context.Response.HasStarted || context.RequestAborted.IsCancellationRequested) return;
            try
            {
                var requestId = context.Response.Headers["x-request-id"].ToString();
                context.Response.Clear();
                context.Response.Headers["x-request-id"] = requestId;
                await HttpJson.WriteErrorAsync(context, status, message, missing, duplicated).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
            {
            }
        }
    }
}
