using System.Globalization;
using Cognite.Files.Cli.Output;
using Cognite.Files.Cli.Parsing;
using Cognite.Files.Models;
using Spectre.Console;

namespace Cognite.Files.Cli.Commands;

/// <summary><c>ls</c>, <c>info</c> and <c>rm</c>.</summary>
internal static class FileCommands
{
    internal sealed record ListRequest(string? Name, string? DirectoryPrefix, string? ExternalIdPrefix, bool? Uploaded, int Limit, bool Json, string? ConfigPath);

    public static Task<int> ListAsync(CliContext context, ListRequest request, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(context, cancellationToken, async () =>
        {
            await using var connection = await CommandRunner.ConnectAsync(context, request.ConfigPath, request.Json, cancellationToken).ConfigureAwait(false);
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

                if (request.Json)
                {
                    context.Json(JsonOutput.File(file));
                }

                files.Add(file);
            }

            if (request.Json)
            {
                return ExitCodes.Ok;
            }

            if (context.Interactive)
            {
                var table = new Table().Border(TableBorder.Rounded);
                table.AddColumns("id", "externalId", "name", "directory", "uploaded", "last updated");
                foreach (var f in files)
                {
                    table.AddRow(
                        f.Id.ToString(CultureInfo.InvariantCulture),
                        Markup.Escape(f.ExternalId ?? "-"),
                        Markup.Escape(f.Name),
                        Markup.Escape(f.Directory ?? "-"),
                        f.Uploaded ? "[green]yes[/]" : "[yellow]no[/]",
                        Format.Time(f.LastUpdatedTime));
                }

                context.Console.Write(table);
            }
            else
            {
                context.Line("id\texternalId\tname\tdirectory\tuploaded\tlastUpdated");
                foreach (var f in files)
                {
                    context.Line(string.Join('\t', f.Id.ToString(CultureInfo.InvariantCulture), f.ExternalId ?? "-", f.Name, f.Directory ?? "-", f.Uploaded ? "yes" : "no", Format.Time(f.LastUpdatedTime)));
                }
            }

            context.Line(files.Count == 1 ? "1 file" : string.Create(CultureInfo.InvariantCulture, $"{files.Count} files") + (request.Limit > 0 && files.Count == request.Limit ? " (limit reached; use --limit 0 for all)" : string.Empty));
            return ExitCodes.Ok;
        });

    public static Task<int> InfoAsync(CliContext context, string reference, bool json, string? configPath, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(context, cancellationToken, async () =>
        {
            var identifier = FileReference.Parse(reference);
            await using var connection = await CommandRunner.ConnectAsync(context, configPath, json, cancellationToken).ConfigureAwait(false);
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
            await using var connection = await CommandRunner.ConnectAsync(context, configPath, json, cancellationToken).ConfigureAwait(false);
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
