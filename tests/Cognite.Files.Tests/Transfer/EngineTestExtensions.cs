using Cognite.Files.Transfer;

namespace Cognite.Files.Tests.Transfer;

/// <summary>
/// Test shorthand for driving <see cref="MultipartUploadEngine"/> with the public <see cref="UploadOptions"/>, through the
/// same <see cref="MultipartUploadEngine.CreateRequest"/> that <c>CogniteFilesClient</c> uses.
/// </summary>
internal static class EngineTestExtensions
{
    public static Task<UploadResult> UploadAsync(this MultipartUploadEngine engine, UploadSource source, UploadTarget target, UploadOptions? options = null, CancellationToken cancellationToken = default) =>
        engine.UploadAsync(engine.CreateRequest(source, target, options), cancellationToken);

    public static Task<UploadResult> ResumeAsync(this MultipartUploadEngine engine, string journalPath, UploadSource source, UploadOptions? options = null, CancellationToken cancellationToken = default) =>
        engine.ResumeAsync(journalPath, engine.CreateRequest(source, null, options, journalPath), cancellationToken);
}
