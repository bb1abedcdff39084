using Newtonsoft.Json.Linq;

namespace Cognite.Files.SpecDiff;

/// <summary>What a difference is about; also the order of the groups inside one operation.</summary>
public enum DifferenceKind
{
    /// <summary>An operation on one side only.</summary>
    Operation,

    /// <summary>The 2xx status codes differ.</summary>
    SuccessCodes,

    /// <summary>A parameter differs or is on one side only.</summary>
    Parameter,

    /// <summary>The request body differs.</summary>
    Request,

    /// <summary>A success response body differs.</summary>
    Response,
}

/// <summary>One difference. <see cref="Line"/> is what is printed and what known-differences entries match.</summary>
public sealed record Difference(string Operation, DifferenceKind Kind, string Line);

/// <summary>
/// Compares the Files operations of Cognite's document ("theirs") with ours. Line grammar:
/// <c>METHOD /path KIND[ WHERE]: WHAT</c>, for example
/// <c>POST /files/byids request items[].instanceId.space: maxLength: Cognite 43, ours 255</c>.
/// </summary>
public static class SpecComparer
{
    private const string Theirs = "Cognite";
    private const string MissingInOurs = "missing in ours";
    private const string MissingInTheirs = "missing in Cognite's";

    private static readonly string[] FacetOrder =
    [
        "type", "format", "nullable", "required", "alternatives", "content", "enum", "pattern", "minimum", "exclusiveMinimum", "maximum",
        "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "minProperties",
        "maxProperties", "default", "recursive", "not", "$ref",
    ];

    private static readonly Dictionary<string, string> AbsentAs = new(StringComparer.Ordinal)
    {
        ["nullable"] = "false",
        ["required"] = "false",
        ["uniqueItems"] = "false",
        ["recursive"] = "false",
    };

    /// <summary>Compares two parsed OpenAPI documents; the differences come grouped by operation, then by kind.</summary>
    public static IReadOnlyList<Difference> Compare(JObject theirs, JObject ours)
    {
        var theirOperations = ApiModel.FilesOperations(theirs).ToDictionary(o => o.MatchKey, StringComparer.Ordinal);
        var ourOperations = ApiModel.FilesOperations(ours).ToDictionary(o => o.MatchKey, StringComparer.Ordinal);
        var differences = new List<Difference>();
        var keys = theirOperations.Keys.Union(ourOperations.Keys, StringComparer.Ordinal)
            .Select(k => (Key: k, Op: ourOperations.GetValueOrDefault(k) ?? theirOperations[k]))
            .OrderBy(x => x.Op.Path, StringComparer.Ordinal).ThenBy(x => x.Op.Method, StringComparer.Ordinal);
        foreach (var (key, display) in keys)
        {
            var name = display.Method + " " + display.Path;
            theirOperations.TryGetValue(key, out var t);
            ourOperations.TryGetValue(key, out var o);
            if (t is null || o is null)
            {
                differences.Add(new Difference(name, DifferenceKind.Operation, $"{name} operation: {(o is null ? MissingInOurs : MissingInTheirs)}"));
                continue;
            }

            CompareOperation(differences, name, t, o);
        }

        return differences;
    }

    private static void CompareOperation(List<Difference> differences, string name, OperationModel t, OperationModel o)
    {
        var theirCodes = string.Join(",", t.Success.Keys);
        var ourCodes = string.Join(",", o.Success.Keys);
        if (theirCodes != ourCodes)
        {
            differences.Add(new Difference(name, DifferenceKind.SuccessCodes,
                $"{name} success codes: {Theirs} {Or(theirCodes)}, ours {Or(ourCodes)}"));
        }

        foreach (var key in t.Parameters.Keys.Union(o.Parameters.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            t.Parameters.TryGetValue(key, out var tp);
            o.Parameters.TryGetValue(key, out var op);
            var sample = op ?? tp!;
            var prefix = $"{name} {sample.In} parameter";
            if (tp is null || op is null)
            {
                differences.Add(new Difference(name, DifferenceKind.Parameter, $"{prefix} {sample.Name}: {(op is null ? MissingInOurs : MissingInTheirs)}"));
                continue;
            }

            var lines = CompareSchemas(prefix, sample.Name, tp.Schema, op.Schema, ParameterFacets(tp), ParameterFacets(op));
            differences.AddRange(lines.Select(l => new Difference(name, DifferenceKind.Parameter, l)));
        }

        CompareBodies(differences, name, DifferenceKind.Request, "request", t.Request, o.Request);

        if (t.Success.Count == 1 && o.Success.Count == 1)
        {
            CompareBodies(differences, name, DifferenceKind.Response, "response", t.Success.Values.Single(), o.Success.Values.Single());
        }
        else
        {
            foreach (var code in t.Success.Keys.Intersect(o.Success.Keys, StringComparer.Ordinal))
            {
                CompareBodies(differences, name, DifferenceKind.Response, "response " + code, t.Success[code], o.Success[code]);
            }
        }
    }

    private static SortedDictionary<string, string> ParameterFacets(ParameterModel p)
    {
        var facets = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["required"] = p.Required ? "true" : "false" };
        if (p.ContentType is not null)
        {
            facets["content"] = p.ContentType;
        }

        return facets;
    }

