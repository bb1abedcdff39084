namespace Cognite.Files.Emulator;

/// <summary>A fault the emulator can inject into a request.</summary>
public enum FaultKind
{
    /// <summary>Answer 500 with a CDF error body.</summary>
    Status500,
    /// <summary>Answer 503 with a CDF error body.</summary>
    Status503,
    /// <summary>Answer 429 with <c>Retry-After</c> (seconds, <see cref="FaultOptions.RetryAfterSeconds"/>).</summary>
    Status429WithRetryAfter,
    /// <summary>Read part of the request body, then abort the connection (upload URLs only; on the API it acts as 500).</summary>
    ResetMidBody,
    /// <summary>Read part of the request body, then stop reading for <see cref="FaultOptions.StallDuration"/> (honours client abort), then continue normally.</summary>
    Stall,
}

/// <summary>One fault to inject at a deterministic point. Fires once.</summary>
public sealed class ScheduledFault
{
    /// <summary>Fire on the Nth upload-URL PUT (1-based, counted across all uploads since start or reset). Alternative to <see cref="PartIndex"/>.</summary>
    public int? PutNumber { get; set; }

    /// <summary>Fire on a PUT of this part index (0-based index into <c>uploadUrls</c>; single-part uploads are index 0), on its <see cref="Attempt"/>th PUT.</summary>
    public int? PartIndex { get; set; }

    /// <summary>With <see cref="PartIndex"/>: which PUT of that part (1-based) fails. Default 1 (the first).</summary>
    public int Attempt { get; set; } = 1;

    /// <summary>Restrict to one upload id; null = any upload.</summary>
    public string? UploadId { get; set; }

    /// <summary>The fault to inject.</summary>
    public FaultKind Kind { get; set; }
}

/// <summary>Fault injection settings. Random draws come from one <see cref="Random"/> seeded with <see cref="Seed"/>.</summary>
public sealed class FaultOptions
{
    /// <summary>Seed of the fault random generator (deterministic sequence of draws).</summary>
    public int Seed { get; set; }

    /// <summary>Probability (0..1) that an upload-URL PUT gets a fault drawn from <see cref="Kinds"/>.</summary>
    public double PartFailureProbability { get; set; }

    /// <summary>Probability (0..1) that an authenticated API request gets a fault; only the status kinds of <see cref="Kinds"/> apply (reset/stall act as 503).</summary>
    public double ApiFailureProbability { get; set; }

    /// <summary>Kinds to draw from when a random fault fires. Empty = all kinds.</summary>
    public IList<FaultKind> Kinds { get; set; } = new List<FaultKind>();

    /// <summary>Deterministic faults, checked before the random draw.</summary>
    public IList<ScheduledFault> Schedule { get; set; } = new List<ScheduledFault>();

    /// <summary>How long a <see cref="FaultKind.Stall"/> stops reading. Default 30 s.</summary>
    public TimeSpan StallDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Value of <c>Retry-After</c> on injected 429s (seconds).</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Fraction of the body read before a reset or stall (0..1).</summary>
    public double MidBodyFraction { get; set; } = 0.5;

    internal void Validate()
    {
        if (PartFailureProbability is < 0 or > 1 || double.IsNaN(PartFailureProbability))
            throw new ArgumentException("FaultOptions.PartFailureProbability must be in 0..1.");
        if (ApiFailureProbability is < 0 or > 1 || double.IsNaN(ApiFailureProbability))
            throw new ArgumentException("FaultOptions.ApiFailureProbability must be in 0..1.");
        if (MidBodyFraction is < 0 or > 1 || double.IsNaN(MidBodyFraction))
            throw new ArgumentException("FaultOptions.MidBodyFraction must be in 0..1.");
        if (StallDuration < TimeSpan.Zero)
            throw new ArgumentException("FaultOptions.StallDuration must be >= 0.");
        if (RetryAfterSeconds < 0)
            throw new ArgumentException("FaultOptions.RetryAfterSeconds must be >= 0.");
        foreach (var s in Schedule ?? throw new ArgumentException("FaultOptions.Schedule must not be null."))
        {
            if (s.PutNumber is null == s.PartIndex is null)
                throw new ArgumentException("A ScheduledFault needs exactly one of PutNumber or PartIndex.");
            if (s.PutNumber is < 1 || s.PartIndex is < 0 || s.Attempt < 1)
                throw new ArgumentException("ScheduledFault: PutNumber and Attempt are 1-based, PartIndex 0-based.");
        }
        ArgumentNullException.ThrowIfNull(Kinds);
    }

