using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace Cognite.Files.Diagnostics;

/// <summary>
/// The SDK's one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both named <c>Cognite.Files</c>.
/// Listen to them with OpenTelemetry (<c>AddSource("Cognite.Files")</c>, <c>AddMeter("Cognite.Files")</c>).
/// </summary>
public static class CogniteFilesTelemetry
{
    /// <summary>The name of the activity source and the meter.</summary>
    public const string Name = "Cognite.Files";

    /// <summary>The package version, as sent in the User-Agent.</summary>
    public static string Version { get; } =
        typeof(CogniteFilesTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0]
        ?? typeof(CogniteFilesTelemetry).Assembly.GetName().Version?.ToString()
        ?? "0.0.0";

    /// <summary>Activities: one per API call, per upload and per part.</summary>
    public static ActivitySource ActivitySource { get; } = new(Name, Version);

    /// <summary>Counters and histograms: bytes, parts, retries.</summary>
    public static Meter Meter { get; } = new(Name, Version);
}
