using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Cognite.Files.Emulator;
using Cognite.Files.Models;
using Cognite.Files.Reliability.Tests.Support;
using Cognite.Files.Transfer;
using Microsoft.Extensions.Logging;

namespace Cognite.Files.Reliability.Tests;

/// <summary>
/// A full upload/download/error flow with a distinctive token: the token and the signatures of pre-signed URLs must
/// appear in no exception, no log line (any category, any level), no activity tag and no emulator request-log line.
/// </summary>
[Category("Security")]
public sealed partial class TokenHygieneTests
{
    private const string Token = "TOKEN-HYGIENE-5f0c2a9e-secret";
    private const string WrongToken = "TOKEN-HYGIENE-wrong-81b7d3";

    [Test, CancelAfter(60_000)]
    public async Task TokenAndUrlSignatures_AppearInNoExceptionLogOrTrace(CancellationToken cancellationToken)
    {
        var emulatorLog = new ConcurrentQueue<string>();
        await using var env = await EmulatorClient.StartAsync(o =>
        {
            o.AcceptedTokens = [Token];
            o.RequestLog = emulatorLog.Enqueue;
        });
        var logs = new CapturingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var activities = new ConcurrentQueue<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => activities.Enqueue($"{a.Source.Name} {a.DisplayName} {a.StatusDescription} {string.Join(" ", a.TagObjects.Select(t => $"{t.Key}={t.Value}"))} {string.Join(" ", a.Events.SelectMany(e => e.Tags.Select(t => $"{e.Name}:{t.Key}={t.Value}")))}"),
        };
        ActivitySource.AddActivityListener(listener);

        // Every signed URL the client uses passes here; its signature is what must not leak.
        var signatures = new ConcurrentBag<string>();
        DelegatingHandler Witness(Func<HttpRequestMessage, HttpRequestMessage>? tamper = null) => new InterceptingHandler((request, next) =>
        {
            foreach (Match m in Signature().Matches(request.RequestUri!.Query))
            {
                signatures.Add(m.Groups[1].Value);
            }

            return next(tamper?.Invoke(request) ?? request);
        });

        var exceptions = new List<Exception>();
        async Task Expect<T>(Func<Task> action)
            where T : Exception
        {
            try
            {
                await action();
                Assert.Fail($"expected {typeof(T).Name}");
            }
            catch (T e)
            {
                exceptions.Add(e);
            }
        }

        var transfer = new TransferOptions
        {
            SingleUploadThreshold = 64 * 1024, // the 1000-byte file goes as one request, the 320 KiB one multipart
            MinimumPartSize = 1,
            PartSize = 64 * 1024,
            MaxAttemptsPerPart = 4,
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
            MaxRetryDelay = TimeSpan.FromMilliseconds(50),
            StallTimeout = TimeSpan.FromMilliseconds(300),
        };
        using var client = env.Client(Token, o => o.Transfer = transfer, loggerFactory, Witness());
        var content = new byte[(5 * 64 * 1024) + 123];
        new Random(1).NextBytes(content);
        var path = Path.Combine(env.Directory.FullName, "hygiene.bin");
        await File.WriteAllBytesAsync(path, content, cancellationToken);

        // 1. Small upload and downloads.
        var smallUpload = await client.UploadAsync(new FileCreate { Name = "small.bin", ExternalId = "small" }, new MemoryStream(content[..1000]), cancellationToken: cancellationToken);
        Assert.That(smallUpload.UploadId, Is.Empty, "one request");
        var small = smallUpload.File;
        using (var copy = new MemoryStream())
        {
            await client.DownloadAsync(Identifier.FromId(small.Id), copy, cancellationToken: cancellationToken);
        }

        // 2. Multipart upload through every kind of part fault (retries log), then a download to a file.
        env.Emulator.Faults.Set(new FaultOptions
        {
            StallDuration = TimeSpan.FromSeconds(5),
            Schedule =
            [
                new ScheduledFault { PartIndex = 0, Kind = FaultKind.Status500 },
                new ScheduledFault { PartIndex = 1, Kind = FaultKind.Status503 },
                new ScheduledFault { PartIndex = 2, Kind = FaultKind.Status429WithRetryAfter },
                new ScheduledFault { PartIndex = 3, Kind = FaultKind.ResetMidBody },
                new ScheduledFault { PartIndex = 4, Kind = FaultKind.Stall },
            ],
        });
        var multipart = await client.UploadAsync(new FileCreate { Name = "multi.bin", ExternalId = "multi" }, path, cancellationToken: cancellationToken);
        Assert.That(multipart.Parts, Is.EqualTo(6));
        Assert.That(multipart.Retries, Is.EqualTo(5));
        await client.DownloadAsync(Identifier.FromId(multipart.File.Id), Path.Combine(env.Directory.FullName, "multi-copy.bin"), cancellationToken: cancellationToken);

