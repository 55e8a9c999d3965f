using HubHost.Sources;
using HubHost.Sources.Git;

namespace HubHost.Tests.Sources.Git;

/// <summary>
/// The source is explicit (torch.hub's source='local'): a local folder is a path starting with ./ ../ / or ~;
/// owner/name is always a git repo, even when a folder of that name exists where the command runs.
/// </summary>
[Collection(GitCollection.Name)]
public sealed class LocalOrGitSourceTests(GitFixture git)
{
    [Theory]
    [InlineData("./hub", true)]
    [InlineData("../hub", true)]
    [InlineData("/abs/hub", true)]
    [InlineData("~/hub", true)]
    [InlineData(".", true)]
    [InlineData("owner/name", false)]
    [InlineData("plugins-sample/hello", false)]
    public void Only_explicit_paths_are_local(string repo, bool local)
        => Assert.Equal(local, HubPipeline.Parse(repo, GitUrls.DefaultBaseUrl) is LocalDirectorySource);

    [Fact]
    public async Task A_folder_planted_as_owner_slash_name_is_not_built_in_place_of_the_git_repo()
    {
        var cwd = Path.Combine(git.Root, "cwd-" + Guid.NewGuid().ToString("N")[..8]);
        var planted = Path.Combine(cwd, "hubs", "planted");
        Directory.CreateDirectory(planted);
        foreach (var (name, content) in GitFixture.HubFiles("planted")) File.WriteAllText(Path.Combine(planted, name), content);

        // Not trusted, nobody to ask: refused, and the error names the folder and the ./ form.
        var refused = await git.RunCliAsync(["load", "hubs/planted", "hello"], workingDirectory: cwd);
        Assert.Equal(1, refused.ExitCode);
        Assert.DoesNotContain("planted world", refused.Stdout);
        Assert.Contains("Refusing to build hubs/planted", refused.Stderr);
        Assert.Contains("'hubs/planted' is also a folder here", refused.Stderr);
        Assert.Contains("write ./hubs/planted", refused.Stderr);
        Assert.Single(refused.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal));

        // Trusted: still the git repo (which does not exist), never the folder.
        var missing = await git.RunCliAsync(["load", "hubs/planted", "hello", "--trust-repo"], workingDirectory: cwd);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("Could not reach the git repo", missing.Stderr);
        Assert.Contains("write ./hubs/planted", missing.Stderr);

        var local = await git.RunCliAsync(["load", "./hubs/planted", "hello"], workingDirectory: cwd);
        Assert.True(local.ExitCode == 0, local.ToString());
        Assert.StartsWith("planted world", local.Stdout);
    }

    [Fact]
    public async Task A_mistyped_local_path_is_a_git_source_whose_error_shows_the_local_form()
    {
        var cwd = Path.Combine(git.Root, "cwd-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(cwd, "plugins-sample", "hello"));
        var result = await git.RunCliAsync(["list", "plugins-sample/nope"], workingDirectory: cwd);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("'./plugins-sample' is a folder here", result.Stderr);
        Assert.Contains("write ./plugins-sample/nope", result.Stderr);

        var local = await git.RunCliAsync(["list", "./plugins-sample/nope"], workingDirectory: cwd);
        Assert.Equal(1, local.ExitCode);
        Assert.Contains("The local repo './plugins-sample/nope' does not exist", local.Stderr);
    }

    [Fact]
    public void A_git_url_gets_no_note()
        => Assert.Null(LocalDirectorySource.LookalikeNote(GitRemote.Parse("https://example.com/x/y.git", GitUrls.DefaultBaseUrl).Text));
}
