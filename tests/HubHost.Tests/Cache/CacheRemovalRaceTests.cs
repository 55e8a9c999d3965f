using HubHost.Tests.Sources.Git;
using System.Diagnostics;
using HubHost.Storage;
using Xunit.Abstractions;

namespace HubHost.Tests.Cache;

/// <summary>
/// `cache rm` and `cache prune` running while real `hubhost load` processes fetch, extract and build: removal
/// takes the locks the writers take, so no load fails and nothing half-made is left looking complete.
/// </summary>
[Collection(GitCollection.Name)]
public sealed class CacheRemovalRaceTests(GitFixture git, ITestOutputHelper output)
{
    [Fact]
    public async Task Loads_succeed_while_rm_and_prune_loop_and_nothing_is_left_corrupt()
    {
        const int loaders = 2, loadsEach = 6;
        var home = Path.Combine(git.Root, "race-" + Guid.NewGuid().ToString("N")[..8]);
        var hub = Path.Combine(home, "hub");
        var alias = git.Alias("race" + Guid.NewGuid().ToString("N")[..6]);
        var cache = git.NewClient(hubDirectory: hub);
        var watch = Stopwatch.StartNew();

        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(6)); // the bound on the whole run
        var results = new List<CliResult>();
        var loading = Enumerable.Range(0, loaders).Select(l => Task.Run(async () =>
        {
            for (var i = 0; i < loadsEach && !stop.IsCancellationRequested; i++)
            {
                var result = await git.RunCliAsync(["load", alias + ":main", "hello", "--arg", $"name=l{l}i{i}", "--trust-repo"], home, timeoutSeconds: 240);
                lock (results) results.Add(result);
            }
        })).ToList();
        var allLoaded = Task.WhenAll(loading);

        int removals = 0, prunes = 0, removalErrors = 0, removedWhileLoading = 0, foundInUse = 0, foundLeaseHeld = 0;
        var inUse = new List<string>();
        // A removal that met a running load says so: what it left because a load held it (its lease, a build or mirror lock).
        void CountInUse(global::HubHost.Cache.CacheRemoval removal)
        {
            var held = removal.Skipped.Where(s => s.Contains("in use", StringComparison.Ordinal) || s.Contains("being built", StringComparison.Ordinal)).ToList();
            if (held.Count == 0) return;
            Interlocked.Increment(ref foundInUse);
            if (held.Any(s => s.Contains("in use by a running load", StringComparison.Ordinal))) Interlocked.Increment(ref foundLeaseHeld);
            lock (inUse) inUse.AddRange(held);
        }
        var removing = Task.Run(async () =>
        {
            while (!allLoaded.IsCompleted)
            {
                try
                {
                    // Alternately the ref (its checkout and build go) and the whole repo (the mirror goes: the next load clones).
                    var removed = await cache.RemoveFromCacheAsync(removals % 2 == 0 ? alias + ":main" : alias, stop.Token);
                    removals++;
                    if (removed.Removed.Count > 0 && !allLoaded.IsCompleted) Interlocked.Increment(ref removedWhileLoading);
                    CountInUse(removed);
                }
                catch (HubException)
                {
                    removalErrors++; // "not cached" between a removal and the next load
                }
                await Task.Delay(300); // pacing, not waiting for anything: the loads come and go meanwhile
            }
        });
        var pruning = Task.Run(async () =>
        {
            while (!allLoaded.IsCompleted)
            {
                CountInUse(await cache.PruneCacheAsync(stop.Token));
                prunes++;
                await Task.Delay(50); // pacing, as above
            }
        });
        await Task.WhenAll(allLoaded, removing, pruning);

        var failures = results.Where(r => r.ExitCode != 0 || !r.Stdout.StartsWith("main-1 l", StringComparison.Ordinal)).ToList();
        var builds = results.Sum(r => r.Stderr.Split('\n').Count(line => line.Contains("[INF] Building", StringComparison.Ordinal)));
        output.WriteLine($"loads {results.Count}, failures {failures.Count}, builds {builds}, rm {removals} ({removedWhileLoading} removed something while loading, +{removalErrors} nothing cached), prune {prunes}, {foundInUse} found a load holding something, {foundLeaseHeld} of them a content lease ({string.Join("; ", inUse.Distinct().Take(5))}), {watch.Elapsed.TotalSeconds:0.0} s");
        foreach (var failure in failures) output.WriteLine(failure.ToString());

        Assert.Equal(loaders * loadsEach, results.Count);
        Assert.Empty(failures);
        // The race was run, not just the loads: removals took things away while loads went on, and a later load had to build again.
        Assert.True(removedWhileLoading > 0, "no removal removed anything while the loads ran");
        // ... and overlapped them: some removal started while a load held what it would have removed, and left it.
        Assert.True(foundLeaseHeld > 0, "no removal or prune ever met a load holding its content lease: the race was not run");
        Assert.True(builds >= 2, $"only {builds} build(s): no load ran after a removal took the build away");

        // Nothing corrupt: every published entry is complete, and a plain load afterwards works.
        foreach (var build in Directory.EnumerateDirectories(HubDirectories.Builds(hub)).Where(d => !Path.GetFileName(d).StartsWith(".tmp-", StringComparison.Ordinal)))
            Assert.True(File.Exists(Path.Combine(build, "build.json")), build + " looks like a build but is not finished");
        var checkouts = HubDirectories.GitCheckouts(hub);
        if (Directory.Exists(checkouts))
        {
            foreach (var checkout in Directory.EnumerateDirectories(checkouts).Where(d => !Path.GetFileName(d).StartsWith(".tmp-", StringComparison.Ordinal)))
                Assert.True(File.Exists(Path.Combine(checkout, "hubconf.csproj")), checkout + " is an incomplete checkout");
        }
        var after = await git.RunCliAsync(["load", alias + ":main", "hello", "--arg", "name=after"], home);
        Assert.True(after.ExitCode == 0, after.ToString());
        Assert.StartsWith("main-1 after", after.Stdout);
    }
}
