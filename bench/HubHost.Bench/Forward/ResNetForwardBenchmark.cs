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
        int warmup = BenchArgs.Int(args, "--warmup", 5);
        int runs = BenchArgs.Int(args, "--runs", 20);
        int threads = BenchArgs.Int(args, "--threads", Environment.ProcessorCount);
        var batches = (BenchArgs.String(args, "--batches") ?? "1,8").Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture)).ToList();

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
                using var peer = await PythonPeer.StartAsync("forward.py", "--serve", "--warmup", warmup.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture), "--batch", batch.ToString(CultureInfo.InvariantCulture));
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
                    if (peer is not null) theirs.Add(await peer.AskAsync("run"));
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
}