    internal FaultOptions Clone() => new()
    {
        Seed = Seed,
        PartFailureProbability = PartFailureProbability,
        ApiFailureProbability = ApiFailureProbability,
        Kinds = Kinds.ToList(),
        Schedule = Schedule.Select(s => new ScheduledFault { PutNumber = s.PutNumber, PartIndex = s.PartIndex, Attempt = s.Attempt, UploadId = s.UploadId, Kind = s.Kind }).ToList(),
        StallDuration = StallDuration,
        RetryAfterSeconds = RetryAfterSeconds,
        MidBodyFraction = MidBodyFraction,
    };
}

/// <summary>Changes fault settings and the bandwidth cap at run time (the admin endpoint <c>POST /_emulator/faults</c> uses it too). Thread-safe.</summary>
public sealed class FaultController
{
    private readonly object _gate = new();
    private FaultOptions _options;
    private Random _random;
    private long? _bandwidth;
    private volatile bool _ignoreRangeRequests;
    private long _putNumber;
    private readonly Dictionary<int, int> _attemptsByPart = new();
    private readonly HashSet<ScheduledFault> _fired = new();

    internal FaultController(FaultOptions options, long? bandwidth)
    {
        _options = options.Clone();
        _random = new Random(_options.Seed);
        _bandwidth = bandwidth;
    }

    /// <summary>A copy of the current settings.</summary>
    public FaultOptions Current { get { lock (_gate) return _options.Clone(); } }

    /// <summary>The current per-connection bandwidth cap for upload-URL bodies (bytes/s), null = unthrottled.</summary>
    public long? BandwidthBytesPerSecondPerConnection
    {
        get { lock (_gate) return _bandwidth; }
        set
        {
            if (value is <= 0) throw new ArgumentOutOfRangeException(nameof(value), "Bandwidth must be > 0 or null.");
            lock (_gate) _bandwidth = value;
        }
    }

    /// <summary>
    /// Answer downloads with the whole content (200) whatever their <c>Range</c> header, like a server without range
    /// support (<see cref="EmulatorOptions.IgnoreRangeRequests"/> at start-up). Kept by <see cref="Clear"/>, as the bandwidth cap is.
    /// </summary>
    public bool IgnoreRangeRequests
    {
        get => _ignoreRangeRequests;
        set => _ignoreRangeRequests = value;
    }

    /// <summary>Replaces the settings, reseeds the generator and restarts the PUT numbering of the schedule.</summary>
    public void Set(FaultOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        lock (_gate)
        {
            _options = options.Clone();
            _random = new Random(_options.Seed);
            _putNumber = 0;
            _attemptsByPart.Clear();
            _fired.Clear();
        }
    }

    /// <summary>Turns every fault off (keeps the bandwidth cap).</summary>
    public void Clear() => Set(new FaultOptions());

    internal TimeSpan StallDuration { get { lock (_gate) return _options.StallDuration; } }
    internal int RetryAfterSeconds { get { lock (_gate) return _options.RetryAfterSeconds; } }
    internal double MidBodyFraction { get { lock (_gate) return _options.MidBodyFraction; } }

    internal FaultKind? NextUploadFault(string uploadId, int partIndex)
    {
        lock (_gate)
        {
            var putNumber = ++_putNumber;
            _attemptsByPart.TryGetValue(partIndex, out var attempt);
            _attemptsByPart[partIndex] = ++attempt;
            foreach (var s in _options.Schedule)
            {
                if (_fired.Contains(s)) continue;
                if (s.UploadId is not null && s.UploadId != uploadId) continue;
                var hit = s.PutNumber is { } n ? n == putNumber : s.PartIndex == partIndex && s.Attempt == attempt;
                if (hit)
                {
                    _fired.Add(s);
                    return s.Kind;
                }
            }
            return Draw(_options.PartFailureProbability, api: false);
        }
    }

    internal FaultKind? NextApiFault()
    {
        lock (_gate) return Draw(_options.ApiFailureProbability, api: true);
    }

    private FaultKind? Draw(double probability, bool api)
    {
        if (probability <= 0) return null;
        if (_random.NextDouble() >= probability) return null;
        var kinds = _options.Kinds.Count > 0 ? _options.Kinds : Enum.GetValues<FaultKind>();
        var kind = kinds[_random.Next(kinds.Count)];
        if (api && kind is FaultKind.ResetMidBody or FaultKind.Stall) kind = FaultKind.Status503;
        return kind;
    }
}
