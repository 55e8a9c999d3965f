using System.Diagnostics;
using HubHost.Tests.Sources.Git;
using HubHost.Tests.Infrastructure;
using Xunit.Abstractions;

namespace HubHost.Tests.Processes;

/// <summary>
/// A hub killed with SIGKILL while `dotnet build` or git runs: its children are gone within a bounded time, and
/// a later run neither waits for them nor takes their output for complete.
/// </summary>
public sealed class ChildProcessWatchdogTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>What the test allows (the hub's own bound is 3 s: ChildProcess.OrphanBound), with room for a loaded machine.</summary>
    private static readonly TimeSpan Allowed = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _home = new("hubhost-watchdog");

    [Fact]
    public async Task A_build_of_a_killed_hub_is_stopped_and_the_next_run_builds_without_waiting_for_it()
    {
        var repo = RepoPaths.FixtureRepo("slow-build");
        var environment = new Dictionary<string, string?> { ["HUBHOST_HOME"] = _home.Path, ["HUBHOST_TEST_SLOW_BUILD"] = "300" };
        using var hub = CliRunner.Start(["load", repo, "hello"], environment);
        var children = await WaitForDescendantAsync(hub, "sleep");
        var gone = await KillAndMeasureAsync(hub, children);
        output.WriteLine($"build: {children.Count} children ({string.Join(", ", children.Values.Distinct())}) gone {gone.TotalSeconds:0.00} s after kill -9 of the hub");
        Assert.True(gone < Allowed, $"children still running {gone.TotalSeconds:0.0} s after the hub was killed");

        var builds = Path.Combine(_home.Path, "hub", "builds");
        Assert.All(Directory.EnumerateDirectories(builds).Where(d => !Path.GetFileName(d).StartsWith(".tmp-", StringComparison.Ordinal)),
            d => Assert.True(File.Exists(Path.Combine(d, "build.json")), d + " looks like a build but is not finished"));
        var watch = Stopwatch.StartNew();
        var again = await CliRunner.RunAsync(["load", repo, "hello"], new Dictionary<string, string?> { ["HUBHOST_HOME"] = _home.Path, ["HUBHOST_TEST_SLOW_BUILD"] = null });
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.StartsWith("slow-build built", again.Stdout);
        Assert.Contains("Building", again.Stderr); // its own build, not the killed one's output
        output.WriteLine($"next run: {watch.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task A_git_fetch_of_a_killed_hub_is_stopped()
    {
        using var silent = new SilentServer();
        var url = $"git://127.0.0.1:{silent.Port}/hubs/demo.git#main";
        using var hub = CliRunner.Start(["list", url, "--trust-repo"], new Dictionary<string, string?> { ["HUBHOST_HOME"] = _home.Path, ["HUBHOST_GIT_TIMEOUT"] = "600" });
        await silent.Connected.WaitAsync(TimeSpan.FromMinutes(3)); // git ls-remote waits on the silent server
        var children = await WaitForDescendantAsync(hub, "git");
        var gone = await KillAndMeasureAsync(hub, children);
        output.WriteLine($"fetch: {children.Count} children ({string.Join(", ", children.Values.Distinct())}) gone {gone.TotalSeconds:0.00} s after kill -9 of the hub");
        Assert.True(gone < Allowed, $"children still running {gone.TotalSeconds:0.0} s after the hub was killed");
    }

    /// <summary>Waits until the hub has a descendant named <paramref name="name"/>; returns all its descendants then.</summary>
    private static async Task<Dictionary<int, string>> WaitForDescendantAsync(Process hub, string name)
    {
        var descendants = new Dictionary<int, string>();
        await Eventually.UntilAsync(() =>
        {
            descendants = ProcessTree.Descendants(hub.Id);
            if (!descendants.ContainsValue(name) && hub.HasExited) Assert.Fail("the hub exited before starting " + name + ": " + hub.StandardError.ReadToEnd());
            return descendants.ContainsValue(name);
        }, "the hub started " + name, TimeSpan.FromMinutes(3));
        return descendants;
    }

    /// <summary>SIGKILL to the hub alone (not its tree), then the time until none of <paramref name="children"/> runs (at most 60 s).</summary>
    private static async Task<TimeSpan> KillAndMeasureAsync(Process hub, Dictionary<int, string> children)
    {
        hub.Kill(entireProcessTree: false);
        var watch = Stopwatch.StartNew();
        await hub.WaitForExitAsync();
        await Eventually.TryUntilAsync(() => Task.FromResult(!children.Keys.Any(ProcessTree.IsAlive)), TimeSpan.FromSeconds(60), poll: TimeSpan.FromMilliseconds(10));
        var elapsed = watch.Elapsed;
        foreach (var pid in children.Keys.Where(ProcessTree.IsAlive))
        {
            try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        }
        return elapsed;
    }

    public void Dispose() => _home.Dispose();
}
