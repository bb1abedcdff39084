using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cognite.Files.Reliability.Tests.Support;

namespace Cognite.Files.Reliability.Tests;

/// <summary>
/// A CLI upload in a separate process is killed hard mid-way (the whole process tree, no chance to clean up);
/// <c>cognite-files resume &lt;journal&gt;</c> then finishes it byte-exact, sending only the parts that were missing.
/// The emulator runs in the test process, so its counters are the witness.
/// </summary>
[Category("Cli")]
[NonParallelizable]
public sealed partial class KillAndResumeTests
{
    private const int PartSize = 5 * 1024 * 1024; // the CLI's minimum part size
    private const int PartsDoneBeforeKill = 3;

    [Test, CancelAfter(120_000)]
    public async Task KilledCliUpload_ResumesByteExact_SendingOnlyTheMissingParts(CancellationToken cancellationToken)
    {
        var completedPuts = new ConcurrentQueue<(string UploadId, int Part)>();
        var finishedPuts = 0L; // PUTs the emulator is done with (completed or aborted)
        using var putFinished = new SemaphoreSlim(0); // released once per finished PUT: waits without polling
        await using var env = await EmulatorClient.StartAsync(o =>
        {
            o.MinPartSize = PartSize;
            o.BandwidthBytesPerSecondPerConnection = 8L * 1024 * 1024; // ~0.6 s per part: slow enough to kill between parts
            o.RequestLog = line =>
            {
                if (line.Contains(" PUT /upload/", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref finishedPuts);
                    putFinished.Release();
                }

                var m = CompletedPut().Match(line);
                if (m.Success)
                {
                    completedPuts.Enqueue((m.Groups[1].Value, int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)));
                }
            };
        });
        var content = new byte[(6 * PartSize) + 12345]; // 7 parts, the last one short
        new Random(7).NextBytes(content);
        var source = Path.Combine(env.Directory.FullName, "big.bin");
        await File.WriteAllBytesAsync(source, content, cancellationToken);
        var journal = Path.Combine(env.Directory.FullName, "big.journal.json");
        var environment = Cli.Environment(env);

        // 1. Upload, one part at a time, and kill the process tree once the emulator has accepted k parts.
        var clock = Stopwatch.StartNew(); // reported, never asserted on
        string killedOutput;
        using (var upload = Cli.Start(environment, "upload", source, "--external-id", "killed-big", "--part-size", "5MiB", "--concurrency", "1", "--journal", journal))
        {
            // Wait for the journal, not the emulator: the emulator logs a part before the client has read the 200 and
            // recorded it, and a kill in between would (rightly) make the resume send that part again. Once the journal
            // holds k parts the next part has only just started, and at ~0.6 s per part it cannot finish before the kill.
            // The journal is replaced atomically (rename) as parts finish; a watcher wakes the check, no clock involved.
            await Cli.WhenFileAsync(journal, () => JournalParts(journal).Count >= PartsDoneBeforeKill, upload.Process, cancellationToken);

            Assert.That(upload.Process.HasExited, Is.False, "the upload must still be running when it is killed: " + upload.Output);
            upload.Process.Kill(entireProcessTree: true);
            await upload.Process.WaitForExitAsync(cancellationToken);
            killedOutput = upload.Output;
        }

        // The emulator still drains what the killed process had already written to the socket; wait until it notices.
        while (Interlocked.Read(ref finishedPuts) < env.Emulator.Counters.UploadPutRequests)
        {
            await putFinished.WaitAsync(cancellationToken);
        }

