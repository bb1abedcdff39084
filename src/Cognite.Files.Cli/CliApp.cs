using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Cognite.Files.Cli.Commands;
using Cognite.Files.Cli.Parsing;
using Cognite.Files.Cli.Transfers;
using Cognite.Files.Transfer;

namespace Cognite.Files.Cli;

/// <summary>The <c>cognite-files</c> command tree (System.CommandLine) and its entry point for tests and <c>Program.Main</c>.</summary>
internal static class CliApp
{
    /// <summary>Default part size of the CLI's uploads.</summary>
    public const long DefaultPartSize = 64L * 1024 * 1024;

    /// <summary>Default number of part PUTs in flight.</summary>
    public const int DefaultConcurrency = 4;

    /// <summary>Parses <paramref name="args"/> and runs the command. Usage errors give exit code 2 and one <c>error:</c> line.</summary>
    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken)
    {
        var root = Build(context);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            var command = string.Join(' ', parse.CommandResult.Command.Parents.OfType<Command>().Reverse().Skip(1).Select(c => c.Name).Append(parse.CommandResult.Command.Name).Where(n => n != root.Name).Prepend("cognite-files"));
            // An unknown word explains more than the "required command" error it causes.
            var error = parse.Errors.FirstOrDefault(e => parse.UnmatchedTokens.Any(t => e.Message.Contains(t, StringComparison.Ordinal))) ?? parse.Errors[0];
            return CliErrors.Report(context, $"{error.Message} (see '{command} --help')", ExitCodes.Usage);
        }

        // One place says "cancelling…" for Ctrl+C, SIGTERM and tests alike, at a safe spot of the terminal.
        using var cancelling = cancellationToken.Register(context.Cancelling);
        var invocation = new InvocationConfiguration { Output = context.Out, Error = context.Error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
        try
        {
            return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Cancelled;
        }
    }

    public static RootCommand Build(CliContext context)
    {
        var root = new RootCommand(
            "cognite-files: upload, download, list and remove files in Cognite Data Fusion. With no CDF configuration it uses an embedded local emulator.");
        // Each command that connects has its own --config (not a recursive one), so `emulator --help` does not offer it.
        root.Add(BuildUpload(context, ConfigOption()));
        root.Add(BuildResume(context, ConfigOption()));
        root.Add(BuildSync(context, ConfigOption()));
        root.Add(BuildDownload(context, ConfigOption()));
        root.Add(BuildVerify(context, ConfigOption()));
        root.Add(BuildList(context, ConfigOption()));
        root.Add(BuildInfo(context, ConfigOption()));
        root.Add(BuildRemove(context, ConfigOption()));
        root.Add(BuildEmulator(context));
        root.Add(BuildDemo(context, ConfigOption()));
        root.Add(BuildBench(context, ConfigOption()));
        return root;
    }

    private static Option<string?> ConfigOption() => new("--config")
    {
        Description = "Config file (JSON: baseUrl, project, token or clientId/clientSecret/tokenUrl/scopes). Default: ~/.cognite-files/config.json when it exists; environment variables win.",
        HelpName = "path",
    };

    private static Option<string[]> IncludeOption() => new("--include")
    {
        Description = "Only paths matching this glob, relative to the directory (repeatable): '*.csv' top level, '**/*.csv' any depth, 'logs/**' a subtree.",
        HelpName = "glob",
        AllowMultipleArgumentsPerToken = false,
    };

    private static Option<string[]> ExcludeOption() => new("--exclude")
    {
        Description = "Leave out paths matching this glob, relative to the directory (repeatable); an exclude wins over an include.",
        HelpName = "glob",
        AllowMultipleArgumentsPerToken = false,
    };

    private static Option<bool> StoreChecksumOption() => new("--store-checksum")
    {
        Description = $"After the upload, store the content's checksum in the file's metadata ({ContentChecksum.MetadataKey}), so that download, verify, sync and ls can use it.",
    };

    private static Option<bool> JsonOption() => new("--json") { Description = "Machine output: one JSON document per line on stdout, no decorations." };

    // Options with a default are nullable and have no DefaultValueFactory: the default is said once, in the
    // description, in the CLI's units (System.CommandLine would add "[default: 67108864]" besides).
    private static Option<long?> PartSizeOption() => new("--part-size")
    {
        Description = "Part size of multipart uploads: bytes or with a unit (64MiB, 5MB, 1GiB; units are binary). 5 MiB..4000 MiB; grown when a file would need more than 250 parts. Default 64MiB.",
        HelpName = "size",
        CustomParser = r => ParsePartSize(r),
    };

    private static Option<int?> ConcurrencyOption() => new("--concurrency", "-c")
    {
        Description = "Files uploaded at once, and part uploads in flight across all of them (1..64). Default 4.",
        HelpName = "n",
        CustomParser = r => ParseInt(r, "--concurrency", 1, 64),
    };

    /// <summary>--bwlimit: one cap for the whole run, uploads and downloads, all connections together.</summary>
    private static Option<long?> BandwidthLimitOption() => new("--bwlimit")
    {
        Description = "Cap the total transfer rate of this run, all files and connections together: bytes per second with a unit, e.g. 50MiB/s, 800KiB/s, 1.5GB/s (KiB/MiB/GiB binary, kB/MB/GB decimal). At least 1KiB/s. Default: no cap.",
        HelpName = "rate",
        CustomParser = r => ParseRate(r),
    };

    private static long ParseRate(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (!SizeParser.TryParseRate(text, out var rate))
        {
            result.AddError($"--bwlimit '{text}' is not a rate (use bytes per second with a unit: 50MiB/s, 800KiB/s, 1.5GB/s)");
            return 0;
        }

        if (rate < MinimumBandwidth)
        {
            result.AddError(string.Create(CultureInfo.InvariantCulture, $"--bwlimit must be at least 1KiB/s (got {text} = {rate} bytes per second)"));
            return 0;
        }

        return rate;
    }

    /// <summary>The lowest --bwlimit: the library's lowest <c>MaxTransferBytesPerSecond</c>.</summary>
    private const long MinimumBandwidth = 1024;

    /// <summary>An integer option's value, or an error naming the allowed range.</summary>
    private static int ParseInt(ArgumentResult result, string name, int min, int max)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            result.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} must be between {min} and {max} (got '{text}')"));
            return 0;
        }

        return value;
    }

    private static long ParsePartSize(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (!SizeParser.TryParse(text, out var bytes))
        {
            result.AddError($"--part-size '{text}' is not a size (use bytes or a unit: 64MiB, 5MB, 1GiB)");
            return 0;
        }

        if (bytes < MultipartLimits.MinPartSize || bytes > MultipartLimits.MaxPartSize)
        {
            result.AddError(string.Create(CultureInfo.InvariantCulture, $"--part-size must be between 5 MiB and 4000 MiB (got {text} = {bytes} bytes)"));
            return 0;
        }

        return bytes;
    }

    private static Command BuildUpload(CliContext context, Option<string?> config)
    {
        var path = new Argument<string>("path") { Description = "A file, or a directory (uploaded recursively)." };
        var to = new Option<string?>("--to") { Description = "Upload the content of one file into this existing CDF file (id, or external id; id:N / ext:X to be explicit).", HelpName = "id|externalId" };
        var externalId = new Option<string?>("--external-id") { Description = "External id of the new file; for a directory, a prefix to which each file's relative path is appended.", HelpName = "id" };
        var name = new Option<string?>("--name") { Description = "Name of the new file (default: the file name). Not for directories.", HelpName = "name" };
        var directory = new Option<string?>("--directory") { Description = "CDF directory of the new file; for a directory, the base to which relative subdirectories are appended (default: /<directory name>).", HelpName = "dir" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the metadata and content of an existing file with the same external id." };
        var journal = new Option<string?>("--journal") { Description = "Resume journal path (for a directory: a directory for the journals). Default: ~/.cognite-files/journals/.", HelpName = "path" };
        var partSize = PartSizeOption();
        var concurrency = ConcurrencyOption();
        var include = IncludeOption();
        var exclude = ExcludeOption();
        var bandwidth = BandwidthLimitOption();
        var storeChecksum = StoreChecksumOption();
        var json = JsonOption();
        var command = new Command("upload", "Upload a file or a directory (multipart, concurrent, resumable) with live progress.")
        {
            path, to, externalId, name, directory, overwrite, partSize, concurrency, journal, include, exclude, storeChecksum, bandwidth, json, config,
        };
        command.SetAction((parse, ct) => UploadCommand.RunAsync(
            context,
            new UploadCommand.UploadRequest(
                parse.GetRequiredValue(path),
                parse.GetValue(to),
                parse.GetValue(externalId),
                parse.GetValue(name),
                parse.GetValue(directory),
                parse.GetValue(overwrite),
                parse.GetValue(partSize) ?? DefaultPartSize,
                parse.GetValue(concurrency) ?? DefaultConcurrency,
                parse.GetValue(journal),
                parse.GetValue(json),
                parse.GetValue(config))
            {
                Include = parse.GetValue(include) ?? [],
                Exclude = parse.GetValue(exclude) ?? [],
                BandwidthLimit = parse.GetValue(bandwidth),
                StoreChecksum = parse.GetValue(storeChecksum),
            },
            ct));
        return command;
    }

    private static Command BuildSync(CliContext context, Option<string?> config)
    {
        var path = new Argument<string>("local-dir") { Description = "The local directory to bring CDF up to date with." };
        var directory = new Option<string?>("--directory") { Description = "CDF base directory (default: /<directory name>); subdirectories are appended.", HelpName = "dir" };
        var externalIdPrefix = new Option<string?>("--external-id-prefix") { Description = "External id prefix; a file's external id is the prefix + its relative path, by which it is found again. Default: the CDF base directory and '/'.", HelpName = "prefix" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the plan (new, changed, unchanged, extra) and send nothing." };
        var delete = new Option<bool>("--delete") { Description = "Also delete CDF files under the prefix that are no longer here (asks on a terminal; needs --yes otherwise)." };
        var yes = new Option<bool>("--yes", "-y") { Description = "Delete without asking (for --delete when not on a terminal)." };
        var partSize = PartSizeOption();
        var concurrency = ConcurrencyOption();
        var include = IncludeOption();
        var exclude = ExcludeOption();
        var bandwidth = BandwidthLimitOption();
        var json = JsonOption();
        var command = new Command("sync", "Upload what is new or changed in a local directory (and nothing else); with --delete, remove what is gone. Run it again to resume.")
        {
            path, directory, externalIdPrefix, dryRun, delete, yes, partSize, concurrency, include, exclude, bandwidth, json, config,
        };
        command.SetAction((parse, ct) => SyncCommand.RunAsync(
            context,
            new SyncCommand.Request(
                parse.GetRequiredValue(path),
                parse.GetValue(directory),
                parse.GetValue(externalIdPrefix),
                parse.GetValue(dryRun),
                parse.GetValue(delete),
                parse.GetValue(yes),
                parse.GetValue(partSize) ?? DefaultPartSize,
                parse.GetValue(concurrency) ?? DefaultConcurrency,
                parse.GetValue(include) ?? [],
                parse.GetValue(exclude) ?? [],
                parse.GetValue(json),
                parse.GetValue(config))
            {
                BandwidthLimit = parse.GetValue(bandwidth),
            },
            ct));
        return command;
    }

    private static Command BuildResume(CliContext context, Option<string?> config)
    {
        var journals = new Argument<string[]>("journal") { Description = "Journal file(s) printed by an interrupted upload.", Arity = ArgumentArity.OneOrMore };
        var concurrency = ConcurrencyOption();
        var bandwidth = BandwidthLimitOption();
        var storeChecksum = new Option<bool>("--store-checksum")
        {
            Description = $"Store the content's checksum in the file's metadata ({ContentChecksum.MetadataKey}) after the upload, also when the upload did not ask for it when it began (one that did stores it anyway).",
        };
        var json = JsonOption();
        var command = new Command("resume", "Finish interrupted uploads, sending only the parts that are missing.") { journals, concurrency, storeChecksum, bandwidth, json, config };
        command.SetAction((parse, ct) => UploadCommand.ResumeAsync(
            context,
            new UploadCommand.ResumeRequest(parse.GetRequiredValue(journals), parse.GetValue(concurrency) ?? DefaultConcurrency, parse.GetValue(json), parse.GetValue(config))
            {
                BandwidthLimit = parse.GetValue(bandwidth),
                StoreChecksum = parse.GetValue(storeChecksum),
            },
            ct));
        return command;
    }

    private static Command BuildDownload(CliContext context, Option<string?> config)
    {
        // One file: `download <id|externalId> <dest>`. Many: `download --directory-prefix /p <dest-dir>`, where the one
        // argument given is the destination.
        var file = new Argument<string>("id|externalId") { Description = "The file: an id, an external id, or id:N / ext:X. Left out with --directory-prefix, --external-id-prefix or --name, whose one argument is the destination directory." };
        var destination = new Argument<string?>("dest") { Description = "Destination file, or an existing directory (the CDF name is used).", Arity = ArgumentArity.ZeroOrOne };
        var directoryPrefix = new Option<string?>("--directory-prefix") { Description = "Download every uploaded file in this CDF directory and below it, recreating the directories under the destination.", HelpName = "dir" };
        var externalIdPrefix = new Option<string?>("--external-id-prefix") { Description = "Download every uploaded file whose external id starts with this, at its CDF directory under the destination.", HelpName = "prefix" };
        var name = new Option<string?>("--name") { Description = "Download every uploaded file with this exact name, at its CDF directory under the destination.", HelpName = "name" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing destination file (several files: also one that differs from CDF's; identical ones are skipped otherwise)." };
        var concurrency = RangeConcurrencyOption("Ranges downloaded at once, across all files (1..64); a download of several files also runs this many files at once. Default 4.");
        var partSize = RangeSizeOption("Size of the ranges a file is downloaded in, in parallel");
        var include = IncludeOption();
        var exclude = ExcludeOption();
        var bandwidth = BandwidthLimitOption();
        var json = JsonOption();
        var command = new Command("download", "Download a file's content (byte-exact; prints its checksum), or many files into a directory tree.")
        {
            file, destination, directoryPrefix, externalIdPrefix, name, overwrite, concurrency, partSize, include, exclude, bandwidth, json, config,
        };
        command.SetAction((parse, ct) =>
        {
            var first = parse.GetRequiredValue(file);
            var second = parse.GetValue(destination);
            var many = parse.GetValue(directoryPrefix) is not null || parse.GetValue(externalIdPrefix) is not null || parse.GetValue(name) is not null;
            var includes = parse.GetValue(include) ?? [];
            var excludes = parse.GetValue(exclude) ?? [];
            if (many)
            {
                if (second is not null)
                {
                    return Task.FromResult(CliErrors.Report(context, "with --directory-prefix, --external-id-prefix or --name, give only the destination directory (not a file id)", ExitCodes.Usage));
                }

                return TreeDownloadCommand.RunAsync(
                    context,
                    new TreeDownloadCommand.Request(first, parse.GetValue(directoryPrefix), parse.GetValue(externalIdPrefix), parse.GetValue(name), includes, excludes, parse.GetValue(concurrency) ?? DefaultConcurrency, parse.GetValue(overwrite), parse.GetValue(json), parse.GetValue(config))
                    {
                        RangeSize = parse.GetValue(partSize) ?? Downloader.DefaultRangeSize,
                        BandwidthLimit = parse.GetValue(bandwidth),
                    },
                    ct);
            }

            if (second is null)
            {
                return Task.FromResult(CliErrors.Report(context, "give the file and the destination (download <id|externalId> <dest>), or --directory-prefix/--external-id-prefix/--name and a destination directory", ExitCodes.Usage));
            }

            if (includes.Length + excludes.Length > 0)
            {
                return Task.FromResult(CliErrors.Report(context, "--include and --exclude select files of a download of several files (--directory-prefix, --external-id-prefix or --name)", ExitCodes.Usage));
            }

            return DownloadCommand.RunAsync(
                context,
                new DownloadCommand.Request(first, second, parse.GetValue(overwrite), parse.GetValue(json), parse.GetValue(config))
                {
                    RangeSize = parse.GetValue(partSize) ?? Downloader.DefaultRangeSize,
                    Concurrency = parse.GetValue(concurrency) ?? DefaultConcurrency,
                    BandwidthLimit = parse.GetValue(bandwidth),
                },
                ct);
        });
        return command;
    }

    /// <summary><c>-c</c> of a command that downloads in ranges: ranges in flight (1..64).</summary>
    private static Option<int?> RangeConcurrencyOption(string description) => new("--concurrency", "-c")
    {
        Description = description,
        HelpName = "n",
        CustomParser = r => ParseInt(r, "--concurrency", 1, 64),
    };

    /// <summary><c>--part-size</c> of a command that downloads in ranges: the range size.</summary>
    private static Option<long?> RangeSizeOption(string what) => new("--part-size")
    {
        Description = what + ": bytes or with a unit (16MiB, 64MiB; units are binary). 5 MiB..4000 MiB. Default 16MiB.",
        HelpName = "size",
        CustomParser = r => ParsePartSize(r),
    };

    private static Command BuildVerify(CliContext context, Option<string?> config)
    {
        var file = new Argument<string>("id|externalId") { Description = "The CDF file: an id, an external id, or id:N / ext:X." };
        var local = new Argument<string>("local-file") { Description = "The local file to compare with it." };
        var concurrency = RangeConcurrencyOption("When verify downloads the content (no checksum stored): ranges downloaded at once (1..64). Default 4.");
        var partSize = RangeSizeOption("When verify downloads the content (no checksum stored): size of the ranges it is downloaded in, in parallel");
        var bandwidth = BandwidthLimitOption();
        var json = JsonOption();
        var command = new Command("verify", "Check that a local file is a CDF file's content: against the checksum stored in its metadata, else by downloading it. Exit 0 identical, 1 different.")
        {
            file, local, concurrency, partSize, bandwidth, json, config,
        };
        command.SetAction((parse, ct) => VerifyCommand.RunAsync(
            context,
            new VerifyCommand.Request(parse.GetRequiredValue(file), parse.GetRequiredValue(local), parse.GetValue(json), parse.GetValue(config))
            {
                RangeSize = parse.GetValue(partSize) ?? Downloader.DefaultRangeSize,
                Concurrency = parse.GetValue(concurrency) ?? DefaultConcurrency,
                BandwidthLimit = parse.GetValue(bandwidth),
            },
            ct));
        return command;
    }

    private static Command BuildList(CliContext context, Option<string?> config)
    {
        var name = new Option<string?>("--name") { Description = "Exact name.", HelpName = "name" };
        var directoryPrefix = new Option<string?>("--directory-prefix") { Description = "Directory prefix, e.g. /reports.", HelpName = "dir" };
        var externalIdPrefix = new Option<string?>("--external-id-prefix") { Description = "External id prefix.", HelpName = "prefix" };
        // A string, not a bool: System.CommandLine would leave a value other than true/false unmatched ("Unrecognized
        // command or argument 'maybe'") instead of letting the option say what it takes.
        var uploaded = new Option<string?>("--uploaded")
        {
            Description = "Only files whose content is (true) or is not (false) uploaded.",
            HelpName = "true|false",
        };
        uploaded.Validators.Add(r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : string.Empty;
            if (!bool.TryParse(text, out _))
            {
                r.AddError($"--uploaded takes true or false (got '{text}')");
            }
        });
        var limit = new Option<int?>("--limit")
        {
            Description = "At most this many files; 0 for all. Default 100.",
            HelpName = "n",
            CustomParser = r => ParseInt(r, "--limit", 0, int.MaxValue),
        };
        var sort = new Option<string?>("--sort")
        {
            Description = $"Order of the files listed: {string.Join(", ", FileCommands.SortKeys)} (ties by id). Default name. With --limit, the first files CDF returns are sorted.",
            HelpName = "key",
        };
        sort.AcceptOnlyFromAmong([.. FileCommands.SortKeys]);
        var reverse = new Option<bool>("--reverse") { Description = "Reverse the order." };
        var json = JsonOption();
        var command = new Command("ls", "List files, optionally filtered: an aligned table on a terminal, tab-separated lines otherwise.") { name, directoryPrefix, externalIdPrefix, uploaded, limit, sort, reverse, json, config };
        command.SetAction((parse, ct) => FileCommands.ListAsync(
            context,
            new FileCommands.ListRequest(parse.GetValue(name), parse.GetValue(directoryPrefix), parse.GetValue(externalIdPrefix), parse.GetValue(uploaded) is { } u ? bool.Parse(u) : null, parse.GetValue(limit) ?? 100, parse.GetValue(json), parse.GetValue(config), parse.GetValue(sort) ?? "name", parse.GetValue(reverse)),
            ct));
        return command;
    }

    private static Command BuildInfo(CliContext context, Option<string?> config)
    {
        var file = new Argument<string>("id|externalId") { Description = "The file: an id, an external id, or id:N / ext:X." };
        var json = JsonOption();
        var command = new Command("info", "Show a file's metadata.") { file, json, config };
        command.SetAction((parse, ct) => FileCommands.InfoAsync(context, parse.GetRequiredValue(file), parse.GetValue(json), parse.GetValue(config), ct));
        return command;
    }

    private static Command BuildRemove(CliContext context, Option<string?> config)
    {
        var files = new Argument<string[]>("id|externalId") { Description = "Files to delete.", Arity = ArgumentArity.OneOrMore };
        var json = JsonOption();
        var command = new Command("rm", "Delete files (all or none: an unknown id fails the whole call).") { files, json, config };
        command.SetAction((parse, ct) => FileCommands.RemoveAsync(context, parse.GetRequiredValue(files), parse.GetValue(json), parse.GetValue(config), ct));
        return command;
    }

    private static Command BuildEmulator(CliContext context)
    {
        var port = new Option<int?>("--port")
        {
            Description = "API port on 127.0.0.1 (0 = a free one). Default 5080.",
            HelpName = "port",
            CustomParser = r => ParseInt(r, "--port", 0, 65535),
        };
        var uploadPort = new Option<int?>("--upload-port")
        {
            Description = "Port for pre-signed upload/download URLs (0 = a free one). Default 5081.",
            HelpName = "port",
            CustomParser = r => ParseInt(r, "--upload-port", 0, 65535),
        };

        var data = new Option<string?>("--data") { Description = "Data directory (default: the embedded emulator's, ~/.cognite-files/emulator).", HelpName = "dir" };
        var verbose = new Option<bool>("--verbose") { Description = "One line per request (method, path, status; never query strings or headers)." };
        var token = new Option<string[]>("--token")
        {
            Description = "A bearer token the emulator accepts (repeatable). None: any non-empty token (dev mode).",
            HelpName = "token",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("emulator", "Run the local Files API emulator standalone until Ctrl+C.") { port, uploadPort, data, token, verbose };
        command.SetAction((parse, ct) => EmulatorCommand.RunAsync(context, parse.GetValue(port) ?? 5080, parse.GetValue(uploadPort) ?? 5081, parse.GetValue(data), parse.GetValue(token) ?? [], parse.GetValue(verbose), ct));
        return command;
    }

    private static Command BuildBench(CliContext context, Option<string?> config)
    {
        var size = new Option<long?>("--size")
        {
            Description = "Bytes uploaded and downloaded per round (generated in memory). Default 64MiB.",
            HelpName = "size",
            CustomParser = r =>
            {
                var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : string.Empty;
                if (!SizeParser.TryParse(text, out var bytes) || bytes < 1 || bytes > MultipartLimits.MaxFileSize)
                {
                    r.AddError($"--size '{text}' must be a size from 1 byte (e.g. 64MiB, 1GiB)");
                    return 0;
                }

                return bytes;
            },
        };
        var partSizes = new Option<IReadOnlyList<long>?>("--part-sizes")
        {
            Description = "Part sizes to try, comma-separated. Default 8MiB,16MiB.",
            HelpName = "sizes",
            CustomParser = r =>
            {
                var value = BenchCommand.ParsePartSizes(r.Tokens.Count > 0 ? r.Tokens[0].Value : string.Empty, out var error);
                if (value is null)
                {
                    r.AddError(error);
                }

                return value;
            },
        };
        var concurrencies = new Option<IReadOnlyList<int>?>("--concurrency", "-c")
        {
            Description = "Concurrencies to try, comma-separated (each 1..64). Default 1,4,8.",
            HelpName = "list",
            CustomParser = r =>
            {
                var value = BenchCommand.ParseConcurrencies(r.Tokens.Count > 0 ? r.Tokens[0].Value : string.Empty, out var error);
                if (value is null)
                {
                    r.AddError(error);
                }

                return value;
            },
        };
        var bandwidth = BandwidthLimitOption();
        var json = JsonOption();
        var command = new Command("bench", "Measure upload and download throughput against the configured target (the embedded emulator by default) at several part sizes and concurrencies, with data generated in memory; recommends a setting and deletes what it created.")
        {
            size, partSizes, concurrencies, bandwidth, json, config,
        };
        command.SetAction((parse, ct) => BenchCommand.RunAsync(
            context,
            new BenchCommand.Request(parse.GetValue(size) ?? 64L << 20, parse.GetValue(partSizes) ?? [8L << 20, 16L << 20], parse.GetValue(concurrencies) ?? [1, 4, 8], parse.GetValue(json), parse.GetValue(config))
            {
                BandwidthLimit = parse.GetValue(bandwidth),
            },
            ct));
        return command;
    }

    private static Command BuildDemo(CliContext context, Option<string?> config)
    {
        var size = new Option<long?>("--size")
        {
            Description = "Size of the generated file (bytes or with a unit). Default 1GiB.",
            HelpName = "size",
            CustomParser = r =>
            {
                var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : string.Empty;
                if (!SizeParser.TryParse(text, out var bytes) || bytes < 1 || bytes > 64L << 30)
                {
                    r.AddError($"--size '{text}' must be a size from 1 byte to 64 GiB (e.g. 1GiB, 200MiB)");
                    return 0;
                }

                return bytes;
            },
        };
        var partSize = PartSizeOption();
        var concurrency = ConcurrencyOption();
        var bandwidth = BandwidthLimitOption();
        var command = new Command("demo", "Generate a file of random bytes (default 1 GiB), upload it multipart (to an embedded emulator when no CDF configuration is found, else to the configured project, deleting it afterwards), download it back and check it is byte-exact.")
        {
            size, partSize, concurrency, bandwidth, config,
        };
        command.SetAction((parse, ct) => DemoCommand.RunAsync(
            context,
            new DemoCommand.Request(parse.GetValue(config), parse.GetValue(size) ?? 1L << 30, parse.GetValue(partSize) ?? DefaultPartSize, parse.GetValue(concurrency) ?? DefaultConcurrency, parse.GetValue(bandwidth)),
            ct));
        return command;
    }
}
