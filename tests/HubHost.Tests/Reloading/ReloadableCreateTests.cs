using HubHost.Reloading;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Reloading;

/// <summary>A reloadable handle that could not be made leaves nothing loaded behind.</summary>
[Collection(SharedHubCollection.Name)]
public sealed class ReloadableCreateTests(SharedHub hub)
{
    [Fact]
    public async Task A_first_call_that_throws_releases_the_version_it_loaded()
    {
        var client = hub.NewClient();
        var e = await Assert.ThrowsAsync<HubException>(() => ReloadableEntrypoint<string>.CreateAsync(client, RepoPaths.FixtureRepo("throws"), "fail"));
        Assert.Contains("boom", e.Message);
        Assert.Empty(client.Loaded);
    }

    [Fact]
    public async Task A_version_another_caller_holds_is_not_released_by_a_failed_handle()
    {
        var client = hub.NewClient();
        var held = await client.OpenAsync(RepoPaths.FixtureRepo("throws"));
        await Assert.ThrowsAsync<HubException>(() => ReloadableEntrypoint<string>.CreateAsync(client, RepoPaths.FixtureRepo("throws"), "fail"));
        Assert.False(held.IsReleased);
        held.Dispose();
    }

    [Fact]
    public async Task A_bad_poll_interval_is_refused_before_anything_is_loaded()
    {
        var client = hub.NewClient();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ReloadableEntrypoint<string>.CreateAsync(client, RepoPaths.Sample("hello"), "greet",
            options: new ReloadOptions { PollInterval = TimeSpan.Zero }));
        Assert.Empty(client.Loaded);
    }
}