        var uploadId = completedPuts.First().UploadId;
        var doneAtKill = completedPuts.Where(p => p.UploadId == uploadId).Select(p => p.Part).ToHashSet();
        var putsAtKill = new Dictionary<int, int>(env.Emulator.Counters.ForUpload(uploadId)!.PutsByPartIndex);
        var bytesAtKill = env.Emulator.Counters.ForUpload(uploadId)!.BytesReceived;
        Assert.That(File.Exists(journal), Is.True, "a killed upload leaves its journal");
        var journalDone = JsonDocument.Parse(await File.ReadAllTextAsync(journal, cancellationToken)).RootElement.GetProperty("partsDone").EnumerateArray().Select(e => e.GetInt32()).ToHashSet();
        Assert.That(journalDone, Is.EquivalentTo(doneAtKill), "the journal lists exactly the parts the emulator accepted");
        Assert.That(doneAtKill, Has.Count.GreaterThanOrEqualTo(PartsDoneBeforeKill).And.Count.LessThan(7));
        Assert.That((await FileByExternalIdUploaded(env, "killed-big")), Is.False, "nothing is complete after the kill");

        // 2. Resume in a new process, at full speed.
        env.Emulator.Faults.BandwidthBytesPerSecondPerConnection = null;
        var resume = await Cli.RunAsync(environment, "resume", journal);
        Assert.That(resume.ExitCode, Is.Zero, resume.All);

        // 3. Byte-exact, and only the missing parts were sent: a part accepted before the kill got no further PUT,
        //    every other part exactly one more (the one in flight at the kill had its first PUT cut off).
        var counters = env.Emulator.Counters.ForUpload(uploadId)!;
        var resent = new List<int>();
        for (var part = 0; part < 7; part++)
        {
            var before = putsAtKill.GetValueOrDefault(part);
            var after = counters.PutsByPartIndex.TryGetValue(part, out var n) ? n : 0;
            Assert.That(after - before, Is.EqualTo(doneAtKill.Contains(part) ? 0 : 1), $"part {part}: {before} PUT(s) before the kill, {after} after the resume");
            if (after > before)
            {
                resent.Add(part);
            }
        }

        var id = await FileId(env, "killed-big");
        Assert.That(await env.Emulator.GetContentSha256Async(id, cancellationToken), Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(content))));
        Assert.That(File.Exists(journal), Is.False, "a finished resume deletes its journal");
        var resentBytes = counters.BytesReceived - bytesAtKill;
        var missingBytes = content.Length - (doneAtKill.Count * (long)PartSize);
        Assert.That(resentBytes, Is.EqualTo(missingBytes), "the resume sent the missing bytes, nothing more");
        Assert.That(killedOutput + resume.All, Does.Not.Contain(EmulatorClient.DefaultToken).And.Not.Contain("sig="), "CLI output holds no token or URL signature");
        TestContext.Progress.WriteLine(
            $"Kill and resume: killed after parts [{string.Join(",", doneAtKill.Order())}] of 7 were accepted (journal agreed); resume sent parts [{string.Join(",", resent)}], " +
            $"{resentBytes} bytes; byte-exact; {clock.Elapsed.TotalSeconds:0.0} s.");
    }

    private static async Task<long> FileId(EmulatorClient env, string externalId)
    {
        using var client = env.Client();
        return (await client.RetrieveAsync(Models.Identifier.FromExternalId(externalId))).Id;
    }

    private static async Task<bool?> FileByExternalIdUploaded(EmulatorClient env, string externalId)
    {
        using var client = env.Client();
        return (await client.RetrieveAsync(Models.Identifier.FromExternalId(externalId))).Uploaded;
    }

    [GeneratedRegex(@"PUT /upload/([^/ ]+)/(\d+) -> 200 ")]
    private static partial Regex CompletedPut();

    /// <summary>The parts an upload journal records as done; empty while it does not exist yet (it is replaced atomically).</summary>
    private static HashSet<int> JournalParts(string journal)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllText(journal)).RootElement.GetProperty("partsDone").EnumerateArray().Select(e => e.GetInt32()).ToHashSet();
        }
        catch (Exception e) when (e is FileNotFoundException or IOException or JsonException or KeyNotFoundException)
        {
            return [];
        }
    }
}
