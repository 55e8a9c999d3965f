using Microsoft.Extensions.Time.Testing;
using System.Text;

namespace HubHost.Tests.Sources.Git;

/// <summary>
/// A private repo behind HTTP auth (a real HTTP server on 127.0.0.1 serving the bare repo): GITHUB_TOKEN gets
/// in on the configured host (and no other), and shows up in no cache file, no error message and no process's command line.
/// </summary>
[Collection(GitCollection.Name)]
public sealed class PrivateRepoTests(GitFixture git)
{
    private const string Token = "ghp_TestTokenThatMustNeverLeak0123456789";

    private static string HeaderValue => Convert.ToBase64String(Encoding.UTF8.GetBytes("x-access-token:" + Token));

    [Fact]
    public async Task Github_token_opens_a_private_repo_on_the_configured_host_only_and_never_leaks()
    {
        using var server = new GitHttpServer(git.Repo.ServeRoot, Token);
        using var otherHost = new GitHttpServer(git.Repo.ServeRoot, Token);
        var withoutToken = git.Options();
        withoutToken.GitBaseUrl = server.BaseUrl;
        var withToken = git.Options();
        withToken.GitBaseUrl = server.BaseUrl;
        withToken.GitHubToken = Token;
        {
            var e = await Assert.ThrowsAsync<HubException>(() => new HubClient(withoutToken).OpenAsync("hubs/demo:main", GitFixture.Trusted));
            Assert.Contains("Could not reach the git repo", e.Message);
            Assert.Contains("GITHUB_TOKEN", e.Message);
            Assert.True(server.Refused > 0);

            // A second client in the same process, with a token: clients differ in their settings.
            Assert.Equal("v2 secret", await new HubClient(withToken).LoadAsync("hubs/demo:v2", "hello", new { name = "secret" }, GitFixture.Trusted));
            Assert.True(server.Authorized > 0);

            var unknown = await Assert.ThrowsAsync<HubException>(() => new HubClient(withToken).OpenAsync("hubs/demo:nope", GitFixture.Trusted));
            Assert.Contains("'nope'", unknown.Message);
            AssertClean(unknown.ToString());

            // Another host never gets the token, even when it asks for credentials.
            var other = await Assert.ThrowsAsync<HubException>(() => new HubClient(withToken).OpenAsync(otherHost.BaseUrl + "hubs/demo.git#v2", GitFixture.Trusted));
            AssertClean(other.ToString());
            Assert.True(otherHost.Refused > 0);
            Assert.Equal(0, otherHost.Authorized);
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
    public async Task The_token_is_in_gits_environment_and_on_no_command_line()
    {
        using var silent = new SilentServer();
        var options = git.Options();
        options.GitHubToken = Token;
        options.GitBaseUrl = $"http://127.0.0.1:{silent.Port}/";
        options.GitNetworkTimeout = TimeSpan.FromMinutes(30); // far beyond the test on a real clock
        // The network time limit runs on a fake clock: git waits on the silent server until the test moves the clock on.
        var clock = new FakeTimeProvider();
        var open = new HubClient(options, timeProvider: clock).OpenAsync("hubs/demo:main", GitFixture.Trusted);
        await silent.Connected.WaitAsync(TimeSpan.FromMinutes(2)); // git ls-remote runs and waits for an answer
        var sawGit = false;
        var sawHeaderInEnvironment = false;
        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => char.IsDigit(Path.GetFileName(d)[0])))
        {
            string cmdline, environ;
            try
            {
                cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                environ = cmdline.Contains("ls-remote", StringComparison.Ordinal) ? File.ReadAllText(Path.Combine(dir, "environ")) : "";
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { continue; }
            if (cmdline.Contains("ls-remote", StringComparison.Ordinal) && cmdline.Contains(silent.Port.ToString(), StringComparison.Ordinal))
            {
                sawGit = true;
                sawHeaderInEnvironment |= environ.Contains("Authorization: Basic " + HeaderValue, StringComparison.Ordinal);
            }
            AssertClean(cmdline);
        }
        Assert.True(sawGit, "git ls-remote was not running while it waited on the server");
        Assert.True(sawHeaderInEnvironment, "the token was not handed to git through its environment");
        Assert.False(open.IsCompleted, "the open ended before its time limit");
        clock.Advance(options.GitNetworkTimeout);
        var e = await Assert.ThrowsAsync<HubException>(() => open.WaitAsync(TimeSpan.FromMinutes(2))); // a liveness bound: the limit ran out on the fake clock
        Assert.Contains("did not answer within 1800 s", e.Message);
        AssertClean(e.ToString());
    }

    private static void AssertClean(string text)
    {
        Assert.DoesNotContain(Token, text);
        Assert.DoesNotContain(HeaderValue, text);
    }
}
