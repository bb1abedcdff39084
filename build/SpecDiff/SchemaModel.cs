using System.Globalization;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Cognite.Files.SpecDiff;

/// <summary>
/// One schema after normalisation: <c>$ref</c>s resolved, <c>allOf</c> merged, <c>oneOf</c>/<c>anyOf</c> turned into
/// one object (or one union of types) with an <see cref="Alternatives"/> note, nullability as a flag. Descriptions,
/// titles, examples, <c>x-</c> extensions and the like are dropped.
/// </summary>
public sealed class NormalizedSchema
{
    /// <summary>JSON types other than <c>null</c>; empty means "any".</summary>
    public SortedSet<string> Types { get; } = new(StringComparer.Ordinal);

    /// <summary><c>nullable: true</c> (3.0) or <c>"null"</c> in <c>type</c> / a <c>{type: null}</c> alternative (3.1).</summary>
    public bool Nullable { get; set; }

    /// <summary>Compared keywords (format, limits, pattern, enum, default, ...) with canonical values.</summary>
    public SortedDictionary<string, string> Facets { get; } = new(StringComparer.Ordinal);

    /// <summary>Object properties by name.</summary>
    public SortedDictionary<string, NormalizedSchema> Properties { get; } = new(StringComparer.Ordinal);

    /// <summary>Names of required properties.</summary>
    public SortedSet<string> Required { get; } = new(StringComparer.Ordinal);

    /// <summary>Array items, when they say anything.</summary>
    public NormalizedSchema? Items { get; set; }

    /// <summary>Map values (<c>additionalProperties</c> as a schema), when they say anything.</summary>
    public NormalizedSchema? AdditionalProperties { get; set; }

    /// <summary>"exactly one of a|b" or "one of {a,b}|{c}", from a <c>oneOf</c> or from minProperties = maxProperties.</summary>
    public string? Alternatives { get; set; }

    /// <summary>True where a <c>$ref</c> cycle was cut: the schema refers back to one it is part of.</summary>
    public bool Recursive { get; set; }

    /// <summary>True when nothing constrains the value (an empty schema, <c>{}</c>).</summary>
    public bool IsEmpty =>
        Types.Count == 0 && !Nullable && Facets.Count == 0 && Properties.Count == 0 && Required.Count == 0 &&
        Items is null && AdditionalProperties is null && Alternatives is null && !Recursive;

    internal bool IsNullOnly => Nullable && Types.Count == 0 && Facets.Count == 0 && Properties.Count == 0 &&
        Items is null && AdditionalProperties is null && Alternatives is null && !Recursive;
}

/// <summary>Turns OpenAPI 3.0 and 3.1 schema objects of one document into <see cref="NormalizedSchema"/>s.</summary>
public sealed class SchemaNormalizer
{
    private const int MaxDepth = 64;

    private static readonly string[] LowerBounds = ["minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"];
    private static readonly string[] UpperBounds = ["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"];
    private static readonly string[] NumberKeywords =
        ["minimum", "maximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"];

    private readonly JObject _document;
    private readonly HashSet<string> _active = new(StringComparer.Ordinal);
    private int _depth;

    /// <summary>Creates a normaliser resolving local <c>$ref</c>s against <paramref name="document"/>.</summary>
    public SchemaNormalizer(JObject document) => _document = document;

    /// <summary>Normalises one schema (null gives an empty schema).</summary>
    public NormalizedSchema Normalize(JToken? schema)
    {
        if (_depth >= MaxDepth)
        {
            return new NormalizedSchema { Recursive = true };
        }

        _depth++;
        try
        {
            return NormalizeCore(schema);
        }
        finally
        {
            _depth--;
        }
    }

    /// <summary>Follows <c>$ref</c> chains of a non-schema object (parameter, response, request body, path item).</summary>
    public JToken? Deref(JToken? token)
    {
        for (var hops = 0; hops < 32 && token is JObject obj && obj["$ref"] is JValue { Type: JTokenType.String } r; hops++)
        {
            token = Resolve((string)r!);
            if (token is null)
            {
                return null;
            }
        }

        return token;
    }

    /// <summary>Resolves a local reference (<c>#/a/b</c>, JSON pointer escapes and percent-encoding allowed).</summary>
    public JToken? Resolve(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (!reference.StartsWith('#'))
        {
            return null;
        }

        JToken? current = _document;
        var pointer = Uri.UnescapeDataString(reference[1..]);
        if (pointer.Length == 0)
        {
            return current;
        }

        foreach (var raw in pointer.TrimStart('/').Split('/'))
        {
            var segment = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            current = current switch
            {
                JObject o => o[segment],
                JArray a when int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                _ => null,
            };
            if (current is null)
            {
                return null;
            }
        }

        return current;
    }

