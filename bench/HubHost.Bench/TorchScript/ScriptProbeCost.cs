using System.Diagnostics;
using HubHost.TorchScript;
using TorchSharp;

namespace HubHost.Bench.TorchScript;

/// <summary>
/// What the TorchScript probe (src/HubHost/TorchScript/ScriptProbe.cs) adds to loading an archive, in this process:
/// <list type="bullet">
/// <item>without the probe: the archive check and libtorch's torch.jit.load (what a load cost before the probe);</item>
/// <item>first load: <see cref="HubClient.LoadScriptAsync{T, TResult}"/> on a new hub directory: check, SHA-256, the child
/// process (dotnet exec of HubHost.ScriptProbe.dll: runtime start, libtorch set-up, torch.jit.load), its record, then the
/// load here;</item>
/// <item>cached probe: the same call again: check, SHA-256, the record read, the load.</item>
/// </list>
/// The three are interleaved one by one, N times per archive (after one warm-up of each). Wall times, medians.
/// <c>torchscript --probe [--probe-runs N] [--probe-archive FILE]...</c>; default archive: plugins-sample/segmentation's.
/// </summary>
internal static class ScriptProbeCost
{
    public static async Task RunAsync(string[] args)
    {
        int runs = BenchArgs.Int(args, "--probe-runs", 5);
        var archives = new List<string>();
        for (var i = 0; i < args.Length - 1; i++)
            if (args[i] == "--probe-archive") archives.Add(Path.GetFullPath(args[i + 1]));
        if (archives.Count == 0) archives.Add(Path.Combine(Measure.RepoRoot, "plugins-sample", "segmentation", "lraspp_mobilenet_v3_large.pt"));
        HubHost.Native.TorchNative.EnsureLoaded();
        Console.WriteLine($"load average at start: {TorchScriptBenchmark.LoadAverage()}");
        var home = Path.Combine(Path.GetTempPath(), "hubhost-bench-probe-" + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (var archive in archives)
            {
                var without = new List<double>();
                var first = new List<double>();
                var cached = new List<double>();
                for (var i = 0; i < runs + 1; i++)
                {
                    var watch = Stopwatch.StartNew();
                    ScriptArchive.Check(archive);
                    using (torch.jit.load(archive)) { }
                    without.Add(watch.Elapsed.TotalMilliseconds);

                    var client = new HubClient(new HubOptions { HubDirectory = Path.Combine(home, $"hub{i}") });
                    watch.Restart();
                    using (await client.LoadScriptAsync<torch.Tensor>(archive)) { }
                    first.Add(watch.Elapsed.TotalMilliseconds);

                    watch.Restart();
                    using (await client.LoadScriptAsync<torch.Tensor>(archive)) { }
                    cached.Add(watch.Elapsed.TotalMilliseconds);
                    if (client.ScriptProbe.ProbesStarted != 1) throw new InvalidOperationException("the cached load probed again");
                }
                // the first round warms the runtime's and the page cache's paths
                without.RemoveAt(0); first.RemoveAt(0); cached.RemoveAt(0);
                Console.WriteLine($"{Path.GetFileName(archive)} ({new FileInfo(archive).Length / 1e6:F1} MB), {runs} interleaved rounds, wall time, median (min):");
                Console.WriteLine($"  without the probe (check + torch.jit.load): {Measure.Median(without):F0} ms ({without.Min():F0})");
                Console.WriteLine($"  first load, probed in a child process:     {Measure.Median(first):F0} ms ({first.Min():F0})   +{Measure.Median(first) - Measure.Median(without):F0} ms");
                Console.WriteLine($"  later load, probe recorded (SHA-256):      {Measure.Median(cached):F0} ms ({cached.Min():F0})   +{Measure.Median(cached) - Measure.Median(without):F0} ms");
            }
        }
        finally
        {
            Console.WriteLine($"load average at end: {TorchScriptBenchmark.LoadAverage()}");
            try { Directory.Delete(home, recursive: true); } catch (IOException) { }
        }
    }
}
