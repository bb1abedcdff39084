namespace Cognite.Files.Emulator;

/// <summary>Settings of a <see cref="CogniteFilesEmulator"/>. Validated once by <see cref="CogniteFilesEmulator.StartAsync"/>.</summary>
public sealed class EmulatorOptions
{
    /// <summary>
    /// Directory holding the SQLite database, the content files, part files and the URL-signing key. Survives a restart.
    /// Required with the disk content store; leave it empty with <see cref="ContentStoreKind.Memory"/>.
    /// </summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>
    /// Where content lives. <see cref="ContentStoreKind.Disk"/> (the default): files in <see cref="DataDirectory"/>.
    /// <see cref="ContentStoreKind.Memory"/>: large chunks in memory, for benchmarks without a disk in the way; the
    /// metadata (SQLite) is kept in memory too, so nothing survives a restart.
    /// </summary>
    public ContentStoreKind ContentStore { get; set; } = ContentStoreKind.Disk;

    /// <summary>
    /// The project of <see cref="CogniteFilesEmulator.ApiBaseUrl"/> (<c>/api/v1/projects/{Project}</c>). Any other project
    /// name works as well, as on CDF: each project has its own files. Files of a data directory from before projects were
    /// kept apart belong to this one.
    /// </summary>
    public string Project { get; set; } = "emulator";

    /// <summary>When set, only these projects are served; any other answers 403 like an unknown project on CDF. Null: every project.</summary>
    public IList<string>? AllowedProjects { get; set; }

    /// <summary>Port of the API listener on 127.0.0.1; 0 picks a free one.</summary>
    public int ApiPort { get; set; }

    /// <summary>Port of the upload/download listener (pre-signed URLs) on 127.0.0.1; 0 picks a free one.</summary>
    public int UploadPort { get; set; }

    /// <summary>Bearer tokens the API accepts. Null or empty is dev mode: any non-empty bearer token is accepted.</summary>
    public IList<string>? AcceptedTokens { get; set; }

    /// <summary>Minimum size of every multipart part but the last, checked at completion (CDF: 5 MiB). Tests may lower it.</summary>
    public long MinPartSize { get; set; } = EmulatorConventions.DefaultMinPartSize;

    /// <summary>Delay between a completed upload and <c>uploaded</c> turning true (exercises client polling). Measured with <see cref="TimeProvider"/>.</summary>
    public TimeSpan UploadedFlagDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Fault injection at start-up; change it at run time through <see cref="CogniteFilesEmulator.Faults"/>.</summary>
    public FaultOptions Faults { get; set; } = new();

    /// <summary>
    /// Per-connection rate cap (token bucket) for upload bodies read and download bodies sent, as object stores cap each
    /// connection; null = unthrottled.
    /// </summary>
    public long? BandwidthBytesPerSecondPerConnection { get; set; }

    /// <summary>
    /// Answer every download with the whole content (200, no <c>Accept-Ranges</c>), ignoring <c>Range</c>, like a server
    /// without range support: for testing a client's fallback to one stream. Change it at run time through
    /// <see cref="FaultController.IgnoreRangeRequests"/>. Default false: one range per request is served (206).
    /// </summary>
    public bool IgnoreRangeRequests { get; set; }

    /// <summary>Clock for timestamps and URL expiry. Stalls and bandwidth throttling always use real time.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// A request body (JSON or upload) from which no byte arrives for this long is answered 408 and dropped, so a client
    /// that stops sending does not hold a connection forever. Timed only while waiting for the client (bandwidth-cap
    /// pauses and injected stalls are not), on <see cref="TimeProvider"/>. Default 60 s.
    /// </summary>
    public TimeSpan RequestBodyIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A second after the last API request with a large JSON body, run one full compacting collection that gives the
    /// memory such bodies needed back to the system, so an idle emulator returns to its baseline. On in the standalone
    /// emulator (its own process); off by default in-process, where the host's GC is the host's business.
    /// </summary>
    public bool CompactMemoryWhenIdle { get; set; }

    /// <summary>Largest accepted JSON request body (after gzip inflation); larger gives 413.</summary>
    public long MaxJsonBodyBytes { get; set; } = EmulatorConventions.DefaultMaxJsonBodyBytes;

