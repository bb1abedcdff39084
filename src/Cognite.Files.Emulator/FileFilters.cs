using Newtonsoft.Json.Linq;

namespace Cognite.Files.Emulator;

/// <summary>
/// Evaluates the <c>filter</c> object of /files/list, /files/search and /files/aggregate on materialized files.
/// The emulator has no assets or data sets: <c>rootAssetIds</c>/<c>assetSubtreeIds</c> with ids match direct links only
/// (the subtree of an unknown asset is just the asset); asset/data-set external ids match nothing; the geoLocation filter is
/// accepted but not evaluated (see <see cref="EmulatorConventions.GeoFilterEvaluated"/>).
/// </summary>
internal static class FileFilters
{
    public static bool Matches(FileView view, FileCriteria f)
    {
        var m = view.File;
        if (f.Name is not null && m.Name != f.Name) return false;
        if (f.DirectoryPrefix is not null && (m.Directory is null || !m.Directory.StartsWith(f.DirectoryPrefix, StringComparison.Ordinal))) return false;
        if (f.MimeType is not null && m.MimeType != f.MimeType) return false;
        if (f.Source is not null && m.Source != f.Source) return false;
        if (f.ExternalIdPrefix is not null && (m.ExternalId is null || !m.ExternalId.StartsWith(f.ExternalIdPrefix, StringComparison.Ordinal))) return false;
        if (f.Uploaded is { } up && view.Uploaded != up) return false;
        if (f.Metadata is { Count: > 0 } md)
            foreach (var (k, v) in md)
                if (m.Metadata is null || !m.Metadata.TryGetValue(k, out var mv) || mv != v) return false;
        var assets = m.AssetIds ?? [];
        if (f.AssetIds is { } aids && !aids.Any(assets.Contains)) return false;
        if (f.AssetExternalIds is { Count: > 0 }) return false;
        if (f.RootAssetIds is { } roots && !roots.Any(r => r.Id is { } id && assets.Contains(id))) return false;
        if (f.AssetSubtreeIds is { } subtrees && !subtrees.Any(r => r.Id is { } id && assets.Contains(id))) return false;
        if (f.DataSetIds is { Count: > 0 } ds && !ds.Any(d => d.Id is { } id && m.DataSetId == id)) return false;
        if (!InRange(m.CreatedTime, f.CreatedTime)) return false;
        if (!InRange(m.LastUpdatedTime, f.LastUpdatedTime)) return false;
        if (!InRange(view.UploadedTime, f.UploadedTime)) return false;
        if (!InRange(m.SourceCreatedTime, f.SourceCreatedTime)) return false;
        if (!InRange(m.SourceModifiedTime, f.SourceModifiedTime)) return false;
        if (f.LabelsContainsAny is not null || f.LabelsContainsAll is not null)
        {
            var labels = (m.Labels ?? []).ToHashSet(StringComparer.Ordinal);
            if (f.LabelsContainsAny is { } any && !any.Any(labels.Contains)) return false;
            if (f.LabelsContainsAll is { } all && !all.All(labels.Contains)) return false;
        }
        return true;
    }

    private static bool InRange(long? value, EpochRange? range)
    {
        if (range is null) return true;
        if (value is not { } v) return false; // a range only matches files where the field is set
        return (range.Min is not { } min || v >= min) && (range.Max is not { } max || v <= max);
    }

    /// <summary>Search rank on the name: 0 exact, 1 prefix, 2 contains, 3 every word contained; -1 no match (all case-insensitive).</summary>
    public static int NameScore(string name, string query)
    {
        if (name.Equals(query, StringComparison.OrdinalIgnoreCase)) return 0;
        if (name.StartsWith(query, StringComparison.OrdinalIgnoreCase)) return 1;
        if (name.Contains(query, StringComparison.OrdinalIgnoreCase)) return 2;
        var words = query.Split([' ', '_', '-', '.', '/'], StringSplitOptions.RemoveEmptyEntries);
        return words.Length > 0 && words.All(w => name.Contains(w, StringComparison.OrdinalIgnoreCase)) ? 3 : -1;
    }
}


