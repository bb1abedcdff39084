using System.Text.Json;

namespace Cognite.Files.Cli.Configuration;

/// <summary>Where the CLI connects: a CDF project (from environment variables or a config file), or the embedded emulator.</summary>
internal sealed class CliSettings
{
    public bool UseEmbeddedEmulator { get; private init; }

    public Uri? BaseUrl { get; private init; }

    public string? Cluster { get; private init; }

    public string Project { get; private init; } = "emulator";

    public string? Token { get; private init; }

    public string? ClientId { get; private init; }

    public string? ClientSecret { get; private init; }

    public Uri? TokenUrl { get; private init; }

    public IReadOnlyList<string> Scopes { get; private init; } = [];

    /// <summary>Where the settings came from, for messages (never values of secrets).</summary>
    public string Source { get; private init; } = string.Empty;

    /// <summary>
    /// Resolves the settings. Order: environment variables (<c>COGNITE_BASE_URL</c>, <c>COGNITE_CLUSTER</c>,
    /// <c>COGNITE_PROJECT</c>, <c>COGNITE_TOKEN</c> or <c>COGNITE_CLIENT_ID</c>/<c>COGNITE_CLIENT_SECRET</c>/
    /// <c>COGNITE_TOKEN_URL</c>/<c>COGNITE_SCOPES</c>) override, key by key, the config file (<paramref name="configPath"/>,
    /// else <c>~/.cognite-files/config.json</c> when it exists). With none of them set: the embedded emulator.
    /// Throws <see cref="CliUsageException"/> for a missing explicit config file or an incomplete configuration.
    /// </summary>
    public static CliSettings Resolve(CliContext context, string? configPath)
    {
        ConfigFile? file = null;
        string? fileUsed = null;
        if (configPath is not null)
        {
            if (!File.Exists(configPath))
            {
                throw new CliUsageException($"config file '{configPath}' does not exist");
            }

            file = ConfigFile.Load(configPath);
            fileUsed = configPath;
        }
        else
        {
            var defaultPath = Path.Combine(context.HomeDirectory, "config.json");
            if (File.Exists(defaultPath))
            {
                file = ConfigFile.Load(defaultPath);
                fileUsed = defaultPath;
            }
        }

        string? Get(string env, string? fromFile)
        {
            var value = context.Environment(env);
            return string.IsNullOrWhiteSpace(value) ? (string.IsNullOrWhiteSpace(fromFile) ? null : fromFile.Trim()) : value.Trim();
        }

        var baseUrl = Get("COGNITE_BASE_URL", file?.BaseUrl);
        var cluster = Get("COGNITE_CLUSTER", file?.Cluster);
        var project = Get("COGNITE_PROJECT", file?.Project);
        var token = Get("COGNITE_TOKEN", file?.Token);
        var clientId = Get("COGNITE_CLIENT_ID", file?.ClientId);
        var clientSecret = Get("COGNITE_CLIENT_SECRET", file?.ClientSecret);
        var tokenUrl = Get("COGNITE_TOKEN_URL", file?.TokenUrl);
        var scopes = Get("COGNITE_SCOPES", file?.Scopes);

        if (baseUrl is null && cluster is null && project is null && token is null && clientId is null && clientSecret is null && tokenUrl is null)
        {
            return new CliSettings { UseEmbeddedEmulator = true, Source = "embedded emulator" };
        }

        var source = fileUsed is null ? "environment" : $"environment and {fileUsed}";
        // Name what is missing the way the user set the rest: the file's keys when a file was read, else the variables.
        string Name(string fileKey, string variable) => fileUsed is null ? variable : $"\"{fileKey}\" (or {variable})";
        var missing = new List<string>();
        if (baseUrl is null && cluster is null)
        {
            missing.Add(fileUsed is null ? "COGNITE_BASE_URL (or COGNITE_CLUSTER)" : "\"baseUrl\" or \"cluster\" (or COGNITE_BASE_URL / COGNITE_CLUSTER)");
        }

        if (project is null)
        {
            missing.Add(Name("project", "COGNITE_PROJECT"));
        }

        if (token is null && (clientId is null || clientSecret is null || tokenUrl is null))
        {
            missing.Add(fileUsed is null
                ? "COGNITE_TOKEN (or COGNITE_CLIENT_ID, COGNITE_CLIENT_SECRET and COGNITE_TOKEN_URL)"
                : "\"token\", or \"clientId\", \"clientSecret\" and \"tokenUrl\" (or COGNITE_TOKEN, or COGNITE_CLIENT_ID, COGNITE_CLIENT_SECRET and COGNITE_TOKEN_URL)");
        }

        if (missing.Count > 0)
        {
            throw new CliUsageException(fileUsed is null
                ? $"incomplete CDF configuration (from the environment): set {string.Join(", ", missing)}; or set none of them to use the embedded emulator"
                : $"incomplete CDF configuration in '{fileUsed}': missing {string.Join("; ", missing)}");
        }

        string Where(string variable, string fileKey) =>
            !string.IsNullOrWhiteSpace(context.Environment(variable)) || fileUsed is null ? variable : $"\"{fileKey}\" in '{fileUsed}'";

        Uri? baseUri = null;
        if (baseUrl is not null && (!Uri.TryCreate(baseUrl, UriKind.Absolute, out baseUri) || (baseUri.Scheme != Uri.UriSchemeHttps && baseUri.Scheme != Uri.UriSchemeHttp)))
        {
            throw new CliUsageException($"{Where("COGNITE_BASE_URL", "baseUrl")} must be an absolute http(s) URL such as https://api.cognitedata.com (got '{CliErrors.RedactUrl(baseUrl)}')");
        }

        Uri? tokenUri = null;
        if (token is null && !Uri.TryCreate(tokenUrl, UriKind.Absolute, out tokenUri))
        {
            throw new CliUsageException($"{Where("COGNITE_TOKEN_URL", "tokenUrl")} must be an absolute URL (got '{CliErrors.RedactUrl(tokenUrl)}')");
        }

        return new CliSettings
        {
            BaseUrl = baseUri,
            Cluster = baseUri is null ? cluster : null,
            Project = project!,
            Token = token,
            ClientId = clientId,
            ClientSecret = clientSecret,
            TokenUrl = tokenUri,
            Scopes = scopes?.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [],
            Source = source,
        };
    }

    /// <summary>The JSON config file: <c>{"baseUrl","cluster","project","token","clientId","clientSecret","tokenUrl","scopes"}</c>.</summary>
    internal sealed class ConfigFile
    {
        private static readonly JsonSerializerOptions Options = new() { PropertyNameCaseInsensitive = true, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

        public string? BaseUrl { get; set; }

        public string? Cluster { get; set; }

        public string? Project { get; set; }

        public string? Token { get; set; }

        public string? ClientId { get; set; }

        public string? ClientSecret { get; set; }

        public string? TokenUrl { get; set; }

        public string? Scopes { get; set; }

        public static ConfigFile Load(string path)
        {
            try
            {
                return JsonSerializer.Deserialize<ConfigFile>(File.ReadAllText(path), Options) ?? new ConfigFile();
            }
            catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
            {
                // The message of a JsonException names the position, never the values.
                throw new CliUsageException($"config file '{path}' cannot be read: {e.Message.Split('\n')[0].Trim()}");
            }
        }
    }
}
