using System.Net;
using Cognite.Files.Api;
using Cognite.Files.Auth;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;
using Refit;

namespace Cognite.Files.Http;

/// <summary>
/// The one place that builds a client's HTTP pipeline, for the plain constructor and for dependency injection alike:
/// the validated copy of the options, the API handler chain, the primary handlers and the Refit binding.
/// </summary>
internal sealed class CogniteHttpPipeline
{
    private readonly IAccessTokenProvider _tokenProvider;
    private readonly ILogger _apiLogger;
    private readonly Polly.ResiliencePipeline<HttpResponseMessage> _resilience;
    private readonly RefitSettings _refitSettings;

    // One per client (per pipeline), shared by every connection of its pre-signed URL client.
    private readonly BandwidthLimiter? _bandwidth;

    public CogniteHttpPipeline(CogniteFilesClientOptions options, IAccessTokenProvider tokenProvider, ILoggerFactory? loggerFactory, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tokenProvider);
        Options = options.ValidatedCopy();
        _tokenProvider = tokenProvider;
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        TimeProvider = timeProvider ?? TimeProvider.System;
        RootUri = Options.GetRootUri();
        ApiBaseUri = Options.GetApiBaseUri();
        _apiLogger = LoggerFactory.CreateLogger("Cognite.Files.Api");
        _resilience = ApiResiliencePipeline.Build(Options, TimeProvider, _apiLogger);
        _refitSettings = CogniteRefitSettings.Create(TimeProvider);
        _bandwidth = Options.MaxTransferBytesPerSecond is { } rate ? new BandwidthLimiter(rate, TimeProvider) : null;
    }

    /// <summary>The validated copy of the caller's options (its <see cref="CogniteFilesClientOptions.Transfer"/> a validated copy too).</summary>
    public CogniteFilesClientOptions Options { get; }

    public ILoggerFactory LoggerFactory { get; }

    public TimeProvider TimeProvider { get; }

    public Uri RootUri { get; }

    public Uri ApiBaseUri { get; }

    /// <summary>
    /// The API handlers, outermost first: headers, telemetry and error mapping → retry and per-attempt timeout (Polly) →
    /// bearer token (with one retry after a 401) → body buffering (inside the per-attempt timeout).
    /// </summary>
    public DelegatingHandler[] CreateApiHandlers() =>
    [
        new CogniteApiHandler(Options, _apiLogger, TimeProvider),
        new ResilienceHandler(_resilience),
        new BearerTokenHandler(_tokenProvider, ApiBaseUri),
        new ResponseBufferingHandler(),
    ];

    /// <summary>
    /// The handlers of the pre-signed URL client, outermost first: the bandwidth cap when
    /// <see cref="CogniteFilesClientOptions.MaxTransferBytesPerSecond"/> is set (all handlers made here share one
    /// limiter), else none. Never an auth handler.
    /// </summary>
    public DelegatingHandler[] CreatePresignedHandlers() => _bandwidth is null ? [] : [new BandwidthLimitHandler(_bandwidth)];

    /// <summary>The Refit binding of <see cref="ICogniteFilesApi"/> over an HTTP client whose handlers are <see cref="CreateApiHandlers"/>.</summary>
    public ICogniteFilesApi CreateApi(HttpClient apiHttp) => RestService.For<ICogniteFilesApi>(apiHttp, _refitSettings);

    /// <summary>Links <paramref name="handlers"/> (outermost first) in front of <paramref name="primary"/>.</summary>
    public static HttpMessageHandler Chain(DelegatingHandler[] handlers, HttpMessageHandler primary)
    {
        var chain = primary;
        for (var i = handlers.Length - 1; i >= 0; i--)
        {
            handlers[i].InnerHandler = chain;
            chain = handlers[i];
        }

        return chain;
    }

    public static HttpMessageHandler CreatePrimaryHandler(bool decompress) => new SocketsHttpHandler
    {
        // Long-lived clients must still notice DNS changes.
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AutomaticDecompression = decompress ? DecompressionMethods.All : DecompressionMethods.None,
        // A redirect must not carry anything anywhere unexpected; pre-signed URLs never redirect.
        AllowAutoRedirect = false,
    };
}
