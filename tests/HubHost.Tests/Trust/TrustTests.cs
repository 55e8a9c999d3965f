using HubHost.Tests.Sources.Git;
using HubHost.Storage;
using HubHost.Trust;

namespace HubHost.Tests.Trust;

/// <summary>torch.hub's trust_repo: check / trust / prompt, the trusted_list file, and refusal before anything is fetched.</summary>
[Collection(GitCollection.Name)]
public sealed class TrustTests(GitFixture git)
{
    private string TrustedListText() => File.Exists(HubDirectories.TrustedList(git.HubDirectory)) ? File.ReadAllText(HubDirectories.TrustedList(git.HubDirectory)) : "";

    [Fact]
    public async Task Check_without_anyone_to_ask_refuses_before_fetching_and_says_how_to_trust()
    {
        var alias = git.Alias("untrusted-check");
        await git.Hub.OpenAsync("hubs/demo:main", GitFixture.Trusted);
        var before = GitFixture.Snapshot(git.HubDirectory);
        var e = await Assert.ThrowsAsync<HubException>(() => git.NewClient().OpenAsync(alias + ":main"));
        Assert.Contains("Refusing to build " + alias + ":main", e.Message);
        Assert.Contains($"hubhost trust add {alias}", e.Message);
        Assert.Contains("--trust-repo", e.Message);
        Assert.Contains("TrustRepo.Trust", e.Message);
        Assert.Equal(before, GitFixture.Snapshot(git.HubDirectory)); // nothing fetched, nothing built
    }

    [Fact]
    public async Task Check_asks_the_prompt_and_remembers_a_yes()
    {
        var alias = git.Alias("untrusted-yes");
        var questions = new List<string>();
        var client = git.NewClient(q => { questions.Add(q); return true; });
        Assert.Equal("main-1 y", await client.LoadAsync(alias + ":main", "hello", new { name = "y" }));
        Assert.Single(questions);
        Assert.Contains(alias, questions[0]);
        Assert.Contains(TrustedListText().Split('\n'), l => l.EndsWith("/" + alias, StringComparison.Ordinal));

        // Trusted now: a client that cannot ask loads it, and nobody is asked again.
        Assert.Equal("v2 z", await git.NewClient().LoadAsync(alias + ":v2", "hello", new { name = "z" }));
        Assert.Single(questions);
    }

    [Fact]
    public async Task Check_refuses_on_a_no_and_does_not_remember_it()
    {
        var alias = git.Alias("untrusted-no");
        var asked = 0;
        var e = await Assert.ThrowsAsync<HubException>(() => git.NewClient(_ => { asked++; return false; }).OpenAsync(alias));
        Assert.Equal(1, asked);
        Assert.Contains("you did not confirm", e.Message);
        Assert.DoesNotContain(alias, TrustedListText());
        Assert.DoesNotContain(Directory.EnumerateDirectories(HubDirectories.GitMirrors(git.HubDirectory)), d => Path.GetFileName(d).StartsWith("hubs_untrusted-no", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Trust_adds_to_the_list_and_prompt_always_asks()
    {
        var alias = git.Alias("trust-then-prompt");
        Assert.Equal("main-1 t", await git.NewClient().LoadAsync(alias + ":main", "hello", new { name = "t" }, GitFixture.Trusted));
        Assert.Contains(TrustedListText().Split('\n'), l => l.EndsWith("/" + alias, StringComparison.Ordinal));

        var prompt = new HubLoadOptions { TrustRepo = TrustRepo.Prompt };
        var e = await Assert.ThrowsAsync<HubException>(() => git.NewClient().OpenAsync(alias + ":main", prompt));
        Assert.Contains("nobody can be asked", e.Message);

        var asked = 0;
        var opened = await git.NewClient(_ => { asked++; return true; }).OpenAsync(alias + ":main", prompt);
        Assert.Equal(git.Main1[..12], opened.Version);
        Assert.Equal(1, asked); // asked although the list already trusts it
    }

    [Fact]
    public async Task Local_folders_are_always_trusted()
    {
        var folder = Path.Combine(git.Root, "local-hub");
        Directory.CreateDirectory(folder);
        foreach (var (name, content) in GitFixture.HubFiles("local")) File.WriteAllText(Path.Combine(folder, name), content);
        var client = git.NewClient(_ => throw new InvalidOperationException("a local folder must not prompt"));
        Assert.Equal("local l", await client.LoadAsync(folder, "hello", new { name = "l" }, new HubLoadOptions { TrustRepo = TrustRepo.Prompt }));
    }

    [Fact]
    public async Task The_trusted_list_survives_concurrent_writers()
    {
        var list = new TrustedList(Path.Combine(git.Root, "trust-race"));
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => list.AddAsync($"owner/repo{i}", CancellationToken.None))));
        Assert.Equal(40, list.Entries().Count);
        Assert.True(await list.RemoveAsync("OWNER/repo7", CancellationToken.None));
        Assert.False(await list.RemoveAsync("owner/repo7", CancellationToken.None));
        Assert.Equal(39, list.Entries().Count);
    }
}
