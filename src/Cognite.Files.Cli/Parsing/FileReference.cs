using System.Globalization;
using Cognite.Files.Models;

namespace Cognite.Files.Cli.Parsing;

/// <summary>
/// Parses the <c>&lt;id|externalId&gt;</c> arguments: digits are an internal id (1..2^53-1); <c>id:123</c> and
/// <c>ext:abc</c> (or <c>externalId:abc</c>) say which explicitly, so an external id made of digits is
/// <c>ext:123</c>; anything else is an external id (1..255 characters).
/// </summary>
internal static class FileReference
{
    /// <summary>CDF ids are positive and below 2^53.</summary>
    public const long MaxId = 9007199254740991;

    public static bool TryParse(string? text, out Identifier identifier, out string error)
    {
        identifier = null!;
        error = string.Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "a file id or external id must not be empty";
            return false;
        }

        if (text.StartsWith("id:", StringComparison.OrdinalIgnoreCase))
        {
            return TryParseId(text[3..], text, out identifier, out error);
        }

        foreach (var prefix in new[] { "ext:", "externalId:" })
        {
            if (text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return TryParseExternalId(text[prefix.Length..], out identifier, out error);
            }
        }

        if (text.All(char.IsAsciiDigit) || (text.StartsWith('-') && text.Length > 1 && text[1..].All(char.IsAsciiDigit)))
        {
            return TryParseId(text, text, out identifier, out error);
        }

        return TryParseExternalId(text, out identifier, out error);
    }

    public static Identifier Parse(string? text) =>
        TryParse(text, out var identifier, out var error) ? identifier : throw new CliUsageException(error);

    public static IdEither ToIdEither(Identifier identifier) =>
        identifier.Id is { } id ? IdEither.FromId(id) : IdEither.FromExternalId(identifier.ExternalId!);

    private static bool TryParseId(string digits, string original, out Identifier identifier, out string error)
    {
        identifier = null!;
        if (!long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var id) || id < 1 || id > MaxId)
        {
            error = $"'{original}' is not a valid file id: ids are whole numbers from 1 to {MaxId} (use ext:{digits} for an external id)";
            return false;
        }

        identifier = Identifier.FromId(id);
        error = string.Empty;
        return true;
    }

    private static bool TryParseExternalId(string externalId, out Identifier identifier, out string error)
    {
        identifier = null!;
        if (externalId.Length is 0 or > 255)
        {
            error = $"an external id must be 1 to 255 characters long (got {externalId.Length})";
            return false;
        }

        identifier = Identifier.FromExternalId(externalId);
        error = string.Empty;
        return true;
    }
}
