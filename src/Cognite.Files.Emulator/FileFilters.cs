using Cognite.Files.Models;

namespace Cognite.Files.Emulator;

/// <summary>
/// Evaluates the <c>filter</c> object of /files/list, /files/search and /files/aggregate on materialized files.
/// The emulator has no assets or data sets: <c>rootAssetIds</c>/<c>assetSubtreeIds</c> with ids match direct links only
/// (the subtree of an unknown asset is just the asset); asset/data-set external ids match nothing; the geoLocation filter is
/// accepted but not evaluated (see <see cref="EmulatorConventions.GeoFilterEvaluated"/>).
/// </summary>
internal static class FileFilters
{
    public static bool Matches(FileMetadata m, FileFilter f)
    {
        if (f.Name is not null && m.Name != f.Name) return false;
        if (f.DirectoryPrefix is not null && (m.Directory is null || !m.Directory.StartsWith(f.DirectoryPrefix, StringComparison.Ordinal))) return false;
        if (f.MimeType is not null && m.MimeType != f.MimeType) return false;
        if (f.Source is not null && m.Source != f.Source) return false;
        if (f.ExternalIdPrefix is not null && (m.ExternalId is null || !m.ExternalId.StartsWith(f.ExternalIdPrefix, StringComparison.Ordinal))) return false;
        if (f.Uploaded is { } up && m.Uploaded != up) return false;
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
        if (!InRange(m.UploadedTime, f.UploadedTime)) return false;
        if (!InRange(m.SourceCreatedTime, f.SourceCreatedTime)) return false;
        if (!InRange(m.SourceModifiedTime, f.SourceModifiedTime)) return false;
        if (f.Labels is { } lf)
        {
            var labels = (m.Labels ?? []).Select(l => l.ExternalId).ToHashSet(StringComparer.Ordinal);
            if (lf.ContainsAny is { } any && !any.Any(l => labels.Contains(l.ExternalId))) return false;
            if (lf.ContainsAll is { } all && !all.All(l => labels.Contains(l.ExternalId))) return false;
        }
        return true;
    }

    private static bool InRange(long? value, TimeRange? range)
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

/// <summary>Applies the update operations of /files/update to a file's metadata.</summary>
internal static class FileUpdates
{
    public static FileMetadata Apply(FileMetadata source, FileUpdate u)
    {
        var m = ApiHandler.Copy<FileMetadata>(source);
        m.ExternalId = Str(u.ExternalId, m.ExternalId, "externalId");
        m.Directory = Str(u.Directory, m.Directory, "directory");
        m.Source = Str(u.Source, m.Source, "source");
        m.MimeType = Str(u.MimeType, m.MimeType, "mimeType");
        m.SourceCreatedTime = Lng(u.SourceCreatedTime, m.SourceCreatedTime, "sourceCreatedTime");
        m.SourceModifiedTime = Lng(u.SourceModifiedTime, m.SourceModifiedTime, "sourceModifiedTime");
        m.DataSetId = Lng(u.DataSetId, m.DataSetId, "dataSetId");
        if (u.Metadata is { } md)
        {
            if (md.Set is not null && (md.Add is not null || md.Remove is not null))
                throw CdfError.BadRequest("metadata: use either set, or add/remove.");
            if (md.Set is not null) m.Metadata = new Dictionary<string, string>(md.Set);
            else
            {
                var d = new Dictionary<string, string>(m.Metadata ?? new Dictionary<string, string>());
                foreach (var k in md.Remove ?? []) d.Remove(k);
                foreach (var (k, v) in md.Add ?? new Dictionary<string, string>()) d[k] = v;
                m.Metadata = d;
            }
            if (m.Metadata.Count == 0) m.Metadata = null;
        }
        m.AssetIds = Ids(u.AssetIds, m.AssetIds, "assetIds", 1000);
        m.SecurityCategories = Ids(u.SecurityCategories, m.SecurityCategories, "securityCategories", 100);
        if (u.Labels is { } lu)
        {
            // LabelsPatch: `set`, or `add`/`remove` (a oneOf in Cognite's document, flattened in ours).
            if (lu.Set is not null && (lu.Add is not null || lu.Remove is not null))
                throw CdfError.BadRequest("labels: use either set, or add and/or remove, not both.");
            var labels = lu.Set is { } set ? [] : (m.Labels ?? []).Select(l => l.ExternalId).ToList();
            foreach (var s in lu.Set ?? []) if (!labels.Contains(s.ExternalId)) labels.Add(s.ExternalId);
            foreach (var r in lu.Remove ?? []) labels.Remove(r.ExternalId);
            foreach (var a in lu.Add ?? []) if (!labels.Contains(a.ExternalId)) labels.Add(a.ExternalId);
            if (labels.Count > 10) throw CdfError.BadRequest("labels: at most 10 per file.");
            m.Labels = labels.Count == 0 ? null : labels.Select(l => new Label { ExternalId = l }).ToList();
        }
        if (u.GeoLocation is { } g)
        {
            if (g.Set is not null && g.SetNull == true) throw CdfError.BadRequest("geoLocation: use either set or setNull.");
            if (g.Set is { Type: not null and not GeoLocationType.Feature }) throw CdfError.BadRequest("geoLocation.type must be Feature.");
            if (g.Set is not null) m.GeoLocation = g.Set;
            else if (g.SetNull == true) m.GeoLocation = null;
        }
        return m;
    }

    private static string? Str(SetNullableString? op, string? current, string field)
    {
        if (op is null) return current;
        if (op.Set is not null && op.SetNull == true) throw CdfError.BadRequest($"{field}: use either set or setNull.");
        if (op.Set is not null) return op.Set;
        if (op.SetNull == true) return null;
        throw CdfError.BadRequest($"{field}: an update needs set or setNull: true.");
    }

    private static long? Lng(SetNullableLong? op, long? current, string field)
    {
        if (op is null) return current;
        if (op.Set is not null && op.SetNull == true) throw CdfError.BadRequest($"{field}: use either set or setNull.");
        if (op.Set is not null) return op.Set;
        if (op.SetNull == true) return null;
        throw CdfError.BadRequest($"{field}: an update needs set or setNull: true.");
    }

    private static IList<long>? Ids(IdListUpdate? op, IList<long>? current, string field, int max)
    {
        if (op is null) return current;
        if (op.Set is not null && (op.Add is not null || op.Remove is not null))
            throw CdfError.BadRequest($"{field}: use either set, or add/remove.");
        List<long> result;
        if (op.Set is not null) result = op.Set.Distinct().ToList();
        else
        {
            result = (current ?? []).ToList();
            foreach (var r in op.Remove ?? []) result.Remove(r);
            foreach (var a in op.Add ?? []) if (!result.Contains(a)) result.Add(a);
        }
        if (result.Count > max) throw CdfError.BadRequest($"{field}: at most {max} items.");
        return result.Count == 0 ? null : result;
    }
}
