using HubHost.Tests.Sources.Git;
using HubHost.Reloading;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Reloading;

/// <summary>Polling does not rebuild a commit that failed to build: it waits for the ref to move (or an explicit reload).</summary>
[Collection(GitCollection.Name)]
public sealed class HotReloadFailureTests(GitFixture git)
{
    [Fact]
    public async Task Polling_remembers_a_commit_that_failed_to_build_until_the_ref_moves()
    {
        git.Repo.Push(git.Main1, "broken-poll");
        var logs = new CapturingLoggerFactory();
        var client = new HubClient(git.Options(), logs);
        var failures = 0;
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var changed = new TaskCompletionSource<ReloadedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var handle = await ReloadableEntrypoint<string>.CreateAsync(client, "hubs/demo:broken-poll", "hello", new { name = "b" },
            new ReloadOptions { TrustRepo = TrustRepo.Trust, PollInterval = TimeSpan.FromMilliseconds(300) });
        handle.Reloaded += (_, e) =>
        {
            if (e.Error is not null && Interlocked.Increment(ref failures) == 6) enough.TrySetResult();
            if (e.Changed) changed.TrySetResult(e);
        };
        int BrokenBuilds() => logs.Messages.Count(m => m.StartsWith("Building hubs/demo:broken-poll (" + git.Broken[..12], StringComparison.Ordinal));

        git.Repo.Push(git.Broken, "broken-poll");
        await enough.Task.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(1, BrokenBuilds()); // six failed polls, one build
        Assert.Equal("main-1 b", handle.Current);

        var retried = await handle.ReloadAsync(); // an explicit reload tries again
        Assert.Contains("CS1002", retried.Error?.Message);
        Assert.Equal(2, BrokenBuilds());

        git.Repo.Push(git.V2, "broken-poll"); // the ref moves: the new commit is built and swapped in
        var swapped = await changed.Task.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(git.V2[..12], swapped.NewVersion);
        Assert.Equal("v2 b", handle.Current);
    }
}