/// <summary>
/// Applies the <c>update</c> object of one /files/update item (a <c>FileUpdate</c>: per field <c>set</c>/<c>setNull</c>,
/// or <c>set</c> or <c>add</c>/<c>remove</c> for maps and lists) to a stored file. Absent fields are left alone.
/// </summary>
internal static class FileUpdates
{
    public static StoredFile Apply(StoredFile m, JObject u)
    {
        m = m with
        {
            ExternalId = Str(u, "externalId", m.ExternalId),
            Directory = Str(u, "directory", m.Directory),
            Source = Str(u, "source", m.Source),
            MimeType = Str(u, "mimeType", m.MimeType),
            SourceCreatedTime = Lng(u, "sourceCreatedTime", m.SourceCreatedTime),
            SourceModifiedTime = Lng(u, "sourceModifiedTime", m.SourceModifiedTime),
            DataSetId = Lng(u, "dataSetId", m.DataSetId),
        };
        if (FileRequests.Object(u, "metadata") is { } md)
        {
            var set = FileRequests.StringMap(md, "set");
            var add = FileRequests.StringMap(md, "add");
            var remove = FileRequests.Strings(md, "remove");
            if (set is not null && (add is not null || remove is not null))
                throw CdfError.BadRequest("metadata: use either set, or add/remove.");
            Dictionary<string, string> d;
            if (set is not null) d = set;
            else
            {
                d = new Dictionary<string, string>(m.Metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal);
                foreach (var k in remove ?? []) d.Remove(k);
                foreach (var (k, v) in add ?? []) d[k] = v;
            }
            m = m with { Metadata = d.Count == 0 ? null : d };
        }
        m = m with
        {
            AssetIds = Ids(u, "assetIds", m.AssetIds, 1000),
            SecurityCategories = Ids(u, "securityCategories", m.SecurityCategories, 100),
        };
        if (FileRequests.Object(u, "labels") is { } lu)
        {
            // LabelsPatch: `set`, or `add`/`remove` (a oneOf in Cognite's document, flattened in ours).
            var set = FileRequests.Labels(lu, "set");
            var add = FileRequests.Labels(lu, "add");
            var remove = FileRequests.Labels(lu, "remove");
            if (set is not null && (add is not null || remove is not null))
                throw CdfError.BadRequest("labels: use either set, or add and/or remove, not both.");
            var labels = set is not null ? [] : (m.Labels ?? []).ToList();
            foreach (var s in set ?? []) if (!labels.Contains(s)) labels.Add(s);
            foreach (var r in remove ?? []) labels.Remove(r);
            foreach (var a in add ?? []) if (!labels.Contains(a)) labels.Add(a);
            if (labels.Count > 10) throw CdfError.BadRequest("labels: at most 10 per file.");
            m = m with { Labels = labels.Count == 0 ? null : labels };
        }
        if (FileRequests.Object(u, "geoLocation") is { } g)
        {
            var set = FileRequests.GeoLocation(g, "set");
            var setNull = FileRequests.Bool(g, "setNull") == true;
            if (set is not null && setNull) throw CdfError.BadRequest("geoLocation: use either set or setNull.");
            if (set is not null) m = m with { GeoLocation = set };
            else if (setNull) m = m with { GeoLocation = null };
        }
        return m;
    }

    private static string? Str(JObject u, string field, string? current)
    {
        if (FileRequests.Object(u, field) is not { } op) return current;
        var set = FileRequests.String(op, "set");
        CheckSetOrNull(field, set is not null, op);
        return set;
    }

    private static long? Lng(JObject u, string field, long? current)
    {
        if (FileRequests.Object(u, field) is not { } op) return current;
        var set = FileRequests.Long(op, "set");
        CheckSetOrNull(field, set is not null, op);
        return set;
    }

    /// <summary><c>{"set": value}</c> or <c>{"setNull": true}</c>, exactly one.</summary>
    private static void CheckSetOrNull(string field, bool hasSet, JObject op)
    {
        var setNull = FileRequests.Bool(op, "setNull") == true;
        if (hasSet && setNull) throw CdfError.BadRequest($"{field}: use either set or setNull.");
        if (!hasSet && !setNull) throw CdfError.BadRequest($"{field}: an update needs set or setNull: true.");
    }

    private static IReadOnlyList<long>? Ids(JObject u, string field, IReadOnlyList<long>? current, int max)
    {
        if (FileRequests.Object(u, field) is not { } op) return current;
        var set = FileRequests.Longs(op, "set");
        var add = FileRequests.Longs(op, "add");
        var remove = FileRequests.Longs(op, "remove");
        if (set is not null && (add is not null || remove is not null))
            throw CdfError.BadRequest($"{field}: use either set, or add/remove.");
        List<long> result;
        if (set is not null) result = set.Distinct().ToList();
        else
        {
            result = (current ?? []).ToList();
            foreach (var r in remove ?? []) result.Remove(r);
            foreach (var a in add ?? []) if (!result.Contains(a)) result.Add(a);
        }
        if (result.Count > max) throw CdfError.BadRequest($"{field}: at most {max} items.");
        return result.Count == 0 ? null : result;
    }
}