    private NormalizedSchema NormalizeCore(JToken? schema)
    {
        var result = new NormalizedSchema();
        if (schema is not JObject obj)
        {
            // `true`, `{}` and absent schemas accept anything; `false` accepts nothing (kept as a facet).
            if (schema is JValue { Type: JTokenType.Boolean } b && !(bool)b!)
            {
                result.Facets["not"] = "anything";
            }

            return result;
        }

        if (obj["$ref"] is JValue { Type: JTokenType.String } refToken)
        {
            var reference = (string)refToken!;
            if (_active.Contains(reference))
            {
                result.Recursive = true;
            }
            else if (Resolve(reference) is { } target)
            {
                _active.Add(reference);
                try
                {
                    Merge(result, Normalize(target));
                }
                finally
                {
                    _active.Remove(reference);
                }
            }
            else
            {
                result.Facets["$ref"] = reference;
            }
        }

        ApplyOwnKeywords(obj, result);

        if (obj["allOf"] is JArray allOf)
        {
            foreach (var part in allOf)
            {
                Merge(result, Normalize(part));
            }
        }

        foreach (var (keyword, word) in new[] { ("oneOf", "exactly one of"), ("anyOf", "any of") })
        {
            if (obj[keyword] is JArray alternatives)
            {
                ApplyAlternatives(result, alternatives.Select(Normalize).ToList(), word);
            }
        }

        Finish(result);
        return result;
    }

    private void ApplyOwnKeywords(JObject obj, NormalizedSchema result)
    {
        switch (obj["type"])
        {
            case JValue { Type: JTokenType.String } single:
                AddType(result, (string)single!);
                break;
            case JArray many:
                foreach (var t in many.OfType<JValue>().Where(v => v.Type == JTokenType.String))
                {
                    AddType(result, (string)t!);
                }

                break;
        }

        if (obj["nullable"] is JValue { Type: JTokenType.Boolean } nullable && (bool)nullable!)
        {
            result.Nullable = true;
        }

        if (obj["format"] is JValue { Type: JTokenType.String } format)
        {
            result.Facets["format"] = (string)format!;
        }

        if (obj["pattern"] is JValue { Type: JTokenType.String } pattern)
        {
            result.Facets["pattern"] = (string)pattern!;
        }

        foreach (var keyword in NumberKeywords)
        {
            if (obj[keyword] is JValue { Type: JTokenType.Integer or JTokenType.Float } n)
            {
                result.Facets[keyword] = Canonical(n);
            }
        }

        // 3.0 spells an exclusive bound as a boolean beside minimum/maximum; 3.1 as the bound itself.
        foreach (var (exclusive, inclusive) in new[] { ("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum") })
        {
            switch (obj[exclusive])
            {
                case JValue { Type: JTokenType.Boolean } flag when (bool)flag! && result.Facets.Remove(inclusive, out var bound):
                    result.Facets[exclusive] = bound;
                    break;
                case JValue { Type: JTokenType.Integer or JTokenType.Float } n:
                    result.Facets[exclusive] = Canonical(n);
                    break;
            }
        }

        if (obj["uniqueItems"] is JValue { Type: JTokenType.Boolean } unique && (bool)unique!)
        {
            result.Facets["uniqueItems"] = "true";
        }

        var enumValues = obj["enum"] as JArray ?? (obj.ContainsKey("const") ? new JArray(obj["const"]!.DeepClone()) : null);
        if (enumValues is not null)
        {
            if (enumValues.Any(v => v.Type == JTokenType.Null))
            {
                result.Nullable = true;
            }

            result.Facets["enum"] = EnumText(enumValues.Where(v => v.Type != JTokenType.Null));
        }

        if (obj.ContainsKey("default"))
        {
            result.Facets["default"] = Canonical(obj["default"]!);
        }

        if (obj["properties"] is JObject properties)
        {
            foreach (var (name, propertySchema) in properties)
            {
                var normalized = Normalize(propertySchema);
                if (result.Properties.TryGetValue(name, out var existing))
                {
                    Merge(existing, normalized);
                }
                else
                {
                    result.Properties[name] = normalized;
                }
            }
        }

        if (obj["required"] is JArray required)
        {
            foreach (var name in required.OfType<JValue>().Where(v => v.Type == JTokenType.String))
            {
                result.Required.Add((string)name!);
            }
        }

        if (obj["items"] is JObject items)
        {
            result.Items = Meaningful(Normalize(items));
            result.Types.Add("array");
        }

        if (obj["additionalProperties"] is JObject additional)
        {
            result.AdditionalProperties = Meaningful(Normalize(additional));
        }
    }