        // 3. An interrupted upload with a journal, and its resume.
        var journal = Path.Combine(env.Directory.FullName, "hygiene.journal");
        env.Emulator.Faults.Set(new FaultOptions { Schedule = [new ScheduledFault { PartIndex = 2, Kind = FaultKind.Status500 }, new ScheduledFault { PartIndex = 2, Attempt = 2, Kind = FaultKind.Status500 }, new ScheduledFault { PartIndex = 2, Attempt = 3, Kind = FaultKind.Status500 }, new ScheduledFault { PartIndex = 2, Attempt = 4, Kind = FaultKind.Status500 }] });
        await Expect<CogniteUploadException>(() => client.UploadAsync(new FileCreate { Name = "resumed.bin", ExternalId = "resumed" }, path, new UploadOptions { JournalPath = journal }, cancellationToken));
        env.Emulator.Faults.Clear();
        var resumed = await client.ResumeUploadAsync(journal, path, cancellationToken: cancellationToken);
        Assert.That(resumed.PartsSkipped, Is.GreaterThan(0));

        // 4. Errors: unknown id, duplicate, 401 (a wrong, equally distinctive token), tampered URL (small and multipart), malformed JSON.
        await Expect<CogniteNotFoundException>(() => client.DownloadAsync(Identifier.FromId(1), Stream.Null, cancellationToken: cancellationToken));
        await Expect<CogniteConflictException>(() => client.UploadAsync(new FileCreate { Name = "dup", ExternalId = "small" }, new MemoryStream([1]), cancellationToken: cancellationToken));
        using (var wrong = env.Client(WrongToken, loggerFactory: loggerFactory))
        {
            await Expect<CogniteUnauthorizedException>(() => wrong.RetrieveAsync(small.Id, cancellationToken));
        }

        static HttpRequestMessage Tamper(HttpRequestMessage r)
        {
            r.RequestUri = new Uri(r.RequestUri!.ToString().Replace("sig=", "sig=A", StringComparison.Ordinal));
            return r;
        }

        using (var tampering = env.Client(Token, o => o.Transfer = transfer, loggerFactory, Witness(Tamper)))
        {
            // A small upload's refused PUT is the upload's failure now (inner CogniteForbiddenException), as a part's is.
            await Expect<CogniteUploadException>(() => tampering.UploadAsync(new FileCreate { Name = "t1" }, new MemoryStream([1, 2, 3]), cancellationToken: cancellationToken));
            await Expect<CogniteUploadException>(() => tampering.UploadAsync(new FileCreate { Name = "t2" }, path, cancellationToken: cancellationToken));
            // A download URL refused on its first use fails the download (LinkRefused, inner CogniteForbiddenException).
            await Expect<CogniteDownloadException>(() => tampering.DownloadAsync(Identifier.FromId(small.Id), Stream.Null, cancellationToken: cancellationToken));
        }

