using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using HubHost.Nn;
using Vision.Models;

namespace HubHost.Bench.Forward;

/// <summary>
/// resnet18 forward pass, batch 1, 3x224x224, eval mode: HubHost.Nn against torchvision on 2 threads
/// (bench/python/forward.py, run as a child process in the same run). Warm-up runs, then the median of N.
/// Arguments: [--warmup W] [--runs N].
/// </summary>
internal sealed class ResNetForwardBenchmark : IBenchmark
{
    public string Name => "forward";

    public string Description => "resnet18 forward (batch 1, 3x224x224, eval): HubHost.Nn vs PyTorch CPU, 2 threads";

    public async Task RunAsync(string[] args)
    {
        int warmup = IntArg(args, "--warmup", 5);
        int runs = IntArg(args, "--runs", 20);

        var model = new ResNet(bottleneck: false, [2, 2, 2, 2]);
        model.Eval();
        var random = new Random(0);
        var data = new float[3 * 224 * 224];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 2 - 1);
        var input = Tensor.FromArray(data, 1, 3, 224, 224);

        for (int i = 0; i < warmup; i++) model.Forward(input);
        var times = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            var output = model.Forward(input);
            sw.Stop();
            if (output.Size(1) != 1000) throw new InvalidOperationException($"Unexpected output shape {output}.");
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        double median = Median(times), min = times.Min();
        Console.WriteLine($"HubHost.Nn  resnet18 forward: median {median,8:F1} ms   min {min,8:F1} ms   ({runs} runs after {warmup} warm-up, {Environment.ProcessorCount} threads, Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated})");

        var peer = await RunPythonAsync(warmup, runs);
        if (peer is null) return;
        double pyMedian = peer.Value.GetProperty("median_ms").GetDouble(), pyMin = peer.Value.GetProperty("min_ms").GetDouble();
        Console.WriteLine($"PyTorch     resnet18 forward: median {pyMedian,8:F1} ms   min {pyMin,8:F1} ms   (torch {peer.Value.GetProperty("torch").GetString()}, {peer.Value.GetProperty("threads").GetInt32()} threads)");
        Console.WriteLine($"ratio HubHost/PyTorch: median {median / pyMedian:F2}x   min {min / pyMin:F2}x");
    }

    private static async Task<JsonElement?> RunPythonAsync(int warmup, int runs)
    {
        string script = Path.Combine(FindRepoRoot(), "bench", "python", "forward.py");
        var psi = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { script, "--warmup", warmup.ToString(CultureInfo.InvariantCulture), "--runs", runs.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e)
        {
            Console.WriteLine($"PyTorch peer not run: /usr/bin/python3 could not be started ({e.Message}).");
            return null;
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                Console.WriteLine($"PyTorch peer failed (exit {process.ExitCode}): {(await stderr).Trim()}");
                return null;
            }
            var line = (await stdout).Trim().Split('\n')[^1];
            return JsonDocument.Parse(line).RootElement.Clone();
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "HubHost.sln"))) return dir.FullName;
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "HubHost.sln"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find the repository root (HubHost.sln) above the benchmark or the current directory.");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        int n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out int v) && v > 0 ? v : fallback;
    }
}
