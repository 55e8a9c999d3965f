using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using HubHost.Importing;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Bench.TorchScript;

/// <summary>
/// TorchScript through the hub against PyTorch running the same archive (bench/python/torchscript.py, a child process in
/// the same run, same threads), on plugins-sample/segmentation (torchvision's lraspp_mobilenet_v3_large, imported):
/// <list type="number">
/// <item>forward, batch 1 (default 3x520x520, torchvision's segmentation preset), eval, no_grad: the entrypoint's module
/// (the archive in TorchSharp's script module, its list output named by NamedOutputs) vs torch.jit.load's module;
/// timed runs interleaved one by one after warm-up;</item>
/// <item>loading the archive: the entrypoint call on a loaded (built, cached) repo, which checks the archive and loads it
/// with libtorch, vs Python's torch.jit.load of the same file; interleaved;</item>
/// <item><c>hubhost import</c> of that entrypoint from its Python repo (tests/fixtures/python-hubs/segmentation) into a
/// temp folder, in process (PyTorch export, repo written, built, loaded, checked): its wall time and parity figures.</item>
/// </list>
/// Arguments: [--warmup W] [--runs N] [--loads N] [--threads T] [--shape 1,3,520,520] [--no-import]; or <c>--probe</c> for
/// the TorchScript probe's cost alone (<see cref="ScriptProbeCost"/>).
/// </summary>
internal sealed class TorchScriptBenchmark : IBenchmark
{
    public string Name => "torchscript";

    public string Description => "TorchScript segmentation model through the hub vs torch.jit.load of the same archive (forward batch 1, archive load, hubhost import wall time)";

    private const string Entry = "lraspp_mobilenet_v3_large";

    public async Task RunAsync(string[] args)
    {
        if (args.Contains("--probe"))
        {
            await ScriptProbeCost.RunAsync(args);
            return;
        }
        int warmup = BenchArgs.Int(args, "--warmup", 5);
        int runs = BenchArgs.Int(args, "--runs", 20);
        int loads = BenchArgs.Int(args, "--loads", 10);
        int threads = BenchArgs.Int(args, "--threads", Environment.ProcessorCount);
        var shapeText = BenchArgs.String(args, "--shape") ?? "1,3,520,520";
        var shape = shapeText.Split(',').Select(d => long.Parse(d, CultureInfo.InvariantCulture)).ToArray();
        Console.WriteLine($"load average at start: {LoadAverage()}");

        var home = Path.Combine(Path.GetTempPath(), "hubhost-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            var hub = new HubClient(new HubOptions { HubDirectory = Path.Combine(home, "hub") });
            var sample = Path.Combine(Measure.RepoRoot, "plugins-sample", "segmentation");
            var repo = await hub.OpenAsync(sample);
            HubHost.Native.TorchNative.EnsureLoaded();
            torch.set_num_threads(threads);
            using var peer = await PythonPeer.StartAsync("torchscript.py", Path.Combine(sample, Entry + ".pt"), "--shape", shapeText, "--warmup", warmup.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture));

            // 1. forward
            using (var model = (nn.Module<Tensor, Dictionary<string, Tensor>>)(await repo.InvokeAsync(Entry))!)
            {
                model.eval();
                using var noGrad = no_grad();
                manual_seed(0);
                using var input = randn(shape);
                for (var i = 0; i < warmup; i++) { using var scope = NewDisposeScope(); model.forward(input); }
                var ours = new List<double>();
                var theirs = new List<double>();
                for (var i = 0; i < runs; i++)
                {
                    var watch = Stopwatch.StartNew();
                    using (var scope = NewDisposeScope())
                    {
                        var output = model.forward(input);
                        watch.Stop();
                        if (output["out"].shape[1] != 21) throw new InvalidOperationException("unexpected output");
                    }
                    ours.Add(watch.Elapsed.TotalMilliseconds);
                    if (peer is not null) theirs.Add(await peer.AskAsync("run"));
                }
                Console.WriteLine($"{Entry} forward, batch 1, [{shapeText}], eval; {runs} interleaved runs after {warmup} warm-up each");
                Report(ours, theirs, peer, $"HubHost (TorchSharp {typeof(torch).Assembly.GetName().Version!.ToString(3)}, libtorch {torch.__version__}, {get_num_threads()} threads)");
            }

            // 2. loading the archive (the repo is built and loaded: a warm hub)
            {
                var ours = new List<double>();
                var theirs = new List<double>();
                for (var i = 0; i < loads + 1; i++)
                {
                    var watch = Stopwatch.StartNew();
                    var made = await repo.InvokeAsync(Entry);
                    watch.Stop();
                    (made as IDisposable)?.Dispose();
                    var theirsMs = peer is null ? 0 : await peer.AskAsync("load");
                    if (i == 0) continue; // first call: JIT of the hub's path
                    ours.Add(watch.Elapsed.TotalMilliseconds);
                    if (peer is not null) theirs.Add(theirsMs);
                }
                Console.WriteLine($"loading the archive ({new FileInfo(Path.Combine(sample, Entry + ".pt")).Length / 1e6:F1} MB): entrypoint call on a loaded repo (archive checked, torch.jit.load by libtorch) vs torch.jit.load; {loads} interleaved");
                Report(ours, theirs, peer, "HubHost entrypoint call");
            }
            repo.Dispose();

            // 3. hubhost import of one entrypoint, with its parity figures
            if (!args.Contains("--no-import"))
            {
                var output = Path.Combine(home, "imported", "segmentation");
                var watch = Stopwatch.StartNew();
                var result = await hub.ImportAsync(new ImportRequest
                {
                    Repo = Path.Combine(Measure.RepoRoot, "tests", "fixtures", "python-hubs", "segmentation"),
                    Entrypoints = [Entry],
                    ExampleInputs = ["1,3,128,128"],
                    OutputDirectory = output,
                    Python = "/usr/bin/python3",
                });
                watch.Stop();
                var e = result.Entrypoints[0];
                Console.WriteLine($"hubhost import {Entry} (torch {result.TorchVersion} export by {e.Method}, repo written, built (cold hub build), loaded, checked): {watch.Elapsed.TotalSeconds:F1} s wall");
                foreach (var o in e.Outputs)
                    Console.WriteLine($"  parity, output {o.Key} [{string.Join(", ", o.Shape)}]: max relative difference {o.MaxRelativeDifference:G3}, max absolute {o.MaxAbsoluteDifference:G3}");
            }
        }
        finally
        {
            Console.WriteLine($"load average at end: {LoadAverage()}");
            try { Directory.Delete(home, recursive: true); } catch (IOException) { }
        }
    }

    private static void Report(List<double> ours, List<double> theirs, PythonPeer? peer, string label)
    {
        Console.WriteLine($"  {label}: median {Measure.Median(ours):F1} ms   min {ours.Min():F1} ms");
        if (peer is null || theirs.Count == 0) return;
        Console.WriteLine($"  PyTorch {peer.Torch} torch.jit.load ({peer.Threads} threads): median {Measure.Median(theirs):F1} ms   min {theirs.Min():F1} ms");
        var ratios = ours.Zip(theirs, (a, b) => a / b).ToList();
        Console.WriteLine($"  ratio HubHost/PyTorch: medians {Measure.Median(ours) / Measure.Median(theirs):F2}x   minimums {ours.Min() / theirs.Min():F2}x   median of per-pair ratios {Measure.Median(ratios):F2}x");
    }

    internal static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }
}