    private static void CompareBodies(List<Difference> differences, string name, DifferenceKind kind, string label, BodyModel? t, BodyModel? o)
    {
        var prefix = $"{name} {label}";
        if (t is null && o is null)
        {
            return;
        }

        if (t is null || o is null)
        {
            differences.Add(new Difference(name, kind, $"{prefix} body: {(o is null ? MissingInOurs : MissingInTheirs)}"));
            return;
        }

        var theirTypes = string.Join(",", t.MediaTypes);
        var ourTypes = string.Join(",", o.MediaTypes);
        if (theirTypes != ourTypes && theirTypes.Length > 0 && ourTypes.Length > 0)
        {
            differences.Add(new Difference(name, kind, $"{prefix} media types: {Theirs} {Or(theirTypes)}, ours {Or(ourTypes)}"));
        }

        if (t.Schema is null || o.Schema is null)
        {
            if (t.Schema is not null || o.Schema is not null)
            {
                differences.Add(new Difference(name, kind, $"{prefix} body: {(o.Schema is null ? MissingInOurs : MissingInTheirs)}"));
            }

            return;
        }

        var (theirRoot, ourRoot) = (t.Schema, o.Schema);
        if (Unwrap(t.Schema, o.Schema) is { } theirItem)
        {
            differences.Add(new Difference(name, kind, $"{prefix} (root): wrapped in items[] in Cognite's, bare in ours"));
            theirRoot = theirItem;
        }
        else if (Unwrap(o.Schema, t.Schema) is { } ourItem)
        {
            differences.Add(new Difference(name, kind, $"{prefix} (root): bare in Cognite's, wrapped in items[] in ours"));
            ourRoot = ourItem;
        }

        differences.AddRange(CompareSchemas(prefix, "", theirRoot, ourRoot, null, null).Select(l => new Difference(name, kind, l)));
    }

    /// <summary>
    /// When <paramref name="wrapped"/> is <c>{"items": [X]}</c> and <paramref name="bare"/> an object without <c>items</c>,
    /// returns X, so the file object inside is still compared property by property.
    /// </summary>
    private static NormalizedSchema? Unwrap(NormalizedSchema wrapped, NormalizedSchema bare) =>
        wrapped.Properties.Count == 1 && wrapped.Properties.TryGetValue("items", out var items) &&
        items.Items is { Properties.Count: > 0 } item &&
        bare.Properties.Count > 0 && !bare.Properties.ContainsKey("items")
            ? item
            : null;

    private sealed record Entry(string Path, string? Parent, SortedDictionary<string, string> Facets);

    private static List<string> CompareSchemas(
        string prefix,
        string rootPath,
        NormalizedSchema theirs,
        NormalizedSchema ours,
        SortedDictionary<string, string>? theirRootFacets,
        SortedDictionary<string, string>? ourRootFacets)
    {
        var t = Flatten(theirs, rootPath, theirRootFacets);
        var o = Flatten(ours, rootPath, ourRootFacets);
        var lines = new List<string>();
        foreach (var path in t.Keys.Union(o.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            t.TryGetValue(path, out var te);
            o.TryGetValue(path, out var oe);
            var where = $"{prefix} {(path.Length == 0 ? "(root)" : path)}";
            if (te is null || oe is null)
            {
                // Only the topmost missing node is reported; its children are implied.
                var entry = te ?? oe!;
                if (entry.Parent is not null && t.ContainsKey(entry.Parent) && o.ContainsKey(entry.Parent))
                {
                    lines.Add($"{where}: {(oe is null ? MissingInOurs : MissingInTheirs)}");
                }

                continue;
            }

            foreach (var facet in te.Facets.Keys.Union(oe.Facets.Keys, StringComparer.Ordinal).OrderBy(FacetRank).ThenBy(f => f, StringComparer.Ordinal))
            {
                var a = te.Facets.GetValueOrDefault(facet) ?? AbsentAs.GetValueOrDefault(facet, "(none)");
                var b = oe.Facets.GetValueOrDefault(facet) ?? AbsentAs.GetValueOrDefault(facet, "(none)");
                if (a != b)
                {
                    lines.Add($"{where}: {facet}: {Theirs} {a}, ours {b}");
                }
            }
        }

        return lines;
    }

    private static int FacetRank(string facet)
    {
        var i = Array.IndexOf(FacetOrder, facet);
        return i < 0 ? FacetOrder.Length : i;
    }

    private static Dictionary<string, Entry> Flatten(NormalizedSchema root, string rootPath, SortedDictionary<string, string>? rootFacets)
    {
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        Visit(root, rootPath, null, null, rootFacets, entries);
        return entries;
    }

    private static void Visit(
        NormalizedSchema schema,
        string path,
        string? parent,
        bool? required,
        SortedDictionary<string, string>? extra,
        Dictionary<string, Entry> entries)
    {
        var facets = new SortedDictionary<string, string>(schema.Facets, StringComparer.Ordinal);
        if (schema.Types.Count > 0)
        {
            facets["type"] = string.Join("|", schema.Types);
        }

        if (schema.Nullable)
        {
            facets["nullable"] = "true";
        }

        if (required is { } r)
        {
            facets["required"] = r ? "true" : "false";
        }

        if (schema.Alternatives is not null)
        {
            facets["alternatives"] = schema.Alternatives;
        }

        if (schema.Recursive)
        {
            facets["recursive"] = "true";
        }

        foreach (var (k, v) in extra ?? [])
        {
            facets[k] = v;
        }

        entries[path] = new Entry(path, parent, facets);
        foreach (var (name, property) in schema.Properties)
        {
            Visit(property, path.Length == 0 ? name : path + "." + name, path, schema.Required.Contains(name), null, entries);
        }

        if (schema.Items is not null)
        {
            Visit(schema.Items, path + "[]", path, null, null, entries);
        }

        if (schema.AdditionalProperties is not null)
        {
            Visit(schema.AdditionalProperties, path + "{}", path, null, null, entries);
        }
    }

    private static string Or(string codes) => codes.Length == 0 ? "(none)" : codes;
}
