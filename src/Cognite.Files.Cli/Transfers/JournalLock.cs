namespace Cognite.Files.Cli.Transfers;

/// <summary>
/// An exclusive lock on one upload journal for the life of a CLI run (<c>&lt;journal&gt;.lock</c>, opened with
/// <see cref="FileShare.None"/>: an OS file lock, released when the process ends however it ends). Two runs of one
/// journal at once would each send every missing part; the second one fails fast instead.
/// </summary>
internal sealed class JournalLock : IDisposable
{
    private readonly FileStream _stream;

    private JournalLock(FileStream stream) => _stream = stream;

    public static string PathFor(string journalPath) => journalPath + ".lock";

    /// <summary>Takes the lock, or throws <see cref="CliFailureException"/> when another run holds it.</summary>
    public static JournalLock Acquire(string journalPath)
    {
        var path = PathFor(journalPath);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, Options = FileOptions.DeleteOnClose };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            return new JournalLock(new FileStream(path, options));
        }
        catch (IOException)
        {
            throw new CliFailureException($"another cognite-files run is using the journal '{journalPath}' (it is locked): wait for it to finish, or end it first");
        }
    }

    public void Dispose() => _stream.Dispose();
}
