using System.CommandLine;
using System.Diagnostics;
using HubHost.Downloads;
using Spectre.Console;

namespace HubHost.Cli.Commands;

/// <summary>
/// <c>hubhost download URL DST [--hash-prefix H]</c> (torch.hub.download_url_to_file): a progress bar on a
/// terminal, periodic lines on stderr otherwise; the destination and its SHA-256 on stdout.
/// </summary>
internal static class DownloadCommand
{
    public static Command Create(CliApp app)
    {
        var url = new Argument<string>("URL") { Description = "The http(s) URL to download, or hf://owner/repo[@revision]/path (a Hugging Face hub file, checked against the hub's SHA-256)." };
        var destination = new Argument<string>("DST") { Description = "The file to write (replaced if it exists; written only when complete)." };
        var hashPrefix = new Option<string?>("--hash-prefix")
        {
            Description = "Hex the file's SHA-256 must start with; the file is not kept if it does not.",
        };
        var command = new Command("download", "Download a URL to a file, resuming dropped connections and checking the SHA-256.")
        {
            url, destination, hashPrefix,
        };
        command.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            // Return to System.CommandLine first: it hooks Ctrl+C only once the action's task exists, and the
            // download creates its temp file before its first await.
            await Task.Yield();
            var result = await WithProgressAsync(app, progress => app.Hub.DownloadUrlToFileAsync(
                parse.GetValue(url)!, parse.GetValue(destination)!, parse.GetValue(hashPrefix), progress, token));
            app.Print(
                new { path = result.Path, sha256 = result.Sha256, bytes = result.Length, downloaded = result.Downloaded },
                () => $"{result.Path}\nsha256: {result.Sha256}");
            return 0;
        }, ct));
        return command;
    }

    /// <summary>
    /// Runs <paramref name="work"/> with a progress display: a Spectre.Console bar when stderr is a terminal,
    /// else a line on stderr every few seconds. For any command that may download (a weights URL).
    /// </summary>
    internal static async Task<T> WithProgressAsync<T>(CliApp app, Func<IProgress<DownloadProgress>, Task<T>> work)
    {
        if (ReferenceEquals(app.Error, Console.Error) && !Console.IsErrorRedirected)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            return await console.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                    new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask("download", maxValue: 1);
                    task.IsIndeterminate = true;
                    var result = await work(new BarProgress(task));
                    task.StopTask();
                    return result;
                });
        }
        return await work(new LineProgress(app.Error));
    }

    private sealed class BarProgress(ProgressTask task) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value)
        {
            if (value.TotalBytes is { } total and > 0)
            {
                task.IsIndeterminate = false;
                task.MaxValue = total;
            }
            task.Value = value.BytesReceived;
        }
    }

    /// <summary>For logs and pipes: one line every few seconds, nothing for a quick download.</summary>
    private sealed class LineProgress(TextWriter error) : IProgress<DownloadProgress>
    {
        private static readonly TimeSpan Interval = TimeSpan.FromSeconds(3);
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _next = Interval;

        public void Report(DownloadProgress value)
        {
            lock (_clock)
            {
                if (_clock.Elapsed < _next) return;
                _next = _clock.Elapsed + Interval;
            }
            var text = value.TotalBytes is { } total
                ? $"downloaded {Size(value.BytesReceived)} of {Size(total)} ({value.Fraction:P0})"
                : $"downloaded {Size(value.BytesReceived)}";
            error.WriteLine(text);
        }

        private static string Size(long bytes) => bytes switch
        {
            >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
            >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
            >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
            _ => $"{bytes} B",
        };
    }
}
