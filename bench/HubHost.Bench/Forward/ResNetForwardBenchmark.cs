using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TorchSharp;

namespace HubHost.Bench.Forward;

/// <summary>
/// resnet18 forward pass, 3x224x224, eval mode, batch 1 and 8: the model plugins-sample/vision returns through the
/// hub (TorchVision on TorchSharp, libtorch 2.10) against torchvision's on PyTorch 1.13 (bench/python/forward.py, a
/// child process in the same run), both on the same number of threads. Both warm up, then their timed runs are
/// interleaved one by one (ours, PyTorch's, ours, ...) so both see the same load on a shared machine; prints the
/// median and minimum of each and their ratios. Arguments: [--warmup W] [--runs N] [--threads T] [--batches 1,8].
/// </summary>
internal sealed class ResNetForwardBenchmark : IBenchmark
{
    public string Name => "forward";

    public string Description => "resnet18 forward (3x224x224, eval, batch 1 and 8): the hub's TorchSharp model vs PyTorch CPU, same threads, interleaved runs";

    public async Task RunAsync(string[] args)
    {
        int warmup = IntArg(args, "--warmup", 5);
        int runs = IntArg(args, "--runs", 20);
        int threads = IntArg(args, "--threads", Environment.ProcessorCount);
        var batches = (StringArg(args, "--batches") ?? "1,8").Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture)).ToList();

        var home = Path.Combine(Path.GetTempPath(), "hubhost-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            var hub = new HubClient(new HubOptions { HubDirectory = Path.Combine(home, "hub") });
            using var model = await hub.LoadAsync<torch.nn.Module<torch.Tensor, torch.Tensor>>(Path.Combine(Measure.RepoRoot, "plugins-sample", "vision"), "resnet18");
            model.eval();
            torch.set_num_threads(threads);
            torch.manual_seed(0);
            foreach (var batch in batches)
            {
                using var noGrad = torch.no_grad();
                using var input = torch.randn(batch, 3, 224, 224);
                // As a TorchSharp app runs inference: intermediate tensors are freed by a dispose scope per call,
                // not left to the garbage collector.
                for (int i = 0; i < warmup; i++) { using var scope = torch.NewDisposeScope(); model.forward(input); }
                using var peer = await PythonPeer.StartAsync(warmup, threads, batch);
                var ours = new List<double>();
                var theirs = new List<double>();
                for (int i = 0; i < runs; i++)
                {
                    var sw = Stopwatch.StartNew();
                    using (var scope = torch.NewDisposeScope())
                    {
                        var output = model.forward(input);
                        sw.Stop();
                        if (output.shape[1] != 1000) throw new InvalidOperationException($"Unexpected output shape [{string.Join(", ", output.shape)}].");
                    }
                    ours.Add(sw.Elapsed.TotalMilliseconds);
                    if (peer is not null) theirs.Add(await peer.RunAsync());
                }
                Console.WriteLine($"resnet18 forward, batch {batch}, 3x224x224, eval; {runs} interleaved runs after {warmup} warm-up each");
                Console.WriteLine($"  HubHost (TorchSharp {typeof(torch).Assembly.GetName().Version!.ToString(3)}, libtorch {torch.__version__}): median {Measure.Median(ours),7:F1} ms   min {ours.Min(),7:F1} ms   ({torch.get_num_threads()} threads)");
                if (peer is null) continue;
                Console.WriteLine($"  PyTorch {peer.Torch,-27}: median {Measure.Median(theirs),7:F1} ms   min {theirs.Min(),7:F1} ms   ({peer.Threads} threads)");
                var ratios = ours.Zip(theirs, (a, b) => a / b).ToList();
                Console.WriteLine($"  ratio HubHost/PyTorch: medians {Measure.Median(ours) / Measure.Median(theirs):F2}x   minimums {ours.Min() / theirs.Min():F2}x   median of per-pair ratios {Measure.Median(ratios):F2}x");
            }
        }
        finally
        {
            try { Directory.Delete(home, recursive: true); } catch (IOException) { }
        }
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

        public static async Task<PythonPeer?> StartAsync(int warmup, int threads, int batch)
        {
            var psi = new ProcessStartInfo("/usr/bin/python3")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = false,
                UseShellExecute = false,
            };
            foreach (var a in new[] { Path.Combine(Measure.RepoRoot, "bench", "python", "forward.py"), "--serve", "--warmup", warmup.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture), "--batch", batch.ToString(CultureInfo.InvariantCulture) })
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

    private static string? StringArg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out int v) && v > 0 ? v : fallback;
    }
}
