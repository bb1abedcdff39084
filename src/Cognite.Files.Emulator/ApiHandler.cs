using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.Emulator;

/// <summary>
/// The Files API of one project on the API listener: one handler per operation id of <c>openapi/cognite-files.yaml</c>
/// (<see cref="Handlers"/>), each mapped to its own endpoint by <see cref="CogniteFilesEmulator"/>. One instance per
/// request, bound to the project of its route: a file of one project is invisible to every other.
/// </summary>
internal sealed class ApiHandler(EmulatorState state, string project)
{
    private ProjectFiles Store { get; } = state.Store.ForProject(project);
    private long NowMs => state.Options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The handler of every operation id; the emulator refuses to start when the document has one without a handler.</summary>
    public static readonly IReadOnlyDictionary<string, Func<ApiHandler, HttpContext, Task>> Handlers = new Dictionary<string, Func<ApiHandler, HttpContext, Task>>(StringComparer.Ordinal)
    {
        ["CreateFile"] = (h, c) => h.CreateAsync(c),
        ["ListFiles"] = (h, c) => h.ListQueryAsync(c),
        ["GetUploadLink"] = (h, c) => h.UploadLinkAsync(c),
        ["InitMultipartUpload"] = (h, c) => h.InitMultipartAsync(c),
        ["GetMultipartUploadLink"] = (h, c) => h.MultiUploadLinkAsync(c),
        ["CompleteMultipartUpload"] = (h, c) => h.CompleteAsync(c),
        ["FilterFiles"] = (h, c) => h.ListAsync(c),
        ["GetFileById"] = (h, c) => h.GetByIdAsync(c),
        ["RetrieveFiles"] = (h, c) => h.ByIdsAsync(c),
        ["UpdateFiles"] = (h, c) => h.UpdateAsync(c),
        ["DeleteFiles"] = (h, c) => h.DeleteAsync(c),
        ["SearchFiles"] = (h, c) => h.SearchAsync(c),
        ["AggregateFiles"] = (h, c) => h.AggregateAsync(c),
        ["GetDownloadLinks"] = (h, c) => h.DownloadLinkAsync(c),
        ["GetIcon"] = (h, c) => h.IconAsync(c),
    };

    /// <summary>Runs operation <paramref name="operationId"/>: counts it, checks the token, injects an API fault when one is due, checks the query's string values.</summary>
    public async Task HandleAsync(HttpContext context, string operationId)
    {
        state.Counters.ApiRequest();
        Authenticate(context);
        if (state.Faults.NextApiFault() is { } fault)
        {
            state.Counters.Fault(fault);
            await WriteFaultAsync(context, fault).ConfigureAwait(false);
            return;
        }

        state.Schemas.ValidateQuery(operationId, context.Request.Query);
        await Handlers[operationId](this, context).ConfigureAwait(false);
    }

