using System.Globalization;
using Cognite.Files.Transfer;

namespace Cognite.Files;

/// <summary>
/// Where and how <see cref="CogniteFilesClient"/> talks to CDF. Checked once, up front, by <see cref="Validate"/>.
/// </summary>
public sealed class CogniteFilesClientOptions
{
    /// <summary>The CDF root, e.g. <c>https://api.cognitedata.com</c> (without <c>/api/v1/…</c>). Set this or <see cref="Cluster"/>.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>The CDF cluster, e.g. <c>westeurope-1</c> for <c>https://westeurope-1.cognitedata.com</c>. Set this or <see cref="BaseUrl"/>.</summary>
    public string? Cluster { get; set; }

    /// <summary>The CDF project (required).</summary>
    public string Project { get; set; } = string.Empty;

    /// <summary>The name of your application, sent as <c>x-cdp-app</c> (required).</summary>
    public string AppName { get; set; } = string.Empty;

    /// <summary>Timeout of one attempt of an API call (never applied to upload or download transfers). Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of an API call that is safe to repeat (0 disables retries). Default 5.</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>Base delay of the jittered exponential backoff between API retries. Default 500 ms.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Upper bound of one retry delay, a server's <c>Retry-After</c> included. Default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Caps the total rate, in bytes per second, of this client's file content traffic: upload PUT bodies and download GET
    /// bodies to pre-signed URLs, across all its connections and transfers together (API calls are not counted). Null
    /// (the default): no cap. At least 1024. A capped transfer that keeps moving is never taken for a stalled one.
    /// </summary>
    public long? MaxTransferBytesPerSecond { get; set; }

    /// <summary>How uploads and downloads are split and sent; a call can override them (<see cref="UploadOptions.Transfer"/>, <see cref="DownloadOptions.Transfer"/>).</summary>
    public TransferOptions Transfer { get; set; } = new();

    /// <summary>A validated copy (its <see cref="Transfer"/> copied too): what a client keeps, so that later changes have no effect.</summary>
    internal CogniteFilesClientOptions ValidatedCopy()
    {
        Validate();
        var copy = (CogniteFilesClientOptions)MemberwiseClone();
        copy.Transfer = Transfer.ValidatedCopy();
        return copy;
    }

    /// <summary>The CDF root: <see cref="BaseUrl"/>, or <c>https://{Cluster}.cognitedata.com/</c>. Call <see cref="Validate"/> first.</summary>
    public Uri GetRootUri()
    {
        if (BaseUrl is not null)
        {
            var s = BaseUrl.GetLeftPart(UriPartial.Path);
            return new Uri(s.EndsWith('/') ? s : s + "/", UriKind.Absolute);
        }

        if (!string.IsNullOrWhiteSpace(Cluster))
        {
            return new Uri(string.Create(CultureInfo.InvariantCulture, $"https://{Cluster.Trim()}.cognitedata.com/"), UriKind.Absolute);
        }

        throw new InvalidOperationException("Set CogniteFilesClientOptions.BaseUrl or CogniteFilesClientOptions.Cluster.");
    }

    /// <summary>The base of every API call: <c>{root}/api/v1/projects/{Project}/</c>. Call <see cref="Validate"/> first.</summary>
    public Uri GetApiBaseUri() => new(GetRootUri(), "api/v1/projects/" + Uri.EscapeDataString(Project) + "/");

    /// <summary>Throws <see cref="ArgumentException"/> (or <see cref="ArgumentOutOfRangeException"/>) naming the first bad setting.</summary>
    public void Validate()
    {
        if (BaseUrl is not null && !string.IsNullOrWhiteSpace(Cluster))
        {
            throw new ArgumentException($"Set either BaseUrl or Cluster, not both (BaseUrl is {BaseUrl.GetLeftPart(UriPartial.Authority)}, Cluster is \"{Cluster}\").", nameof(BaseUrl));
        }

        if (BaseUrl is null && string.IsNullOrWhiteSpace(Cluster))
        {
            throw new ArgumentException("Set BaseUrl (e.g. https://api.cognitedata.com) or Cluster (e.g. \"westeurope-1\").", nameof(BaseUrl));
        }

        if (BaseUrl is not null)
        {
            ValidateBaseUrl(BaseUrl);
        }
        else if (!Cluster!.Trim().All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            throw new ArgumentException($"Cluster must be a cluster name such as \"westeurope-1\" (letters, digits and '-'), not \"{Cluster}\".", nameof(Cluster));
        }

        if (string.IsNullOrWhiteSpace(Project))
        {
            throw new ArgumentException("Project is required: the CDF project the files belong to.", nameof(Project));
        }

        if (Project.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '/' or '?' or '#' or '\\'))
        {
            throw new ArgumentException($"Project \"{Project}\" is not a valid CDF project name (no whitespace, '/', '?', '#' or '\\').", nameof(Project));
        }

        if (string.IsNullOrWhiteSpace(AppName))
        {
            throw new ArgumentException("AppName is required: it is sent as the x-cdp-app header so CDF can tell your application's traffic apart.", nameof(AppName));
        }

        if (AppName.Any(char.IsControl) || AppName.Length > 128)
        {
            throw new ArgumentException("AppName must be at most 128 characters without control characters (it is sent as an HTTP header).", nameof(AppName));
        }

        if (RequestTimeout <= TimeSpan.Zero || RequestTimeout > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(RequestTimeout), RequestTimeout, "RequestTimeout must be positive and at most 1 hour (it bounds one attempt of an API call, not transfers).");
        }

        if (MaxRetries is < 0 or > 20)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRetries), MaxRetries, "MaxRetries must be between 0 and 20.");
        }

        if (RetryBaseDelay < TimeSpan.Zero || MaxRetryDelay < RetryBaseDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(RetryBaseDelay), RetryBaseDelay, "RetryBaseDelay must be >= 0 and not above MaxRetryDelay.");
        }

        if (MaxTransferBytesPerSecond is < 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTransferBytesPerSecond), MaxTransferBytesPerSecond, "MaxTransferBytesPerSecond must be at least 1024 bytes per second, or null for no cap.");
        }

        if (Transfer is null)
        {
            throw new ArgumentException("Transfer must not be null.", nameof(Transfer));
        }

        Transfer.Validate();
    }

    private static void ValidateBaseUrl(Uri baseUrl)
    {
        if (!baseUrl.IsAbsoluteUri)
        {
            throw new ArgumentException($"BaseUrl must be absolute, e.g. https://api.cognitedata.com, not \"{baseUrl.OriginalString}\".", nameof(BaseUrl));
        }

        if (baseUrl.Scheme != Uri.UriSchemeHttps && !(baseUrl.Scheme == Uri.UriSchemeHttp && baseUrl.IsLoopback))
        {
            throw new ArgumentException($"BaseUrl must use https (plain http is allowed only for a loopback host such as a local emulator), not {baseUrl.Scheme}://{baseUrl.Host}.", nameof(BaseUrl));
        }

        if (!string.IsNullOrEmpty(baseUrl.Query) || !string.IsNullOrEmpty(baseUrl.Fragment) || !string.IsNullOrEmpty(baseUrl.UserInfo))
        {
            throw new ArgumentException("BaseUrl must not carry a query string, fragment or user info.", nameof(BaseUrl));
        }

        if (baseUrl.AbsolutePath.Contains("/api/", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"BaseUrl must be the CDF root without \"/api/v1/projects/…\" (got path \"{baseUrl.AbsolutePath}\"); the client adds it from Project.", nameof(BaseUrl));
        }
    }
}
