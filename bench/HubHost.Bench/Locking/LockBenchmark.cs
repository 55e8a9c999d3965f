using HubHost.Locking;
using System.Globalization;
using System.Security.Cryptography;
using HubHost.Bench.Downloads;

namespace HubHost.Bench.Locking;

/// <summary>
/// What a lock costs (issue 20): the size of the lock file of plugins-sample/vision's resnet18 with its weights (a git repo of the
/// sample, the resnet18 weights written by PyTorch served from loopback under torch's hash-in-name convention), and a whole warm
/// <c>hubhost load … resnet18 --arg pretrained=true</c> process with <c>--locked</c> against the same without, interleaved, with the
/// load average at start and end. Arguments: [--runs N] (default 10).
/// </summary>
internal sealed class LockBenchmark : IBenchmark
{
    public string Name => "lock";

    public string Description => "lock file size of vision resnet18 (+ weights from loopback); whole warm `hubhost load` with --locked vs without";

    public async Task RunAsync(string[] args)
    {
        var runs = args.Length == 2 && args[0] == "--runs" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        var home = Path.Combine(Path.GetTempPath(), "hubhost-bench-lock-" + Guid.NewGuid().ToString("N"));
        try
        {
            Console.WriteLine($"load average at start {LoadAverage()} on {Environment.ProcessorCount} cores");
            // The sample as a git repo (a lock pins a commit), served as owner/name from a file:// base.
            var work = Path.Combine(home, "work");
            CopyTree(Path.Combine(Measure.RepoRoot, "plugins-sample", "vision"), work);
            Git(work, "init", "--quiet", "-b", "main");
            Git(work, "add", "-A");
            Git(work, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "--quiet", "-m", "vision");
            var bare = Path.Combine(home, "srv", "bench", "vision.git");
            Git(null, "clone", "--quiet", "--bare", work, bare);

            var weights = Path.Combine(Measure.RepoRoot, "tests", "fixtures", "resnet18", "resnet18.pt");
            var name = $"resnet18-{Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(weights)))[..8]}.pth";
            using var server = new LoopbackFileServer(weights, "/models/" + name);

            var cli = Path.Combine(AppContext.BaseDirectory, "HubHost.Cli.dll");
            var env = new Dictionary<string, string> { ["HUBHOST_HOME"] = home, ["HUBHOST_GIT_BASE_URL"] = "file://" + Path.Combine(home, "srv") + "/" };
            var lockFile = Path.Combine(home, "hubhost.lock.json");
            string[] call = ["bench/vision:main", "resnet18", "--arg", "pretrained=true", "--arg", "weightsUrl=" + server.Url];
            var locked = Measure.Run("dotnet", [cli, "lock", .. call, "-o", lockFile, "--trust-repo"], env);
            var hubLock = HubLock.Load(lockFile);
            var entry = hubLock.Repos.Single();
            var bytes = new FileInfo(lockFile).Length;
            var nugetLock = entry.NuGetLockText();
            Console.WriteLine($"lock of plugins-sample/vision resnet18 (cold: clone, build, weights download, {locked.Milliseconds / 1000:0.0} s): {bytes:N0} bytes, " +
                              $"{entry.Packages.Count} packages, {entry.Weights.Count} weights file ({entry.Weights.Single().Size:N0} bytes, SHA-256 {entry.Weights.Single().Sha256[..16]}…); " +
                              $"{nugetLock:N0} bytes of it NuGet's packages.lock.json");

            string[] load = [cli, "load", .. call];
            string[] lockedLoad = [.. load, "--locked", lockFile];
            Measure.Run("dotnet", load, env); // warm-up of both paths
            Measure.Run("dotnet", lockedLoad, env);
            var plain = new List<double>();
            var withLock = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                plain.Add(Measure.Run("dotnet", load, env).Milliseconds);
                withLock.Add(Measure.Run("dotnet", lockedLoad, env).Milliseconds);
            }
            var a = Measure.Median(plain);
            var b = Measure.Median(withLock);
            Console.WriteLine($"whole warm `hubhost load bench/vision:main resnet18 --arg pretrained=true` (dotnet HubHost.Cli.dll), median of {runs} interleaved runs:");
            Console.WriteLine($"  without a lock: {a,7:0} ms (min {plain.Min():0})");
            Console.WriteLine($"  --locked:       {b,7:0} ms (min {withLock.Min():0})  difference {b - a:+0;-0} ms ({b / a:0.000}x)");

            // In this process, without process start-up noise: opening the built, cached version with a new client each time
            // (resolve from the cache, build lookup, load context), with and without the lock (read from its file each time).
            var options = new HubOptions { HubDirectory = Path.Combine(home, "hub"), GitBaseUrl = env["HUBHOST_GIT_BASE_URL"] };
            async Task<double> OpenMs(bool withLock)
            {
                var watch = System.Diagnostics.Stopwatch.StartNew();
                var repo = await new HubClient(options).OpenAsync("bench/vision:main", withLock ? new HubLoadOptions { Lock = HubLock.Load(lockFile) } : null);
                var ms = watch.Elapsed.TotalMilliseconds;
                repo.Dispose();
                return ms;
            }
            await OpenMs(false);
            await OpenMs(true);
            var openPlain = new List<double>();
            var openLocked = new List<double>();
            for (var i = 0; i < runs * 3; i++)
            {
                openPlain.Add(await OpenMs(false));
                openLocked.Add(await OpenMs(true));
            }
            Console.WriteLine($"in-process open of the cached version by a new client, median of {runs * 3} interleaved: {Measure.Median(openPlain):0.00} ms without a lock, " +
                              $"{Measure.Median(openLocked):0.00} ms with it (lock file read, commit, packages and contract versions checked): {Measure.Median(openLocked) - Measure.Median(openPlain):+0.00;-0.00} ms");
            Console.WriteLine($"load average at end {LoadAverage()} on {Environment.ProcessorCount} cores");
        }
        finally
        {
            try { Directory.Delete(home, recursive: true); } catch (IOException) { }
        }
    }

    private static string LoadAverage() => Measure.LoadAverage();

    private static void Git(string? directory, params string[] args) => Measure.Git(directory, args);

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj")) continue;
            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}

internal static class LockedRepoBench
{
    /// <summary>The size of the NuGet lock embedded in the entry (bench reads internals).</summary>
    public static int NuGetLockText(this LockedRepo entry) => entry.NuGetLock?.Length ?? 0;
}
