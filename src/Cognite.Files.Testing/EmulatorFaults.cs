using Cognite.Files.Emulator;

namespace Cognite.Files.Testing;

/// <summary>
/// Fault injection of a running emulator, fluent: <c>emulator.Faults.OnPart(1).Respond503()</c>,
/// <c>emulator.Faults.FailRandomly(0.2, seed: 42).LimitBandwidth(1_000_000)</c>. Thread-safe.
/// <para>
/// Every call takes effect at once and replaces the emulator's fault settings with the accumulated ones, which also
/// restarts the schedule: upload PUTs (<see cref="OnPut"/>) and the attempts of each part (<see cref="OnPart"/>) are
/// counted from that moment, every scheduled fault is armed again, and the random generator is reseeded. So set up the
/// faults of a transfer before you start it, and <see cref="Clear"/> them between transfers.
/// </para>
/// </summary>
public sealed class EmulatorFaults
{
    private readonly FaultController _controller;
    private readonly Lock _gate = new();

    internal EmulatorFaults(FaultController controller) => _controller = controller;

    /// <summary>A copy of the settings in force (random probabilities, seed, kinds, schedule, stall time, Retry-After).</summary>
    public FaultOptions Current => _controller.Current;

    /// <summary>The per-connection read cap for upload bodies in bytes per second; null when unthrottled.</summary>
    public long? BandwidthBytesPerSecondPerConnection => _controller.BandwidthBytesPerSecondPerConnection;

    /// <summary>The emulator's own fault controller, for everything this class does not wrap.</summary>
    public FaultController Controller => _controller;

    /// <summary>
    /// A fault on the <paramref name="attempt"/>-th PUT (1-based, default the first) of the part at
    /// <paramref name="partIndex"/> (0-based position in <c>uploadUrls</c>; a single-request upload is part 0), of any upload
    /// or only of <paramref name="uploadId"/>. Fires once. Say which fault with the returned builder.
    /// </summary>
    public ScheduledFaultBuilder OnPart(int partIndex, int attempt = 1, string? uploadId = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partIndex);
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        return new ScheduledFaultBuilder(this, new ScheduledFault { PartIndex = partIndex, Attempt = attempt, UploadId = uploadId });
    }

    /// <summary>A fault on the <paramref name="putNumber"/>-th upload PUT (1-based, counted over all uploads). Fires once.</summary>
    public ScheduledFaultBuilder OnPut(int putNumber)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(putNumber, 1);
        return new ScheduledFaultBuilder(this, new ScheduledFault { PutNumber = putNumber });
    }

    /// <summary>
    /// Random faults: each upload PUT fails with probability <paramref name="partProbability"/>, each API request with
    /// <paramref name="apiProbability"/> (status faults only), drawn from one generator seeded with
    /// <paramref name="seed"/>, so a run is repeatable. The kinds are all of <see cref="FaultKind"/> unless
    /// <see cref="DrawFrom"/> narrows them. Scheduled faults are checked first.
    /// </summary>
    public EmulatorFaults FailRandomly(double partProbability, int seed = 0, double apiProbability = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partProbability);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(partProbability, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(apiProbability);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(apiProbability, 1);
        return Change(o =>
        {
            o.PartFailureProbability = partProbability;
            o.ApiFailureProbability = apiProbability;
            o.Seed = seed;
        });
    }

    /// <summary>The kinds a random fault (<see cref="FailRandomly"/>) is drawn from; none = every kind.</summary>
    public EmulatorFaults DrawFrom(params FaultKind[] kinds)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        return Change(o => o.Kinds = kinds.ToList());
    }

    /// <summary>Caps how fast the emulator reads each upload body (bytes per second per connection); null removes the cap.</summary>
    public EmulatorFaults LimitBandwidth(long? bytesPerSecondPerConnection)
    {
        if (bytesPerSecondPerConnection is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bytesPerSecondPerConnection), bytesPerSecondPerConnection, "The bandwidth cap must be > 0 bytes per second, or null for none.");
        }

        _controller.BandwidthBytesPerSecondPerConnection = bytesPerSecondPerConnection;
        return this;
    }

    /// <summary>
    /// Makes the emulator answer every download with the whole content (200, no <c>Accept-Ranges</c>) whatever its
    /// <c>Range</c> header, like a server without range support, to test a client's fallback to one stream;
    /// <paramref name="ignore"/> false serves ranges again (206), as <see cref="Clear"/> does.
    /// </summary>
    public EmulatorFaults IgnoreRangeRequests(bool ignore = true)
    {
        _controller.IgnoreRangeRequests = ignore;
        return this;
    }

    /// <summary>How long a <see cref="FaultKind.Stall"/> stops reading the body (real time; it ends early when the client gives up). Default 30 s.</summary>
    public EmulatorFaults StallFor(TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        return Change(o => o.StallDuration = duration);
    }

    /// <summary>The <c>Retry-After</c> seconds of injected 429 answers. Default 1.</summary>
    public EmulatorFaults RetryAfter(int seconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seconds);
        return Change(o => o.RetryAfterSeconds = seconds);
    }

    /// <summary>Replaces every fault setting with <paramref name="options"/> (the options-based form of this class).</summary>
    public EmulatorFaults Set(FaultOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (_gate)
        {
            _controller.Set(options);
        }

        return this;
    }

    /// <summary>Turns every fault off, removes the bandwidth cap and serves ranges again.</summary>
    public EmulatorFaults Clear()
    {
        lock (_gate)
        {
            _controller.Clear();
            _controller.BandwidthBytesPerSecondPerConnection = null;
            _controller.IgnoreRangeRequests = false;
        }

        return this;
    }

    internal EmulatorFaults Schedule(ScheduledFault fault) => Change(o => o.Schedule.Add(fault));

    private EmulatorFaults Change(Action<FaultOptions> change)
    {
        lock (_gate)
        {
            var options = _controller.Current;
            change(options);
            _controller.Set(options);
        }

        return this;
    }
}

/// <summary>Says which fault a scheduled point (<see cref="EmulatorFaults.OnPart"/>, <see cref="EmulatorFaults.OnPut"/>) injects.</summary>
public sealed class ScheduledFaultBuilder
{
    private readonly EmulatorFaults _faults;
    private readonly ScheduledFault _fault;

    internal ScheduledFaultBuilder(EmulatorFaults faults, ScheduledFault fault)
    {
        _faults = faults;
        _fault = fault;
    }

    /// <summary>Injects <paramref name="kind"/> there; returns the faults for the next call.</summary>
    public EmulatorFaults With(FaultKind kind)
    {
        _fault.Kind = kind;
        return _faults.Schedule(_fault);
    }

    /// <summary>Answers 500 with a CDF error body.</summary>
    public EmulatorFaults Respond500() => With(FaultKind.Status500);

    /// <summary>Answers 503 with a CDF error body.</summary>
    public EmulatorFaults Respond503() => With(FaultKind.Status503);

    /// <summary>Answers 429 with <c>Retry-After</c> (<see cref="EmulatorFaults.RetryAfter"/>).</summary>
    public EmulatorFaults Respond429() => With(FaultKind.Status429WithRetryAfter);

    /// <summary>Reads part of the body, then aborts the connection.</summary>
    public EmulatorFaults ResetMidBody() => With(FaultKind.ResetMidBody);

    /// <summary>Reads part of the body, then stops reading for the stall time (<see cref="EmulatorFaults.StallFor"/>), then goes on.</summary>
    public EmulatorFaults Stall() => With(FaultKind.Stall);
}
