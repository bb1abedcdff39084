// A user of the packaged SDK, written only against its public surface: a single-request upload, a multipart upload
// that fails part-way and is resumed from its journal, and downloads of both, checked byte for byte.
// Configuration from COGNITE_BASE_URL, COGNITE_PROJECT and COGNITE_TOKEN (the packaging test points them at an emulator).
// Without COGNITE_BASE_URL it starts its own emulator with the Cognite.Files.Testing package, as a user's tests would,
// and also checks the stored content hashes and that a scheduled fault is retried.
using System.Security.Cryptography;
using Cognite.Files;
using Cognite.Files.Auth;
using Cognite.Files.Models;
using Cognite.Files.Testing;
using Cognite.Files.Transfer;

static string Env(string name) => Environment.GetEnvironmentVariable(name) ?? throw new InvalidOperationException($"{name} is not set");

await using var emulator = string.IsNullOrEmpty(Environment.GetEnvironmentVariable("COGNITE_BASE_URL"))
    ? await CogniteFilesEmulator.StartAsync()
    : null;
if (emulator is not null)
{
    Console.WriteLine($"consumer: started its own emulator (Cognite.Files.Testing) at {emulator.BaseUrl}, project {emulator.Project}");
}

using var client = emulator is not null
    ? emulator.CreateClient(o => o.AppName = "consumer-test")
    : new CogniteFilesClient(
        new CogniteFilesClientOptions { BaseUrl = new Uri(Env("COGNITE_BASE_URL")), Project = Env("COGNITE_PROJECT"), AppName = "consumer-test" },
        new StaticAccessTokenProvider(Env("COGNITE_TOKEN")));

// 1. Small content: one PUT (below TransferOptions.SingleUploadThreshold).
var small = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
var single = await client.UploadAsync(new FileCreate { Name = "consumer-small.bin", ExternalId = "consumer-" + Guid.NewGuid().ToString("N") }, new MemoryStream(small));

// 2. Multipart (threshold 0, 5 MiB parts, one at a time). The first run's source fails inside part 2, so the upload
//    fails with its journal kept; the resume sends only what is missing.
var large = RandomNumberGenerator.GetBytes(12 * 1024 * 1024 + 5);
var journal = Path.Combine(Path.GetTempPath(), $"consumer-{Guid.NewGuid():N}.journal.json");
var transfer = new TransferOptions { SingleUploadThreshold = 0, PartSize = 5 * 1024 * 1024, MaxConcurrency = 1, MaxAttemptsPerPart = 1 };
var file = new FileCreate { Name = "consumer-large.bin", ExternalId = "consumer-" + Guid.NewGuid().ToString("N") };
try
{
    await client.UploadAsync(file, new FailingStream(large, failAt: 7 * 1024 * 1024), new UploadOptions { Transfer = transfer, JournalPath = journal });
    Console.Error.WriteLine("consumer: the failing upload succeeded");
    return 1;
}
catch (CogniteUploadException e) when (e.Reason == UploadFailureReason.PartFailed && File.Exists(journal))
{
    Console.WriteLine($"consumer: first run failed as planned ({e.Reason}), journal kept");
}

var progress = new List<UploadProgress>();
var multipart = await client.ResumeUploadAsync(journal, new MemoryStream(large), new UploadOptions { Transfer = transfer, Progress = new SyncProgress(progress.Add) });
if (multipart.Parts != 3 || multipart.PartsSkipped < 1 || File.Exists(journal) || progress[^1].BytesTransferred != large.Length)
{
    Console.Error.WriteLine($"consumer: unexpected resume ({multipart.Parts} parts, {multipart.PartsSkipped} skipped)");
    return 1;
}

// 3. Download both and compare.
foreach (var (result, content) in new[] { (single, small), (multipart, large) })
{
    using var copy = new MemoryStream();
    var download = await client.DownloadAsync(Identifier.FromId(result.File.Id), copy);
    var expected = ContentChecksum.Compute(content);
    if (result.Checksum != expected || download.Checksum != expected || !copy.ToArray().AsSpan().SequenceEqual(content))
    {
        Console.Error.WriteLine($"consumer: content mismatch for file {result.File.Id}");
        return 1;
    }
}

Console.WriteLine($"consumer: uploaded {single.Bytes} bytes in one request and {multipart.Bytes} bytes in {multipart.Parts} parts ({multipart.PartsSkipped} resumed), downloaded byte-exact");

// 4. With its own emulator: what the Testing package offers beyond a client.
if (emulator is not null)
{
    foreach (var (result, content) in new[] { (single, small), (multipart, large) })
    {
        if (await emulator.GetContentSha256Async(result.File.Id) != Convert.ToHexStringLower(SHA256.HashData(content)))
        {
            Console.Error.WriteLine($"consumer: the emulator stored other content for file {result.File.Id}");
            return 1;
        }
    }

    emulator.Faults.OnPart(1).Respond503();
    var faultsBefore = emulator.Counters.FaultsInjected;
    // The client of CreateClient: multipart from just above 5 MiB, in 5 MiB parts, with retries.
    var retried = await client.UploadAsync(new FileCreate { Name = "consumer-faulted.bin" }, new MemoryStream(large));
    if (retried.Retries != 1 || emulator.Counters.FaultsInjected != faultsBefore + 1 || await emulator.GetContentSha256Async(retried.File.Id) != Convert.ToHexStringLower(SHA256.HashData(large)))
    {
        Console.Error.WriteLine($"consumer: the scheduled fault was not retried as expected ({retried.Retries} retries)");
        return 1;
    }

    Console.WriteLine("consumer: stored content hashes match, and a scheduled 503 on part 1 was retried once");
}

return 0;

/// <summary>
/// A seekable in-memory stream with a bad MiB at <c>failAt</c> (reads there fail, like a disk with a bad sector); the
/// first and last MiB, which a resume fingerprints, read fine.
/// </summary>
internal sealed class FailingStream(byte[] content, long failAt) : MemoryStream(content, writable: false)
{
    private const int BadBytes = 1024 * 1024;

    // The array overload does the work and reads through MemoryStream's own array read: MemoryStream.Read(Span) of a
    // derived type falls back to Stream.Read(Span), which calls Read(byte[], …) (so delegating that one to the span
    // overload would recurse until the stack overflows).
    public override int Read(byte[] buffer, int offset, int count)
    {
        if (Position >= failAt && Position < failAt + BadBytes)
        {
            throw new IOException("simulated read error");
        }

        var beforeBad = Position < failAt ? failAt - Position : long.MaxValue;
        return base.Read(buffer, offset, (int)Math.Min(count, beforeBad));
    }

    public override int Read(Span<byte> buffer)
    {
        var array = new byte[buffer.Length];
        var read = Read(array, 0, array.Length);
        array.AsSpan(0, read).CopyTo(buffer);
        return read;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));
}

/// <summary>Reports on the caller's thread, in order (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class SyncProgress(Action<UploadProgress> report) : IProgress<UploadProgress>
{
    public void Report(UploadProgress value) => report(value);
}