    /// <summary>
    /// Optional one-line-per-request log (<c>PUT /upload/{id}/{index} -> 200 in 3 ms</c>). Lines carry the path only: never the
    /// query (URL signatures) nor headers (tokens).
    /// </summary>
    public Action<string>? RequestLog { get; set; }

    /// <summary>Bind address; only loopback is supported on this machine.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Throws CDF's 403 for a project outside <see cref="AllowedProjects"/>.</summary>
    internal void CheckProject(string project)
    {
        if (AllowedProjects is { Count: > 0 } allowed && !allowed.Contains(project, StringComparer.Ordinal))
            throw new CdfError(403, "Resource not found. This may also be due to insufficient access rights (unknown project).");
    }

    internal void Validate()
    {
        if (!Enum.IsDefined(ContentStore))
            throw new ArgumentException($"EmulatorOptions.ContentStore: unknown store {ContentStore}.", nameof(ContentStore));
        if (ContentStore == ContentStoreKind.Disk && string.IsNullOrWhiteSpace(DataDirectory))
            throw new ArgumentException("EmulatorOptions.DataDirectory must be set.", nameof(DataDirectory));
        if (ContentStore == ContentStoreKind.Memory && !string.IsNullOrEmpty(DataDirectory))
            throw new ArgumentException("EmulatorOptions.DataDirectory must be empty with the memory content store: nothing of it survives a restart.", nameof(DataDirectory));
        if (string.IsNullOrWhiteSpace(Project) || Project.Contains('/'))
            throw new ArgumentException("EmulatorOptions.Project must be a non-empty name without '/'.", nameof(Project));
        if (ApiPort is < 0 or > 65535 || UploadPort is < 0 or > 65535)
            throw new ArgumentException("Ports must be in 0..65535.");
        if (ApiPort != 0 && ApiPort == UploadPort)
            throw new ArgumentException("ApiPort and UploadPort must differ.");
        if (RequestBodyIdleTimeout <= TimeSpan.Zero)
            throw new ArgumentException("EmulatorOptions.RequestBodyIdleTimeout must be positive.", nameof(RequestBodyIdleTimeout));
        if (MinPartSize < 0)
            throw new ArgumentException("EmulatorOptions.MinPartSize must be >= 0.", nameof(MinPartSize));
        if (UploadedFlagDelay < TimeSpan.Zero)
            throw new ArgumentException("EmulatorOptions.UploadedFlagDelay must be >= 0.", nameof(UploadedFlagDelay));
        if (BandwidthBytesPerSecondPerConnection is <= 0)
            throw new ArgumentException("EmulatorOptions.BandwidthBytesPerSecondPerConnection must be > 0 or null.");
        if (MaxJsonBodyBytes <= 0)
            throw new ArgumentException("EmulatorOptions.MaxJsonBodyBytes must be > 0.", nameof(MaxJsonBodyBytes));
        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentNullException.ThrowIfNull(Faults);
        Faults.Validate();
    }
}

/// <summary>
/// The choices the emulator makes where the fact sheet marks CDF behaviour as unverified ([U]).
/// Every such choice lives here, so it is easy to find and to change.
/// </summary>
public static class EmulatorConventions
{
    /// <summary>The longer side of a <c>GET /files/icon</c> thumbnail, in pixels (CDF does not document its size).</summary>
    public const int IconSize = 256;

    /// <summary>The largest stored image the emulator makes an icon of (50 MiB); larger is a 400.</summary>
    public const long MaxIconSourceBytes = 50L * 1024 * 1024;

    /// <summary>CDF minimum size of every part but the last (5 MiB); parts of exactly this size are accepted (SDKs assume &gt;=).</summary>
    public const long DefaultMinPartSize = 5L * 1024 * 1024;

    /// <summary>Maximum number of parts per multipart upload (CDF: 250); outside 1..250 gives 400.</summary>
    public const int MaxParts = 250;

