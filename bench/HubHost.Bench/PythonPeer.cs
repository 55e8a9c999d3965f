using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace HubHost.Bench;

/// <summary>
/// A PyTorch peer in serve mode (bench/python/*.py --serve style): it warms up, prints one JSON line (<c>torch</c>,
/// <c>threads</c>, ...), then answers each command line on its stdin with the milliseconds that one timed run took, so a
/// benchmark interleaves its runs with PyTorch's and both see the same load.
/// </summary>
internal sealed class PythonPeer : IDisposable
{
    private readonly Process _process;

    private PythonPeer(Process process, JsonElement ready)
    {
        _process = process;
        Torch = ready.GetProperty("torch").GetString() ?? "?";
        Threads = ready.GetProperty("threads").GetInt32();
    }

    public string Torch { get; }

    public int Threads { get; }

    /// <summary>Starts <c>/usr/bin/python3 bench/python/SCRIPT ARGS</c>; null (said on stdout) when PyTorch is not there.</summary>
    public static async Task<PythonPeer?> StartAsync(string script, params string[] args)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(Measure.RepoRoot, "bench", "python", script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process? process;
        try
        {
            process = Process.Start(psi);
        }
        catch (Exception e)
        {
            Console.WriteLine($"PyTorch peer not run: /usr/bin/python3 could not be started ({e.Message}).");
            return null;
        }
        if (process is null) return null;
        var line = await process.StandardOutput.ReadLineAsync();
        if (line is null)
        {
            await process.WaitForExitAsync();
            Console.WriteLine($"PyTorch peer failed (exit {process.ExitCode}); see its error output above (apt-get install python3-torch python3-torchvision).");
            process.Dispose();
            return null;
        }
        return new PythonPeer(process, JsonDocument.Parse(line).RootElement.Clone());
    }

    /// <summary>Sends one command (e.g. <c>run</c>) and returns the milliseconds the peer measured.</summary>
    public async Task<double> AskAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        var line = await _process.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("PyTorch peer exited during the run.");
        return double.Parse(line, CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(10_000)) _process.Kill();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}

/// <summary>Command-line arguments of the benchmarks (<c>--name value</c>).</summary>
internal static class BenchArgs
{
    public static string? String(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public static int Int(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) && v > 0 ? v : fallback;
    }
}
