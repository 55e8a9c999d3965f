using System.Diagnostics;
using System.Globalization;
using HubHost.Inference;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Bench.Forward;

/// <summary>
/// resnet18 forward pass, 3x224x224, eval mode, batch 1 and 8, on the same number of threads: the model plugins-sample/vision
/// returns through the hub (TorchVision on TorchSharp, libtorch 2.10) as loaded (no_grad, a dispose scope per call, as a
/// TorchSharp app runs it), the same architecture made by TorchVision directly in this process (what the hub adds: should
/// be nothing), and the hub's model after <see cref="InferenceExtensions.ForInference{TResult}"/> (batch norms folded,
/// inference_mode; its default with channels-last, and without), against torchvision's on PyTorch 1.13 eager (no_grad) and after
/// torch.jit.optimize_for_inference (bench/python/forward.py, a child process in the same run). All warm up, then their
/// timed runs are interleaved one by one (each variant once per round, the first of a round rotating) so all see the same load on a shared machine;
/// prints the median and minimum of each and their ratios to PyTorch's. Arguments: [--warmup W] [--runs N]
/// [--threads T] [--batches 1,8] [--variants hub,torchsharp,fold,inference].
/// </summary>
internal sealed class ResNetForwardBenchmark : IBenchmark
{
    public string Name => "forward";

    public string Description => "resnet18 forward (3x224x224, eval, batch 1 and 8): the hub's model as loaded, TorchVision directly, ForInference (+channels-last) vs PyTorch eager and optimize_for_inference, same threads, interleaved";