    private void Authenticate(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header) || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7 || string.IsNullOrWhiteSpace(header[7..]))
            throw new CdfError(EmulatorConventions.MissingTokenStatus, "Unauthorized: a bearer token is required (Authorization: Bearer <token>).");
        var token = header[7..].Trim();
        var accepted = state.Options.AcceptedTokens;
        if (accepted is { Count: > 0 } && !accepted.Contains(token, StringComparer.Ordinal))
            throw new CdfError(EmulatorConventions.RejectedTokenStatus, "Unauthorized: the bearer token is not valid for this project.");
    }

    internal async Task WriteFaultAsync(HttpContext context, FaultKind fault)
    {
        switch (fault)
        {
            case FaultKind.Status429WithRetryAfter:
                context.Response.Headers.RetryAfter = state.Faults.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                await HttpJson.WriteErrorAsync(context, 429, "Too many requests (injected fault).").ConfigureAwait(false);
                break;
            case FaultKind.Status500:
                await HttpJson.WriteErrorAsync(context, 500, "Internal server error (injected fault).").ConfigureAwait(false);
                break;
            default:
                await HttpJson.WriteErrorAsync(context, 503, "Service unavailable (injected fault).").ConfigureAwait(false);
                break;
        }
    }

    /// <summary>The request body, checked against the operation's request schema; <see cref="FileRequests"/> reads it.</summary>
    private async Task<JObject> BodyAsync(HttpContext context, string pathTemplate)
    {
        var token = await HttpJson.ReadBodyAsync(context, state.Options.MaxJsonBodyBytes, state.Options.RequestBodyIdleTimeout, state.Options.TimeProvider).ConfigureAwait(false);
        if (token is not JObject body) throw CdfError.BadRequest("The request body must be a JSON object.");
        state.Schemas.Validate(context.Request.Method, pathTemplate, body);
        return body;
    }

    // ---------------- create / upload links ----------------

    private async Task CreateAsync(HttpContext context)
    {
        var overwrite = QueryBool(context, "overwrite") ?? false;
        var body = await BodyAsync(context, "/files").ConfigureAwait(false);
        var meta = CreateOrOverwrite(FileRequests.Create(body), overwrite);
        var upload = NewUpload(meta.Id, parts: 1, multipart: false);
        var response = FileResponses.UploadResponse(Materialize(Store.Get(meta.Id)!), UploadUrl(upload, 0));
        await HttpJson.WriteAsync(context, EmulatorConventions.CreatedStatus, response).ConfigureAwait(false);
    }

    private async Task InitMultipartAsync(HttpContext context)
    {
        var parts = Parts(context);
        var overwrite = QueryBool(context, "overwrite") ?? false;
        var body = await BodyAsync(context, "/files/initmultipartupload").ConfigureAwait(false);
        var meta = CreateOrOverwrite(FileRequests.Create(body), overwrite);
        var upload = NewUpload(meta.Id, parts, multipart: true);
        var response = MultipartResponse(Materialize(Store.Get(meta.Id)!), upload);
        await HttpJson.WriteAsync(context, EmulatorConventions.CreatedStatus, response).ConfigureAwait(false);
    }

    private async Task UploadLinkAsync(HttpContext context)
    {
        var body = await BodyAsync(context, "/files/uploadlink").ConfigureAwait(false);
        var row = ResolveAll(FileRequests.Identifiers(body), ignoreUnknown: false).Single()!;
        var upload = NewUpload(row.Metadata.Id, 1, multipart: false);
        var item = FileResponses.UploadResponse(Materialize(row), UploadUrl(upload, 0));
        await HttpJson.WriteAsync(context, EmulatorConventions.CreatedStatus, FileResponses.Items([item])).ConfigureAwait(false);
    }

    private async Task MultiUploadLinkAsync(HttpContext context)
    {
        var parts = Parts(context);
        // Upload-link items are an external id or an instance id: the schema refuses an internal id.
        var body = await BodyAsync(context, "/files/multiuploadlink").ConfigureAwait(false);
        var row = ResolveAll(FileRequests.Identifiers(body), ignoreUnknown: false).Single()!;
        var upload = NewUpload(row.Metadata.Id, parts, multipart: true);
        var item = MultipartResponse(Materialize(row), upload);
        await HttpJson.WriteAsync(context, EmulatorConventions.CreatedStatus, FileResponses.Items([item])).ConfigureAwait(false);
    }

    private static int Parts(HttpContext context)
    {
        var raw = context.Request.Query["parts"].ToString();
        if (string.IsNullOrEmpty(raw)) throw CdfError.BadRequest("Query parameter 'parts' is required (1..250).");
        if (!int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parts) || parts < 1 || parts > EmulatorConventions.MaxParts)
            throw CdfError.BadRequest($"Query parameter 'parts' must be an integer in 1..{EmulatorConventions.MaxParts}, was '{raw}'.");
        return parts;
    }

    /// <summary>Stores <paramref name="body"/> (<see cref="FileRequests.Create"/>) as a new file, or over the file with its externalId when <paramref name="overwrite"/>.</summary>
    private StoredFile CreateOrOverwrite(StoredFile body, bool overwrite)
    {
        CheckMetadata(body.Metadata);
        return Store.WithLock(() =>
        {
            var now = NowMs;
            var existing = body.ExternalId is null ? null : Store.GetByExternalId(body.ExternalId);
            if (existing is not null && !overwrite)
                throw new CdfError(EmulatorConventions.DuplicateStatus, "Duplicate externalId: a file with this externalId already exists.",
                    duplicated: [new Dictionary<string, object> { ["externalId"] = body.ExternalId! }]);
            StoredFile meta;
            if (existing is not null)
            {
                meta = body with
                {
                    Id = existing.Metadata.Id,
                    CreatedTime = existing.Metadata.CreatedTime,
                    LastUpdatedTime = now,
                    AssetIds = body.AssetIds ?? existing.Metadata.AssetIds, // assetIds untouched unless present in the body
                };
                var readyAt = EmulatorConventions.OverwriteResetsUploaded ? null : existing.ReadyAt;
                Store.Put(new FileRow(meta, readyAt, existing.HasContent));
            }
            else
            {
                meta = body with { Id = Store.NewId(), CreatedTime = now, LastUpdatedTime = now };
                Store.Put(new FileRow(meta, null, false));
            }
            return meta;
        });
    }

    private UploadRow NewUpload(long fileId, int parts, bool multipart)
    {
        var id = UrlSigner.Base64Url(System.Security.Cryptography.RandomNumberGenerator.GetBytes(18));
        var expires = state.Options.TimeProvider.GetUtcNow() + EmulatorConventions.UploadUrlLifetime;
        var row = new UploadRow(id, fileId, parts, multipart, false, expires.ToUnixTimeSeconds());
        Store.AddUpload(row);
        return row;
    }

    private string UploadUrl(UploadRow upload, int index)
    {
        var path = "/upload/" + upload.UploadId + "/" + index.ToString(CultureInfo.InvariantCulture);
        return state.UploadBase + path[1..] + state.Signer.Query("PUT", path, DateTimeOffset.FromUnixTimeSeconds(upload.ExpiresAt));
    }

    // ---------------- complete ----------------

    private async Task CompleteAsync(HttpContext context)
    {
        var body = await BodyAsync(context, "/files/completemultipartupload").ConfigureAwait(false);
        var uploadId = FileRequests.String(body, "uploadId") ?? throw CdfError.BadRequest("uploadId is required.");
        var row = ResolveAll([FileRequests.Identifier(body)], ignoreUnknown: false).Single()!;
        var upload = Store.GetUpload(uploadId);
        if (upload is null || upload.FileId != row.Metadata.Id || !upload.Multipart)
            throw CdfError.BadRequest("Unknown uploadId for this file.");
        if (upload.Completed)
        {
            await HttpJson.WriteAsync(context, 200, FileResponses.Empty).ConfigureAwait(false); // idempotent: a retried complete succeeds
            return;
        }
        var parts = Store.GetParts(upload.UploadId);
        var missing = Enumerable.Range(0, upload.Parts).Where(i => !parts.ContainsKey(i)).ToList();
        if (missing.Count > 0)
            throw CdfError.BadRequest($"Cannot complete the upload: parts not uploaded (0-based indexes): {string.Join(",", missing.Take(20))}.");
        var small = Enumerable.Range(0, upload.Parts - 1).Where(i => parts[i] < state.Options.MinPartSize).ToList();
        if (small.Count > 0)
            throw CdfError.BadRequest($"Cannot complete the upload: every part but the last must be at least {state.Options.MinPartSize} bytes; too small (0-based indexes): {string.Join(",", small.Take(20))}.");

        // Like an object store, completion stitches parts together by reference: the part directory becomes the
        // content (a rename), so completing costs no copy of the bytes.
        // Concurrent completes of one upload: the first inside the lock does it, the others find it done (200, idempotent).
        Store.WithLock(() =>
        {
            if (Store.GetUpload(upload.UploadId) is not { Completed: false }) return 0;
            var current = Store.Get(row.Metadata.Id) ?? throw new CdfError(EmulatorConventions.MissingStatus, "The file was deleted.", [new Dictionary<string, object> { ["id"] = row.Metadata.Id }]);
            Store.ReplaceContentWithParts(current.Metadata.Id, upload.UploadId);
            CommitContent(current);
            Store.MarkUploadCompleted(upload.UploadId);
            return 0;
        });
        await HttpJson.WriteAsync(context, 200, FileResponses.Empty).ConfigureAwait(false);
    }

    /// <summary>Records that the content file is in place; <c>uploaded</c> turns true after <see cref="EmulatorOptions.UploadedFlagDelay"/>.</summary>
    internal void CommitContent(FileRow current)
    {
        var now = NowMs;
        var meta = EmulatorConventions.UploadBumpsLastUpdatedTime ? current.Metadata with { LastUpdatedTime = now } : current.Metadata;
        // The row keeps its project: this runs on the upload listener, which knows files by id only.
        state.Store.Put(current with { Metadata = meta, ReadyAt = now + (long)state.Options.UploadedFlagDelay.TotalMilliseconds, HasContent = true });
    }

    // ---------------- read ----------------

    /// <summary>
    /// <c>GET /files/icon</c>: a JPEG thumbnail (at most <see cref="EmulatorConventions.IconSize"/> pixels on its longer side)
    /// of a stored JPEG or PNG image; 400 for any other content, a file without content, or not exactly one identifier.
    /// </summary>
    private async Task IconAsync(HttpContext context)
    {
        var query = context.Request.Query;
        string? Value(string name) => query.TryGetValue(name, out var v) ? v.ToString() : null;
        var (id, externalId, space, instance) = (Value("id"), Value("externalId"), Value("space"), Value("instanceExternalId"));
        var forms = (id is null ? 0 : 1) + (externalId is null ? 0 : 1) + (space is null && instance is null ? 0 : 1);
        if (forms != 1 || (space is null) != (instance is null))
            throw CdfError.BadRequest("Give exactly one identifier: id, externalId, or space together with instanceExternalId.");
        FileIdentifier identifier;
        if (id is not null)
        {
            if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > FileStore.MaxId)
                throw CdfError.BadRequest($"Query parameter 'id' must be an integer in 1..{FileStore.MaxId}.");
            identifier = new FileIdentifier(Id: n);
        }
        else
        {
            identifier = externalId is not null ? new FileIdentifier(ExternalId: externalId) : new FileIdentifier(InstanceId: new StoredInstanceId(space!, instance!));
        }

        var row = ResolveAll([identifier], ignoreUnknown: false).Single()!;
        if (!Materialize(row).Uploaded || !row.HasContent)
            throw CdfError.BadRequest("The file has no uploaded content to make an icon of.");
        byte[] original;
        await using (var content = Store.OpenContent(row.Metadata.Id))
        {
            if (content.Length > EmulatorConventions.MaxIconSourceBytes)
                throw CdfError.BadRequest("The file is too large to make an icon of.");
            using var buffer = new MemoryStream();
            await content.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
            original = buffer.ToArray();
        }

        var jpeg = Thumbnails.ToJpegThumbnail(original, EmulatorConventions.IconSize)
            ?? throw CdfError.BadRequest("The file is not a JPEG or PNG image.");
        context.Response.StatusCode = 200;
        context.Response.ContentType = "image/jpeg";
        context.Response.ContentLength = jpeg.Length;
        await context.Response.Body.WriteAsync(jpeg, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task GetByIdAsync(HttpContext context)
    {
        // The route constrains {id} to a long; a signed one is no file id (ids are positive) and names no endpoint.
        if (!long.TryParse((string)context.Request.RouteValues["id"]!, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            throw new CdfError(404, $"No such endpoint: {context.Request.Method} {context.Request.Path}.");
        var row = Store.Get(id) ?? throw new CdfError(EmulatorConventions.MissingStatus, "Files not found.", [new Dictionary<string, object> { ["id"] = id }]);
        await HttpJson.WriteAsync(context, 200, FileResponses.File(Materialize(row))).ConfigureAwait(false);
    }

    private async Task ByIdsAsync(HttpContext context)
    {
        var body = await BodyAsync(context, "/files/byids").ConfigureAwait(false);
        var rows = ResolveAll(FileRequests.Identifiers(body), FileRequests.Bool(body, "ignoreUnknownIds") ?? false);
        await HttpJson.WriteAsync(context, 200, FileResponses.Items(rows.Where(r => r is not null).Select(r => FileResponses.File(Materialize(r!))))).ConfigureAwait(false);
    }

    private async Task ListAsync(HttpContext context)
    {
        var body = await BodyAsync(context, "/files/list").ConfigureAwait(false);
        var page = Page(FileRequests.Filter(body, "filter"), FileRequests.Int(body, "limit") ?? 100, FileRequests.String(body, "cursor"), FileRequests.String(body, "partition"));
        await HttpJson.WriteAsync(context, 200, page).ConfigureAwait(false);
    }

    private async Task ListQueryAsync(HttpContext context)
    {
        var q = context.Request.Query;
        string? S(string name) => q.TryGetValue(name, out var v) ? v.ToString() : null;
        long? L(string name)
        {
            var s = S(name);
            if (s is null) return null;
            return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) && v >= 0 ? v : throw CdfError.BadRequest($"Query parameter '{name}' must be a non-negative integer.");
        }
        EpochRange? R(string field)
        {
            var min = L("min" + field);
            var max = L("max" + field);
            return min is null && max is null ? null : new EpochRange(min, max);
        }
        List<T>? J<T>(string name)
        {
            var s = S(name);
            if (s is null) return null;
            try { return JArray.Parse(s).ToObject<List<T>>(); }
            catch (Exception e) when (e is Newtonsoft.Json.JsonException or ArgumentException or InvalidCastException)
            { throw CdfError.BadRequest($"Query parameter '{name}' must be a JSON array."); }
        }

        var limitText = S("limit");
        var limit = 100;
        if (limitText is not null && !int.TryParse(limitText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out limit))
            throw CdfError.BadRequest("Query parameter 'limit' must be an integer in 1..1000.");
        List<long>? assetIds = null;
        if (q.TryGetValue("assetIds", out var assetValues))
        {
            assetIds = [];
            foreach (var v in assetValues.SelectMany(v => (v ?? "").Trim('[', ']').Split(',', StringSplitOptions.RemoveEmptyEntries)))
                assetIds.Add(long.TryParse(v.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var a) ? a : throw CdfError.BadRequest("Query parameter 'assetIds' must hold integers."));
        }
        var uploadedText = S("uploaded");
        bool? uploaded = uploadedText is null ? null : bool.TryParse(uploadedText, out var u) ? u : throw CdfError.BadRequest("Query parameter 'uploaded' must be true or false.");
        var filter = new FileCriteria
        {
            Name = S("name"),
            MimeType = S("mimeType"),
            Source = S("source"),
            AssetIds = assetIds,
            AssetExternalIds = J<string>("assetExternalIds"),
            RootAssetIds = J<long>("rootAssetIds")?.Select(i => new FileIdentifier(Id: i)).ToList(),
            AssetSubtreeIds = J<long>("assetSubtreeIds")?.Select(i => new FileIdentifier(Id: i)).ToList(),
            DataSetIds = DataSetIds(J<JToken>("dataSetIds")),
            CreatedTime = R("CreatedTime"),
            LastUpdatedTime = R("LastUpdatedTime"),
            UploadedTime = R("UploadedTime"),
            SourceCreatedTime = R("SourceCreatedTime"),
            SourceModifiedTime = R("SourceModifiedTime"),
            ExternalIdPrefix = S("externalIdPrefix"),
            Uploaded = uploaded,
        };
        var subtreeExternal = J<string>("assetSubtreeExternalIds");
        if (subtreeExternal is not null) filter = filter with { AssetSubtreeIds = (filter.AssetSubtreeIds ?? []).Concat(subtreeExternal.Select(x => new FileIdentifier(ExternalId: x))).ToList() };
        await HttpJson.WriteAsync(context, 200, Page(filter, limit, S("cursor"), S("partition"))).ConfigureAwait(false);
    }

    /// <summary><c>dataSetIds=[1,{"externalId":"x"}]</c>; anything else (1e999, "a", nested junk) is a 400, not a conversion crash.</summary>
    private static List<FileIdentifier>? DataSetIds(List<JToken>? tokens)
    {
        try
        {
            return tokens?.Select(t => t is JObject o ? new FileIdentifier(FileRequests.Long(o, "id"), FileRequests.String(o, "externalId")) : new FileIdentifier(Id: t.Value<long>())).ToList();
        }
        catch (Exception e) when (e is CdfError or Newtonsoft.Json.JsonException or FormatException or OverflowException or InvalidCastException or ArgumentException)
        {
            throw CdfError.BadRequest("Query parameter 'dataSetIds' must be a JSON array of ids or {\"id\"|\"externalId\"} objects.");
        }
    }

    private JObject Page(FileCriteria filter, int limit, string? cursor, string? partition)
    {
        if (limit is < 1 or > 1000) throw CdfError.BadRequest("limit must be in 1..1000.");
        var (partM, partN) = ParsePartition(partition);
        var after = DecodeCursor(cursor);
        var now = NowMs;
        var items = new List<FileView>();
        Store.Scan(after, row =>
        {
            if (partN > 1 && row.Metadata.Id % partN != partM - 1) return true;
            var m = Materialize(row, now);
            if (FileFilters.Matches(m, filter)) items.Add(m);
            return items.Count <= limit;
        });
        string? next = null;
        if (items.Count > limit)
        {
            items.RemoveAt(limit);
            next = EncodeCursor(items[^1].File.Id);
        }
        return FileResponses.Page(items, next);
    }

    private static (int M, int N) ParsePartition(string? partition)
    {
        if (string.IsNullOrEmpty(partition)) return (1, 1);
        var bits = partition.Split('/');
        if (bits.Length == 2 && int.TryParse(bits[0], NumberStyles.None, CultureInfo.InvariantCulture, out var m) && int.TryParse(bits[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            && n is >= 1 and <= 10 && m >= 1 && m <= n)
            return (m, n);
        throw CdfError.BadRequest("partition must be 'M/N' with 1 <= M <= N <= 10.");
    }

    private static string EncodeCursor(long lastId) => UrlSigner.Base64Url(Encoding.UTF8.GetBytes("files:" + lastId.ToString(CultureInfo.InvariantCulture)));

    private static long DecodeCursor(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor)) return 0;
        try
        {
            var s = cursor.Replace('-', '+').Replace('_', '/');
            s = s.PadRight(s.Length + (4 - s.Length % 4) % 4, '=');
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(s));
            if (text.StartsWith("files:", StringComparison.Ordinal) && long.TryParse(text[6..], NumberStyles.None, CultureInfo.InvariantCulture, out var id)) return id;
        }
        catch (FormatException)
        {
        }
        throw CdfError.BadRequest("Invalid cursor.");
    }

    private async Task SearchAsync(HttpContext context)
    {
        var body = await BodyAsync(context, "/files/search").ConfigureAwait(false);
        var limit = FileRequests.Int(body, "limit") ?? 100;
        if (limit is < 1 or > 1000) throw CdfError.BadRequest("limit must be in 1..1000.");
        var filter = FileRequests.Filter(body, "filter");
        var name = FileRequests.Object(body, "search") is { } search ? FileRequests.String(search, "name") : null;
        var now = NowMs;
        var hits = new List<(int Score, FileView File)>();
        Store.Scan(0, row =>
        {
            var m = Materialize(row, now);
            if (!FileFilters.Matches(m, filter)) return true;
            var score = string.IsNullOrEmpty(name) ? 0 : FileFilters.NameScore(m.File.Name, name);
            if (score >= 0) hits.Add((score, m));
            return true;
        });
        var items = hits.OrderBy(h => h.Score).ThenBy(h => h.File.File.Id).Take(limit).Select(h => FileResponses.File(h.File));
        await HttpJson.WriteAsync(context, 200, FileResponses.Items(items)).ConfigureAwait(false);
    }

    private async Task AggregateAsync(HttpContext context)
    {
        var body = await BodyAsync(context, "/files/aggregate").ConfigureAwait(false);
        var filter = FileRequests.Filter(body, "filter");
        var now = NowMs;
        long count = 0;
        Store.Scan(0, row =>
        {
            if (FileFilters.Matches(Materialize(row, now), filter)) count++;
            return true;
        });
        await HttpJson.WriteAsync(context, 200, FileResponses.Count(count)).ConfigureAwait(false);
    }

    // ---------------- update / delete ----------------

    private async Task UpdateAsync(HttpContext context)
    {
        var body = await BodyAsync(context, "/files/update").ConfigureAwait(false);
        var items = FileRequests.Items(body);
        var result = Store.WithLock(() =>
        {
            var rows = ResolveAll(items.Select(FileRequests.Identifier).ToList(), ignoreUnknown: false);
            var updated = new List<FileRow>();
            var now = NowMs;
            for (var i = 0; i < rows.Count; i++)
            {
                var row = updated.FirstOrDefault(u => u.Metadata.Id == rows[i]!.Metadata.Id) ?? rows[i]!;
                var update = FileRequests.Object(items[i], "update") ?? throw CdfError.BadRequest("Each item needs an update object.");
                var meta = FileUpdates.Apply(row.Metadata, update) with { LastUpdatedTime = now };
                CheckMetadata(meta.Metadata);
                updated.RemoveAll(u => u.Metadata.Id == meta.Id);
                updated.Add(row with { Metadata = meta });
            }
            // externalId uniqueness against other files and within the batch
            var duplicated = new List<object>();
            foreach (var g in updated.Where(u => u.Metadata.ExternalId is not null).GroupBy(u => u.Metadata.ExternalId!))
            {
                var other = Store.GetByExternalId(g.Key);
                if (g.Count() > 1 || other is not null && other.Metadata.Id != g.First().Metadata.Id && !updated.Any(u => u.Metadata.Id == other.Metadata.Id && u.Metadata.ExternalId != g.Key))
                    duplicated.Add(new Dictionary<string, object> { ["externalId"] = g.Key });
            }
            if (duplicated.Count > 0) throw new CdfError(EmulatorConventions.DuplicateStatus, "Duplicate externalId.", duplicated: duplicated);
            // clear externalIds first so swaps inside one request do not trip the unique index
            foreach (var u in updated) Store.Put(u with { Metadata = u.Metadata with { ExternalId = null } });
            foreach (var u in updated) Store.Put(u);
            return rows.Select(r => FileResponses.File(Materialize(updated.First(u => u.Metadata.Id == r!.Metadata.Id)))).ToList();
        });
        await HttpJson.WriteAsync(context, 200, FileResponses.Items(result)).ConfigureAwait(false);
    }

    private async Task DeleteAsync(HttpContext context)
    {
        var body = await BodyAsync(context, "/files/delete").ConfigureAwait(false);
        var identifiers = FileRequests.Identifiers(body);
        var ignoreUnknown = FileRequests.Bool(body, "ignoreUnknownIds") ?? false;
        Store.WithLock(() =>
        {
            var rows = ResolveAll(identifiers, ignoreUnknown);
            foreach (var id in rows.Where(r => r is not null).Select(r => r!.Metadata.Id).Distinct()) Store.Delete(id);
            return 0;
        });
        await HttpJson.WriteAsync(context, 200, FileResponses.Empty).ConfigureAwait(false);
    }

    // ---------------- download ----------------

    private async Task DownloadLinkAsync(HttpContext context)
    {
        var extended = QueryBool(context, "extendedExpiration") ?? false;
        var body = await BodyAsync(context, "/files/downloadlink").ConfigureAwait(false);
        var identifiers = FileRequests.Identifiers(body);
        var rows = ResolveAll(identifiers, ignoreUnknown: false);
        var now = state.Options.TimeProvider.GetUtcNow();
        var notUploaded = rows.Select((r, i) => (r, i)).Where(p => !Materialize(p.r!).Uploaded).Select(p => identifiers[p.i].ToJson()).ToList();
        if (notUploaded.Count > 0) throw new CdfError(400, "Files not uploaded: a download link needs uploaded content.", missing: notUploaded);
        var expires = now + (extended ? EmulatorConventions.ExtendedDownloadUrlLifetime : EmulatorConventions.DownloadUrlLifetime);
        var items = rows.Select((r, i) =>
        {
            var path = "/download/" + r!.Metadata.Id.ToString(CultureInfo.InvariantCulture);
            return FileResponses.DownloadLink(state.UploadBase + path[1..] + state.Signer.Query("GET", path, expires), identifiers[i]);
        });
        await HttpJson.WriteAsync(context, 200, FileResponses.Items(items)).ConfigureAwait(false);
    }

    // ---------------- helpers ----------------

    /// <summary>Resolves identifiers in request order; unknown ones give 400 with <c>missing</c> unless ignored (then null entries).</summary>
    private List<FileRow?> ResolveAll(IList<FileIdentifier> items, bool ignoreUnknown)
    {
        var keys = items.Select(i => i.Key).ToList();
        if (keys.Distinct().Count() != keys.Count)
        {
            var dups = keys.GroupBy(k => k).Where(g => g.Count() > 1).Select(g => items[keys.IndexOf(g.Key)].ToJson()).ToList();
            throw new CdfError(400, "Duplicate identifiers in the request.", duplicated: dups);
        }
        var result = new List<FileRow?>();
        var missing = new List<object>();
        foreach (var item in items)
        {
            FileRow? row = null;
            if (item.Id is { } id) row = Store.Get(id);
            else if (item.ExternalId is { } x) row = Store.GetByExternalId(x);
            else if (item.InstanceId is { } inst)
                Store.Scan(0, r =>
                {
                    if (r.Metadata.InstanceId == inst) row = r;
                    return row is null;
                });
            else throw CdfError.BadRequest("Each item needs exactly one of id, externalId or instanceId.");
            if (row is null && !ignoreUnknown) missing.Add(item.ToJson());
            if (row is not null || ignoreUnknown) result.Add(row);
        }
        if (missing.Count > 0) throw new CdfError(EmulatorConventions.MissingStatus, "Files not found.", missing: missing);
        return ignoreUnknown ? result.Where(r => r is not null).ToList() : result;
    }

    /// <summary>The file as clients see it now: <c>uploaded</c> once its content is visible (<see cref="FileRow.ReadyAt"/>).</summary>
    internal FileView Materialize(FileRow row) => Materialize(row, NowMs);

    internal static FileView Materialize(FileRow row, long now)
    {
        var uploaded = row.ReadyAt is { } at && at <= now;
        return new FileView(row.Metadata, uploaded, uploaded ? row.ReadyAt : null);
    }

    private JObject MultipartResponse(FileView file, UploadRow upload) =>
        FileResponses.MultipartUploadResponse(file, Enumerable.Range(0, upload.Parts).Select(i => UploadUrl(upload, i)), upload.UploadId);

    private static bool? QueryBool(HttpContext context, string name)
    {
        if (!context.Request.Query.TryGetValue(name, out var v)) return null;
        return bool.TryParse(v.ToString(), out var b) ? b : throw CdfError.BadRequest($"Query parameter '{name}' must be true or false.");
    }

    /// <summary>Metadata limits the schema cannot express: keys at most 128 bytes, keys and values together at most 10240 bytes.</summary>
    internal static void CheckMetadata(IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null) return;
        if (metadata.Count > 256) throw CdfError.BadRequest("metadata: at most 256 key-value pairs.");
        long total = 0;
        foreach (var (k, v) in metadata)
        {
            var kb = Encoding.UTF8.GetByteCount(k);
            if (kb > 128) throw CdfError.BadRequest("metadata: keys are at most 128 bytes.");
            var vb = Encoding.UTF8.GetByteCount(v);
            if (vb > 10240) throw CdfError.BadRequest("metadata: values are at most 10240 bytes.");
            total += kb + vb;
        }
        if (total > 10240) throw CdfError.BadRequest("metadata: keys and values together are at most 10240 bytes.");
    }
}
