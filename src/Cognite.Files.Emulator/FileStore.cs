using Microsoft.Data.Sqlite;

namespace Cognite.Files.Emulator;

/// <summary>A stored file row: the emulator's record of the metadata (without upload state) and when the content became (or becomes) visible.</summary>
internal sealed record FileRow(StoredFile Metadata, long? ReadyAt, bool HasContent)
{
    /// <summary>The CDF project the file belongs to; set by <see cref="ProjectFiles.Put"/>.</summary>
    public string Project { get; init; } = "";
}

/// <summary>An upload session (single or multipart).</summary>
internal sealed record UploadRow(string UploadId, long FileId, int Parts, bool Multipart, bool Completed, long ExpiresAt);

/// <summary>
/// SQLite metadata store (<c>emulator.db</c> in the data directory) and the <see cref="ContentStore"/> beside it: on
/// disk, the content is under the data directory (<see cref="DiskContentStore"/>: <c>content/{id}</c>,
/// <c>content/{id}.parts/{index}</c>, <c>content/{id}.version</c>, <c>parts/</c>, <c>tmp/</c>); in memory
/// (<see cref="MemoryContentStore"/>), in the process, the metadata too.
/// One connection, serialized by a lock, that the emulator holds exclusively while it runs: each statement is prepared
/// once and reused, and file rows are kept in a write-through cache (<see cref="MaxCachedRows"/>), so that the API's
/// per-request lookups cost neither SQL parsing, file locks nor JSON parsing.
/// </summary>
internal sealed class FileStore : IDisposable
{
    public const long MaxId = 9007199254740991;

    /// <summary>Rows kept by the cache; past it the cache starts over (each row is a few hundred bytes).</summary>
    public const int MaxCachedRows = 100_000;

    private readonly SqliteConnection _db;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<long, FileRow> _rows = [];
    private readonly object _gate = new();
    private readonly string _root;
    private readonly bool _deleteOnDispose;

