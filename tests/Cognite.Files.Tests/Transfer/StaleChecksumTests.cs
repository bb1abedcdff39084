using System.Net;
using Cognite.Files.Models;
using Cognite.Files.Transfer;
using Microsoft.Extensions.Time.Testing;

namespace Cognite.Files.Tests.Transfer;

/// <summary>
/// New content for an existing file never keeps the checksum of the previous content in its metadata: it is replaced
/// (StoreChecksum) or removed, with a request only when the file holds one that does not describe the new content.
/// </summary>
public class StaleChecksumTests
{
    private const int PartSize = 1024;
    private const long FileId = 42;

    private FakeTimeProvider _time = null!;
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        _dir = Directory.CreateTempSubdirectory("cognite-stale-checksum-").FullName;
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static TransferOptions Options(int concurrency = 2) => new()
    {
        SingleUploadThreshold = 0,
        MinimumPartSize = 1,
        PartSize = PartSize,
        MaxConcurrency = concurrency,
        MaxAttemptsPerPart = 1,
        RetryBaseDelay = TimeSpan.Zero,
        StallTimeout = TimeSpan.FromSeconds(10),
    };

    private static byte[] Content(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string StoredValue(byte[] content) => ContentChecksum.FormatMetadataValue(ContentChecksum.Compute(content), content.Length);

    private static UploadTarget Existing => UploadTarget.ForExistingFile(Identifier.FromExternalId("x"));

    /// <summary>A file whose metadata holds the checksum of other (previous) content, and another pair.</summary>
    private static FakeUploadSteps StepsWithStoredChecksum(FakeTimeProvider time, string stored) =>
        new(time) { ConfirmedMetadata = new Dictionary<string, string> { ["site"] = "A", [ContentChecksum.MetadataKey] = stored } };

    [TestCase(3 * PartSize + 1, TestName = "New_content_for_an_existing_file_removes_the_previous_contents_checksum(multipart)")]
    [TestCase(10, TestName = "New_content_for_an_existing_file_removes_the_previous_contents_checksum(one request)")]
    public async Task New_content_for_an_existing_file_removes_the_previous_contents_checksum(int length)
    {
        var steps = StepsWithStoredChecksum(_time, StoredValue(Content(5, seed: 9)));
        var options = Options();
        options.SingleUploadThreshold = 16;
        using var source = UploadSource.FromStream(new MemoryStream(Content(length, seed: 1)));

        var result = await new MultipartUploadEngine(steps, options, _time).UploadAsync(source, Existing);

        Assert.That(steps.MetadataRemoved, Is.EqualTo(new[] { (FileId, ContentChecksum.MetadataKey) }));
        Assert.That(steps.MetadataAdded, Is.Empty);
        Assert.That(result.File.Metadata, Is.EquivalentTo(new Dictionary<string, string> { ["site"] = "A" }), "the result is the updated metadata; other pairs stay");
    }

    [Test]
    public async Task With_StoreChecksum_the_new_value_replaces_it_and_nothing_is_removed()
    {
        var content = Content(3 * PartSize, seed: 2);
        var steps = StepsWithStoredChecksum(_time, StoredValue(Content(5, seed: 9)));
        using var source = UploadSource.FromStream(new MemoryStream(content));

        await new MultipartUploadEngine(steps, Options(), _time).UploadAsync(source, Existing, new UploadOptions { StoreChecksum = true });

        Assert.That(steps.MetadataAdded, Is.EqualTo(new[] { (FileId, ContentChecksum.MetadataKey, StoredValue(content)) }));
        Assert.That(steps.MetadataRemoved, Is.Empty);
    }

    [Test]
    public async Task No_request_when_the_file_holds_no_checksum_or_one_of_this_content_or_is_a_new_file()
    {
        var content = Content(3 * PartSize, seed: 3);
        var without = new FakeUploadSteps(_time) { ConfirmedMetadata = new Dictionary<string, string> { ["site"] = "A" } };
        var same = StepsWithStoredChecksum(_time, StoredValue(content));
        var newFile = StepsWithStoredChecksum(_time, StoredValue(Content(5, seed: 9)));

        using (var source = UploadSource.FromStream(new MemoryStream(content)))
        {
            await new MultipartUploadEngine(without, Options(), _time).UploadAsync(source, Existing);
        }

        using (var source = UploadSource.FromStream(new MemoryStream(content)))
        {
            await new MultipartUploadEngine(same, Options(), _time).UploadAsync(source, Existing);
        }

        // A new file's metadata is what its creator gave it: not the engine's to edit.
        using (var source = UploadSource.FromStream(new MemoryStream(content)))
        {
            await new MultipartUploadEngine(newFile, Options(), _time).UploadAsync(source, UploadTarget.ForNewFile(new FileCreate { Name = "n.bin" }));
        }

        Assert.That(without.MetadataRemoved.Concat(same.MetadataRemoved).Concat(newFile.MetadataRemoved), Is.Empty);
    }

    [Test]
    public async Task Without_a_checksum_of_the_new_content_a_stored_one_is_removed()
    {
        var options = Options();
        options.ComputeChecksum = false;
        var steps = StepsWithStoredChecksum(_time, StoredValue(Content(5, seed: 9)));
        using var source = UploadSource.FromStream(new MemoryStream(Content(2 * PartSize, seed: 4)));

        var result = await new MultipartUploadEngine(steps, options, _time).UploadAsync(source, Existing);

        Assert.That(result.Checksum, Is.Null);
        Assert.That(steps.MetadataRemoved, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_resume_of_an_upload_into_an_existing_file_removes_it_too()
    {
        var content = Content(5 * PartSize, seed: 5);
        var path = Path.Combine(_dir, "source.bin");
        File.WriteAllBytes(path, content);
        var journal = Path.Combine(_dir, "existing.journal");
        var failing = new FakeUploadSteps(_time) { OnPut = call => call.PartIndex == 2 ? throw FakeUploadSteps.Status(HttpStatusCode.BadRequest) : Task.CompletedTask };
        using (var first = UploadSource.FromFile(path))
        {
            // One part at a time: parts 0 and 1 are journaled before part 2 fails.
            await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(failing, Options(concurrency: 1), _time).UploadAsync(first, Existing, new UploadOptions { JournalPath = journal }));
        }

        var steps = StepsWithStoredChecksum(_time, StoredValue(Content(5, seed: 9)));
        using var source = UploadSource.FromFile(path);

        var result = await new MultipartUploadEngine(steps, Options(), _time).ResumeAsync(journal, source);

        Assert.That(result.PartsSkipped, Is.GreaterThan(0));
        Assert.That(steps.MetadataRemoved, Is.EqualTo(new[] { (FileId, ContentChecksum.MetadataKey) }));
    }

    [Test]
    public async Task A_failed_removal_says_the_content_is_uploaded_and_the_stale_checksum_is_still_there()
    {
        var content = Content(2 * PartSize, seed: 6);
        var stale = StoredValue(Content(5, seed: 9));
        var journal = Path.Combine(_dir, "failed-removal.journal");
        var steps = StepsWithStoredChecksum(_time, stale);
        steps.OnRemoveMetadata = () => FakeUploadSteps.Status(HttpStatusCode.Forbidden);
        var path = Path.Combine(_dir, "content.bin");
        File.WriteAllBytes(path, content);
        using var source = UploadSource.FromFile(path);

        var ex = await Assert.ThrowsAsync<CogniteUploadException>(() => new MultipartUploadEngine(steps, Options(), _time).UploadAsync(source, Existing, new UploadOptions { JournalPath = journal }));

        Assert.That(ex!.Reason, Is.EqualTo(UploadFailureReason.StaleChecksumNotRemoved));
        Assert.That(ex.FileId, Is.EqualTo(FileId));
        Assert.That(ex.InnerException, Is.InstanceOf<CogniteApiException>());
        Assert.That(ex.Message, Does.StartWith($"File id 42 is uploaded ({content.Length} bytes, complete and confirmed) with checksum {ContentChecksum.Compute(content)}, but its metadata still holds the checksum of its previous content (\"{ContentChecksum.MetadataKey}\": \"{stale}\"), and removing it failed: "));
        Assert.That(ex.Message, Does.EndWith("Until it is removed or replaced, downloads that verify the content fail: upload the content again with StoreChecksum, or remove the pair."));
        Assert.That(steps.CompleteCalls, Is.EqualTo(1), "the content was completed");
        Assert.That(File.Exists(journal), Is.False, "nothing is left to resume");
    }
}