    /// <summary>
    /// The largest part PUT of a multipart upload: 4000 MiB (4 194 304 000 bytes; CDF: "less than 4000 MiB", the SDKs
    /// plan parts of up to exactly this). A part PUT whose <c>Content-Length</c> is larger gets <see cref="PutTooLargeStatus"/>
    /// from its headers, before any byte of its body is read.
    /// </summary>
    public const long MaxPartBytes = 4000L * 1024 * 1024;

    /// <summary>
    /// The largest single-upload PUT (an <c>uploadUrl</c> of <c>POST /files</c> or <c>uploadlink</c>): 5000 MB
    /// (5 000 000 000 bytes, CDF's current documentation; older pages say under 5 GiB). Larger is
    /// <see cref="PutTooLargeStatus"/> from the headers, like <see cref="MaxPartBytes"/>.
    /// </summary>
    public const long MaxSingleUploadBytes = 5_000_000_000;

    /// <summary>Status for an upload PUT that announces more than <see cref="MaxPartBytes"/> or <see cref="MaxSingleUploadBytes"/>.</summary>
    public const int PutTooLargeStatus = 413;

    /// <summary>JSON request body cap (10 MiB); larger gives 413.</summary>
    public const long DefaultMaxJsonBodyBytes = 10L * 1024 * 1024;

    /// <summary>Status for a missing or malformed Authorization header.</summary>
    public const int MissingTokenStatus = 401;

    /// <summary>Status for a well-formed bearer token that is not accepted. CDF answers 401 for invalid/expired tokens (403 is for missing ACLs).</summary>
    public const int RejectedTokenStatus = 401;

    /// <summary>Status for a request to a pre-signed URL that carries an Authorization header (GCS/S3 refuse two auth mechanisms with 400).</summary>
    public const int AuthorizationOnSignedUrlStatus = 400;

    /// <summary>Status for a tampered or expired pre-signed URL.</summary>
    public const int BadSignatureStatus = 403;

    /// <summary>Create without overwrite on an existing externalId: 409 with <c>duplicated</c> (CDF convention).</summary>
    public const int DuplicateStatus = 409;

    /// <summary>Unknown identifiers (byids, update, delete, links, GET /files/{id}): 400 with <c>missing</c> (CDF convention).</summary>
    public const int MissingStatus = 400;

    /// <summary>POST /files, uploadlink, initmultipartupload and multiuploadlink answer 201; completemultipartupload answers exactly 200.</summary>
    public const int CreatedStatus = 201;

    /// <summary>Lifetime of upload URLs (single and multipart): one week.</summary>
    public static readonly TimeSpan UploadUrlLifetime = TimeSpan.FromDays(7);

    /// <summary>A file that got no content within this long after it was created is deleted, as CDF does (one week).</summary>
    public static readonly TimeSpan NeverUploadedLifetime = TimeSpan.FromDays(7);

    /// <summary>How often the emulator looks for never-uploaded files and expired upload sessions (on its TimeProvider).</summary>
    public static readonly TimeSpan CleanupInterval = TimeSpan.FromHours(1);

    /// <summary>Lifetime of download URLs: 30 s, or 1 h with extendedExpiration=true.</summary>
    public static readonly TimeSpan DownloadUrlLifetime = TimeSpan.FromSeconds(30);

    /// <summary>Lifetime of download URLs with extendedExpiration=true.</summary>
    public static readonly TimeSpan ExtendedDownloadUrlLifetime = TimeSpan.FromHours(1);

    /// <summary>
    /// POST /files?overwrite=true on an existing externalId keeps <c>id</c> and <c>createdTime</c>, replaces the metadata and sets
    /// <c>uploaded=false</c> until new content arrives (the old content file stays on disk until then).
    /// A new uploadlink/multiuploadlink on an uploaded file keeps <c>uploaded=true</c> and the old content until the new upload completes.
    /// </summary>
    public const bool OverwriteResetsUploaded = true;

    /// <summary>A content upload (single PUT or completion) also bumps <c>lastUpdatedTime</c>.</summary>
    public const bool UploadBumpsLastUpdatedTime = true;

    /// <summary>The geoLocation filter is accepted and validated but not evaluated (every file matches).</summary>
    public const bool GeoFilterEvaluated = false;
}
