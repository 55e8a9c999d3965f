using HubHost.Tests.Sources.Git;
using HubHost.Sources.Git;
using HubHost.Trust;

namespace HubHost.Tests.Trust;

/// <summary>TrustRepo.Trust (--trust-repo) and a prompt's yes record trust only once the source resolved.</summary>
[Collection(GitCollection.Name)]
public sealed class TrustRecordingTests(GitFixture git)
{
    private bool Trusted(string repo) => new TrustedList(git.HubDirectory).Contains(GitRemote.Parse(repo, git.BaseFileUrl));

    [Fact]
    public async Task Trust_is_not_recorded_for_a_repo_that_cannot_be_reached()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => git.NewClient().OpenAsync("hubs/never-existed:main", GitFixture.Trusted));
        Assert.Contains("Could not reach", e.Message);
        Assert.False(Trusted("hubs/never-existed"));

        var closed = $"git://127.0.0.1:{GitTestRepo.FreePort()}/hubs/demo.git#main";
        await Assert.ThrowsAsync<HubException>(() => git.NewClient(_ => true).OpenAsync(closed)); // a yes at the prompt
        Assert.False(Trusted(closed));
    }

    [Fact]
    public async Task Trust_is_not_recorded_for_a_ref_that_does_not_exist_but_is_once_one_resolves()
    {
        var alias = git.Alias("trust-after-resolve");
        var e = await Assert.ThrowsAsync<HubException>(() => git.NewClient().OpenAsync(alias + ":no-such-ref", GitFixture.Trusted));
        Assert.Contains("'no-such-ref'", e.Message);
        Assert.False(Trusted(alias));

        await git.NewClient().OpenAsync(alias + ":main", GitFixture.Trusted);
        Assert.True(Trusted(alias));
    }
}