        var garbage = new InterceptingHandler(async (request, next) =>
        {
            var response = await next(request);
            if (response.IsSuccessStatusCode && request.RequestUri!.AbsolutePath.EndsWith("/files", StringComparison.Ordinal))
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                response.Content = new StringContent(text[..(text.Length / 2)], Encoding.UTF8, "application/json"); // cut inside the uploadUrl
            }

            return response;
        })
        { InnerHandler = Cognite.Files.Http.CogniteHttpPipeline.CreatePrimaryHandler(decompress: true) };
        using (var broken = env.Client(Token, loggerFactory: loggerFactory, api: garbage))
        {
            await Expect<CogniteApiException>(() => broken.UploadAsync(new FileCreate { Name = "garbage" }, new MemoryStream([1]), cancellationToken: cancellationToken));
        }

        // 5. The CLI (separate processes) with the same token: upload (the file fits in one 5 MiB part, so it goes as one
        //    PUT; faults on it, so that it retries and logs), ls, info, download, and failures (unknown id, wrong token, 409).
        var cliOutputs = new List<string>();
        var environment = Cli.Environment(env, Token);
        async Task<CliResult> RunCli(int expected, IReadOnlyDictionary<string, string?> e, params string[] args)
        {
            var r = await Cli.RunAsync(e, args);
            Assert.That(r.ExitCode, Is.EqualTo(expected), r.All);
            cliOutputs.Add($"cognite-files {string.Join(' ', args)}: {r.All}");
            return r;
        }

        env.Emulator.Faults.Set(new FaultOptions { Schedule = [new ScheduledFault { PartIndex = 0, Kind = FaultKind.ResetMidBody }, new ScheduledFault { PartIndex = 0, Attempt = 2, Kind = FaultKind.Status503 }] });
        var retried = await RunCli(0, environment, "upload", path, "--external-id", "cli-hygiene", "--part-size", "5MiB", "--json");
        Assert.That(retried.StdOut, Does.Contain("\"parts\":1").And.Contain("\"retries\":2"), "one PUT, retried twice");
        env.Emulator.Faults.Clear();
        await RunCli(0, environment, "upload", path, "--external-id", "cli-hygiene-json", "--part-size", "5MiB", "--json");
        await RunCli(0, environment, "ls", "--json");
        await RunCli(0, environment, "info", "cli-hygiene", "--json");
        await RunCli(0, environment, "download", "ext:cli-hygiene", Path.Combine(env.Directory.FullName, "cli-copy.bin"));
        await RunCli(1, environment, "info", "424242");
        await RunCli(1, environment, "upload", path, "--external-id", "cli-hygiene");
        var wrongEnvironment = Cli.Environment(env, WrongToken);
        await RunCli(1, wrongEnvironment, "ls");

        // The scan.
        var texts = exceptions.Select(e => "exception: " + Flatten(e))
            .Concat(cliOutputs.Select(o => "cli: " + o))
            .Concat(logs.Lines.Select(l => "log: " + l))
            .Concat(activities.Select(a => "activity: " + a))
            .Concat(emulatorLog.Select(l => "emulator: " + l))
            .ToList();
        var secrets = new[] { Token, WrongToken, "sig=", "expires=" }.Concat(signatures.Distinct()).ToList();
        var leaks = texts.SelectMany(t => secrets.Where(s => t.Contains(s, StringComparison.Ordinal)).Select(s => $"{(s.Length > 12 ? s[..12] + "…" : s)} in {t[..Math.Min(300, t.Length)]}")).Take(10).ToList();

        TestContext.Progress.WriteLine(
            $"Token hygiene scan: {exceptions.Count} exceptions, {logs.Lines.Count} log lines, {activities.Count} activities, {emulatorLog.Count} emulator log lines, {cliOutputs.Count} CLI runs' output " +
            $"checked for 2 tokens and {signatures.Distinct().Count()} URL signatures: {leaks.Count} leaks.");
        Assert.Multiple(() =>
        {
            Assert.That(exceptions, Has.Count.EqualTo(8));
            Assert.That(logs.Lines.Count(l => l.Contains("retrying", StringComparison.Ordinal)), Is.GreaterThanOrEqualTo(5), "retry logs were produced and scanned");
            Assert.That(signatures.Distinct().Count(), Is.GreaterThan(10));
            Assert.That(leaks, Is.Empty);
            Assert.That(env.Emulator.Counters.AuthorizationHeaderOnUploadUrl, Is.Zero);
        });
    }

    /// <summary>Message, type, inner exceptions, Data and public properties — what a logger that serializes exceptions would write.</summary>
    private static string Flatten(Exception e)
    {
        var sb = new StringBuilder();
        for (var x = e; x is not null; x = x.InnerException)
        {
            sb.Append(x.ToString()).Append(" | ");
            foreach (var p in x.GetType().GetProperties().Where(p => p.GetIndexParameters().Length == 0 && p.Name is not "TargetSite" and not "StackTrace"))
            {
                object? value;
                try
                {
                    value = p.GetValue(x);
                }
                catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or System.Reflection.TargetInvocationException)
                {
                    continue;
                }

                sb.Append(p.Name).Append('=').Append(value is System.Collections.IEnumerable en and not string ? string.Join(",", en.Cast<object?>()) : value).Append("; ");
            }
        }

        return sb.ToString();
    }

    [GeneratedRegex(@"[?&]sig=([^&]+)")]
    private static partial Regex Signature();
}
