using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.Intrinsics;
using System.Text.Json;
using HubHost.Nn;
using Vision.Models;

namespace HubHost.Bench.Forward;

/// <summary>
/// resnet18 forward pass, batch 1, 3x224x224, eval mode: HubHost.Nn against torchvision on 2 threads
/// (bench/python/forward.py, a child process in the same run). Both warm up, then their timed runs are
/// interleaved one by one (ours, PyTorch's, ours, ...) so both see the same load on a shared machine;
/// prints the median and minimum of each and their ratios. Arguments: [--warmup W] [--runs N].
/// PyTorch gets as many threads as HubHost.Nn uses (the processor count: 2 here; run with
/// DOTNET_PROCESSOR_COUNT=1 for a single-threaded comparison).
/// </summary>
internal sealed class ResNetForwardBenchmark : IBenchmark
{
    public string Name => "forward";

    public string Description => "resnet18 forward (batch 1, 3x224x224, eval): HubHost.Nn vs PyTorch CPU, same thread count, interleaved runs";

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

        using var peer = await PythonPeer.StartAsync(warmup);
        var ours = new List<double>();
        var theirs = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            var output = model.Forward(input);
            sw.Stop();
            if (output.Size(1) != 1000) throw new InvalidOperationException($"Unexpected output shape {output}.");
            ours.Add(sw.Elapsed.TotalMilliseconds);
            if (peer is not null) theirs.Add(await peer.RunAsync());
        }

        Console.WriteLine($"resnet18 forward, batch 1, 3x224x224, eval; {runs} interleaved runs after {warmup} warm-up each");
        Console.WriteLine($"  HubHost.Nn : median {Median(ours),7:F1} ms   min {ours.Min(),7:F1} ms   ({HubHost.Nn.Functional.Parallelism.Threads} threads, Vector512 {Vector512.IsHardwareAccelerated}, server GC {GCSettings.IsServerGC})");
        if (peer is null) return;
        Console.WriteLine($"  PyTorch    : median {Median(theirs),7:F1} ms   min {theirs.Min(),7:F1} ms   (torch {peer.Torch}, {peer.Threads} threads)");
        var ratios = ours.Zip(theirs, (a, b) => a / b).ToList();
        Console.WriteLine($"  ratio HubHost/PyTorch: medians {Median(ours) / Median(theirs):F2}x   minimums {ours.Min() / theirs.Min():F2}x   median of per-pair ratios {Median(ratios):F2}x");
    }

    /// <summary>bench/python/forward.py --serve: one timed PyTorch forward pass per request.</summary>
    private sealed class PythonPeer : IDisposable
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

        public static async Task<PythonPeer?> StartAsync(int warmup)
        {
            var psi = new ProcessStartInfo("/usr/bin/python3")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = false,
                UseShellExecute = false,
            };
            foreach (var a in new[] { Path.Combine(FindRepoRoot(), "bench", "python", "forward.py"), "--serve", "--warmup", warmup.ToString(CultureInfo.InvariantCulture), "--threads", HubHost.Nn.Functional.Parallelism.Threads.ToString(CultureInfo.InvariantCulture) })
                psi.ArgumentList.Add(a);
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
                Console.WriteLine($"PyTorch peer failed (exit {process.ExitCode}); see its error output above.");
                process.Dispose();
                return null;
            }
            return new PythonPeer(process, JsonDocument.Parse(line).RootElement.Clone());
        }

        public async Task<double> RunAsync()
        {
            await _process.StandardInput.WriteLineAsync("run");
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

    private static string FindRepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
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
