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
/// forward pass, bench/python/vision_run.py), and the size of the vision build folder. Arguments: [--runs N].
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
        var runs = args.Length == 2 && args[0] == "--runs" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7;
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
            string[] run = [cli, "run", vision, "resnet18", "--input", input, "--top", "1"];
            Measure.Run("dotnet", run, env);
            var processMs = Measure.Median(Enumerable.Range(0, runs).Select(_ => Measure.Run("dotnet", run, env).Milliseconds).ToList());

            // The CLI as the README publishes it for daily use (ReadyToRun: TorchSharp's code is not JIT-compiled per run).
            var published = Path.Combine(home, "cli");
            Measure.Run("dotnet", ["publish", Path.Combine(Measure.RepoRoot, "src", "HubHost.Cli"), "-c", "Release", "-r", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier,
                "--self-contained", "false", "-p:PublishReadyToRun=true", "-o", published, "-nologo", "-v:q"]);
            string[] runPublished = ["run", vision, "resnet18", "--input", input, "--top", "1"];
            var exe = Path.Combine(published, "HubHost.Cli");
            Measure.Run(exe, runPublished, env);
            var publishedMs = Measure.Median(Enumerable.Range(0, runs).Select(_ => Measure.Run(exe, runPublished, env).Milliseconds).ToList());

            Console.WriteLine($"plugins-sample/vision ({repo.Entrypoints.Count} entrypoints), TorchSharp {typeof(torch).Assembly.GetName().Version!.ToString(3)} / libtorch {torch.__version__}:");
            Console.WriteLine($"  cold build through the hub:                 {buildSeconds,8:0.0} s");
            Console.WriteLine($"  build folder:                               {buildBytes / 1e6,8:0.0} MB in {buildFiles.Count} files (no TorchSharp, no libtorch)");
            Console.WriteLine($"  libtorch + LibTorchSharp start-up, fresh process: {nativeMs,8:0.0} ms  (median of {runs})");
            Console.WriteLine($"  whole `hubhost run vision resnet18 --input x.npy`: {processMs,8:0} ms with `dotnet HubHost.Cli.dll`, {publishedMs,8:0} ms with the ReadyToRun-published CLI  (medians of {runs}, built repo, random init)");
            if (Measure.TorchPython() is not { } python) return;
            var script = Path.Combine(Measure.RepoRoot, "bench", "python", "vision_run.py");
            Measure.Run(python, [script, input]);
            var torchProcessMs = Measure.Median(Enumerable.Range(0, runs).Select(_ => Measure.Run(python, [script, input]).Milliseconds).ToList());
            var importMs = Measure.Median(Enumerable.Range(0, runs).Select(_ => double.Parse(Measure.Run(python, [script, "--import-only"]).Stdout.Trim(), CultureInfo.InvariantCulture)).ToList());
            Console.WriteLine("PyTorch peer (torch 1.13, torchvision 0.14):");
            Console.WriteLine($"  `import torch`, fresh process:              {importMs,8:0.0} ms  ratio libtorch start-up/import torch {nativeMs / importMs:0.00}x");
            Console.WriteLine($"  whole python: import, torch.hub.load(local torchvision hubconf, resnet18), forward: {torchProcessMs,8:0} ms");
            Console.WriteLine($"  ratio HubHost/PyTorch, whole process: {processMs / torchProcessMs:0.00}x (dotnet HubHost.Cli.dll), {publishedMs / torchProcessMs:0.00}x (published CLI)  (goal <= 0.5x)");
        }
        finally
        {
            try { Directory.Delete(home, recursive: true); } catch (IOException) { }
        }
    }
}
