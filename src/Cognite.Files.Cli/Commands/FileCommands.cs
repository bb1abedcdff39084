using System.Globalization;
using Cognite.Files.Cli.Output;
using Cognite.Files.Cli.Parsing;
using Cognite.Files.Models;
using Cognite.Files.Transfer;
using Spectre.Console;

namespace Cognite.Files.Cli.Commands;

/// <summary><c>ls</c>, <c>info</c> and <c>rm</c>.</summary>
internal static class FileCommands
{
    internal sealed record ListRequest(string? Name, string? DirectoryPrefix, string? ExternalIdPrefix, bool? Uploaded, int Limit, bool Json, string? ConfigPath, string Sort = "name", bool Reverse = false);

    /// <summary>The <c>--sort</c> keys of <c>ls</c>; ties are broken by id, so the order is stable.</summary>
    public static readonly IReadOnlyList<string> SortKeys = ["name", "size", "id", "uploaded", "external-id", "directory", "created", "updated"];

    public static Task<int> ListAsync(CliContext context, ListRequest request, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(context, cancellationToken, async () =>
        {
            await using var connection = await CommandRunner.ConnectAsync(context, request.ConfigPath, cancellationToken).ConfigureAwait(false);
            var filter = new FileFilter
            {
                Name = request.Name,
                DirectoryPrefix = request.DirectoryPrefix,
                ExternalIdPrefix = request.ExternalIdPrefix,
                Uploaded = request.Uploaded,
            };
            var files = new List<FileMetadata>();
            await foreach (var file in connection.Client.ListAsync(filter, request.Limit is > 0 and < 1000 ? request.Limit : 1000, cancellationToken).ConfigureAwait(false))
            {
                if (request.Limit > 0 && files.Count >= request.Limit)
                {
                    break;
                }

                files.Add(file);
            }

            files = Sort(files, request.Sort, request.Reverse);
            if (request.Json)
            {
                foreach (var file in files)
                {
                    context.Json(JsonOutput.File(file));
                }

                return ExitCodes.Ok;
            }

            var count = (files.Count == 1 ? "1 file" : string.Create(CultureInfo.InvariantCulture, $"{files.Count} files")) + (request.Limit > 0 && files.Count == request.Limit ? " (limit reached; use --limit 0 for all)" : string.Empty);
            if (context.Interactive)
            {
                var table = new Table().Border(TableBorder.Simple).BorderColor(Color.Grey);
                table.AddColumn("name");
                table.AddColumn(new TableColumn("size").RightAligned());
                table.AddColumn("uploaded");
                table.AddColumn(new TableColumn("id").RightAligned());
                table.AddColumn("external id");
                table.AddColumn("directory");
                foreach (var f in files)
                {
                    table.AddRow(
                        Markup.Escape(f.Name),
                        Size(f) is { } size ? Format.Bytes(size) : "[dim]-[/]",
                        f.Uploaded ? "[green]yes[/]" : "[yellow]no[/]",
                        f.Id.ToString(CultureInfo.InvariantCulture),
                        Markup.Escape(f.ExternalId ?? "-"),
                        Markup.Escape(f.Directory ?? "-"));
                }

                context.Console.Write(table);
                context.Console.MarkupLine("[dim]" + count + "[/]");
            }
            else
            {
                // Tab-separated for `cut`/`awk`: sizes in bytes, "-" for nothing; the count is a notice (stderr).
                context.Line("name\tsize\tuploaded\tid\texternalId\tdirectory");
                foreach (var f in files)
                {
                    context.Line(string.Join('\t', Tsv(f.Name), Size(f)?.ToString(CultureInfo.InvariantCulture) ?? "-", f.Uploaded ? "yes" : "no", f.Id.ToString(CultureInfo.InvariantCulture), Tsv(f.ExternalId ?? "-"), Tsv(f.Directory ?? "-")));
                }

                context.Notice(count);
            }

            return ExitCodes.Ok;
        });

    /// <summary>
    /// The content length when the file's metadata holds the checksum value (<see cref="ContentChecksum.MetadataKey"/>);
    /// CDF itself keeps no size.
    /// </summary>
    internal static long? Size(FileMetadata file) =>
        file.Metadata is { } metadata && metadata.TryGetValue(ContentChecksum.MetadataKey, out var value) && ContentChecksum.TryParseMetadataValue(value, out _, out var length)
            ? length
            : null;

    private static List<FileMetadata> Sort(List<FileMetadata> files, string key, bool reverse)
    {
        IOrderedEnumerable<FileMetadata> ordered = key switch
        {
            "size" => files.OrderBy(f => Size(f) ?? -1),
            "id" => files.OrderBy(f => f.Id),
            "uploaded" => files.OrderBy(f => f.Uploaded),
            "external-id" => files.OrderBy(f => f.ExternalId ?? string.Empty, StringComparer.Ordinal),
            "directory" => files.OrderBy(f => f.Directory ?? string.Empty, StringComparer.Ordinal).ThenBy(f => f.Name, StringComparer.Ordinal),
            "created" => files.OrderBy(f => f.CreatedTime),
            "updated" => files.OrderBy(f => f.LastUpdatedTime),
            _ => files.OrderBy(f => f.Name, StringComparer.Ordinal).ThenBy(f => f.Directory ?? string.Empty, StringComparer.Ordinal),
        };
        var sorted = ordered.ThenBy(f => f.Id).ToList();
        if (reverse)
        {
            sorted.Reverse();
        }

        return sorted;
    }

    /// <summary>A field of a TSV line: tabs and line breaks (legal in CDF names) would break the columns.</summary>
    private static string Tsv(string value) => value.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ');

    public static Task<int> InfoAsync(CliContext context, string reference, bool json, string? configPath, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(context, cancellationToken, async () =>
        {
            var identifier = FileReference.Parse(reference);
            await using var connection = await CommandRunner.ConnectAsync(context, configPath, cancellationToken).ConfigureAwait(false);
            var file = await connection.Client.RetrieveAsync(identifier, cancellationToken).ConfigureAwait(false);
            if (json)
            {
                context.Json(JsonOutput.File(file));
                return ExitCodes.Ok;
            }

            var rows = new List<(string Key, string Value)>
            {
                ("id", file.Id.ToString(CultureInfo.InvariantCulture)),
                ("externalId", file.ExternalId ?? "-"),
                ("name", file.Name),
                ("directory", file.Directory ?? "-"),
                ("mimeType", file.MimeType ?? "-"),
                ("source", file.Source ?? "-"),
                ("uploaded", file.Uploaded ? "yes" : "no"),
                ("uploadedTime", Format.Time(file.UploadedTime)),
                ("createdTime", Format.Time(file.CreatedTime)),
                ("lastUpdatedTime", Format.Time(file.LastUpdatedTime)),
                ("dataSetId", file.DataSetId?.ToString(CultureInfo.InvariantCulture) ?? "-"),
                ("assetIds", file.AssetIds is { Count: > 0 } a ? string.Join(", ", a) : "-"),
            };
            if (file.Metadata is { Count: > 0 } metadata)
            {
                rows.AddRange(metadata.Select(kv => ("metadata." + kv.Key, kv.Value)));
            }

            if (context.Interactive)
            {
                var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
                foreach (var (key, value) in rows)
                {
                    grid.AddRow("[bold]" + Markup.Escape(key) + "[/]", Markup.Escape(value));
                }

                context.Console.Write(grid);
            }
            else
            {
                foreach (var (key, value) in rows)
                {
                    context.Line($"{key}: {value}");
                }
            }

            return ExitCodes.Ok;
        });

    public static Task<int> RemoveAsync(CliContext context, IReadOnlyList<string> references, bool json, string? configPath, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(context, cancellationToken, async () =>
        {
            var identifiers = references.Select(FileReference.Parse).ToList();
            await using var connection = await CommandRunner.ConnectAsync(context, configPath, cancellationToken).ConfigureAwait(false);
            await connection.Client.DeleteAsync(identifiers.Select(FileReference.ToIdEither), ignoreUnknownIds: false, cancellationToken).ConfigureAwait(false);
            foreach (var identifier in identifiers)
            {
                if (json)
                {
                    context.Json(JsonOutput.Object(new { deleted = true, id = identifier.Id, externalId = identifier.ExternalId }));
                }
                else
                {
                    context.Line($"deleted {identifier}");
                }
            }

            return ExitCodes.Ok;
        });
}
