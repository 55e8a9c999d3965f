using System.Text.RegularExpressions;
using HubHost.Processes;
using HubHost.Sources.Git;

namespace HubHost.Tests.Sources.Git;

/// <summary>What the hub says when git fails: git's own words, as sentences (no "repository.. Check").</summary>
[Collection(GitCollection.Name)]
public sealed partial class GitMessageTests(GitFixture git)
{
    [Fact]
    public async Task A_git_error_quoted_in_a_message_does_not_end_in_two_periods()
    {
        var missing = "file://" + Path.Combine(git.Root, "srv", "hubs", "no-such-repo.git") + "#main";
        var e = await Assert.ThrowsAsync<HubException>(() => git.NewClient().OpenAsync(missing, GitFixture.Trusted));
        Assert.Contains("Could not reach the git repo", e.Message);
        Assert.Contains("does not appear to be a git repository", e.Message);
        Assert.DoesNotMatch(DoublePeriod(), e.Message);
    }

    [Fact]
    public void Explain_gives_gits_lines_without_a_final_period_for_the_caller_to_end()
    {
        var text = GitCli.Explain(new ProcessResult(128, "", "fatal: '/x' does not appear to be a git repository\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n"));
        Assert.Equal("fatal: '/x' does not appear to be a git repository; fatal: Could not read from remote repository", text);
        Assert.Equal("git exited with code 1", GitCli.Explain(new ProcessResult(1, "", "")));
    }

    [Fact]
    public void A_long_list_of_refs_says_how_many_more_there_are()
    {
        var listing = string.Concat(Enumerable.Range(0, 11).Select(i => $"{new string('a', 40)}\trefs/tags/t{i:00}\n"));
        var sample = RemoteRefs.Parse(listing).Sample();
        Assert.EndsWith("and 3 more.", sample);
        Assert.DoesNotMatch(DoublePeriod(), sample);
    }

    [GeneratedRegex(@"\.\.(\s|$)")]
    private static partial Regex DoublePeriod();
}
