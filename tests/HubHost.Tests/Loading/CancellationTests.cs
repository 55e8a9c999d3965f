using HubHost.Storage;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Loading;

/// <summary>A shared build is cancelled per caller: one caller's cancellation ends its own wait; the build stops once nobody waits.</summary>
public sealed class CancellationTests
{
    /// <summary>A copy of the slow-build fixture whose build always sleeps <paramref name="seconds"/> s, greeting with <paramref name="greeting"/>.</summary>
    private static string SlowRepo(TempDirectory temp, string name, int seconds, string greeting)
    {
        var repo = temp.Combine(name);
        Directory.CreateDirectory(repo);
        var fixture = RepoPaths.FixtureRepo("slow-build");
        File.WriteAllText(Path.Combine(repo, "hubconf.csproj"), File.ReadAllText(Path.Combine(fixture, "hubconf.csproj"))
            .Replace("Condition=\"'$(HUBHOST_TEST_SLOW_BUILD)' != ''\"", "").Replace("sleep $(HUBHOST_TEST_SLOW_BUILD)", $"sleep {seconds}"));
        File.WriteAllText(Path.Combine(repo, "Hubconf.cs"), File.ReadAllText(Path.Combine(fixture, "Hubconf.cs")).Replace("slow-build built", greeting));
        return repo;
    }

    [Fact]
    public async Task A_caller_that_cancels_ends_only_its_own_wait()
    {
        using var temp = new TempDirectory();
        var repo = SlowRepo(temp, "shared", 3, "built for both");
        var client = new HubClient(new HubOptions { HubDirectory = temp.Combine("hub") });
        using var impatient = new CancellationTokenSource();
        var a = client.OpenAsync(repo, cancellationToken: impatient.Token);
        var b = client.OpenAsync(repo);
        await Task.Delay(500);
        impatient.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a);
        Assert.False(b.IsCompleted, "the other caller still waits for the build");
        var loaded = await b;
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
        var repo = SlowRepo(temp, "alone", 4, "built after all");
        var hub = temp.Combine("hub");
        var client = new HubClient(new HubOptions { HubDirectory = hub });
        using var cancel = new CancellationTokenSource();
        var open = client.OpenAsync(repo, cancellationToken: cancel.Token);
        await Task.Delay(1000);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => open);
        // Had the build gone on, it would be published within the 4 s it sleeps.
        await Task.Delay(TimeSpan.FromSeconds(6));
        Assert.Empty(Directory.Exists(HubDirectories.Builds(hub)) ? Directory.GetDirectories(HubDirectories.Builds(hub)).Where(d => !Path.GetFileName(d).StartsWith('.')) : []);
        var loaded = await client.OpenAsync(repo);
        Assert.Equal("built after all", await loaded.InvokeAsync("hello"));
        loaded.Dispose();
    }
}
