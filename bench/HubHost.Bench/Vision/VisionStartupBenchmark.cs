using System.Diagnostics;
using System.Globalization;
using HubHost.Checkpoints;
using HubHost.Native;
using TorchSharp;

namespace HubHost.Bench.Vision;

/// <summary>
/// What a user of plugins-sample/vision pays outside the forward pass: the native start-up of libtorch in a fresh
/// process (against `import torch`), a whole fresh `hubhost run plugins-sample/vision resnet18 --input X.npy`
/// process (against a python process doing torch.hub.load of torchvision's hubconf with source='local' and one
/// forward pass, bench/python/vision_run.py; rounds interleaved), and the size of the vision build folder.
/// Arguments: [--runs N] [--cli PUBLISHED_DIR].
/// </summary>
internal sealed class VisionStartupBenchmark : IBenchmark
{
    public string Name => "vision";

    public string Description => "fresh-process `hubhost run vision resnet18` vs python torch.hub.load(local torchvision hubconf) + forward; libtorch start-up; vision build size";

    private const string NativeStartupMode = "--native-startup-in-this-process";

    public async Task RunAsync(string[] args)
    {
        if (args.Length == 1 && args[0] == NativeStartupMode)
        {
            var watch = Stopwatch.StartNew();
            TorchNative.EnsureLoaded();
            using var x = torch.ones(1);
            Console.WriteLine(watch.Elapsed.TotalMilliseconds.ToString(CultureInfo.InvariantCulture));
            return;
        }
        var runs = BenchArgs.Int(args, "--runs", 7);
        var home = Path.Combine(Path.GetTempPath(), "hubhost-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            var vision = Path.Combine(Measure.RepoRoot, "plugins-sample", "vision");
            var watch = Stopwatch.StartNew();
            var repo = await new HubClient(new HubOptions { HubDirectory = Path.Combine(home, "hub") }).OpenAsync(vision);
            var buildSeconds = watch.Elapsed.TotalSeconds;
            var buildFiles = Directory.EnumerateFiles(repo.BuildDirectory, "*", SearchOption.AllDirectories).ToList();
            var buildBytes = buildFiles.Sum(f => new FileInfo(f).Length);
            var input = Path.Combine(home, "x.npy");
            TorchNative.EnsureLoaded();
            torch.manual_seed(0);
            using (var x = torch.randn(1, 3, 224, 224)) Npy.Save(input, x);

            var self = typeof(VisionStartupBenchmark).Assembly.Location;
            Measure.Run("dotnet", [self, "vision", NativeStartupMode]);
            var nativeMs = Measure.Median(Enumerable.Range(0, runs).Select(_ => double.Parse(Measure.Run("dotnet", [self, "vision", NativeStartupMode]).Stdout.Trim(), CultureInfo.InvariantCulture)).ToList());

            var cli = Path.Combine(AppContext.BaseDirectory, "HubHost.Cli.dll");
            var env = new Dictionary<string, string> { ["HUBHOST_HOME"] = home };
            string[] run = ["run", vision, "resnet18", "--input", input, "--top", "1"];
            // The CLI as the tool ships it (ReadyToRun: its code, the hub's and TorchSharp's are not JIT-compiled per run).
            var exe = Measure.PublishedCli(args, home);
            var python = Measure.TorchPython();
            var script = Path.Combine(Measure.RepoRoot, "bench", "python", "vision_run.py");
            Measure.Run("dotnet", [cli, .. run], env);
            Measure.Run(exe, run, env);
            if (python is not null) Measure.Run(python, [script, input]);
            // Interleaved rounds: JIT CLI, published CLI, python, so all three see the same load.
            var jitMs = new List<double>();
            var publishedMs = new List<double>();
            var torchProcessMs = new List<double>();
            var load = Measure.LoadAverage();
            for (var i = 0; i < runs; i++)
            {
                jitMs.Add(Measure.Run("dotnet", [cli, .. run], env).Milliseconds);
                publishedMs.Add(Measure.Run(exe, run, env).Milliseconds);
                if (python is not null) torchProcessMs.Add(Measure.Run(python, [script, input]).Milliseconds);
            }

            Console.WriteLine($"plugins-sample/vision ({repo.Entrypoints.Count} entrypoints), TorchSharp {typeof(torch).Assembly.GetName().Version!.ToString(3)} / libtorch {torch.__version__}; load average {load} at the start of the rounds, {Measure.LoadAverage()} at the end:");
            Console.WriteLine($"  cold build through the hub:                 {buildSeconds,8:0.0} s");
            Console.WriteLine($"  build folder:                               {buildBytes / 1e6,8:0.0} MB in {buildFiles.Count} files (no TorchSharp, no libtorch)");
            Console.WriteLine($"  libtorch + LibTorchSharp start-up, fresh process: {nativeMs,8:0.0} ms  (median of {runs})");
            Console.WriteLine($"  whole `hubhost run vision resnet18 --input x.npy`: {Measure.Median(jitMs),8:0} ms with `dotnet HubHost.Cli.dll` (JIT), {Measure.Median(publishedMs),8:0} ms with the published (ReadyToRun) tool  (medians of {runs}, built repo, random init)");
            if (python is null) return;
            var importMs = Measure.Median(Enumerable.Range(0, runs).Select(_ => double.Parse(Measure.Run(python, [script, "--import-only"]).Stdout.Trim(), CultureInfo.InvariantCulture)).ToList());
            Console.WriteLine("PyTorch peer (torch 1.13, torchvision 0.14):");
            Console.WriteLine($"  `import torch`, fresh process:              {importMs,8:0.0} ms  ratio libtorch start-up/import torch {nativeMs / importMs:0.00}x");
            Console.WriteLine($"  whole python: import, torch.hub.load(local torchvision hubconf, resnet18), forward: {Measure.Median(torchProcessMs),8:0} ms");
            Console.WriteLine($"  ratio HubHost/PyTorch, whole process (median of per-round ratios): {Measure.MedianRatio(jitMs, torchProcessMs):0.00}x (JIT), {Measure.MedianRatio(publishedMs, torchProcessMs):0.00}x (published tool)  (goal <= 0.4x)");
        }
        finally
        {
            try { Directory.Delete(home, recursive: true); } catch (IOException) { }
        }
    }
}
