namespace Cognite.Files.Models;

// Hand-written half of the generated identifier types: factories that make "exactly one of" easy to honour.
public partial class Identifier
{
    /// <summary>Identifies a file by its internal id.</summary>
    public static Identifier FromId(long id) => new() { Id = id };

    /// <summary>Identifies a file by its external id.</summary>
    public static Identifier FromExternalId(string externalId)
    {
        ArgumentException.ThrowIfNullOrEmpty(externalId);
        return new() { ExternalId = externalId };
    }

    /// <summary>Identifies a file by its data modeling instance id.</summary>
    public static Identifier FromInstanceId(string space, string externalId)
    {
        ArgumentException.ThrowIfNullOrEmpty(space);
        ArgumentException.ThrowIfNullOrEmpty(externalId);
        return new() { InstanceId = new InstanceId { Space = space, ExternalId = externalId } };
    }

    /// <inheritdoc />
    public override string ToString() =>
        Id is { } id ? $"id {id}" : ExternalId is { } x ? $"externalId \"{x}\"" : InstanceId is { } i ? $"instanceId {i.Space}/{i.ExternalId}" : "(empty identifier)";
}

public partial class IdEither
{
    /// <summary>Identifies a file by its internal id.</summary>
    public static IdEither FromId(long id) => new() { Id = id };

    /// <summary>Identifies a file by its external id.</summary>
    public static IdEither FromExternalId(string externalId)
    {
        ArgumentException.ThrowIfNullOrEmpty(externalId);
        return new() { ExternalId = externalId };
    }
}
