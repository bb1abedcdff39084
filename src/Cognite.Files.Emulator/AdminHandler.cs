using System.Globalization;
using Microsoft.AspNetCore.Http;
using Newtonsoft.Json;
using Newtonsoft.Json.Converters;
using Newtonsoft.Json.Linq;
using Newtonsoft.Json.Serialization;

namespace Cognite.Files.Emulator;

/// <summary>
/// Emulator-only endpoints on the API listener, no token needed (camelCase JSON, enums as names):
/// <c>GET /_emulator/health</c>, <c>GET /_emulator/counters</c>, <c>POST /_emulator/counters/reset</c>,
/// <c>GET|POST /_emulator/faults</c> (body: <see cref="AdminFaultSettings"/>), <c>GET /_emulator/files/{id}/sha256</c>.
/// </summary>
internal sealed class AdminHandler(EmulatorState state)
{
    internal static readonly JsonSerializerSettings Settings = new()
    {
        ContractResolver = new DefaultContractResolver { NamingStrategy = new CamelCaseNamingStrategy { ProcessDictionaryKeys = false } },
        Converters = { new StringEnumConverter() },
        NullValueHandling = NullValueHandling.Ignore,
        MissingMemberHandling = MissingMemberHandling.Error,
    };

    public async Task HandleAsync(HttpContext context, string path)
    {
        var method = context.Request.Method;
        switch (method, path)
        {
            case ("GET", "/health"):
                await Write(context, new { status = "ok", apiBaseUrl = ApiBase(context), uploadBaseUrl = state.UploadBase }).ConfigureAwait(false);
                return;
            case ("GET", "/counters"):
                await Write(context, state.Counters.Snapshot()).ConfigureAwait(false);
                return;
            case ("POST", "/counters/reset"):
                state.Counters.Reset();
                await Write(context, new { }).ConfigureAwait(false);
                return;
            case ("GET", "/memory"):
                await Write(context, IdleHeapCompaction.Report(context.RequestServices.GetService(typeof(IdleHeapCompaction)) as IdleHeapCompaction)).ConfigureAwait(false);
                return;
            case ("POST", "/memory/compact"):
                IdleHeapCompaction.CollectEverything();
                await Write(context, IdleHeapCompaction.Report(context.RequestServices.GetService(typeof(IdleHeapCompaction)) as IdleHeapCompaction)).ConfigureAwait(false);
                return;
            case ("GET", "/faults"):
                await Write(context, AdminFaultSettings.From(state.Faults)).ConfigureAwait(false);
                return;
            case ("POST", "/faults"):
                var token = await HttpJson.ReadBodyAsync(context, 1024 * 1024, state.Options.RequestBodyIdleTimeout, state.Options.TimeProvider).ConfigureAwait(false);
                AdminFaultSettings settings;
                try
                {
                    settings = token.ToObject<AdminFaultSettings>(JsonSerializer.Create(Settings)) ?? new AdminFaultSettings();
                }
                catch (JsonException e)
                {
                    throw CdfError.BadRequest("Invalid fault settings: " + e.Message);
                }
                try
                {
                    settings.Apply(state.Faults);
                }
                catch (ArgumentException e)
                {
                    throw CdfError.BadRequest(e.Message);
                }
                await Write(context, AdminFaultSettings.From(state.Faults)).ConfigureAwait(false);
                return;
        }
        var bits = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (method == "GET" && bits is ["files", var idText, "sha256"] && long.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            var sha = await CogniteFilesEmulatorSha.ComputeAsync(state, id, context.RequestAborted).ConfigureAwait(false)
                ?? throw new CdfError(404, "The file or its content does not exist.");
            await Write(context, new { id, sha256 = sha }).ConfigureAwait(false);
            return;
        }
        throw new CdfError(404, $"No such emulator admin endpoint: {method} /_emulator{path}.");
    }

    private static string ApiBase(HttpContext context) => $"http://{context.Request.Host}/api/v1/projects/";

    private static Task Write(HttpContext context, object body) =>
        HttpJson.WriteAsync(context, 200, JsonConvert.SerializeObject(body, Settings));
}

internal static class CogniteFilesEmulatorSha
{
    public static async Task<string?> ComputeAsync(EmulatorState state, long id, CancellationToken cancellationToken)
    {
        var stream = OpenStored(state, id);
        if (stream is null) return null;
        await using (stream.ConfigureAwait(false))
        {
            return Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>The stored content of file <paramref name="id"/> (any project); null when the file or its content does not exist.</summary>
    public static Stream? OpenStored(EmulatorState state, long id)
    {
        var row = state.Store.Get(id);
        if (row is null || !row.HasContent) return null;
        try
        {
            return state.Store.OpenContent(id);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }
}

/// <summary>JSON shape of <c>GET/POST /_emulator/faults</c> (camelCase; kinds by name, e.g. <c>"Status503"</c>).</summary>
public sealed class AdminFaultSettings
{
    public int Seed { get; set; }
    public double PartFailureProbability { get; set; }
    public double ApiFailureProbability { get; set; }
    public double DownloadFailureProbability { get; set; }
    public IList<FaultKind> Kinds { get; set; } = new List<FaultKind>();
    public IList<ScheduledFault> Schedule { get; set; } = new List<ScheduledFault>();
    public int StallMilliseconds { get; set; } = 30_000;
    public int RetryAfterSeconds { get; set; } = 1;
    public double MidBodyFraction { get; set; } = 0.5;
    /// <summary>Per-connection cap for upload and download bodies in bytes/s; null or 0 = unthrottled.</summary>
    public long? BandwidthBytesPerSecondPerConnection { get; set; }

    internal static AdminFaultSettings From(FaultController c)
    {
        var o = c.Current;
        return new AdminFaultSettings
        {
            Seed = o.Seed,
            PartFailureProbability = o.PartFailureProbability,
            ApiFailureProbability = o.ApiFailureProbability,
            DownloadFailureProbability = o.DownloadFailureProbability,
            Kinds = o.Kinds,
            Schedule = o.Schedule,
            StallMilliseconds = (int)o.StallDuration.TotalMilliseconds,
            RetryAfterSeconds = o.RetryAfterSeconds,
            MidBodyFraction = o.MidBodyFraction,
            BandwidthBytesPerSecondPerConnection = c.BandwidthBytesPerSecondPerConnection,
        };
    }

    internal void Apply(FaultController c)
    {
        if (StallMilliseconds < 0) throw new ArgumentException("stallMilliseconds must be >= 0.");
        c.Set(ToFaultOptions());
        c.BandwidthBytesPerSecondPerConnection = BandwidthBytesPerSecondPerConnection is > 0 ? BandwidthBytesPerSecondPerConnection : null;
    }

    internal FaultOptions ToFaultOptions() => new()
    {
        Seed = Seed,
        PartFailureProbability = PartFailureProbability,
        ApiFailureProbability = ApiFailureProbability,
        DownloadFailureProbability = DownloadFailureProbability,
        Kinds = Kinds ?? new List<FaultKind>(),
        Schedule = Schedule ?? new List<ScheduledFault>(),
        StallDuration = TimeSpan.FromMilliseconds(StallMilliseconds),
        RetryAfterSeconds = RetryAfterSeconds,
        MidBodyFraction = MidBodyFraction,
    };
}
