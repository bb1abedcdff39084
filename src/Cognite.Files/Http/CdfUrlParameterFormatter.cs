using System.Globalization;
using System.Reflection;
using Refit;

namespace Cognite.Files.Http;

/// <summary>
/// Formats query values the way CDF expects: booleans lowercase (<c>overwrite=false</c>), numbers invariant.
/// Refit's default writes <c>True</c>/<c>False</c>.
/// </summary>
internal sealed class CdfUrlParameterFormatter : DefaultUrlParameterFormatter
{
    /// <inheritdoc />
    public override string? Format(object? value, ICustomAttributeProvider attributeProvider, Type type) => value switch
    {
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => base.Format(value, attributeProvider, type),
    };
}
