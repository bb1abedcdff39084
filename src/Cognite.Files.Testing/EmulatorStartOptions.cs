using Cognite.Files.Emulator;

namespace Cognite.Files.Testing;

/// <summary>
/// How <see cref="CogniteFilesEmulator.StartAsync"/> starts the emulator. Every setting has a test-friendly default:
/// <c>await CogniteFilesEmulator.StartAsync()</c> gives a fresh emulator on ephemeral ports of 127.0.0.1, with a temporary
/// data directory that is deleted on dispose, the project <c>test-project</c>, the token <c>test-token</c> and the
/// system clock.
/// </summary>
public sealed class EmulatorStartOptions
{
    /// <summary>The CDF project name the clients use (<c>/api/v1/projects/{Project}</c>). Default <c>test-project</c>.</summary>
    public string Project { get; set; } = "test-project";

    /// <summary>
    /// The one bearer token the emulator accepts (any other token gets 401, as CDF answers an invalid token).
    /// Default <c>test-token</c>. <see cref="CogniteFilesEmulator.CreateClient"/> sends it.
    /// </summary>
    public string Token { get; set; } = "test-token";

    /// <summary>
    /// Where the emulator keeps its SQLite database and content. Null (the default): a new temporary directory, deleted
    /// when the emulator is disposed. Set it to keep the data, or to start a second emulator on the data of a first
    /// one (a restart); a directory you name is never deleted.
    /// </summary>
    public string? DataDirectory { get; set; }

    /// <summary>
    /// Where the emulator keeps file content. <see cref="ContentStoreKind.Disk"/> (the default): files in
    /// <see cref="DataDirectory"/>. <see cref="ContentStoreKind.Memory"/>: in this process's memory, for tests and
    /// benchmarks that should not wait on a disk; the metadata goes to a temporary directory, nothing survives the
    /// emulator, and <see cref="DataDirectory"/> must stay null.
    /// </summary>
    public ContentStoreKind ContentStore { get; set; } = ContentStoreKind.Disk;

    /// <summary>
    /// Run the emulator on a manual clock: <see cref="CogniteFilesEmulator.Clock"/> is a
    /// <see cref="Microsoft.Extensions.Time.Testing.FakeTimeProvider"/> that moves only when the test calls
    /// <c>emulator.Clock.Advance(…)</c>. It drives timestamps, the expiry of upload and download URLs and
    /// <see cref="UploadedFlagDelay"/>; stalls and bandwidth caps keep real time, and so do the clients (their retry
    /// delays and timeouts). Default false: the system clock.
    /// </summary>
    public bool ManualClock { get; set; }

    /// <summary>Where the manual clock starts (with <see cref="ManualClock"/>). Null (the default): the current UTC time.</summary>
    public DateTimeOffset? ClockStart { get; set; }

    /// <summary>
    /// The smallest size of every multipart part but the last that <c>completemultipartupload</c> accepts. Default 5 MiB,
    /// CDF's rule. Lower it (e.g. to 1024) to test your own client's multipart logic with small parts; the
    /// <see cref="CogniteFilesClient"/> never sends parts below 5 MiB (<see cref="Transfer.MultipartLimits.MinPartSize"/>),
    /// whatever this says.
    /// </summary>
    public long MinPartSize { get; set; } = EmulatorConventions.DefaultMinPartSize;

    /// <summary>
    /// How long after an upload the file's <c>uploaded</c> flag turns true (CDF sets it with a delay). Default zero.
    /// Measured on the emulator's clock, so with <see cref="ManualClock"/> the flag appears when the test advances it.
    /// </summary>
    public TimeSpan UploadedFlagDelay { get; set; } = TimeSpan.Zero;

    /// <summary>An optional log of one line per request (method, path, status, time; never query strings or headers).</summary>
    public Action<string>? RequestLog { get; set; }

    /// <summary>
    /// The last word on the emulator's own options (fault injection at start-up, bandwidth cap, accepted tokens, JSON
    /// body cap, …), called after the settings above are applied. The data directory, ports and clock are set already;
    /// change them here only if you mean to.
    /// </summary>
    public Action<EmulatorOptions>? ConfigureEmulator { get; set; }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Project))
        {
            throw new ArgumentException("EmulatorStartOptions.Project must be a non-empty project name.", nameof(Project));
        }

        if (string.IsNullOrWhiteSpace(Token))
        {
            throw new ArgumentException("EmulatorStartOptions.Token must be a non-empty token.", nameof(Token));
        }

        if (MinPartSize < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MinPartSize), MinPartSize, "EmulatorStartOptions.MinPartSize must be >= 0.");
        }

        if (UploadedFlagDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(UploadedFlagDelay), UploadedFlagDelay, "EmulatorStartOptions.UploadedFlagDelay must be >= 0.");
        }

        if (!Enum.IsDefined(ContentStore))
        {
            throw new ArgumentOutOfRangeException(nameof(ContentStore), ContentStore, "EmulatorStartOptions.ContentStore must be Disk or Memory.");
        }

        if (ContentStore == ContentStoreKind.Memory && DataDirectory is not null)
        {
            throw new ArgumentException("EmulatorStartOptions.DataDirectory must be null with the memory content store: nothing of it survives the emulator.", nameof(DataDirectory));
        }

        if (ClockStart is not null && !ManualClock)
        {
            throw new ArgumentException("EmulatorStartOptions.ClockStart needs ManualClock = true.", nameof(ClockStart));
        }
    }
}
