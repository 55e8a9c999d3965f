using System.Diagnostics;

namespace HubHost.Bench.Check;

/// <summary>
/// <c>hubhost check</c> on plugins-sample/vision (26 entrypoints), whole process on a built repo: without
/// <c>--pretrained</c> (every model built with its defaults, checked and run on its example input), and with it, its
/// torchvision-shaped weights (6.4 GB, <see cref="VisionWeights"/>) from a loopback server: once with an empty
/// checkpoint cache (every file downloaded and hash-checked) and once warm (files re-hashed, URLs asked).
/// No peer: torch.hub has no such command (pytorch/hub's sanity script runs in their CI).
/// </summary>
internal sealed class CheckBenchmark : IBenchmark
{
    public string Name => "check";

    public string Description => "hubhost check on plugins-sample/vision, without and with --pretrained (weights from a loopback server)";

    public async Task RunAsync(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1;
        var temp = Path.Combine(Path.GetTempPath(), "hubhost-bench-check-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var hubDirectory = Path.Combine(temp, "hub");
            var hub = new HubClient(new HubOptions { HubDirectory = hubDirectory });
            var opened = await hub.OpenAsync(Path.Combine(Measure.RepoRoot, "plugins-sample", "vision"));
            using var server = Downloads.LoopbackFileServer.ForFolder(Path.Combine(temp, "weights"), "/models/");
            var watch = Stopwatch.StartNew();
            var files = await VisionWeights.PrepareAsync(opened, Path.Combine(temp, "vision"), Path.Combine(temp, "weights"), server.Url);
            var bytes = files.Values.Sum(f => new FileInfo(Path.Combine(temp, "weights", f)).Length);
            Console.WriteLine($"check: {files.Count} torchvision-shaped weights files, {bytes / 1e9:0.00} GB (sparse), written in {watch.Elapsed.TotalSeconds:0.0} s; served at {server.Url}");
            opened.Dispose();

            var cli = Path.Combine(AppContext.BaseDirectory, "HubHost.Cli.dll");
            string[] Check(params string[] extra) => [cli, "check", Path.Combine(temp, "vision"), "--hub-dir", hubDirectory, .. extra];
            Measure.Run("dotnet", [cli, "list", Path.Combine(temp, "vision"), "--hub-dir", hubDirectory]); // builds the copy
            Console.WriteLine($"load average at start {LoadAverage()} on {Environment.ProcessorCount} cores");
            for (var round = 1; round <= rounds; round++)
            {
                var (_, plain) = Measure.Run("dotnet", Check());
                var checkpoints = Path.Combine(hubDirectory, "checkpoints");
                if (Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);
                var (coldOut, cold) = Measure.Run("dotnet", Check("--pretrained"));
                var (_, warm) = Measure.Run("dotnet", Check("--pretrained"));
                Console.WriteLine($"round {round}: check {plain / 1000:0.0} s; check --pretrained, empty weights cache {cold / 1000:0.0} s; warm weights cache {warm / 1000:0.0} s (load average {LoadAverage()})");
                if (round == 1) Console.WriteLine(coldOut.Split('\n').LastOrDefault(l => l.Length > 0));
            }
            Console.WriteLine($"load average at end {LoadAverage()}");
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    private static string LoadAverage() => string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
}
