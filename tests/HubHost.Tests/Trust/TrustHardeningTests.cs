using HubHost.Tests.Sources.Git;
using HubHost.Storage;
using HubHost.Trust;

namespace HubHost.Tests.Trust;

/// <summary>
/// Issue 21, items 8-10, from porting torch.hub's own tests: a yes at the prompt is remembered whatever asked for the
/// prompt (torch's trust_repo=False + "y"); a short SHA no branch or tag reaches gets the same fork advice as a full
/// one; and trusted owners (torch trusts pytorch and facebookresearch without asking; HubHost trusts no one by default,
/// but an organisation can name its own), host-aware like the trusted list.
/// </summary>
[Collection(GitCollection.Name)]
public sealed class TrustHardeningTests(GitFixture git)
{
    private string TrustedListText() => File.Exists(HubDirectories.TrustedList(git.HubDirectory)) ? File.ReadAllText(HubDirectories.TrustedList(git.HubDirectory)) : "";

    [Fact]
    public async Task A_yes_at_a_prompt_asked_for_is_recorded_so_the_next_check_load_does_not_ask()
    {
        var alias = git.Alias("prompt-yes-recorded");
        var asked = 0;
        var prompt = new HubLoadOptions { TrustRepo = TrustRepo.Prompt };
        Assert.Equal("main-1 p", await git.NewClient(_ => { asked++; return true; }).LoadAsync(alias + ":main", "hello", new { name = "p" }, prompt));
        Assert.Equal(1, asked);
        Assert.Contains(TrustedListText().Split('\n'), l => l.EndsWith("/" + alias, StringComparison.Ordinal));
        // The default (Check) load of a client that cannot ask now goes ahead.
        Assert.Equal("v2 q", await git.NewClient().LoadAsync(alias + ":v2", "hello", new { name = "q" }));
    }

    [Fact]
    public async Task A_short_sha_no_branch_or_tag_reaches_gets_the_fork_advice()
    {
        var fork = git.Repo.Commit("fork-short-work", GitFixture.HubFiles("fork-short"), "a stranger's fork", from: git.Main1);
        GitTestRepo.Git(git.Repo.WorkDirectory, "push", "--quiet", "--force", git.Repo.BarePath, $"{fork}:refs/forks/short-stranger");
        var alias = git.Alias("fork-short");
        var e = await Assert.ThrowsAsync<HubException>(() => git.NewClient().OpenAsync(alias + ":" + fork[..10], GitFixture.Trusted));
        Assert.Contains(fork[..10], e.Message);
        Assert.Contains("fork", e.Message);
        Assert.Contains("FORK-OWNER/NAME", e.Message);
        Assert.Contains("--skip-validation", e.Message);
        Assert.Contains("full", e.Message); // a short SHA cannot be fetched by id: the full one can
    }

    [Fact]
    public void Owner_patterns_cover_the_owners_repos_on_that_host_only()
    {
        Assert.True(TrustedList.Covers("pytorch/*", "pytorch/vision"));
        Assert.True(TrustedList.Covers("pytorch/*", "PyTorch/Vision")); // github.com ignores case
        Assert.False(TrustedList.Covers("pytorch/*", "pytorch-evil/vision"));
        Assert.False(TrustedList.Covers("pytorch/*", "https://github.example/pytorch/vision"));
        Assert.False(TrustedList.Covers("pytorch/*", "nuget:pytorch.vision"));
        Assert.True(TrustedList.Covers("https://git.internal/ml/*", "https://GIT.internal/ml/tokenizers"));
        Assert.False(TrustedList.Covers("https://git.internal/ml/*", "https://git.internal/ML/tokenizers")); // paths are exact elsewhere
        Assert.False(TrustedList.Covers("https://git.internal/ml/*", "https://git.internal/ml"));
        Assert.False(TrustedList.Covers("https://git.internal/ml/*", "https://git.internal/mlx/tokenizers"));
    }

    [Fact]
    public async Task A_trusted_owner_in_the_options_loads_its_repos_without_asking_and_no_other()
    {
        var alias = git.Alias("owner-trusted");
        var options = git.Options();
        options.TrustedOwners = ["hubs/*"];
        Assert.Equal("main-1 o", await new HubClient(options).LoadAsync(alias + ":main", "hello", new { name = "o" }));
        Assert.DoesNotContain(alias, TrustedListText()); // trusted through the owner, nothing added

        var other = git.Options();
        other.TrustedOwners = ["elsewhere/*"];
        var e = await Assert.ThrowsAsync<HubException>(() => new HubClient(other).OpenAsync(git.Alias("owner-not-trusted") + ":main"));
        Assert.Contains("Refusing to build", e.Message);

        var bad = git.Options();
        bad.TrustedOwners = ["hubs"];
        Assert.Contains("owner/*", Assert.Throws<HubException>(() => new HubClient(bad)).Message);
    }

    [Fact]
    public async Task Trust_add_owner_star_and_the_environment_variable_trust_an_owner_from_the_cli()
    {
        using var home = new Infrastructure.TempDirectory();
        var alias = git.Alias("owner-cli");
        var refused = await git.RunCliAsync(["list", alias + ":main"], home.Path);
        Assert.Equal(1, refused.ExitCode);

        var add = await git.RunCliAsync(["trust", "add", "hubs/*"], home.Path);
        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Contains("every repo of hubs/*", add.Stdout);
        var ls = await git.RunCliAsync(["trust", "ls"], home.Path);
        Assert.Contains("hubs/*", ls.Stdout);
        var listed = await git.RunCliAsync(["list", alias + ":main"], home.Path);
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Contains("hello", listed.Stdout);
        var rm = await git.RunCliAsync(["trust", "rm", "hubs/*"], home.Path);
        Assert.True(rm.ExitCode == 0, rm.ToString());

        using var fresh = new Infrastructure.TempDirectory();
        var byVariable = await git.RunCliAsync(["list", git.Alias("owner-env") + ":main"], fresh.Path, new Dictionary<string, string?> { ["HUBHOST_TRUSTED_OWNERS"] = "elsewhere/*, hubs/*" });
        Assert.True(byVariable.ExitCode == 0, byVariable.ToString());
        var malformed = await git.RunCliAsync(["trust", "ls"], fresh.Path, new Dictionary<string, string?> { ["HUBHOST_TRUSTED_OWNERS"] = "hubs" });
        Assert.Equal(1, malformed.ExitCode);
        Assert.Contains("HUBHOST_TRUSTED_OWNERS='hubs' is not valid", malformed.Stderr);
    }
}
