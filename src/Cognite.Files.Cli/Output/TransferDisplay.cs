using System.Collections.Concurrent;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Cognite.Files.Cli.Output;

/// <summary>Receives the progress of one transferred file.</summary>
internal interface IFileProgress
{
    /// <summary>
    /// A resume: <paramref name="bytes"/> were sent (or downloaded) by an earlier run. The display then counts only what
    /// this run moves (its bar, percentages and rate), so it never shows progress the run did not make.
    /// </summary>
    void AlreadyDone(long bytes);

    /// <summary>The file's size, learnt after <see cref="ITransferReporter.Start"/> (a download's first response); before <see cref="AlreadyDone"/>.</summary>
    void KnownTotal(long totalBytes);

    /// <summary>Bytes done so far by this run for this file (monotonic).</summary>
    void Report(long bytesDone);

    /// <summary>The file is done; <paramref name="line"/> is its one-line outcome.</summary>
    void Completed(string line);

    /// <summary>The file failed or was cancelled; <paramref name="line"/> says so.</summary>
    void Failed(string line);

    /// <summary>The transfer of the file is given up to be started anew (its bar goes, silently; a new one follows).</summary>
    void Abandon();
}

/// <summary>Hands out a progress sink per file of a transfer.</summary>
internal interface ITransferReporter
{
    IFileProgress Start(string label, long? totalBytes);

    /// <summary>A line about the run that belongs to no bar (above the bars on a terminal, on stdout otherwise; none with <c>--json</c>).</summary>
    void Note(string line);
}

/// <summary>
/// A file's display that appears with the first thing to show: a resume that the library refuses before it sends
/// anything (its source changed, its journal is in use or of an older version) shows no bar and no progress, only
/// its error line. A failure before the display appeared says nothing here: the error line follows.
/// </summary>
internal sealed class DeferredFileProgress(ITransferReporter reporter, string label, long? totalBytes) : IFileProgress
{
    private readonly Lock _gate = new();
    private IFileProgress? _display;

    private IFileProgress Display
    {
        get
        {
            lock (_gate)
            {
                return _display ??= reporter.Start(label, totalBytes);
            }
        }
    }

    private IFileProgress? Started
    {
        get
        {
            lock (_gate)
            {
                return _display;
            }
        }
    }

    public void AlreadyDone(long bytes) => Display.AlreadyDone(bytes);

    public void KnownTotal(long totalBytes) => Display.KnownTotal(totalBytes);

    public void Report(long bytesDone) => Display.Report(bytesDone);

    public void Completed(string line) => Display.Completed(line);

    public void Failed(string line) => Started?.Failed(line);

    public void Abandon() => Started?.Abandon();
}

/// <summary>
/// Shows a transfer: live Spectre progress bars (one per active file and a total, with throughput and ETA) on a
/// terminal; a line per file start/finish and a line per 10 % otherwise; nothing with <c>--json</c> (the command
/// prints the results). A file that fails or is cancelled leaves the live area (its ✘ line stays above it), and so
/// does the total bar of a run that did not succeed: no frozen bar is left behind.
/// </summary>
internal static class TransferDisplay
{
    /// <summary>Runs <paramref name="work"/> with the display that fits the output: live bars, plain lines, or nothing (<c>--json</c>).</summary>
    /// <param name="unit">What the items of a run of several are called in the total bar ("files"; bench: "rounds").</param>
    public static async Task<T> RunAsync<T>(CliContext context, bool json, string verb, long? totalBytes, int fileCount, Func<ITransferReporter, Task<T>> work, string unit = "files")
    {
        if (json)
        {
            return await work(new SilentReporter()).ConfigureAwait(false);
        }

        if (!context.Interactive)
        {
            return await work(new PlainReporter(context, verb)).ConfigureAwait(false);
        }

        var display = context.Console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .AutoRefresh(true)
            .Columns(
                new TaskDescriptionColumn { Alignment = Justify.Left },
                new ProgressBarColumn(),
                new PercentageColumn(),
                new BytesColumn(),
                new RateColumn(),
                new RemainingTimeColumn(),
                new SpinnerColumn());
        display.RefreshRate = TimeSpan.FromMilliseconds(150);
        using var live = context.EnterLiveDisplay();
        return await display.StartAsync(async progress =>
            {
                // One file: its own bar is the whole story. Several: a total bar, and a bar per file while it is active.
                ProgressTask? total = null;
                if (fileCount != 1)
                {
                    total = progress.AddTask(string.Create(CultureInfo.InvariantCulture, $"[bold]{verb} total[/] ({fileCount} {unit})"), autoStart: true, maxValue: Math.Max(1, totalBytes ?? 1));
                    total.IsIndeterminate = totalBytes is null;
                }

                var reporter = new LiveReporter(context, progress, total, verb);
                try
                {
                    return await work(reporter).ConfigureAwait(false);
                }
                finally
                {
                    if (total is not null)
                    {
                        if (reporter.Succeeded)
                        {
                            // Full at the end; a total of unknown size (files whose size CDF does not say) ends at what was done.
                            if (total.IsIndeterminate)
                            {
                                total.IsIndeterminate = false;
                                total.MaxValue = Math.Max(1, reporter.TotalDone);
                            }

                            total.Value = total.MaxValue;
                        }
                        else
                        {
                            total.HideWhenCompleted = true;
                        }

                        total.StopTask();
                    }

                    progress.Refresh();
                }
            }).ConfigureAwait(false);
    }