    private static void AddType(NormalizedSchema result, string type)
    {
        if (type == "null")
        {
            result.Nullable = true;
        }
        else
        {
            result.Types.Add(type);
        }
    }

    /// <summary>
    /// <c>oneOf</c>/<c>anyOf</c>: <c>{type: null}</c> alternatives make the schema nullable; one alternative left is merged
    /// as is; several become their union (see <see cref="Union"/>), merged into <paramref name="result"/>.
    /// </summary>
    private static void ApplyAlternatives(NormalizedSchema result, List<NormalizedSchema> alternatives, string word)
    {
        if (alternatives.RemoveAll(a => a.IsNullOnly) > 0)
        {
            result.Nullable = true;
        }

        if (alternatives.Count == 0)
        {
            return;
        }

        Merge(result, alternatives.Count == 1 ? alternatives[0] : Union(alternatives, word));
    }

    /// <summary>
    /// The union of alternatives: the union of their types; a facet all of them agree on is kept, enums are joined, other
    /// disagreeing facets become <c>a | b</c> (<c>(none)</c> for an alternative without it); properties are the union (a
    /// property in several alternatives is itself their union), required only where every alternative requires it; and when
    /// at least two alternatives are objects that differ in which properties they have, a note: <c>exactly one of a|b</c>
    /// when each has one property of its own, else <c>one of {a,b}|{c}</c>.
    /// </summary>
    private static NormalizedSchema Union(List<NormalizedSchema> alternatives, string? word)
    {
        if (alternatives.Count == 1)
        {
            return Clone(alternatives[0]);
        }

        var union = new NormalizedSchema();
        if (alternatives.All(a => a.Types.Count > 0 || a.Properties.Count > 0))
        {
            foreach (var a in alternatives)
            {
                union.Types.UnionWith(a.Types.Count > 0 ? a.Types : ["object"]);
            }
        }

        union.Nullable = alternatives.Any(a => a.Nullable);
        foreach (var key in alternatives.SelectMany(a => a.Facets.Keys).Distinct(StringComparer.Ordinal))
        {
            var values = alternatives.Select(a => a.Facets.GetValueOrDefault(key, "(none)")).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            union.Facets[key] = values.Count == 1 ? values[0]
                : key == "enum" && !values.Contains("(none)") ? EnumText(values.SelectMany(v => JArray.Parse(v)))
                : string.Join(" | ", values);
        }

        var objects = alternatives.Where(a => a.Properties.Count > 0).ToList();
        foreach (var name in objects.SelectMany(a => a.Properties.Keys).Distinct(StringComparer.Ordinal))
        {
            union.Properties[name] = Union(objects.Where(a => a.Properties.ContainsKey(name)).Select(a => a.Properties[name]).ToList(), null);
        }

        var common = objects.Count == alternatives.Count
            ? alternatives.Select(a => a.Required.Where(a.Properties.ContainsKey)).Aggregate((x, y) => x.Intersect(y, StringComparer.Ordinal)).ToHashSet(StringComparer.Ordinal)
            : [];
        union.Required.UnionWith(common);
        var groups = objects.Select(a => a.Properties.Keys.Where(k => !common.Contains(k)).Order(StringComparer.Ordinal).ToList()).ToList();
        var distinctGroups = groups.Select(g => string.Join(",", g)).Distinct(StringComparer.Ordinal).ToList();
        if (word is not null && objects.Count >= 2 && distinctGroups.Count >= 2)
        {
            union.Alternatives = groups.All(g => g.Count == 1)
                ? word + " " + string.Join("|", groups.Select(g => g[0]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
                : word.Replace("exactly ", "", StringComparison.Ordinal) + " " +
                  string.Join("|", distinctGroups.Select(g => "{" + g + "}").Order(StringComparer.Ordinal));
        }

        var notes = alternatives.Select(a => a.Alternatives ?? "(none)").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (union.Alternatives is null && notes is not ["(none)"])
        {
            union.Alternatives = string.Join(" | ", notes);
        }

        var items = alternatives.Where(a => a.Items is not null).Select(a => a.Items!).ToList();
        if (items.Count > 0)
        {
            union.Items = Union(items, null);
        }

        var mapValues = alternatives.Where(a => a.AdditionalProperties is not null).Select(a => a.AdditionalProperties!).ToList();
        if (mapValues.Count > 0)
        {
            union.AdditionalProperties = Union(mapValues, null);
        }

        union.Recursive = alternatives.Any(a => a.Recursive);
        return union;
    }

    /// <summary>
    /// Our document's spelling of "exactly one of": an object whose minProperties = maxProperties = (required count + 1)
    /// and whose other properties are the alternatives (NSwag cannot generate <c>oneOf</c>).
    /// </summary>
    private static void Finish(NormalizedSchema result)
    {
        if (result.Types.Count == 0 && (result.Properties.Count > 0 || result.AdditionalProperties is not null))
        {
            result.Types.Add("object");
        }

        if (result.Alternatives is null &&
            result.Facets.TryGetValue("minProperties", out var min) && result.Facets.TryGetValue("maxProperties", out var max) &&
            min == max && int.TryParse(min, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            var optional = result.Properties.Keys.Where(k => !result.Required.Contains(k)).ToList();
            if (optional.Count >= 2 && count == result.Required.Count(result.Properties.ContainsKey) + 1)
            {
                result.Alternatives = "exactly one of " + string.Join("|", optional);
                result.Facets.Remove("minProperties");
                result.Facets.Remove("maxProperties");
            }
        }
    }

    /// <summary>allOf semantics: the union of properties and required names; for bounds the stricter one wins.</summary>
    internal static void Merge(NormalizedSchema target, NormalizedSchema source)
    {
        if (target.Types.Count == 0)
        {
            target.Types.UnionWith(source.Types);
        }
        else if (source.Types.Count > 0)
        {
            var both = target.Types.Intersect(source.Types, StringComparer.Ordinal).ToList();
            if (both.Count > 0)
            {
                target.Types.Clear();
                target.Types.UnionWith(both);
            }
            else
            {
                target.Types.UnionWith(source.Types);
            }
        }

        target.Nullable |= source.Nullable;
        foreach (var (key, value) in source.Facets)
        {
            if (!target.Facets.TryGetValue(key, out var existing))
            {
                target.Facets[key] = value;
            }
            else if (LowerBounds.Contains(key) && TryNumber(existing, out var a) && TryNumber(value, out var b) && b > a)
            {
                target.Facets[key] = value;
            }
            else if (UpperBounds.Contains(key) && TryNumber(existing, out var c) && TryNumber(value, out var d) && d < c)
            {
                target.Facets[key] = value;
            }
        }

        foreach (var (name, property) in source.Properties)
        {
            if (target.Properties.TryGetValue(name, out var existing))
            {
                Merge(existing, property);
            }
            else
            {
                target.Properties[name] = Clone(property);
            }
        }

        target.Required.UnionWith(source.Required);
        if (source.Items is not null)
        {
            target.Items ??= new NormalizedSchema();
            Merge(target.Items, source.Items);
        }

        if (source.AdditionalProperties is not null)
        {
            target.AdditionalProperties ??= new NormalizedSchema();
            Merge(target.AdditionalProperties, source.AdditionalProperties);
        }

        if (source.Alternatives is not null)
        {
            target.Alternatives = target.Alternatives is null || target.Alternatives == source.Alternatives
                ? source.Alternatives
                : string.Join(" & ", new[] { target.Alternatives, source.Alternatives }.Order(StringComparer.Ordinal));
        }

        target.Recursive |= source.Recursive;
    }

    private static NormalizedSchema Clone(NormalizedSchema source)
    {
        var copy = new NormalizedSchema();
        Merge(copy, source);
        return copy;
    }

    private static NormalizedSchema? Meaningful(NormalizedSchema schema) => schema.IsEmpty ? null : schema;

    private static bool TryNumber(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    private static string EnumText(IEnumerable<JToken> values) =>
        "[" + string.Join(", ", values.Select(Canonical).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)) + "]";

    /// <summary>A value as compact JSON with numbers in one spelling (<c>1000</c> and <c>1000.0</c> alike).</summary>
    public static string Canonical(JToken value)
    {
        ArgumentNullException.ThrowIfNull(value);
        switch (value)
        {
            case JValue { Type: JTokenType.Integer } i:
                return Convert.ToString(i.Value, CultureInfo.InvariantCulture) ?? "0";
            case JValue { Type: JTokenType.Float } f:
                var d = Convert.ToDouble(f.Value, CultureInfo.InvariantCulture);
                return Math.Abs(d) < 9.2e18 && d == Math.Floor(d)
                    ? ((long)d).ToString(CultureInfo.InvariantCulture)
                    : d.ToString("R", CultureInfo.InvariantCulture);
            case JObject o:
                return "{" + string.Join(",", o.Properties().OrderBy(p => p.Name, StringComparer.Ordinal)
                    .Select(p => JsonConvert.ToString(p.Name) + ":" + Canonical(p.Value))) + "}";
            case JArray a:
                return "[" + string.Join(",", a.Select(Canonical)) + "]";
            default:
                return value.ToString(Formatting.None);
        }
    }
}
