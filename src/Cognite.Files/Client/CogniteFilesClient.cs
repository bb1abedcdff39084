using Cognite.Files.Api;
using Cognite.Files.Http;
using Cognite.Files.Transfer;
using Microsoft.Extensions.Logging;
using Microsoft.Kiota.Abstractions.Authentication;

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
    /// <c>services.AddCogniteFiles(...)</c> instead.
    /// </summary>
    /// <param name="options">Where and how to connect; copied and validated here (see <see cref="CogniteFilesClientOptions.Validate"/>), so later changes to the object have no effect.</param>
    /// <param name="tokenProvider">Gives the bearer token; it is sent only to the API's scheme, host and port. One provider may serve several clients.</param>
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
        : this(new CogniteHttpPipeline(options, tokenProvider, loggerFactory, timeProvider), apiPrimaryHandler, presignedPrimaryHandler)
    {
    }

    private CogniteFilesClient(CogniteHttpPipeline pipeline, HttpMessageHandler? apiPrimaryHandler, HttpMessageHandler? presignedPrimaryHandler)
        : this(
            pipeline,
            new HttpClient(CogniteHttpPipeline.Chain(pipeline.CreateApiHandlers(), apiPrimaryHandler ?? CogniteHttpPipeline.CreatePrimaryHandler(decompress: true)), disposeHandler: apiPrimaryHandler is null)
            {
                BaseAddress = pipeline.ApiBaseUri,
                Timeout = Timeout.InfiniteTimeSpan,
            },
            new HttpClient(CogniteHttpPipeline.Chain(pipeline.CreatePresignedHandlers(), presignedPrimaryHandler ?? CogniteHttpPipeline.CreatePrimaryHandler(decompress: false)), disposeHandler: presignedPrimaryHandler is null) { Timeout = Timeout.InfiniteTimeSpan },
            ownsHttpClients: true)
    {
    }

    /// <summary>
    /// Construction over ready HTTP clients whose API handlers came from <paramref name="pipeline"/>: from dependency
    /// injection (IHttpClientFactory owns them) or from the constructors above (this client owns them).
    /// </summary>
    internal CogniteFilesClient(CogniteHttpPipeline pipeline, HttpClient apiHttp, HttpClient presignedHttp, bool ownsHttpClients = false)
    {
        // The caller's view is a copy of its own: the pipeline and the engine keep theirs, so changing it has no effect.
        Options = pipeline.Options.ValidatedCopy();
        Transfer = pipeline.Options.Transfer;
        LoggerFactory = pipeline.LoggerFactory;
        TimeProvider = pipeline.TimeProvider;
        ApiBaseUri = pipeline.ApiBaseUri;
        RootUri = pipeline.RootUri;
        Api = pipeline.CreateApi(apiHttp);
        PresignedUrls = new PresignedUrlClient(presignedHttp, TimeProvider);
        _owned = ownsHttpClients ? [apiHttp, presignedHttp] : [];
    }

    /// <summary>The generated Refit interface, fully wired: bearer auth, <see cref="CogniteApiException"/> errors, retries and timeouts.</summary>
    public ICogniteFilesApi Api { get; }

    /// <summary>A validated copy of the options this client was built with (changing it has no effect on the client).</summary>
    public CogniteFilesClientOptions Options { get; }

    /// <summary>The client's transfer settings: the validated copy, shared by every call that does not pass its own.</summary>
    internal TransferOptions Transfer { get; }

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

    /// <summary>Resolves an upload or download URL that CDF may return relative to the root.</summary>
    internal Uri ResolveTransferUrl(string url)
    {
        ArgumentException.ThrowIfNullOrEmpty(url);
        var uri = new Uri(url, UriKind.RelativeOrAbsolute);
        return uri.IsAbsoluteUri ? uri : new Uri(RootUri, url.TrimStart('/'));
    }
}
