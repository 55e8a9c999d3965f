using System.Diagnostics;

namespace HubHost.Bench;

/// <summary>Timing helpers shared by the benchmarks.</summary>
internal static class Measure
{
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>Median of <paramref name="runs"/> timings of <paramref name="action"/>, in milliseconds.</summary>
    public static async Task<double> MedianMsAsync(int runs, Func<Task> action)
    {
        var times = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            await action();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        return Median(times);
    }

    public static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>Runs a process to completion; returns its stdout and wall time. Throws if it fails.</summary>
    public static (string Stdout, double Milliseconds) Run(string file, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        // A child dotnet must not inherit the MSBuild state of a `dotnet run` that started this process.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList()) info.Environment.Remove(key);
        if (environment is not null) foreach (var (k, v) in environment) info.Environment[k] = v;
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        var ms = watch.Elapsed.TotalMilliseconds;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {stdout.Result}{stderr.Result}");
        return (stdout.Result, ms);
    }

    /// <summary>
    /// The `hubhost` executable as the tool ships it (published for this RID: self-contained, one composite ReadyToRun image,
    /// per src/HubHost.Cli's project): <c>--cli DIR</c> names a folder published before (`dotnet publish src/HubHost.Cli -c Release
    /// -r linux-x64 -o DIR`), else the CLI is published into <paramref name="scratch"/> now (not measured; minutes).
    /// </summary>
    public static string PublishedCli(string[] args, string scratch)
    {
        if (BenchArgs.String(args, "--cli") is { } given) return Path.Combine(Path.GetFullPath(given), "HubHost.Cli");
        var published = Path.Combine(scratch, "cli");
        Run("dotnet", ["publish", Path.Combine(RepoRoot, "src", "HubHost.Cli"), "-c", "Release", "-r", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier,
            "-o", published, "-nologo", "-v:q"]);
        return Path.Combine(published, "HubHost.Cli");
    }

    /// <summary>Median of the per-round ratios a[i] / b[i].</summary>
    public static double MedianRatio(List<double> a, List<double> b) => Median(a.Zip(b, (x, y) => x / y).ToList());

    /// <summary>git with its arguments, in <paramref name="directory"/> when given; throws if it fails.</summary>
    public static void Git(string? directory, params string[] args) => Run("git", directory is null ? args : ["-C", directory, .. args]);

    /// <summary>The 1-minute load average (Linux): how busy the machine was while a figure was measured.</summary>
    public static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    /// <summary>The peer's Python, or null (with a message) when python3-torch is not installed.</summary>
    public static string? TorchPython()
    {
        const string python = "/usr/bin/python3";
        try
        {
            Run(python, ["-c", "import torch"]);
            return python;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            Console.WriteLine("peer: /usr/bin/python3 with torch is not available (apt-get install python3-torch); peer figures skipped.");
            return null;
        }
    }

    private static string FindRoot()
    {
        // From the benchmark's folder, else (a copy published elsewhere, e.g. `hub --embedded DIR`) from the working directory.
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "HubHost.sln"))) return dir.FullName;
        throw new InvalidOperationException("HubHost.sln not found above the benchmark's folder nor the working directory");
    }
}
