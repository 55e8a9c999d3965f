namespace HubHost.Tests.Sources.Git;

/// <summary>
/// Issue 21, item 11: a git repo with a symbolic link pointing outside it (<c>README.md -&gt; /etc/passwd</c>). Before, the
/// whole checkout failed with .NET's raw tar message ("unexpected IOException"); now the outside link is left out
/// (a warning names it), links inside the repo are kept, and the repo loads.
/// </summary>
[Collection(GitCollection.Name)]
public sealed class CheckoutSymlinkTests(GitFixture git)
{
    [Fact]
    public async Task A_link_out_of_the_repo_is_left_out_and_the_repo_loads()
    {
        var files = GitFixture.HubFiles("links");
        files["README.md"] = GitTestRepo.Symlink("/etc/passwd");
        files["docs/guide.md"] = "# guide\n";
        files["docs/up.md"] = GitTestRepo.Symlink("../../../../../../../../etc/hostname");
        files["GUIDE.md"] = GitTestRepo.Symlink("docs/guide.md");
        var commit = git.Repo.Commit("links", files, "links in and out", from: git.Main1);
        git.Repo.Push(commit, "links");
        var alias = git.Alias("links");

        var repo = await git.NewClient().OpenAsync(alias + ":links", GitFixture.Trusted);
        Assert.Equal("links x", await repo.InvokeAsync("hello", new { name = "x" }));
        var checkout = Path.Combine(global::HubHost.Storage.HubDirectories.GitCheckouts(git.HubDirectory), commit);
        Assert.DoesNotContain("README.md", Directory.EnumerateFileSystemEntries(checkout).Select(Path.GetFileName)); // the link to /etc/passwd
        Assert.DoesNotContain("up.md", Directory.EnumerateFileSystemEntries(Path.Combine(checkout, "docs")).Select(Path.GetFileName));
        Assert.Equal("docs/guide.md", new FileInfo(Path.Combine(checkout, "GUIDE.md")).LinkTarget);
        Assert.Equal("# guide\n", File.ReadAllText(Path.Combine(checkout, "GUIDE.md")));
        repo.Dispose();
    }
}
