using Cognite.Files;
using Cognite.Files.Api;
using Cognite.Files.Http;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Kiota.Abstractions.Authentication;

// The namespace every Microsoft.Extensions package registers its services in, so `services.AddCogniteFiles(...)` needs
// no extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="CogniteFilesClient"/> and <see cref="ICogniteFilesApi"/> on IHttpClientFactory.</summary>
public static class CogniteFilesServiceCollectionExtensions
{
    /// <summary>
    /// Registers the default client (a singleton <see cref="CogniteFilesClient"/> and its <see cref="ICogniteFilesApi"/>)
    /// with the <see cref="IAccessTokenProvider"/> found in the container, or the one made by
    /// <paramref name="tokenProviderFactory"/> (called once). Options are copied and validated when the client is first
    /// resolved. A registered <see cref="TimeProvider"/> and <see cref="ILoggerFactory"/> are used.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options (cluster or base URL, project, app name, transfer settings).</param>
    /// <param name="tokenProviderFactory">Makes the token provider; by default the registered <see cref="IAccessTokenProvider"/>.</param>
    public static IServiceCollection AddCogniteFiles(this IServiceCollection services, Action<CogniteFilesClientOptions> configure, Func<IServiceProvider, IAccessTokenProvider>? tokenProviderFactory = null) =>
        AddCogniteFilesCore(services, Microsoft.Extensions.Options.Options.DefaultName, configure, tokenProviderFactory);

    /// <summary>
    /// Registers a named client, for two projects or clusters in one container: resolve it with
    /// <c>[FromKeyedServices("name")] CogniteFilesClient</c> or <c>GetRequiredKeyedService&lt;CogniteFilesClient&gt;("name")</c>
    /// (its <see cref="ICogniteFilesApi"/> likewise). Each name has its own options, token provider and HTTP handlers.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The client's name (the service key).</param>
    /// <param name="configure">Sets the options of this client.</param>
    /// <param name="tokenProviderFactory">Makes this client's token provider; by default the registered <see cref="IAccessTokenProvider"/>.</param>
    public static IServiceCollection AddCogniteFiles(this IServiceCollection services, string name, Action<CogniteFilesClientOptions> configure, Func<IServiceProvider, IAccessTokenProvider>? tokenProviderFactory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return AddCogniteFilesCore(services, name, configure, tokenProviderFactory);
    }

    private static IServiceCollection AddCogniteFilesCore(IServiceCollection services, string name, Action<CogniteFilesClientOptions> configure, Func<IServiceProvider, IAccessTokenProvider>? tokenProviderFactory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var registration = new Registration(name);
        if (services.Any(d => d.ServiceType == typeof(Registration) && Equals(d.ImplementationInstance, registration)))
        {
            throw new InvalidOperationException(name.Length == 0
                ? "AddCogniteFiles was already called on this service collection; use the overload with a name for a second client."
                : $"AddCogniteFiles was already called for the client named \"{name}\".");
        }

        services.AddSingleton(registration);
        services.AddOptions<CogniteFilesClientOptions>(name).Configure(configure);
        tokenProviderFactory ??= sp => sp.GetService<IAccessTokenProvider>()
            ?? throw new InvalidOperationException("AddCogniteFiles: no IAccessTokenProvider is registered. Register one (e.g. a ClientCredentialsAccessTokenProvider) or pass a token provider factory.");

        // The pipeline (validated options, token provider, clock, logging) is shared by the two HTTP clients of the name.
        services.AddKeyedSingleton(registration, (sp, _) => new CogniteHttpPipeline(
            sp.GetRequiredService<IOptionsMonitor<CogniteFilesClientOptions>>().Get(name),
            tokenProviderFactory(sp) ?? throw new InvalidOperationException("The token provider factory returned null."),
            sp.GetService<ILoggerFactory>(),
            sp.GetService<TimeProvider>()));

        services.AddHttpClient(registration.ApiHttpClientName)
            .ConfigureHttpClient((sp, http) =>
            {
                http.BaseAddress = sp.GetRequiredKeyedService<CogniteHttpPipeline>(registration).ApiBaseUri;
                http.Timeout = Timeout.InfiniteTimeSpan; // per-attempt timeouts live in the resilience pipeline
            })
            .ConfigurePrimaryHttpMessageHandler(() => CogniteHttpPipeline.CreatePrimaryHandler(decompress: true))
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan) // the primary handler recycles connections itself
            // App-wide defaults (e.g. ConfigureHttpClientDefaults(b => b.AddStandardResilienceHandler())) must not add a
            // second retry layer: this client has its own, with CDF's rules. Then the one handler chain of every client.
            .ConfigureAdditionalHttpMessageHandlers((handlers, sp) =>
            {
                RemoveResilienceHandlers(handlers);
                foreach (var handler in sp.GetRequiredKeyedService<CogniteHttpPipeline>(registration).CreateApiHandlers())
                {
                    handlers.Add(handler);
                }
            });

        services.AddHttpClient(registration.PresignedHttpClientName)
            .ConfigureHttpClient(http => http.Timeout = Timeout.InfiniteTimeSpan) // stall detection, not a whole-request timeout
            .ConfigurePrimaryHttpMessageHandler(() => CogniteHttpPipeline.CreatePrimaryHandler(decompress: false))
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            // No app-wide resilience defaults on part PUTs: a total-request timeout would kill healthy slow parts and a
            // generic retry would re-send consumed bodies; the transfer engine retries parts itself. Then the bandwidth cap.
            .ConfigureAdditionalHttpMessageHandlers((handlers, sp) =>
            {
                RemoveResilienceHandlers(handlers);
                foreach (var handler in sp.GetRequiredKeyedService<CogniteHttpPipeline>(registration).CreatePresignedHandlers())
                {
                    handlers.Add(handler);
                }
            });

        Func<IServiceProvider, CogniteFilesClient> createClient = sp =>
        {
            var factory = sp.GetRequiredService<IHttpClientFactory>();
            return new CogniteFilesClient(
                sp.GetRequiredKeyedService<CogniteHttpPipeline>(registration),
                factory.CreateClient(registration.ApiHttpClientName),
                factory.CreateClient(registration.PresignedHttpClientName));
        };
        if (name.Length == 0)
        {
            services.AddSingleton(createClient);
            services.AddSingleton(sp => sp.GetRequiredService<CogniteFilesClient>().Api);
        }
        else
        {
            services.AddKeyedSingleton(name, (sp, _) => createClient(sp));
            services.AddKeyedSingleton(name, (sp, key) => sp.GetRequiredKeyedService<CogniteFilesClient>(key).Api);
        }

        return services;
    }

    private static void RemoveResilienceHandlers(IList<DelegatingHandler> handlers)
    {
        for (var i = handlers.Count - 1; i >= 0; i--)
        {
            if (handlers[i] is ResilienceHandler)
            {
                handlers.RemoveAt(i);
            }
        }
    }

    /// <summary>Marks a name as registered, and keys its shared pipeline.</summary>
    private sealed record Registration(string Name)
    {
        public string ApiHttpClientName => "Cognite.Files.Api:" + Name;

        public string PresignedHttpClientName => "Cognite.Files.Presigned:" + Name;
    }
}
