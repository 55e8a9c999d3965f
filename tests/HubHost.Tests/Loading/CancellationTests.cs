using HubHost.Storage;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Loading;

/// <summary>A shared build is cancelled per caller: one caller's cancellation ends its own wait; the build stops once nobody waits.</summary>
public sealed class CancellationTests
{
    /// <summary>
    /// A copy of the slow-build fixture whose build, once running, writes its shell's pid to <see cref="GatedBuild.Started"/>,
    /// waits until <see cref="GatedBuild.Gate"/> exists, then writes <see cref="GatedBuild.Finished"/>: the test sees
    /// the build run and decides when it may end, instead of guessing with sleeps. (Should the test fail, its temp folder
    /// goes and with it the pid file, which ends the wait.)
    /// </summary>
    private sealed record GatedBuild(string Repo, string Started, string Gate, string Finished)
    {
        public static GatedBuild Create(TempDirectory temp, string name, string greeting)
        {
            var build = new GatedBuild(temp.Combine(name), temp.Combine(name + ".started"), temp.Combine(name + ".gate"), temp.Combine(name + ".finished"));
            Directory.CreateDirectory(build.Repo);
            var fixture = RepoPaths.FixtureRepo("slow-build");
            var command = $"echo $$ &gt; '{build.Started}'; while [ ! -e '{build.Gate}' ] &amp;&amp; [ -e '{build.Started}' ]; do sleep 0.05; done; touch '{build.Finished}'";
            File.WriteAllText(Path.Combine(build.Repo, "hubconf.csproj"), File.ReadAllText(Path.Combine(fixture, "hubconf.csproj"))
                .Replace("Condition=\"'$(HUBHOST_TEST_SLOW_BUILD)' != ''\"", "").Replace("sleep $(HUBHOST_TEST_SLOW_BUILD)", command));
            File.WriteAllText(Path.Combine(build.Repo, "Hubconf.cs"), File.ReadAllText(Path.Combine(fixture, "Hubconf.cs")).Replace("slow-build built", greeting));
            return build;
        }

        /// <summary>Waits until the build runs (its shell wrote its pid); returns that pid.</summary>
        public async Task<int> RunningAsync()
        {
            var pid = 0;
            await Eventually.UntilAsync(() => File.Exists(Started) && int.TryParse(File.ReadAllText(Started).Trim(), out pid), "the build started");
            Assert.True(ProcessTree.IsAlive(pid), "the build's shell is not running");
            Assert.False(File.Exists(Finished), "the build already finished");
            return pid;
        }

        public void Open() => File.WriteAllText(Gate, "");
    }

    [Fact]
    public async Task A_caller_that_cancels_ends_only_its_own_wait()
    {
        using var temp = new TempDirectory();
        var build = GatedBuild.Create(temp, "shared", "built for both");
        var client = new HubClient(new HubOptions { HubDirectory = temp.Combine("hub") });
        using var impatient = new CancellationTokenSource();
        var a = client.OpenAsync(build.Repo, cancellationToken: impatient.Token);
        var b = client.OpenAsync(build.Repo);
        var pid = await build.RunningAsync(); // both wait on a running build
        impatient.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a);
        Assert.True(ProcessTree.IsAlive(pid), "the build was stopped although the other caller still waits for it");
        Assert.False(b.IsCompleted, "the other caller still waits for the build");
        build.Open();
        var loaded = await b;
        Assert.True(File.Exists(build.Finished), "b was served by the build that a's cancellation left running");
        Assert.Equal("built for both", await loaded.InvokeAsync("hello"));
        // The version still holds a content lease (b's: a's went when a gave up), so `cache rm` cannot take its build from under it.
        using (var taken = await ContentLease.TryTakeForRemovalAsync(client.HubDirectory, loaded.ContentKey, CancellationToken.None))
            Assert.Null(taken);
        loaded.Dispose();
        using (var free = await ContentLease.TryTakeForRemovalAsync(client.HubDirectory, loaded.ContentKey, CancellationToken.None))
            Assert.NotNull(free);
    }

    [Fact]
    public async Task The_shared_build_stops_when_its_last_caller_cancels_and_a_later_load_builds_again()
    {
        using var temp = new TempDirectory();
        var build = GatedBuild.Create(temp, "alone", "built after all");
        var hub = temp.Combine("hub");
        var client = new HubClient(new HubOptions { HubDirectory = hub });
        using var cancel = new CancellationTokenSource();
        var open = client.OpenAsync(build.Repo, cancellationToken: cancel.Token);
        var pid = await build.RunningAsync();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => open);
        // The build waits for a gate that is never opened: only a kill ends it, so its end proves it was stopped.
        await Eventually.UntilAsync(() => !ProcessTree.IsAlive(pid), "the cancelled build was stopped");
        Assert.False(File.Exists(build.Finished));
        Assert.Empty(Directory.Exists(HubDirectories.Builds(hub)) ? Directory.GetDirectories(HubDirectories.Builds(hub)).Where(d => !Path.GetFileName(d).StartsWith('.')) : []);
        build.Open();
        var loaded = await client.OpenAsync(build.Repo);
        Assert.Equal("built after all", await loaded.InvokeAsync("hello"));
        loaded.Dispose();
    }
}
