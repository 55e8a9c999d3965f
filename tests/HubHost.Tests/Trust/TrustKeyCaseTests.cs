using HubHost.Tests.Sources.Git;
using HubHost.Sources.Git;
using HubHost.Trust;

namespace HubHost.Tests.Trust;

/// <summary>
/// The trusted list tells repos apart the way servers do: scheme and host ignoring case, the path exactly,
/// except on github.com, which ignores case in owner/name.
/// </summary>
[Collection(GitCollection.Name)]
public sealed class TrustKeyCaseTests(GitFixture git)
{
    [Fact]
    public async Task Trusting_a_repo_does_not_trust_one_whose_path_differs_only_in_letter_case()
    {
        var trusted = git.Alias("case-trusted");
        var other = git.Alias("CASE-TRUSTED"); // another repo: the server's paths are case-sensitive
        var list = new TrustedList(git.HubDirectory);
        await list.AddAsync(GitRemote.Parse(git.Daemon.BaseUrl + trusted + ".git", git.BaseFileUrl).TrustKey, CancellationToken.None);
        await git.Hub.OpenAsync("hubs/demo:main", GitFixture.Trusted);
        var before = GitFixture.Snapshot(git.HubDirectory);

        var e = await Assert.ThrowsAsync<HubException>(() => git.NewClient().OpenAsync(git.Daemon.BaseUrl + other + ".git#main"));
        Assert.Contains("Refusing to build", e.Message);
        Assert.Equal(before, GitFixture.Snapshot(git.HubDirectory)); // nothing fetched, nothing built

        Assert.True(list.Contains(GitRemote.Parse("GIT" + git.Daemon.BaseUrl[3..] + trusted + ".git#v2", git.BaseFileUrl)));
        Assert.False(list.Contains(GitRemote.Parse(git.Daemon.BaseUrl + "HUBS/case-trusted.git", git.BaseFileUrl)));
        Assert.False(list.Contains(GitRemote.Parse(git.Daemon.BaseUrl + trusted + ".GIT", git.BaseFileUrl)));
    }

    [Fact]
    public async Task Adding_and_removing_compare_paths_exactly_too()
    {
        var list = new TrustedList(Path.Combine(git.Root, "trust-case-" + Guid.NewGuid().ToString("N")[..8]));
        Assert.True(await list.AddAsync("git://host.example/owner/hello", CancellationToken.None));
        Assert.True(await list.AddAsync("git://host.example/OWNER/hello", CancellationToken.None)); // a different repo
        Assert.False(await list.AddAsync("GIT://HOST.example/owner/hello", CancellationToken.None)); // the same one
        Assert.Equal(2, list.Entries().Count);
        Assert.False(await list.RemoveAsync("git://host.example/owner/HELLO", CancellationToken.None));
        Assert.True(await list.RemoveAsync("git://host.example/OWNER/hello", CancellationToken.None));
        Assert.Equal(["git://host.example/owner/hello"], list.Entries());
    }

    [Fact]
    public async Task Github_ignores_case_in_owner_and_name_so_the_list_does_too()
    {
        var list = new TrustedList(Path.Combine(git.Root, "trust-github-" + Guid.NewGuid().ToString("N")[..8]));
        await list.AddAsync("pytorch/vision", CancellationToken.None);
        Assert.True(list.Contains(GitRemote.Parse("https://github.com/PyTorch/Vision.git", git.BaseFileUrl)));
        Assert.True(list.Contains(GitRemote.Parse("https://GitHub.com/pytorch/vision#main", git.BaseFileUrl)));
        Assert.False(list.Contains(GitRemote.Parse("https://github.com/pytorch/vision2.git", git.BaseFileUrl)));
        Assert.False(list.Contains(GitRemote.Parse("https://github.example/pytorch/vision.git", git.BaseFileUrl)));
        Assert.False(await list.AddAsync("https://github.com/PYTORCH/VISION", CancellationToken.None));
    }
}
