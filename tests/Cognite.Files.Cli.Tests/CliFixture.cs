namespace Cognite.Files.Cli.Tests;

/// <summary>
/// A fixture of CLI tests against one embedded emulator (<see cref="CliHarness"/>), started once for the fixture and
/// disposed after it; each test starts with no faults left over from the one before.
/// </summary>
public abstract class CliFixture
{
    protected const long MiB = 1024 * 1024;

    private protected CliHarness Harness { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartHarnessAsync() => Harness = await CliHarness.StartAsync();

    [OneTimeTearDown]
    public async Task StopHarnessAsync() => await Harness.DisposeAsync();

    [SetUp]
    public void ClearFaults() => Harness.Emulator.Faults.Clear();

    /// <summary>A name no other test uses: <paramref name="prefix"/> and 8 random hex digits.</summary>
    protected static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];
}
