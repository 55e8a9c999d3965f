using HubHost.Tests.Sources.Git;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using System.Runtime.CompilerServices;
using HubHost.Reloading;

namespace HubHost.Tests.Reloading;

/// <summary>The reloadable handle: v1 to v2 with the old context collected, failed reloads keep serving, polling.</summary>
[Collection(GitCollection.Name)]
public sealed class HotReloadTests(GitFixture git)
{
    private static readonly ReloadOptions Trusted = new() { TrustRepo = TrustRepo.Trust };

    [Fact]
    public async Task Hot_reload_swaps_v1_for_v2_keeps_serving_through_a_broken_commit_and_the_old_context_is_collected()
    {
        git.Repo.Push(git.Main1, "hot");
        var events = new List<ReloadedEventArgs>();
        using var handle = await ReloadableEntrypoint<object>.CreateAsync(git.NewClient(), "hubs/demo:hot", "model", options: Trusted);
        handle.Reloaded += (_, e) => { lock (events) events.Add(e); };
        Assert.Equal("DemoModel main-1", handle.Current.ToString());
        var oldContext = WeakContext(handle);

        var unchanged = await handle.ReloadAsync();
        Assert.False(unchanged.Changed);
        Assert.Null(unchanged.Error);

        git.Repo.Push(git.Broken, "hot");
        var failed = await handle.ReloadAsync();
        Assert.False(failed.Changed);
        Assert.NotNull(failed.Error);
        Assert.Contains("CS1002", failed.Error!.Message);
        Assert.Equal("DemoModel main-1", handle.Current.ToString()); // the old version keeps serving

        git.Repo.Push(git.V2, "hot");
        await ReloadWhileACallIsInFlight(handle);
        Assert.Equal("DemoModel v2", handle.Current.ToString());
        Assert.Equal(git.V2[..12], handle.Version);

        Assert.True(await Collected(oldContext), "the v1 load context was not collected after the reload");
        lock (events)
        {
            Assert.Equal(3, events.Count);
            Assert.Equal((git.Main1[..12], git.V2[..12], true), (events[2].OldVersion, events[2].NewVersion, events[2].Changed));
        }
    }

    /// <summary>A lease pins v1 across the swap: it is released only when the call in flight ends.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private async Task ReloadWhileACallIsInFlight(ReloadableEntrypoint<object> handle)
    {
        var oldRepo = handle.CurrentRepo;
        using (var lease = handle.Acquire())
        {
            var swapped = await handle.ReloadAsync();
            Assert.True(swapped.Changed, swapped.Error?.ToString());
            Assert.Equal(git.V2[..12], swapped.NewVersion);
            Assert.False(oldRepo.IsReleased);
            Assert.Equal("DemoModel main-1", lease.Value!.ToString()); // the call in flight still works on v1
        }
        Assert.True(oldRepo.IsReleased);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference WeakContext(ReloadableEntrypoint<object> handle) => new(handle.CurrentRepo.LoadContext);

    private static async Task<bool> Collected(WeakReference reference)
    {
        for (var i = 0; i < 50 && reference.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            await Task.Delay(20);
        }
        return !reference.IsAlive;
    }

    [Fact]
    public async Task Polling_picks_up_a_pushed_commit_and_an_unreachable_remote_keeps_the_old_version()
    {
        git.Repo.Push(git.Main1, "polled");
        var url = git.Daemon.BaseUrl + "hubs/demo.git#polled";
        // The poll's clock is a fake one: a poll happens when the test moves it on, never while the test sleeps.
        var clock = new FakeTimeProvider();
        var polls = Channel.CreateUnbounded<ReloadedEventArgs>();
        using var handle = await ReloadableEntrypoint<string>.CreateAsync(git.NewClient(timeProvider: clock), url, "hello", new { name = "p" },
            new ReloadOptions { TrustRepo = TrustRepo.Trust, PollInterval = TimeSpan.FromMinutes(5) });
        handle.Reloaded += (_, e) => polls.Writer.TryWrite(e);
        Assert.Equal("main-1 p", handle.Current);

        // Nothing moved: a poll finds the same version.
        clock.Advance(TimeSpan.FromMinutes(5));
        var same = await polls.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(90));
        Assert.False(same.Changed);
        Assert.Null(same.Error);

        git.Repo.Push(git.V2, "polled");
        Assert.False(polls.Reader.TryRead(out _)); // no poll before the clock says so
        clock.Advance(TimeSpan.FromMinutes(5));
        var swapped = await polls.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(90));
        Assert.True(swapped.Changed, swapped.Error?.Message);
        Assert.Equal(git.V2[..12], swapped.NewVersion);
        Assert.Equal("v2 p", await handle.UseAsync((value, _) => Task.FromResult(value)));

        git.Daemon.Stop();
        try
        {
            var failed = await handle.ReloadAsync();
            Assert.NotNull(failed.Error);
            Assert.Contains("Could not reach", failed.Error!.Message);
            Assert.Equal("v2 p", handle.Current);
        }
        finally
        {
            git.Daemon.Start();
        }
        handle.Dispose();
        Assert.Throws<ObjectDisposedException>(() => handle.Current);
    }
}
