using System.Text;

namespace HubHost.Tests.Git;

/// <summary>
/// A private repo behind HTTP auth (a real HTTP server on 127.0.0.1 serving the bare repo): GITHUB_TOKEN gets
/// in, and the token shows up in no cache file, no error message and no process's command line.
/// </summary>
[Collection(GitCollection.Name)]
public sealed class PrivateRepoTests(GitFixture git)
{
    private const string Token = "ghp_TestTokenThatMustNeverLeak0123456789";

    private static string HeaderValue => Convert.ToBase64String(Encoding.UTF8.GetBytes("x-access-token:" + Token));

    [Fact]
    public async Task Github_token_opens_a_private_repo_and_never_leaks()
    {
        using var server = new GitHttpServer(git.Repo.ServeRoot, Token);
        var url = server.BaseUrl + "hubs/demo.git";

        var e = await Assert.ThrowsAsync<HubException>(() => git.NewClient().OpenAsync(url + "#main", GitFixture.Trusted));
        Assert.Contains("Could not reach the git repo", e.Message);
        Assert.Contains("GITHUB_TOKEN", e.Message);
        Assert.True(server.Refused > 0);

        var previous = Environment.GetEnvironmentVariable("GITHUB_TOKEN");
        Environment.SetEnvironmentVariable("GITHUB_TOKEN", Token);
        try
        {
            Assert.Equal("v2 secret", await git.NewClient().LoadAsync(url + "#v2", "hello", new { name = "secret" }, GitFixture.Trusted));
            Assert.True(server.Authorized > 0);

            var unknown = await Assert.ThrowsAsync<HubException>(() => git.NewClient().OpenAsync(url + "#nope", GitFixture.Trusted));
            Assert.Contains("'nope'", unknown.Message);
            AssertClean(unknown.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable("GITHUB_TOKEN", previous);
        }

        Assert.All(server.RequestUrls, u => AssertClean(u));
        foreach (var file in Directory.EnumerateFiles(git.HubDirectory, "*", SearchOption.AllDirectories))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            var text = Encoding.Latin1.GetString(bytes);
            Assert.False(text.Contains(Token, StringComparison.Ordinal) || text.Contains(HeaderValue, StringComparison.Ordinal), $"{file} holds the token");
        }
    }

    [Fact]
    public async Task The_token_is_on_no_command_line_while_git_runs()
    {
        using var silent = new SilentServer();
        var previous = Environment.GetEnvironmentVariable("GITHUB_TOKEN");
        var timeout = Sources.Git.GitCli.NetworkTimeout;
        Environment.SetEnvironmentVariable("GITHUB_TOKEN", Token);
        Sources.Git.GitCli.NetworkTimeout = TimeSpan.FromSeconds(4);
        try
        {
            var open = git.NewClient().OpenAsync($"http://127.0.0.1:{silent.Port}/hubs/demo.git#main", GitFixture.Trusted);
            var sawGit = false;
            var deadline = DateTime.UtcNow.AddSeconds(3);
            while (DateTime.UtcNow < deadline && !open.IsCompleted)
            {
                foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => char.IsDigit(Path.GetFileName(d)[0])))
                {
                    string cmdline;
                    try { cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' '); }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { continue; }
                    if (cmdline.Contains("ls-remote", StringComparison.Ordinal) && cmdline.Contains(silent.Port.ToString(), StringComparison.Ordinal)) sawGit = true;
                    AssertClean(cmdline);
                }
                await Task.Delay(100);
            }
            Assert.True(sawGit, "git ls-remote was never seen running");
            var e = await Assert.ThrowsAsync<HubException>(() => open);
            Assert.Contains("did not answer within 4 s", e.Message);
            AssertClean(e.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable("GITHUB_TOKEN", previous);
            Sources.Git.GitCli.NetworkTimeout = timeout;
        }
    }

    private static void AssertClean(string text)
    {
        Assert.DoesNotContain(Token, text);
        Assert.DoesNotContain(HeaderValue, text);
    }
}