    public FileStore(string dataDirectory, string defaultProject = "emulator", ContentStoreKind content = ContentStoreKind.Disk, bool deleteOnDispose = false)
    {
        _root = Path.GetFullPath(dataDirectory);
        _deleteOnDispose = deleteOnDispose;
        Directory.CreateDirectory(_root);
        OwnerOnly(_root, directory: true); // it holds the URL-signing key (in emulator.db) and every file's content
        Content = ContentStore.Create(content, _root);
        // The memory content store's metadata dies with the process, so it lives in memory too: no file I/O per write.
        var inMemory = content == ContentStoreKind.Memory;
        _db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = inMemory ? ":memory:" : Path.Combine(_root, "emulator.db"),
            Pooling = false,
        }.ToString());
        _db.Open();
        if (!inMemory) OwnerOnly(Path.Combine(_root, "emulator.db"), directory: false);
        Exec("PRAGMA journal_mode=WAL;");
        Exec("PRAGMA synchronous=NORMAL;");
        MigrateToProjects(defaultProject);
        Exec("""
            CREATE TABLE IF NOT EXISTS files(
              id INTEGER PRIMARY KEY,
              project TEXT NOT NULL,
              external_id TEXT NULL,
              json TEXT NOT NULL,
              ready_at INTEGER NULL,
              has_content INTEGER NOT NULL DEFAULT 0,
              UNIQUE(project, external_id));
            CREATE TABLE IF NOT EXISTS uploads(
              upload_id TEXT PRIMARY KEY,
              file_id INTEGER NOT NULL,
              parts INTEGER NOT NULL,
              multipart INTEGER NOT NULL,
              completed INTEGER NOT NULL DEFAULT 0,
              expires_at INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS parts(
              upload_id TEXT NOT NULL,
              part_index INTEGER NOT NULL,
              size INTEGER NOT NULL,
              PRIMARY KEY(upload_id, part_index));
            CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """);
        MigrateToStoredFiles();
        // From here on the connection keeps its lock: no file-lock calls per statement. The write-ahead log stays (and
        // its shared-memory index, created above); nothing else opens the database while the emulator runs.
        Exec("PRAGMA locking_mode=EXCLUSIVE;");
    }

    /// <summary>
    /// Rows written before the emulator had its own record hold the SDK's <c>FileMetadata</c> JSON: they are rewritten once
    /// as <see cref="StoredFile"/> JSON (<see cref="StoredFileJson.FromLegacy"/>), and the data directory is marked as done.
    /// </summary>
    private void MigrateToStoredFiles()
    {
        const string Key = "file-record-format";
        if (Cmd("SELECT value FROM settings WHERE key=$k", ("$k", Key)).ExecuteScalar() is string) return;
        using var tx = _db.BeginTransaction();
        var rows = new List<(long Id, string Json)>();
        var read = Cmd("SELECT id, json FROM files");
        read.Transaction = tx;
        using (var r = read.ExecuteReader())
        {
            while (r.Read()) rows.Add((r.GetInt64(0), r.GetString(1)));
        }

        foreach (var (id, json) in rows)
        {
            var write = Cmd("UPDATE files SET json=$j WHERE id=$id", ("$j", StoredFileJson.Serialize(StoredFileJson.FromLegacy(json))), ("$id", id));
            write.Transaction = tx;
            write.ExecuteNonQuery();
        }

        var mark = Cmd("INSERT INTO settings(key,value) VALUES($k,'stored-file-1')", ("$k", Key));
        mark.Transaction = tx;
        mark.ExecuteNonQuery();

        tx.Commit();
    }

    /// <summary>
    /// A data directory from before projects were kept apart has a files table without a project column (and a
    /// database-wide unique external id): its rows move to <paramref name="defaultProject"/>, the project they were served under.
    /// </summary>
    private void MigrateToProjects(string defaultProject)
    {
        var probe = Cmd("SELECT COUNT(*) FROM pragma_table_info('files') WHERE name='project'");
        var exists = Cmd("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='files'");
        if ((long)exists.ExecuteScalar()! == 0 || (long)probe.ExecuteScalar()! > 0) return;
        using var tx = _db.BeginTransaction();
        foreach (var sql in new[]
        {
            "CREATE TABLE files_v2(id INTEGER PRIMARY KEY, project TEXT NOT NULL, external_id TEXT NULL, json TEXT NOT NULL, ready_at INTEGER NULL, has_content INTEGER NOT NULL DEFAULT 0, UNIQUE(project, external_id))",
            "INSERT INTO files_v2(id, project, external_id, json, ready_at, has_content) SELECT id, $p, external_id, json, ready_at, has_content FROM files",
            "DROP TABLE files",
            "ALTER TABLE files_v2 RENAME TO files",
        })
        {
            var cmd = Cmd(sql, ("$p", defaultProject));
            cmd.Transaction = tx;
            cmd.ExecuteNonQuery();
        }

        tx.Commit();
    }

    /// <summary>
    /// The store of <paramref name="options"/>: on disk in <see cref="EmulatorOptions.DataDirectory"/>, or for the memory
    /// content store with its metadata in memory as well and a new, empty temporary directory as its root, deleted on
    /// dispose (nothing outlives the process).
    /// </summary>
    public static FileStore Open(EmulatorOptions options) => options.ContentStore == ContentStoreKind.Memory
        ? new FileStore(Directory.CreateTempSubdirectory("cognite-files-emulator-").FullName, options.Project, ContentStoreKind.Memory, deleteOnDispose: true)
        : new FileStore(options.DataDirectory, options.Project);

    /// <summary>The files of one project: everything else is invisible through it.</summary>
    public ProjectFiles ForProject(string project) => new(this, project);

    public string Root => _root;

    /// <summary>Where the content lives.</summary>
    public ContentStore Content { get; }

    /// <summary>Makes the upload's parts the file's content (no copy). Call under <see cref="WithLock{T}"/>.</summary>
    public void ReplaceContentWithParts(long id, string uploadId) => Content.CompleteParts(id, uploadId);

    /// <summary>
    /// The content as it is now; null when there is none. Under the store lock, so that a completing upload (which replaces
    /// the content under the same lock) cannot swap it between the check and the open; the snapshot keeps that version.
    /// </summary>
    public ContentSnapshot? OpenSnapshot(long id)
    {
        lock (_gate) return Content.Open(id);
    }

    /// <summary>The content as a stream (see <see cref="OpenSnapshot"/>). Throws <see cref="FileNotFoundException"/> when there is none.</summary>
    public Stream OpenContent(long id) => (OpenSnapshot(id) ?? throw new FileNotFoundException("The file has no content.")).AsStream();

    public string GetOrCreateSetting(string key, Func<string> create)
    {
        lock (_gate)
        {
            var cmd = Cmd("SELECT value FROM settings WHERE key=$k", ("$k", key));
            if (cmd.ExecuteScalar() is string s) return s;
            var v = create();
            var ins = Cmd("INSERT INTO settings(key,value) VALUES($k,$v)", ("$k", key), ("$v", v));
            ins.ExecuteNonQuery();
            return v;
        }
    }

    public T WithLock<T>(Func<T> action)
    {
        lock (_gate) return action();
    }

    // ---- files ----

    public FileRow? Get(long id)
    {
        lock (_gate)
        {
            if (_rows.TryGetValue(id, out var cached)) return cached;
            var cmd = Cmd("SELECT json, ready_at, has_content, project FROM files WHERE id=$id", ("$id", id));
            using var r = cmd.ExecuteReader();
            return r.Read() ? Cache(Row(r)) : null;
        }
    }

    public FileRow? GetByExternalId(string project, string externalId)
    {
        lock (_gate)
        {
            var cmd = Cmd("SELECT json, ready_at, has_content, project FROM files WHERE project=$p AND external_id=$x", ("$p", project), ("$x", externalId));
            using var r = cmd.ExecuteReader();
            return r.Read() ? Cache(Row(r)) : null;
        }
    }

    public long NewId()
    {
        lock (_gate)
        {
            while (true)
            {
                var id = Random.Shared.NextInt64(1, MaxId + 1);
                var cmd = Cmd("SELECT 1 FROM files WHERE id=$id", ("$id", id));
                if (cmd.ExecuteScalar() is null) return id;
            }
        }
    }

    /// <summary>Inserts or replaces the row (in its <see cref="FileRow.Project"/>); callers check uniqueness first (under <see cref="WithLock"/>).</summary>
    public void Put(FileRow row)
    {
        ArgumentException.ThrowIfNullOrEmpty(row.Project);
        lock (_gate)
        {
            var cmd = Cmd("""
                INSERT INTO files(id, project, external_id, json, ready_at, has_content) VALUES($id,$p,$x,$j,$r,$c)
                ON CONFLICT(id) DO UPDATE SET external_id=excluded.external_id, json=excluded.json,
                  ready_at=excluded.ready_at, has_content=excluded.has_content
                """,
                ("$id", row.Metadata.Id), ("$p", row.Project), ("$x", (object?)row.Metadata.ExternalId ?? DBNull.Value),
                ("$j", StoredFileJson.Serialize(row.Metadata)), ("$r", (object?)row.ReadyAt ?? DBNull.Value), ("$c", row.HasContent ? 1 : 0));
            cmd.ExecuteNonQuery();
            Cache(row);
        }
    }

    public void Delete(long id)
    {
        List<string> uploads;
        lock (_gate)
        {
            uploads = new List<string>();
            using (var r = Cmd("SELECT upload_id FROM uploads WHERE file_id=$id", ("$id", id)).ExecuteReader())
                while (r.Read()) uploads.Add(r.GetString(0));
            using var tx = _db.BeginTransaction();
            foreach (var u in uploads)
            {
                var dp = Cmd("DELETE FROM parts WHERE upload_id=$u", ("$u", u));
                dp.Transaction = tx;
                dp.ExecuteNonQuery();
            }
            var du = Cmd("DELETE FROM uploads WHERE file_id=$id", ("$id", id));
            du.Transaction = tx;
            du.ExecuteNonQuery();
            var df = Cmd("DELETE FROM files WHERE id=$id", ("$id", id));
            df.Transaction = tx;
            df.ExecuteNonQuery();
            tx.Commit();
            _rows.Remove(id);
        }
        Content.DeleteContent(id);
        foreach (var u in uploads) Content.DeleteParts(u);
    }

    /// <summary>Visits the project's rows with id greater than <paramref name="afterId"/> in id order until <paramref name="visit"/> returns false.</summary>
    public void Scan(string project, long afterId, Func<FileRow, bool> visit)
    {
        lock (_gate)
        {
            var cmd = Cmd("SELECT json, ready_at, has_content, project FROM files WHERE project=$p AND id>$a ORDER BY id", ("$p", project), ("$a", afterId));
            using var r = cmd.ExecuteReader();
            while (r.Read())
                if (!visit(Row(r))) return;
        }
    }

    /// <summary>
    /// CDF's week: deletes files that never got content within <see cref="EmulatorConventions.NeverUploadedLifetime"/>
    /// of their creation, and upload sessions whose URLs expired (their parts too). Returns what it removed.
    /// </summary>
    public (int Files, int Sessions) Sweep(DateTimeOffset now)
    {
        var cutoff = (now - EmulatorConventions.NeverUploadedLifetime).ToUnixTimeMilliseconds();
        var files = new List<long>();
        var sessions = new List<string>();
        lock (_gate)
        {
            using (var r = Cmd("SELECT id, json FROM files WHERE has_content=0").ExecuteReader())
            {
                while (r.Read())
                {
                    var created = StoredFileJson.Deserialize(r.GetString(1)).CreatedTime;
                    if (created < cutoff) files.Add(r.GetInt64(0));
                }
            }

            using (var r = Cmd("SELECT upload_id FROM uploads WHERE expires_at<$now", ("$now", now.ToUnixTimeSeconds())).ExecuteReader())
            {
                while (r.Read()) sessions.Add(r.GetString(0));
            }

            foreach (var u in sessions)
            {
                var dp = Cmd("DELETE FROM parts WHERE upload_id=$u", ("$u", u));
                dp.ExecuteNonQuery();
                var du = Cmd("DELETE FROM uploads WHERE upload_id=$u", ("$u", u));
                du.ExecuteNonQuery();
            }
        }

        foreach (var u in sessions) Content.DeleteParts(u);
        foreach (var id in files) Delete(id);
        return (files.Count, sessions.Count);
    }

    // ---- uploads ----

    public void AddUpload(UploadRow u)
    {
        lock (_gate)
        {
            var cmd = Cmd("INSERT INTO uploads(upload_id, file_id, parts, multipart, completed, expires_at) VALUES($u,$f,$p,$m,0,$e)",
                ("$u", u.UploadId), ("$f", u.FileId), ("$p", u.Parts), ("$m", u.Multipart ? 1 : 0), ("$e", u.ExpiresAt));
            cmd.ExecuteNonQuery();
        }
    }

    public UploadRow? GetUpload(string uploadId)
    {
        lock (_gate)
        {
            var cmd = Cmd("SELECT upload_id, file_id, parts, multipart, completed, expires_at FROM uploads WHERE upload_id=$u", ("$u", uploadId));
            using var r = cmd.ExecuteReader();
            return r.Read() ? new UploadRow(r.GetString(0), r.GetInt64(1), r.GetInt32(2), r.GetInt64(3) != 0, r.GetInt64(4) != 0, r.GetInt64(5)) : null;
        }
    }

    public void MarkUploadCompleted(string uploadId)
    {
        lock (_gate)
        {
            var cmd = Cmd("UPDATE uploads SET completed=1 WHERE upload_id=$u", ("$u", uploadId));
            cmd.ExecuteNonQuery();
            var dp = Cmd("DELETE FROM parts WHERE upload_id=$u", ("$u", uploadId));
            dp.ExecuteNonQuery();
        }
    }

    public void PutPart(string uploadId, int index, long size)
    {
        lock (_gate)
        {
            var cmd = Cmd("""
                INSERT INTO parts(upload_id, part_index, size) VALUES($u,$i,$s)
                ON CONFLICT(upload_id, part_index) DO UPDATE SET size=excluded.size
                """, ("$u", uploadId), ("$i", index), ("$s", size));
            cmd.ExecuteNonQuery();
        }
    }

    public Dictionary<int, long> GetParts(string uploadId)
    {
        lock (_gate)
        {
            var result = new Dictionary<int, long>();
            var cmd = Cmd("SELECT part_index, size FROM parts WHERE upload_id=$u", ("$u", uploadId));
            using var r = cmd.ExecuteReader();
            while (r.Read()) result[r.GetInt32(0)] = r.GetInt64(1);
            return result;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var cmd in _commands.Values) cmd.Dispose();
            _commands.Clear();
            _rows.Clear();
            _db.Close();
            _db.Dispose();
            Content.Dispose();
        }

        if (_deleteOnDispose) TryDeleteDir(_root);
    }

    // ---- helpers ----

    private static FileRow Row(SqliteDataReader r) =>
        new(StoredFileJson.Deserialize(r.GetString(0)), r.IsDBNull(1) ? null : r.GetInt64(1), r.GetInt64(2) != 0) { Project = r.GetString(3) };

    private void Exec(string sql)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// The statement <paramref name="sql"/>, prepared on first use and kept (owned by the store: callers never dispose
    /// it), with <paramref name="args"/> bound and no transaction. Under <see cref="_gate"/>.
    /// </summary>
    private SqliteCommand Cmd(string sql, params ReadOnlySpan<(string Name, object Value)> args)
    {
        if (!_commands.TryGetValue(sql, out var cmd))
        {
            cmd = _db.CreateCommand();
            cmd.CommandText = sql;
            foreach (var (n, _) in args) cmd.Parameters.Add(new SqliteParameter { ParameterName = n });
            _commands[sql] = cmd;
        }

        cmd.Transaction = null;
        for (var i = 0; i < args.Length; i++) cmd.Parameters[i].Value = args[i].Value;
        return cmd;
    }

    /// <summary>Keeps <paramref name="row"/> as the current version of its file. Under <see cref="_gate"/>.</summary>
    private FileRow Cache(FileRow row)
    {
        if (_rows.Count >= MaxCachedRows && !_rows.ContainsKey(row.Metadata.Id)) _rows.Clear();
        _rows[row.Metadata.Id] = row;
        return row;
    }

    /// <summary>Readable and writable by the current user only (Unix; Windows keeps the directory's ACLs).</summary>
    private static void OwnerOnly(string path, bool directory)
    {
        if (OperatingSystem.IsWindows()) return;
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | (directory ? UnixFileMode.UserExecute : UnixFileMode.None);
        File.SetUnixFileMode(path, mode);
    }

    public static void TryDeleteDir(string path)
    {
        try { if (Directory.Exists(path)) Directory.Delete(path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// One project's view of the <see cref="FileStore"/>: lookups see only its files, writes put rows into it. Ids are unique
/// across projects (so upload and download URLs need no project); external ids only within one.
/// </summary>
internal sealed class ProjectFiles(FileStore store, string project)
{
    public string Project => project;

    public T WithLock<T>(Func<T> action) => store.WithLock(action);

    public FileRow? Get(long id) => store.Get(id) is { } row && row.Project == project ? row : null;

    public FileRow? GetByExternalId(string externalId) => store.GetByExternalId(project, externalId);

    public long NewId() => store.NewId();

    public void Put(FileRow row) => store.Put(row with { Project = project });

    public void Delete(long id)
    {
        if (Get(id) is not null) store.Delete(id);
    }

    public void Scan(long afterId, Func<FileRow, bool> visit) => store.Scan(project, afterId, visit);

    public void AddUpload(UploadRow upload) => store.AddUpload(upload);

    /// <summary>An upload session of one of this project's files.</summary>
    public UploadRow? GetUpload(string uploadId) => store.GetUpload(uploadId) is { } u && Get(u.FileId) is not null ? u : null;

    public Dictionary<int, long> GetParts(string uploadId) => store.GetParts(uploadId);

    public void ReplaceContentWithParts(long id, string uploadId) => store.ReplaceContentWithParts(id, uploadId);

    public void MarkUploadCompleted(string uploadId) => store.MarkUploadCompleted(uploadId);

    public Stream OpenContent(long id) => Get(id) is not null ? store.OpenContent(id) : throw new FileNotFoundException("No such file in this project.");
}
