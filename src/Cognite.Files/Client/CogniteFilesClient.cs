using System.Net;
using Cognite.Files.Api;
using Cognite.Files.Auth;
using Cognite.Files.Http;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;
using Refit;

namespace Cognite.Files;

/// <summary>
/// The entry point of the SDK: the generated <see cref="ICogniteFilesApi"/> fully wired (auth, typed errors,
/// retries, per-attempt timeout, telemetry) plus convenience methods for listing, retrieving, updating, deleting,
/// and moving file content. Thread-safe; create one per CDF project and reuse it.
/// </summary>
/// <remarks>
/// API calls pass, outermost first: error mapping and telemetry → retry (Polly) → per-attempt timeout → bearer token
/// → network. Pre-signed upload and download URLs go through a separate <see cref="HttpClient"/> that has no auth
/// handler at all, and no whole-request timeout.
/// </remarks>
public sealed partial class CogniteFilesClient : IDisposable
{
    private readonly IDisposable[] _owned;
    private int _disposed;

    /// <summary>
    /// Creates a client for non-DI use, with its own HTTP handlers. With dependency injection use
    /// <see cref="CogniteFilesServiceCollectionExtensions.AddCogniteFiles(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{CogniteFilesClientOptions})"/> instead.
    /// </summary>
    /// <param name="options">Where and how to connect; validated here (see <see cref="CogniteFilesClientOptions.Validate"/>).</param>
    /// <param name="tokenProvider">Gives the bearer token for the API host; an empty allowed-hosts list is set to the API host.</param>
    /// <param name="loggerFactory">Optional logging.</param>
    /// <param name="timeProvider">Optional clock for retries, timeouts and transfers (tests pass a fake one).</param>
    public CogniteFilesClient(CogniteFilesClientOptions options, IAccessTokenProvider tokenProvider, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
        : this(options, tokenProvider, loggerFactory, timeProvider, null, null)
    {
    }

    /// <summary>Plain construction with replaceable primary handlers (tests).</summary>
    internal CogniteFilesClient(
        CogniteFilesClientOptions options,
        IAccessTokenProvider tokenProvider,
        ILoggerFactory? loggerFactory,
        TimeProvider? timeProvider,
        HttpMessageHandler? apiPrimaryHandler,
        HttpMessageHandler? presignedPrimaryHandler)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tokenProvider);
        options.Validate();
        Options = options;
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        TimeProvider = timeProvider ?? TimeProvider.System;
        ApiBaseUri = options.GetApiBaseUri();
        RootUri = options.GetRootUri();

        var handlers = CreateApiHandlers(options, tokenProvider, LoggerFactory, TimeProvider);
        HttpMessageHandler chain = apiPrimaryHandler ?? CreatePrimaryHandler(decompress: true);
        for (var i = handlers.Length - 1; i >= 0; i--)
        {
            handlers[i].InnerHandler = chain;
            chain = handlers[i];
        }

        var apiHttp = new HttpClient(chain, disposeHandler: apiPrimaryHandler is null) { BaseAddress = ApiBaseUri, Timeout = Timeout.InfiniteTimeSpan };
        var presignedHttp = new HttpClient(presignedPrimaryHandler ?? CreatePrimaryHandler(decompress: false), disposeHandler: presignedPrimaryHandler is null) { Timeout = Timeout.InfiniteTimeSpan };
        Api = RestService.For<ICogniteFilesApi>(apiHttp, CogniteRefitSettings.Create());
        PresignedUrls = new PresignedUrlClient(presignedHttp);
        _owned = apiPrimaryHandler is null ? [apiHttp, presignedHttp, .. handlers] : [apiHttp, presignedHttp];
    }

    /// <summary>Construction from dependency injection: the HTTP clients come from IHttpClientFactory.</summary>
    internal CogniteFilesClient(CogniteFilesClientOptions options, ICogniteFilesApi api, PresignedUrlClient presignedUrls, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        Options = options;
        Api = api;
        PresignedUrls = presignedUrls;
        LoggerFactory = loggerFactory;
        TimeProvider = timeProvider;
        ApiBaseUri = options.GetApiBaseUri();
        RootUri = options.GetRootUri();
        _owned = [];
    }

    /// <summary>The generated Refit interface, fully wired: bearer auth, <see cref="CogniteApiException"/> errors, retries and timeouts.</summary>
    public ICogniteFilesApi Api { get; }

    /// <summary>The validated options this client was built with. Do not change them after construction.</summary>
    public CogniteFilesClientOptions Options { get; }

    /// <summary>PUT/GET of pre-signed URLs; no auth handler, no whole-request timeout.</summary>
    internal PresignedUrlClient PresignedUrls { get; }

    /// <summary>The clock of retries, timeouts and transfers.</summary>
    internal TimeProvider TimeProvider { get; }

    /// <summary>Where the client and the transfer engine log.</summary>
    internal ILoggerFactory LoggerFactory { get; }

    /// <summary><c>{root}/api/v1/projects/{project}/</c>.</summary>
    internal Uri ApiBaseUri { get; }

    /// <summary>The CDF root; relative upload URLs are resolved against it.</summary>
    internal Uri RootUri { get; }

    /// <summary>Releases the HTTP clients this instance created (none when it came from dependency injection).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var d in _owned)
        {
            d.Dispose();
        }
    }

    /// <summary>The API handlers, outermost first: error mapping/telemetry, resilience, bearer token, body buffering (inside the per-attempt timeout).</summary>
    internal static DelegatingHandler[] CreateApiHandlers(CogniteFilesClientOptions options, IAccessTokenProvider tokenProvider, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        var apiBase = options.GetApiBaseUri();
        BearerTokenHandler.BindAllowedHost(tokenProvider, apiBase);
        var logger = loggerFactory.CreateLogger("Cognite.Files.Api");
        return
        [
            new CogniteApiHandler(options, logger, timeProvider),
            new ResilienceHandler(ApiResiliencePipeline.Build(options, timeProvider, logger)),
            new BearerTokenHandler(tokenProvider, apiBase),
            new ResponseBufferingHandler(),
        ];
    }

    internal static HttpMessageHandler CreatePrimaryHandler(bool decompress) => new SocketsHttpHandler
    {
        // Long-lived clients must still notice DNS changes.
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AutomaticDecompression = decompress ? DecompressionMethods.All : DecompressionMethods.None,
        // A redirect must not carry anything anywhere unexpected; pre-signed URLs never redirect.
        AllowAutoRedirect = false,
    };

    /// <summary>Resolves an upload or download URL that CDF may return relative to the root.</summary>
    internal Uri ResolveTransferUrl(string url)
    {
        ArgumentException.ThrowIfNullOrEmpty(url);
        var uri = new Uri(url, UriKind.RelativeOrAbsolute);
        return uri.IsAbsoluteUri ? uri : new Uri(RootUri, url.TrimStart('/'));
    }
}
