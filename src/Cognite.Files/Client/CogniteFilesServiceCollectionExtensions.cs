using Cognite.Files.Api;
using Cognite.Files.Auth;
using Cognite.Files.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Kiota.Abstractions.Authentication;
using Refit;

namespace Cognite.Files;

/// <summary>Registers <see cref="CogniteFilesClient"/> and <see cref="ICogniteFilesApi"/> on IHttpClientFactory.</summary>
public static class CogniteFilesServiceCollectionExtensions
{
    /// <summary>The IHttpClientFactory name of the client for pre-signed upload and download URLs (no auth handler).</summary>
    public const string PresignedHttpClientName = "Cognite.Files.Presigned";

    /// <summary>
    /// Registers the client with the <see cref="IAccessTokenProvider"/> found in the container (e.g.
    /// <c>services.AddSingleton&lt;IAccessTokenProvider&gt;(new ClientCredentialsAccessTokenProvider(…))</c>).
    /// </summary>
    public static IServiceCollection AddCogniteFiles(this IServiceCollection services, Action<CogniteFilesClientOptions> configure) =>
        AddCogniteFiles(services, configure, sp => sp.GetService<IAccessTokenProvider>()
            ?? throw new InvalidOperationException("AddCogniteFiles: no IAccessTokenProvider is registered. Register one (e.g. a ClientCredentialsAccessTokenProvider) or use the AddCogniteFiles overload that takes a token provider factory."));

    /// <summary>
    /// Registers <see cref="CogniteFilesClient"/> (singleton) and <see cref="ICogniteFilesApi"/> on IHttpClientFactory,
    /// with the token provider made by <paramref name="tokenProviderFactory"/> (called once). Options are validated
    /// when the client is first resolved. A registered <see cref="TimeProvider"/> and <see cref="ILoggerFactory"/> are used.
    /// </summary>
    public static IServiceCollection AddCogniteFiles(this IServiceCollection services, Action<CogniteFilesClientOptions> configure, Func<IServiceProvider, IAccessTokenProvider> tokenProviderFactory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(tokenProviderFactory);
        if (services.Any(d => d.ServiceType == typeof(CogniteFilesServices)))
        {
            throw new InvalidOperationException("AddCogniteFiles was already called on this service collection.");
        }

        services.AddOptions<CogniteFilesClientOptions>().Configure(configure);
        services.AddSingleton(sp => new CogniteFilesServices(
            sp.GetRequiredService<IOptions<CogniteFilesClientOptions>>().Value,
            tokenProviderFactory(sp),
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance,
            sp.GetService<TimeProvider>() ?? TimeProvider.System));

        services.AddRefitGeneratedClient<ICogniteFilesApi>(CogniteRefitSettings.Create())
            .ConfigureHttpClient((sp, http) =>
            {
                http.BaseAddress = sp.GetRequiredService<CogniteFilesServices>().ApiBaseUri;
                http.Timeout = Timeout.InfiniteTimeSpan; // per-attempt timeouts live in the resilience pipeline
            })
            .ConfigurePrimaryHttpMessageHandler(() => CogniteFilesClient.CreatePrimaryHandler(decompress: true))
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan) // the primary handler recycles connections itself
            // App-wide defaults (e.g. ConfigureHttpClientDefaults(b => b.AddStandardResilienceHandler())) must not add a
            // second retry layer: this client has its own, with CDF's rules. Runs before the handlers below are added.
            .WithoutInheritedResilienceHandlers()
            // Outermost first: error mapping and telemetry, then retry and per-attempt timeout, then the bearer token.
            .AddHttpMessageHandler(sp => sp.GetRequiredService<CogniteFilesServices>().CreateApiHandler())
            .AddHttpMessageHandler(sp => new ResilienceHandler(sp.GetRequiredService<CogniteFilesServices>().Pipeline))
            .AddHttpMessageHandler(sp => sp.GetRequiredService<CogniteFilesServices>().CreateBearerHandler())
            .AddHttpMessageHandler(() => new ResponseBufferingHandler());

        services.AddHttpClient(PresignedHttpClientName)
            .ConfigureHttpClient(http => http.Timeout = Timeout.InfiniteTimeSpan) // stall detection, not a whole-request timeout
            .ConfigurePrimaryHttpMessageHandler(() => CogniteFilesClient.CreatePrimaryHandler(decompress: false))
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            // No app-wide resilience defaults on part PUTs: a total-request timeout would kill healthy slow parts and a
            // generic retry would re-send consumed bodies; the transfer engine retries parts itself.
            .WithoutInheritedResilienceHandlers();

        services.AddSingleton(sp =>
        {
            var s = sp.GetRequiredService<CogniteFilesServices>();
            var presigned = sp.GetRequiredService<IHttpClientFactory>().CreateClient(PresignedHttpClientName);
            return new CogniteFilesClient(s.Options, sp.GetRequiredService<ICogniteFilesApi>(), new PresignedUrlClient(presigned), s.LoggerFactory, s.TimeProvider);
        });
        return services;
    }

    /// <summary>Drops resilience handlers added to every client by app-wide defaults (configured before this builder's own).</summary>
    private static IHttpClientBuilder WithoutInheritedResilienceHandlers(this IHttpClientBuilder builder) =>
        builder.ConfigureAdditionalHttpMessageHandlers((handlers, _) =>
        {
            for (var i = handlers.Count - 1; i >= 0; i--)
            {
                if (handlers[i] is ResilienceHandler)
                {
                    handlers.RemoveAt(i);
                }
            }
        });

    /// <summary>What the DI registrations share: validated options, the bound token provider, clock and logging.</summary>
    internal sealed class CogniteFilesServices
    {
        public CogniteFilesServices(CogniteFilesClientOptions options, IAccessTokenProvider tokenProvider, ILoggerFactory loggerFactory, TimeProvider timeProvider)
        {
            options.Validate();
            Options = options;
            TokenProvider = tokenProvider ?? throw new InvalidOperationException("The token provider factory returned null.");
            LoggerFactory = loggerFactory;
            TimeProvider = timeProvider;
            ApiBaseUri = options.GetApiBaseUri();
            BearerTokenHandler.BindAllowedHost(tokenProvider, ApiBaseUri);
            Logger = loggerFactory.CreateLogger("Cognite.Files.Api");
            Pipeline = ApiResiliencePipeline.Build(options, timeProvider, Logger);
        }

        public ILogger Logger { get; }

        public Polly.ResiliencePipeline<HttpResponseMessage> Pipeline { get; }

        public CogniteFilesClientOptions Options { get; }

        public IAccessTokenProvider TokenProvider { get; }

        public ILoggerFactory LoggerFactory { get; }

        public TimeProvider TimeProvider { get; }

        public Uri ApiBaseUri { get; }

        public DelegatingHandler CreateApiHandler() => new CogniteApiHandler(Options, Logger, TimeProvider);

        public DelegatingHandler CreateBearerHandler() => new BearerTokenHandler(TokenProvider, ApiBaseUri);
    }
}