    public async Task RunAsync(string[] args)
    {
        int warmup = BenchArgs.Int(args, "--warmup", 5);
        int runs = BenchArgs.Int(args, "--runs", 20);
        int threads = BenchArgs.Int(args, "--threads", Environment.ProcessorCount);
        var batches = (BenchArgs.String(args, "--batches") ?? "1,8").Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture)).ToList();
        var chosen = (BenchArgs.String(args, "--variants") ?? "hub,torchsharp,fold,inference").Split(',').ToHashSet();

        Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Trim()}; " +
                          string.Join(", ", new[] { "OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME" }.Select(v => $"{v}={Environment.GetEnvironmentVariable(v) ?? "unset"}")));
        var home = Path.Combine(Path.GetTempPath(), "hubhost-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            var hub = new HubClient(new HubOptions { HubDirectory = Path.Combine(home, "hub") });
            var vision = Path.Combine(Measure.RepoRoot, "plugins-sample", "vision");
            HubHost.Native.TorchNative.EnsureLoaded();
            torch.set_num_threads(threads);
            foreach (var batch in batches)
            {
                torch.manual_seed(0);
                using var input = torch.randn(batch, 3, 224, 224);
                // One model per variant (the hub makes a new one per load; ForInference changes its model in place).
                var variants = new List<Variant>();
                if (chosen.Contains("hub"))
                    variants.Add(Variant.Eager("HubHost, as loaded (no_grad)", await hub.LoadAsync<nn.Module<Tensor, Tensor>>(vision, "resnet18")));
                if (chosen.Contains("torchsharp"))
                    variants.Add(Variant.Eager("TorchVision directly, no hub", torchvision.models.resnet18()));
                if (chosen.Contains("fold"))
                    variants.Add(Variant.Prepared("ForInference, NCHW (fold only)", (await hub.LoadAsync<nn.Module<Tensor, Tensor>>(vision, "resnet18")).ForInference(input, new InferenceOptions { ChannelsLast = false })));
                if (chosen.Contains("inference"))
                    variants.Add(Variant.Prepared("HubHost ForInference (default)", (await hub.LoadAsync<nn.Module<Tensor, Tensor>>(vision, "resnet18")).ForInference(input)));
                try
                {
                    foreach (var v in variants)
                        for (int i = 0; i < warmup; i++) v.Time(input);
                    using var peer = await PythonPeer.StartAsync("forward.py", "--serve", "--warmup", warmup.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture), "--batch", batch.ToString(CultureInfo.InvariantCulture));
                    var eager = new List<double>();
                    var optimized = new List<double>();
                    for (int i = 0; i < runs; i++)
                    {
                        // Each round starts with a different variant: the first one after the peer's runs meets cold caches.
                        for (int k = 0; k < variants.Count; k++)
                        {
                            var v = variants[(i + k) % variants.Count];
                            v.Times.Add(v.Time(input));
                        }
                        if (peer is null) continue;
                        eager.Add(await peer.AskAsync("run"));
                        optimized.Add(await peer.AskAsync("run ofi"));
                    }
                    Console.WriteLine($"resnet18 forward, batch {batch}, 3x224x224, eval; {runs} interleaved rounds after {warmup} warm-up runs each; {torch.get_num_threads()} threads; " +
                                      $"TorchSharp {typeof(torch).Assembly.GetName().Version!.ToString(3)} / libtorch {torch.__version__}; load average {File.ReadAllText("/proc/loadavg").Trim()}");
                    foreach (var v in variants)
                    {
                        var notes = v.Model is InferenceModule<Tensor> p ? $"  [{p.FoldedBatchNorms} batch norms folded{(p.NotFolded is null ? "" : ": " + p.NotFolded)}{(p.ChannelsLast ? ", channels-last" : "")}]" : "";
                        Console.WriteLine($"  {v.Name,-32} median {Measure.Median(v.Times),7:F1} ms   min {v.Times.Min(),7:F1} ms" +
                                          (peer is null ? "" : $"   vs eager {Ratio(v.Times, eager)}   vs optimize_for_inference {Ratio(v.Times, optimized)}") + notes);
                    }
                    if (peer is null) continue;
                    Console.WriteLine($"  {"PyTorch " + peer.Torch + " eager (no_grad)",-32} median {Measure.Median(eager),7:F1} ms   min {eager.Min(),7:F1} ms   ({peer.Threads} threads)");
                    Console.WriteLine($"  {"PyTorch optimize_for_inference",-32} median {Measure.Median(optimized),7:F1} ms   min {optimized.Min(),7:F1} ms");
                    Console.WriteLine("  (ratio: HubHost/PyTorch, median of the per-round ratios; medians' ratio in brackets)");
                }
                finally
                {
                    foreach (var v in variants) v.Model.Dispose();
                }
            }
        }
        finally
        {
            try { Directory.Delete(home, recursive: true); } catch (IOException) { }
        }
    }

    private static string Ratio(List<double> ours, List<double> theirs)
        => $"{Measure.Median(ours.Zip(theirs, (a, b) => a / b).ToList()),5:F2}x ({Measure.Median(ours) / Measure.Median(theirs):F2}x)";

    /// <summary>One way of running resnet18, with its timed runs.</summary>
    private sealed class Variant(string name, nn.Module<Tensor, Tensor> model, bool noGrad)
    {
        public string Name { get; } = name;

        public nn.Module<Tensor, Tensor> Model { get; } = model;

        public List<double> Times { get; } = [];

        public static Variant Eager(string name, nn.Module<Tensor, Tensor> model)
        {
            model.eval();
            return new Variant(name, model, noGrad: true);
        }

        public static Variant Prepared(string name, InferenceModule<Tensor> model) => new(name, model, noGrad: false);

        /// <summary>One forward pass in milliseconds; intermediate tensors freed by a dispose scope per call.</summary>
        public double Time(Tensor input)
        {
            using var grad = noGrad ? torch.no_grad() : null;
            using var scope = torch.NewDisposeScope();
            var sw = Stopwatch.StartNew();
            var output = Model.call(input);
            sw.Stop();
            if (output.shape[1] != 1000) throw new InvalidOperationException($"Unexpected output shape [{string.Join(", ", output.shape)}].");
            return sw.Elapsed.TotalMilliseconds;
        }
    }
}
