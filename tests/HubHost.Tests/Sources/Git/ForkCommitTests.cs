using HubHost.Storage;
using HubHost.Sources.Git;
using Microsoft.Extensions.Logging.Abstractions;

namespace HubHost.Tests.Sources.Git;

/// <summary>
/// A commit SHA is accepted only when a branch or tag of the repo reaches it (torch.hub's fork validation): GitHub
/// serves every commit of a fork network through the parent's URL, which the served repo here imitates with a
/// commit under a hidden ref and uploadpack.allowAnySHA1InWant. SkipValidation / --skip-validation opts out.
/// </summary>
[Collection(GitCollection.Name)]
public sealed class ForkCommitTests(GitFixture git)
{
    private static readonly object Gate = new();
    private static string? _forkCommit;

    /// <summary>A commit in the served repo that no branch or tag reaches (a stranger's fork commit).</summary>
    private string ForkCommit()
    {
        lock (Gate)
        {
            if (_forkCommit is not null) return _forkCommit;
            var commit = git.Repo.Commit("fork-work", GitFixture.HubFiles("fork"), "a stranger's fork", from: git.Main1);
            GitTestRepo.Git(git.Repo.WorkDirectory, "push", "--quiet", "--force", git.Repo.BarePath, $"{commit}:refs/forks/stranger");
            GitTestRepo.Git(git.Repo.BarePath, "config", "uploadpack.allowAnySHA1InWant", "true");
            return _forkCommit = commit;
        }
    }

    [Fact]
    public async Task A_commit_no_branch_or_tag_reaches_is_refused_with_the_reason_and_the_ways_out()
    {
        var fork = ForkCommit();
        var alias = git.Alias("fork-refused");
        await git.Hub.OpenAsync("hubs/demo:main", GitFixture.Trusted);
        var builds = Directory.EnumerateDirectories(global::HubHost.Storage.HubDirectories.Builds(git.HubDirectory)).Count();

        var e = await Assert.ThrowsAsync<HubException>(() => git.NewClient().OpenAsync(alias + ":" + fork, GitFixture.Trusted));
        Assert.Contains($"no branch or tag of {alias} contains the commit {fork[..12]}", e.Message);
        Assert.Contains("fork", e.Message);
        Assert.Contains("--skip-validation", e.Message);
        Assert.Contains("SkipValidation", e.Message);
        Assert.Equal(builds, Directory.EnumerateDirectories(global::HubHost.Storage.HubDirectories.Builds(git.HubDirectory)).Count()); // nothing built
    }

    [Fact]
    public async Task Skip_validation_loads_it_and_does_not_vouch_for_it_afterwards()
    {
        var fork = ForkCommit();
        var alias = git.Alias("fork-skipped");
        var loaded = await git.RunCliAsync(["load", alias + ":" + fork, "hello", "--trust-repo", "--skip-validation"]);
        Assert.True(loaded.ExitCode == 0, loaded.ToString());
        Assert.StartsWith("fork world", loaded.Stdout);

        // The commit is in the mirror and the cache now, but a load without the opt-out still refuses it.
        foreach (var reference in new[] { fork, fork[..10] })
        {
            var again = await git.RunCliAsync(["load", alias + ":" + reference, "hello"]);
            Assert.Equal(1, again.ExitCode);
            Assert.Contains("no branch or tag of " + alias + " contains", again.Stderr);
        }
        var e = await Assert.ThrowsAsync<HubException>(() => git.NewClient().OpenAsync(alias + ":" + fork, GitFixture.TrustedForce));
        Assert.Contains("--skip-validation", e.Message);
    }

    [Fact]
    public async Task A_commit_in_the_history_of_a_branch_is_accepted()
    {
        var older = git.Repo.Commit("deep-work", GitFixture.HubFiles("deep-1"), "deep 1", from: git.Main1);
        var newer = git.Repo.Commit("deep-work", GitFixture.HubFiles("deep-2"), "deep 2");
        git.Repo.Push(newer, "deep");
        var cache = new GitRepoCache(git.HubDirectory, git.Options(), NullLogger.Instance, TimeProvider.System);
        var alias = git.Alias("fork-history");
        using var lease = new VersionLease(git.HubDirectory);
        var (commit, checkout) = await cache.ResolveAsync(GitRemote.Parse(alias + ":" + older, git.BaseFileUrl), lease, forceReload: false, skipValidation: false, CancellationToken.None);
        lease.Dispose();
        Assert.Equal(older, commit);
        Assert.Contains("deep-1", await File.ReadAllTextAsync(Path.Combine(checkout, "Hubconf.cs")));
        var again = await cache.ResolveAsync(GitRemote.Parse(alias + ":" + older[..9], git.BaseFileUrl), lease, false, false, CancellationToken.None);
        lease.Dispose();
        Assert.Equal(older, again.Commit);
    }
}
