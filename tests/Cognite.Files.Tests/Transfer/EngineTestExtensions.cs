using Cognite.Files.Transfer;

namespace Cognite.Files.Tests.Transfer;

/// <summary>
/// Test shorthand for driving <see cref="MultipartUploadEngine"/> with the public <see cref="UploadOptions"/>: the
/// <see cref="UploadRequest"/> is built the way <c>CogniteFilesClient</c> builds it (the call's own transfer settings as
/// a validated copy, else the engine's defaults; the call's progress and journal).
/// </summary>
internal static class EngineTestExtensions
{
    public static UploadRequest Request(this MultipartUploadEngine engine, UploadSource source, UploadTarget? target, UploadOptions? options = null, string? journalPath = null) =>
        new(source, target, options?.Transfer?.ValidatedCopy() ?? engine.Defaults, options?.Progress, journalPath ?? options?.JournalPath);

    public static Task<UploadResult> UploadAsync(this MultipartUploadEngine engine, UploadSource source, UploadTarget target, UploadOptions? options = null, CancellationToken cancellationToken = default) =>
        engine.UploadAsync(engine.Request(source, target, options), cancellationToken);

    public static Task<UploadResult> ResumeAsync(this MultipartUploadEngine engine, string journalPath, UploadSource source, UploadOptions? options = null, CancellationToken cancellationToken = default) =>
        engine.ResumeAsync(journalPath, engine.Request(source, null, options, journalPath), cancellationToken);
}