    /// <summary>How a resume's figures are worded: what an earlier run did, and what is left.</summary>
    private static (string Before, string ToDo) Words(string verb) =>
        verb == "download" ? ("already downloaded", "to download") : ("sent before", "to send");

    /// <summary>Bytes done and total in the CLI's units (B, KiB, MiB, …), like every other figure it prints.</summary>
    private sealed class BytesColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(task.IsIndeterminate
                ? Format.Bytes((long)task.Value)
                : Format.Bytes((long)task.Value) + "/" + Format.Bytes((long)task.MaxValue));
    }

    /// <summary>The task's current rate in MiB/s.</summary>
    private sealed class RateColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(task.Speed is { } speed ? Format.Rate(speed) : "-");
    }

    private sealed class SilentReporter : ITransferReporter, IFileProgress
    {
        public IFileProgress Start(string label, long? totalBytes) => this;

        public void Note(string line)
        {
        }

        public void Abandon()
        {
        }

        public void AlreadyDone(long bytes)
        {
        }

        public void KnownTotal(long totalBytes)
        {
        }

        public void Report(long bytesDone)
        {
        }

        public void Completed(string line)
        {
        }

        public void Failed(string line)
        {
        }
    }

    private sealed class PlainReporter(CliContext context, string verb) : ITransferReporter
    {
        private readonly Lock _gate = new();

        public string Verb => verb;

        public IFileProgress Start(string label, long? totalBytes)
        {
            Write($"{verb} start: {label}" + (totalBytes is { } t ? $" ({Format.Bytes(t)})" : string.Empty));
            return new File(this, label, totalBytes);
        }

        public void Note(string line) => Write(line);

        private void Write(string line)
        {
            lock (_gate)
            {
                context.Line(line);
            }
        }

        private sealed class File(PlainReporter owner, string label, long? total) : IFileProgress
        {
            private int _lastDecile;
            private long? _toSend = total;

            public void AlreadyDone(long bytes)
            {
                if (_toSend is { } t)
                {
                    var (before, toDo) = Words(owner.Verb);
                    _toSend = Math.Max(0, t - bytes);
                    owner.Write($"{owner.Verb}: {label}: {Format.Bytes(bytes)} {before}, {Format.Bytes(_toSend.Value)} {toDo}");
                }
            }

            public void KnownTotal(long totalBytes) => _toSend ??= totalBytes;

            public void Report(long bytesDone)
            {
                if (_toSend is not { } t || t <= 0)
                {
                    return;
                }

                var decile = (int)Math.Min(10, bytesDone * 10 / t);
                var last = Volatile.Read(ref _lastDecile);
                if (decile > last && decile < 10 && Interlocked.CompareExchange(ref _lastDecile, decile, last) == last)
                {
                    owner.Write(string.Create(CultureInfo.InvariantCulture, $"{owner.Verb}: {label} {decile * 10}% ({Format.Bytes(bytesDone)} of {Format.Bytes(t)})"));
                }
            }

            public void Completed(string line) => owner.Write(line);

            public void Failed(string line) => owner.Write(line);

            public void Abandon()
            {
            }
        }
    }

    private sealed class LiveReporter(CliContext context, ProgressContext progress, ProgressTask? total, string verb) : ITransferReporter
    {
        private readonly ConcurrentDictionary<ProgressTask, long> _done = new();
        private long _totalDone;
        private int _failed;

        public IAnsiConsole Console => context.Console;

        public string Verb => verb;

        public ProgressTask? Total => total;

        public long TotalDone => Interlocked.Read(ref _totalDone);

        public bool Succeeded => Volatile.Read(ref _failed) == 0;

        public IFileProgress Start(string label, long? totalBytes)
        {
            // Alone, the bar says what it does ("upload a.bin"); under a total bar the file name is enough.
            var description = total is null ? $"[bold]{verb}[/] {Markup.Escape(Shorten(label))}" : Markup.Escape(Shorten(label));
            var task = progress.AddTask(description, autoStart: true, maxValue: Math.Max(1, totalBytes ?? 1));
            task.IsIndeterminate = totalBytes is null;
            task.HideWhenCompleted = total is not null; // with several files, finished ones leave the live area (their ✔ line stays above it)
            _done[task] = 0;
            return new File(this, task);
        }

        public void Note(string line) => context.Console.MarkupLine(Markup.Escape(line));

        private static string Shorten(string label) => label.Length <= 40 ? label : "…" + label[^39..];

        /// <summary>
        /// Takes back what an abandoned file's bar added to the total (and what its resume had taken off the total's
        /// size as done before): its new start counts from zero again.
        /// </summary>
        private void Abandoned(ProgressTask task, long before)
        {
            var done = _done.TryRemove(task, out var d) ? d : 0;
            var sum = Interlocked.Add(ref _totalDone, -done);
            if (total is not null)
            {
                total.MaxValue += before;
                total.Value = Math.Min(total.MaxValue, sum);
            }
        }

        private void Add(ProgressTask task, long bytesDone)
        {
            var previous = _done.TryGetValue(task, out var p) ? p : 0;
            if (bytesDone <= previous)
            {
                return;
            }

            _done[task] = bytesDone;
            var sum = Interlocked.Add(ref _totalDone, bytesDone - previous);
            task.Value = Math.Min(task.MaxValue, bytesDone);
            if (total is not null)
            {
                total.Value = Math.Min(total.MaxValue, sum);
            }
        }

        private sealed class File(LiveReporter owner, ProgressTask task) : IFileProgress
        {
            private long _before;

            public void AlreadyDone(long bytes)
            {
                lock (task)
                {
                    _before = bytes;
                    task.MaxValue = Math.Max(1, task.MaxValue - bytes);
                    task.Description += " [dim](" + Markup.Escape(Format.Bytes(bytes)) + " " + Words(owner.Verb).Before + ")[/]";
                    if (owner.Total is { } t)
                    {
                        t.MaxValue = Math.Max(1, t.MaxValue - bytes);
                    }
                }
            }

            public void KnownTotal(long totalBytes)
            {
                lock (task)
                {
                    if (task.IsIndeterminate)
                    {
                        task.MaxValue = Math.Max(1, totalBytes);
                        task.IsIndeterminate = false;
                    }
                }
            }

            public void Report(long bytesDone)
            {
                lock (task)
                {
                    owner.Add(task, bytesDone);
                }
            }

            public void Completed(string line)
            {
                task.Value = task.MaxValue;
                task.StopTask();
                owner.Console.MarkupLine("[green]✔[/] " + Markup.Escape(line));
            }

            public void Failed(string line)
            {
                Interlocked.Exchange(ref owner._failed, 1);
                // Out of the live area before the ✘ line is written, so the redraw after it shows no frozen bar.
                task.HideWhenCompleted = true;
                task.StopTask();
                owner.Console.MarkupLine("[red]✘[/] " + Markup.Escape(line));
            }

            public void Abandon()
            {
                lock (task)
                {
                    task.HideWhenCompleted = true;
                    task.StopTask();
                    owner.Abandoned(task, _before);
                }
            }
        }
    }
}
