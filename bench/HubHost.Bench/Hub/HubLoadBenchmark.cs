using System.Diagnostics;
using System.Text.Json;

namespace HubHost.Bench.Hub;

/// <summary>
/// Issue 2's figures: first Load of an already-built repo, repeat Load of a loaded version (in-process), and
/// a whole `hubhost load` process on a built repo; against torch.hub.load(source='local') in the same run.
/// </summary>
internal sealed class HubLoadBenchmark : IBenchmark
{
    public string Name => "hub";

    public string Description => "first/repeat Load of a built repo and whole-process `hubhost load`, vs torch.hub local";

    private const string FirstLoadMode = "--first-load-in-this-process";

    public async Task RunAsync(string[] args)
    {
        var repo = Path.Combine(Measure.RepoRoot, "plugins-sample", "hello");
        if (args.Length >= 2 && args[0] == FirstLoadMode)
        {
            // Child mode: one first load in a fresh process (runtime started, nothing of the hub JIT-compiled yet).
            var start = Stopwatch.StartNew();
            var fresh = new HubClient(new HubOptions { HubDirectory = args[1] });
            await fresh.LoadAsync(repo, "greet", new { name = "Ada" });
            Console.WriteLine(start.Elapsed.TotalMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return;
        }
        var home = Path.Combine(Path.GetTempPath(), "hubhost-bench-" + Guid.NewGuid().ToString("N"));
        var hubDir = Path.Combine(home, "hub");
        try
        {
            // Build once (not measured): every figure below is for an already-built repo.
            var builder = new HubClient(new HubOptions { HubDirectory = hubDir });
            (await builder.OpenAsync(repo)).Dispose();

            // First load in a fresh process: JIT of the hub's code included (the peer's figure likewise excludes
            // interpreter start-up and `import torch`).
            // Interleaved with the same process in invariant globalization (as the hubhost tool runs). With ICU (the default) the
            // child measured ~11 ms more until build.json's date was parsed exactly (JsonRecords.Date: the general parse set up
            // the local time zone with its ICU display names); this row shows what ICU still adds.
            var self = typeof(HubLoadBenchmark).Assembly.Location;
            var invariant = new Dictionary<string, string> { ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1" };
            double FirstLoad(IDictionary<string, string>? environment)
                => double.Parse(Measure.Run("dotnet", [self, "hub", FirstLoadMode, hubDir], environment).Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
            // The same child from this benchmark published as an embedder might publish an app (--embedded DIR: e.g. self-contained,
            // one composite ReadyToRun image with the framework), interleaved with the children above.
            var embedded = BenchArgs.String(args, "--embedded") is { } embeddedDir ? Path.Combine(Path.GetFullPath(embeddedDir), "HubHost.Bench") : null;
            double FirstLoadEmbedded()
                => double.Parse(Measure.Run(embedded!, ["hub", FirstLoadMode, hubDir]).Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
            FirstLoad(null);
            if (embedded is not null) FirstLoadEmbedded();
            var firstCold = new List<double>();
            var firstColdInvariant = new List<double>();
            var firstColdEmbedded = new List<double>();
            for (var i = 0; i < 7; i++)
            {
                firstCold.Add(FirstLoad(null));
                firstColdInvariant.Add(FirstLoad(invariant));
                if (embedded is not null) firstColdEmbedded.Add(FirstLoadEmbedded());
            }
            var firstColdMs = Measure.Median(firstCold);
            var firstColdInvariantMs = Measure.Median(firstColdInvariant);

            // First load of a built repo by a fresh client in a warm process (new context each time).
            var firstWarmMs = await Measure.MedianMsAsync(20, async () =>
            {
                var fresh = new HubClient(new HubOptions { HubDirectory = hubDir });
                await fresh.LoadAsync(repo, "greet", new { name = "Ada" });
                foreach (var r in fresh.Loaded) r.Dispose();
            });

            // Repeat load of an already-loaded version.
            var warm = new HubClient(new HubOptions { HubDirectory = hubDir });
            await warm.LoadAsync(repo, "greet", new { name = "Ada" });
            for (int i = 0; i < 200; i++) await warm.LoadAsync(repo, "greet", new { name = "Ada" });
            var repeatMs = await Measure.MedianMsAsync(2000, () => warm.LoadAsync(repo, "greet", new { name = "Ada" }));

            // Whole process.
            var cli = Path.Combine(AppContext.BaseDirectory, "HubHost.Cli.dll");
            var env = new Dictionary<string, string> { ["HUBHOST_HOME"] = home };
            Measure.Run("dotnet", [cli, "load", repo, "greet", "--arg", "name=Ada"], env);
            var processMs = Measure.Median(Enumerable.Range(0, 10).Select(_ => Measure.Run("dotnet", [cli, "load", repo, "greet", "--arg", "name=Ada"], env).Milliseconds).ToList());

            // Whole process of the tool as shipped (ReadyToRun), interleaved with python's whole process.
            var exe = Measure.PublishedCli(args, home);
            var python = Measure.TorchPython();
            var hubLocal = Path.Combine(Measure.RepoRoot, "bench", "python", "hub_local.py");
            Measure.Run(exe, ["load", repo, "greet", "--arg", "name=Ada"], env);
            var published = new List<double>();
            var pythonProcess = new List<double>();
            var load = Measure.LoadAverage();
            for (int i = 0; i < 10; i++)
            {
                published.Add(Measure.Run(exe, ["load", repo, "greet", "--arg", "name=Ada"], env).Milliseconds);
                if (python is not null) pythonProcess.Add(Measure.Run(python, [hubLocal, "--once"]).Milliseconds);
            }

            Console.WriteLine("HubHost (plugins-sample/hello, already built):");
            Console.WriteLine($"  first Load in a fresh process (JIT incl.): {firstColdMs,8:0.00} ms  (median of 7 processes; with ICU)");
            Console.WriteLine($"  same, invariant globalization (no ICU):    {firstColdInvariantMs,8:0.00} ms  (median of 7, interleaved with the above)");
            if (embedded is not null)
                Console.WriteLine($"  same, the child published as in {embedded}: {Measure.Median(firstColdEmbedded),8:0.00} ms  (median of 7, interleaved with the above)");
            Console.WriteLine($"  first Load, new client in warm process:   {firstWarmMs,8:0.00} ms  (median of 20)");
            Console.WriteLine($"  repeat Load of a loaded version:          {repeatMs,8:0.0000} ms  (median of 2000)");
            Console.WriteLine($"  whole process `hubhost load`:             {processMs,8:0.0} ms  (median of 10, `dotnet HubHost.Cli.dll`, JIT)");
            Console.WriteLine($"  whole process, published tool (ReadyToRun): {Measure.Median(published),6:0.0} ms  (median of 10; load average {load} to {Measure.LoadAverage()})" +
                              (pythonProcess.Count > 0 ? $"; python `import torch` + torch.hub.load interleaved: {Measure.Median(pythonProcess):0.0} ms, ratio {Measure.MedianRatio(published, pythonProcess):0.00}x" : ""));

            if (python is not null)
            {
                var script = Path.Combine(Measure.RepoRoot, "bench", "python", "hub_local.py");
                var (stdout, _) = Measure.Run(python, [script]);
                using var doc = JsonDocument.Parse(stdout);
                var torchFirst = doc.RootElement.GetProperty("first_load_ms").GetDouble();
                var torchRepeat = doc.RootElement.GetProperty("repeat_load_ms").GetDouble();
                Measure.Run(python, [script, "--once"]);
                var torchProcess = Measure.Median(Enumerable.Range(0, 5).Select(_ => Measure.Run(python, [script, "--once"]).Milliseconds).ToList());
                Console.WriteLine("torch.hub.load(source='local') on the same tiny hubconf:");
                Console.WriteLine($"  first load in process:                    {torchFirst,8:0.00} ms   ratio HubHost/torch cold {firstColdMs / torchFirst:0.00}x (invariant {firstColdInvariantMs / torchFirst:0.00}x), warm {firstWarmMs / torchFirst:0.00}x");
                Console.WriteLine($"  repeat load:                              {torchRepeat,8:0.0000} ms   ratio {repeatMs / torchRepeat:0.00}x");
                Console.WriteLine($"  whole python process:                     {torchProcess,8:0.0} ms  ratio {processMs / torchProcess:0.00}x");
            }
        }
        finally
        {
            try { Directory.Delete(home, recursive: true); } catch (IOException) { }
        }
    }
}
