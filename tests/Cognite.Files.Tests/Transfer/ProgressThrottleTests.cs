using Cognite.Files.Models;
using Cognite.Files.Transfer;
using Microsoft.Extensions.Time.Testing;

namespace Cognite.Files.Tests.Transfer;

/// <summary>Progress coalescing: at most one report per 100 ms of the engine's clock, the first and the forced (final) ones always.</summary>
public class ProgressThrottleTests
{
    // A stall timeout whose write slice (256 KiB) divides the engine's 1 MiB reads, so every write is one slice.
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(64);
    private static readonly int Slice = PartProgressStream.WriteSliceFor(StallTimeout);

    [Test]
    public void The_first_report_passes_then_one_per_interval_and_forced_ones_always()
    {
        var time = new FakeTimeProvider();
        var throttle = new ProgressThrottle(time);

        Assert.That(throttle.ShouldReport(force: false), Is.True, "the first");
        Assert.That(throttle.ShouldReport(force: false), Is.False);
        time.Advance(ProgressThrottle.Interval - TimeSpan.FromMilliseconds(1));
        Assert.That(throttle.ShouldReport(force: false), Is.False);
        Assert.That(throttle.ShouldReport(force: true), Is.True, "forced");
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(throttle.ShouldReport(force: false), Is.False, "the forced report restarted the interval");
        time.Advance(ProgressThrottle.Interval);
        Assert.That(throttle.ShouldReport(force: false), Is.True);
    }

    private static TransferOptions OnePart() => new()
    {
        SingleUploadThreshold = 0,
        MinimumPartSize = 1,
        PartSize = 8 * Slice,
        MaxConcurrency = 1,
        StallTimeout = StallTimeout,
    };

    [Test]
    public async Task Without_time_passing_an_upload_reports_only_its_first_bytes_and_the_final_state()
    {
        var time = new FakeTimeProvider();
        var steps = new FakeUploadSteps(time) { Destination = _ => Stream.Null };
        var progress = new RecordingProgress<UploadProgress>();
        using var source = UploadSource.FromStream(new MemoryStream(new byte[8 * Slice]));

        await new MultipartUploadEngine(steps, OnePart(), time).UploadAsync(source, UploadTarget.ForNewFile(new FileCreate { Name = "p" }), new UploadOptions { Progress = progress });

        Assert.That(progress.Values, Is.EqualTo(new[]
        {
            new UploadProgress(Slice, 8 * Slice, 0, 1),
            new UploadProgress(8 * Slice, 8 * Slice, 1, 1),
        }));
    }

    [Test]
    public async Task Time_passing_lets_a_report_through_every_100_ms_and_the_final_one_always()
    {
        // Every write (one slice) takes 60 ms of the fake clock (advanced by the write itself, so the sequence is exact):
        // writes end at 60, 120, …, 480 ms; a report passes once 100 ms have gone by since the last one.
        var time = new FakeTimeProvider();
        var steps = new FakeUploadSteps(time) { Destination = _ => new ClockAdvancingStream(time, TimeSpan.FromMilliseconds(60)) };
        var progress = new RecordingProgress<UploadProgress>();
        using var source = UploadSource.FromStream(new MemoryStream(new byte[8 * Slice]));

        await new MultipartUploadEngine(steps, OnePart(), time).UploadAsync(source, UploadTarget.ForNewFile(new FileCreate { Name = "p" }), new UploadOptions { Progress = progress });

        Assert.That(progress.Values.Select(v => v.BytesTransferred / Slice), Is.EqualTo(new long[] { 1, 3, 5, 7, 8 }));
        Assert.That(progress.Values[^1], Is.EqualTo(new UploadProgress(8 * Slice, 8 * Slice, 1, 1)), "the final report is made although only 60 ms passed");
    }

    [Test]
    public async Task Every_completed_part_is_not_a_report_of_its_own_but_the_last_one_is()
    {
        var time = new FakeTimeProvider();
        var steps = new FakeUploadSteps(time);
        var progress = new RecordingProgress<UploadProgress>();
        var options = new TransferOptions { SingleUploadThreshold = 0, MinimumPartSize = 1, PartSize = 100, MaxConcurrency = 1 };
        using var source = UploadSource.FromStream(new MemoryStream(new byte[1000]));

        await new MultipartUploadEngine(steps, options, time).UploadAsync(source, UploadTarget.ForNewFile(new FileCreate { Name = "p" }), new UploadOptions { Progress = progress });

        Assert.That(progress.Values, Has.Count.EqualTo(2), "ten parts on a clock that does not move: the first report and the last");
        Assert.That(progress.Values[^1], Is.EqualTo(new UploadProgress(1000, 1000, 10, 10)));
    }

    /// <summary>A sink whose every write advances the fake clock by <paramref name="perWrite"/> before it completes.</summary>
    private sealed class ClockAdvancingStream(FakeTimeProvider time, TimeSpan perWrite) : WriteOnlyTestStream
    {
        public override void Write(byte[] buffer, int offset, int count) => time.Advance(perWrite);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            time.Advance(perWrite);
            return ValueTask.CompletedTask;
        }
    }
}
