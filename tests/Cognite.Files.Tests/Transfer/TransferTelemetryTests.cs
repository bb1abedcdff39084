using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Cognite.Files.Diagnostics;
using Cognite.Files.Models;
using Cognite.Files.Transfer;
using Microsoft.Extensions.Time.Testing;

namespace Cognite.Files.Tests.Transfer;

[NonParallelizable]
public class TransferTelemetryTests
{
    [Test]
    public async Task An_upload_emits_one_activity_per_upload_and_per_part_and_counts_bytes_parts_and_retries()
    {
        var activities = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == CogniteFilesTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var measurements = new ConcurrentDictionary<string, long>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == CogniteFilesTelemetry.Name && instrument.Name.StartsWith("cognite.files.upload.", StringComparison.Ordinal))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<long>((instrument, value, _, _) => measurements.AddOrUpdate(instrument.Name, value, (_, v) => v + value));
        meters.Start();

        var time = new FakeTimeProvider();
        var steps = new FakeUploadSteps(time)
        {
            OnPut = call => call is { PartIndex: 1, Attempt: 1 } ? throw FakeUploadSteps.Status(HttpStatusCode.BadGateway) : Task.CompletedTask,
        };
        var options = new TransferOptions { SingleUploadThreshold = 0, MinimumPartSize = 1, PartSize = 100, RetryBaseDelay = TimeSpan.Zero };
        using var source = UploadSource.FromStream(new MemoryStream(new byte[350]));

        await new MultipartUploadEngine(steps, options, time).UploadAsync(source, UploadTarget.ForNewFile(new FileCreate { Name = "t" }));

        var upload = activities.Single(a => a.OperationName == "Cognite.Files.Upload");
        var parts = activities.Where(a => a.OperationName == "Cognite.Files.UploadPart").ToList();
        Assert.That(parts, Has.Count.EqualTo(4));
        Assert.That(parts.Select(p => p.ParentSpanId), Is.All.EqualTo(upload.SpanId));
        Assert.That(upload.GetTagItem("cognite.files.parts"), Is.EqualTo(4));
        Assert.That(measurements["cognite.files.upload.bytes"], Is.EqualTo(350));
        Assert.That(measurements["cognite.files.upload.parts"], Is.EqualTo(4));
        Assert.That(measurements["cognite.files.upload.part_retries"], Is.EqualTo(1));
    }

    [Test]
    public async Task Every_upload_that_ends_is_counted_by_outcome_completed_failed_or_cancelled()
    {
        var outcomes = new ConcurrentQueue<string?>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == CogniteFilesTelemetry.Name && instrument.Name == "cognite.files.upload.completed")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome")
                {
                    outcomes.Enqueue(tag.Value as string);
                }
            }
        });
        meters.Start();

        var time = new FakeTimeProvider();
        var options = new TransferOptions { SingleUploadThreshold = 0, MinimumPartSize = 1, PartSize = 100, MaxAttemptsPerPart = 1 };
        var target = UploadTarget.ForNewFile(new FileCreate { Name = "t" });
        var ok = new MultipartUploadEngine(new FakeUploadSteps(time), options, time);
        var failing = new MultipartUploadEngine(new FakeUploadSteps(time) { OnPut = _ => throw FakeUploadSteps.Status(HttpStatusCode.BadRequest) }, options, time);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        using (var source = UploadSource.FromStream(new MemoryStream(new byte[250])))
        {
            await ok.UploadAsync(source, target);
        }

        using (var source = UploadSource.FromStream(new MemoryStream(new byte[250])))
        {
            await Assert.ThrowsAsync<CogniteUploadException>(() => failing.UploadAsync(source, target));
        }

        using (var source = UploadSource.FromStream(new MemoryStream(new byte[250])))
        {
            await Assert.CatchAsync<OperationCanceledException>(() => ok.UploadAsync(source, target, cancellationToken: cts.Token));
        }

        using (var source = UploadSource.FromStream(new MemoryStream(new byte[250])))
        {
            await Assert.ThrowsAsync<ArgumentException>(() => ok.UploadAsync(ok.CreateRequest(source, target: null, options: null), CancellationToken.None));
        }

        Assert.That(outcomes, Is.EqualTo(new[] { "completed", "failed", "cancelled", "failed" }));
    }
}
