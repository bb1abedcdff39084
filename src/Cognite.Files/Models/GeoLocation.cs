namespace Cognite.Files.Models;

// Hand-written half of the generated GeoJSON types. `type` is optional in the schema only because files stored
// long ago may lack it; CDF requires "Feature" on write, so the factory always sets it.
public partial class GeoLocation
{
    /// <summary>A GeoJSON Feature (type "Feature") around <paramref name="geometry"/>.</summary>
    public static GeoLocation FromGeometry(GeoLocationGeometry geometry, IDictionary<string, object>? properties = null)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        return new() { Type = GeoLocationType.Feature, Geometry = geometry, Properties = properties };
    }

    /// <summary>A GeoJSON Feature holding one WGS84 point.</summary>
    public static GeoLocation FromPoint(double longitude, double latitude) =>
        FromGeometry(new GeoLocationGeometry { Type = GeometryType.Point, Coordinates = [longitude, latitude] });
}
