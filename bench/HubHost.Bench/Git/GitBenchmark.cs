using System.Diagnostics;
using System.Runtime.CompilerServices;
using HubHost.Reloading;

namespace HubHost.Bench.Git;

/// <summary>
/// Git sources: cold load (clone + build + load) against a bare <c>dotnet build</c> of the same project; warm load
/// of a cached ref in a new process (against torch.hub.load of a cached github ref); and 100 hot-reload cycles
/// (memory growth, old contexts collected).
/// </summary>
internal sealed class GitBenchmark : IBenchmark
{
    public string Name => "git";

    public string Description => "git sources: cold load vs dotnet build, warm load in a new process, 100 hot reloads";

    private const int ColdRuns = 3;
    private const int WarmRuns = 10;
    private const int ReloadCycles = 100;

    public async Task RunAsync(string[] args)
    {
        var root = Path.Combine(Path.GetTempPath(), $"hubhost-bench-git-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        try
        {
            var repo = new BenchRepo(root);
            Console.WriteLine($"git benchmark in {root} (tiny hub repo, no dependencies)");
            if (args.Contains("--reload-only"))
            {
                // Only the hot-reload cycles (memory), with --batches N batches of 100 after the first.
                await HotReloadCyclesAsync(repo, new HubOptions { HubDirectory = Path.Combine(root, "reload", "hub"), GitBaseUrl = repo.BaseUrl }, BenchArgs.Int(args, "--batches", 4));
                return;
            }

            // Warm-up: fills NuGet's and the SDK's caches so neither side pays first-use costs.
            await BareBuildAsync(repo, Path.Combine(root, "warmup"), hubFlags: true);

            var cold = new List<double>();
            var bare = new List<double>();
            var bareDefault = new List<double>();
            for (var i = 0; i < ColdRuns; i++)
            {
                bare.Add(await BareBuildAsync(repo, Path.Combine(root, $"bare-{i}"), hubFlags: true));
                bareDefault.Add(await BareBuildAsync(repo, Path.Combine(root, $"bare-default-{i}"), hubFlags: false));
                var hub = new HubClient(new HubOptions { HubDirectory = Path.Combine(root, $"cold-{i}", "hub"), GitBaseUrl = repo.BaseUrl });
                var watch = Stopwatch.StartNew();
                var result = await hub.LoadAsync<string>("hubs/demo:main", "hello", null, new HubLoadOptions { TrustRepo = TrustRepo.Trust });
                cold.Add(watch.Elapsed.TotalMilliseconds);
                if (result != "main-1 world") throw new InvalidOperationException("unexpected result " + result);
                foreach (var loaded in hub.Loaded) loaded.Dispose();
            }
            var coldMs = Measure.Median(cold);
            var bareMs = Measure.Median(bare);
            Console.WriteLine($"cold load (clone + build + load, in process), median of {ColdRuns}: {coldMs:0} ms");
            Console.WriteLine($"bare `dotnet build` of the same project, same flags as the hub: {bareMs:0} ms   -> hub overhead ratio {coldMs / bareMs:0.00}x (goal <= 1.3x)");
            Console.WriteLine($"bare `dotnet build` with default flags (compiler server allowed): {Measure.Median(bareDefault):0} ms   -> ratio {coldMs / Measure.Median(bareDefault):0.00}x");

            // Warm load: a new process loading a cached ref (the hub of the first cold run).
            var cli = Path.Combine(AppContext.BaseDirectory, "HubHost.Cli.dll");
            var environment = new Dictionary<string, string> { ["HUBHOST_HOME"] = Path.Combine(root, "cold-0"), ["HUBHOST_GIT_BASE_URL"] = repo.BaseUrl };
            Measure.Run("dotnet", [cli, "load", "hubs/demo:main", "hello"], environment); // first run of the CLI binary
            var warm = new List<double>();
            for (var i = 0; i < WarmRuns; i++) warm.Add(Measure.Run("dotnet", [cli, "load", "hubs/demo:main", "hello"], environment).Milliseconds);
            var warmMs = Measure.Median(warm);
            Console.WriteLine($"warm load of a cached ref, whole `dotnet HubHost.Cli.dll load` process, median of {WarmRuns}: {warmMs:0} ms");
            var python = Measure.TorchPython();
            if (python is not null)
            {
                var script = Path.Combine(Measure.RepoRoot, "bench", "python", "git_warm_load.py");
                var pyHub = Path.Combine(root, "torch-hub");
                Measure.Run(python, [script, pyHub], null);
                var peer = new List<double>();
                for (var i = 0; i < WarmRuns; i++) peer.Add(Measure.Run(python, [script, pyHub], null).Milliseconds);
                var peerMs = Measure.Median(peer);
                Console.WriteLine($"peer: torch.hub.load of a cached github ref, whole python process, median of {WarmRuns}: {peerMs:0} ms   -> HubHost/torch {warmMs / peerMs:0.00}x");
            }

            await HotReloadCyclesAsync(repo, new HubOptions { HubDirectory = Path.Combine(root, "reload", "hub"), GitBaseUrl = repo.BaseUrl },
                int.TryParse(Environment.GetEnvironmentVariable("HUBHOST_BENCH_RELOAD_BATCHES"), out var b) ? b : 4);
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Where a process's memory is, beyond the working set: the GC's committed bytes and the JIT's compiled code.</summary>
    private static string Counters()
        => $"GC committed {GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0:0.0} MB, JIT-compiled {System.Runtime.JitInfo.GetCompiledMethodCount()} methods / {System.Runtime.JitInfo.GetCompiledILBytes() / 1048576.0:0.00} MB IL";

    private static async Task HotReloadCyclesAsync(BenchRepo repo, HubOptions options, int batches)
    {
        var hub = new HubClient(options);
        repo.Push(repo.Main1, "hot");
        using var handle = await ReloadableEntrypoint<object>.CreateAsync(hub, "hubs/demo:hot", "model", options: new ReloadOptions { TrustRepo = TrustRepo.Trust });
        // Build both versions and run some cycles first, so JIT, caches and the allocator are warm before measuring.
        var weak = new List<WeakReference>();
        for (var i = 0; i < 20; i++) await CycleAsync(repo, handle, i, weak);
        weak.Clear();
        CollectAll();
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var rssBefore = process.WorkingSet64;
        var managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"  after 20 warm-up cycles: working set {rssBefore / 1048576.0:0.0} MB; {Counters()}");
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < ReloadCycles; i++) await CycleAsync(repo, handle, i, weak);
        var cycleMs = watch.Elapsed.TotalMilliseconds / ReloadCycles;
        for (var i = 0; i < 50 && weak.Any(w => w.IsAlive); i++)
        {
            CollectAll();
            await Task.Delay(20);
        }
        var managedAfter = GC.GetTotalMemory(forceFullCollection: true);
        process.Refresh();
        var rssAfter = process.WorkingSet64;
        var alive = weak.Count(w => w.IsAlive);
        Console.WriteLine($"hot reload: {ReloadCycles} cycles (push, fetch, load the other version, swap, release) after 20 warm-up cycles, {cycleMs:0.0} ms per cycle");
        Console.WriteLine($"  working set {rssBefore / 1048576.0:0.0} MB -> {rssAfter / 1048576.0:0.0} MB (growth {(rssAfter - rssBefore) / 1048576.0:0.0} MB, goal <= 10 MB); " +
                          $"managed heap {managedBefore / 1048576.0:0.0} MB -> {managedAfter / 1048576.0:0.0} MB");
        Console.WriteLine($"  old load contexts collected: {weak.Count - alive} of {weak.Count} (the one serving now is not among them); {Counters()}");

        // Is the growth a one-off or a leak? More batches of 100 cycles.
        var last = rssAfter;
        for (var batch = 0; batch < batches; batch++)
        {
            weak.Clear();
            for (var i = 0; i < ReloadCycles; i++) await CycleAsync(repo, handle, i, weak);
            for (var i = 0; i < 50 && weak.Any(w => w.IsAlive); i++)
            {
                CollectAll();
                await Task.Delay(20);
            }
            process.Refresh();
            Console.WriteLine($"  next {ReloadCycles} cycles: working set {last / 1048576.0:0.0} MB -> {process.WorkingSet64 / 1048576.0:0.0} MB " +
                              $"(growth {(process.WorkingSet64 - last) / 1048576.0:0.0} MB); collected {weak.Count(w => !w.IsAlive)} of {weak.Count}; {Counters()}");
            last = process.WorkingSet64;
        }
        await GrowthBreakdownAsync(hub, options);
    }

    /// <summary>Where the growth comes from: the same number of cycles of only load+release, and of only git resolving.</summary>
    private static async Task GrowthBreakdownAsync(HubClient hub, HubOptions options)
    {
        var process = Process.GetCurrentProcess();
        async Task<double> GrowthAsync(Func<int, Task> cycle)
        {
            for (var i = 0; i < 20; i++) await cycle(i);
            CollectAll();
            process.Refresh();
            var before = process.WorkingSet64;
            for (var i = 0; i < ReloadCycles; i++) await cycle(i);
            CollectAll();
            await Task.Delay(100);
            CollectAll();
            process.Refresh();
            return (process.WorkingSet64 - before) / 1048576.0;
        }

        var loadOnly = await GrowthAsync(async i =>
        {
            var repo = await hub.OpenAsync(i % 2 == 0 ? "hubs/demo:main" : "hubs/demo:v2", new HubLoadOptions { TrustRepo = TrustRepo.Trust });
            _ = (await repo.InvokeAsync("model"))!.ToString();
            repo.Dispose();
        });
        var cache = new HubHost.Sources.Git.GitRepoCache(hub.HubDirectory, options, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, TimeProvider.System);
        var remote = HubHost.Sources.Git.GitRemote.Parse("hubs/demo:main", hub.Options.GitBaseUrl);
        var gitOnly = await GrowthAsync(async _ => {
            using var lease = new HubHost.Storage.VersionLease(hub.HubDirectory);
            await cache.ResolveAsync(remote, lease, forceReload: true, skipValidation: false, CancellationToken.None);
        });
        Console.WriteLine($"  breakdown over {ReloadCycles} cycles: load+call+release only (cached, no git) {loadOnly:0.0} MB; git resolve only (ls-remote, no load) {gitOnly:0.0} MB");
    }

    private static async Task CycleAsync(BenchRepo repo, ReloadableEntrypoint<object> handle, int i, List<WeakReference> weak)
    {
        weak.Add(WeakContext(handle));
        repo.Push(i % 2 == 0 ? repo.V2 : repo.Main1, "hot");
        var outcome = await handle.ReloadAsync();
        if (!outcome.Changed) throw new InvalidOperationException($"reload {i} did not swap: {outcome.Error}");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference WeakContext(ReloadableEntrypoint<object> handle) => new(handle.CurrentRepo.LoadContext);

    private static void CollectAll()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static async Task<double> BareBuildAsync(BenchRepo repo, string folder, bool hubFlags)
    {
        repo.WriteFiles(folder, "main-1");
        File.WriteAllText(Path.Combine(folder, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(folder, "Directory.Packages.props"), "<Project />\n");
        string[] args = hubFlags
            ? ["build", Path.Combine(folder, "hubconf.csproj"), "-c", "Release", "-o", Path.Combine(folder, "out"), "-nologo", "-v:quiet", "-nodeReuse:false", "-p:UseSharedCompilation=false"]
            : ["build", Path.Combine(folder, "hubconf.csproj"), "-c", "Release", "-nologo", "-v:quiet"];
        var environment = new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" };
        await Task.Yield();
        return Measure.Run("dotnet", args, environment).Milliseconds;
    }

    /// <summary>A served tiny hub repo: main and v2, pushed with the git CLI.</summary>
    private sealed class BenchRepo
    {
        private readonly string _work;
        private readonly string _bare;

        public BenchRepo(string root)
        {
            _work = Path.Combine(root, "work");
            _bare = Path.Combine(root, "srv", "hubs", "demo.git");
            BaseUrl = "file://" + Path.Combine(root, "srv") + "/";
            Directory.CreateDirectory(_work);
            Git(null, "init", "--quiet", "--bare", _bare);
            Git(_bare, "symbolic-ref", "HEAD", "refs/heads/main");
            Git(_work, "init", "--quiet", "-b", "main");
            WriteFiles(_work, "main-1");
            Main1 = CommitAll("main 1");
            Git(_work, "checkout", "--quiet", "-b", "v2");
            WriteFiles(_work, "v2");
            V2 = CommitAll("v2");
            Push(Main1, "main");
            Push(V2, "v2");
        }

        public string BaseUrl { get; }

        public string Main1 { get; }

        public string V2 { get; }

        public void Push(string commit, string branch) => Git(_work, "push", "--quiet", "--force", _bare, $"{commit}:refs/heads/{branch}");

        public void WriteFiles(string folder, string label)
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "hubconf.csproj"),
                "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup>\n    <TargetFramework>net10.0</TargetFramework>\n    <Nullable>enable</Nullable>\n    <ImplicitUsings>enable</ImplicitUsings>\n  </PropertyGroup>\n</Project>\n");
            File.WriteAllText(Path.Combine(folder, "Hubconf.cs"),
                "namespace Demo;\npublic sealed class DemoModel { public override string ToString() => \"DemoModel " + label + "\"; }\n" +
                "public static class Hubconf\n{\n    public static string hello(string name = \"world\") => \"" + label + " \" + name;\n    public static object model() => new DemoModel();\n}\n");
        }

        private string CommitAll(string message)
        {
            Git(_work, "add", "-A");
            Git(_work, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "--quiet", "-m", message);
            return Git(_work, "rev-parse", "HEAD").Trim();
        }

        private static string Git(string? directory, params string[] args)
        {
            var all = directory is null ? args : ["-C", directory, .. args];
            return Measure.Run("git", all, null).Stdout;
        }
    }
}
