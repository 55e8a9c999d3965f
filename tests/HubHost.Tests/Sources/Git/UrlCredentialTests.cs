using System.Text;
using HubHost.Sources;

namespace HubHost.Tests.Sources.Git;

/// <summary>
/// Credentials written into a URL (<c>https://TOKEN@host/...</c>, <c>user:pw@</c>, or inside HUBHOST_GIT_BASE_URL)
/// are refused before anything runs, with a message that says how to pass them, and never repeated anywhere.
/// </summary>
[Collection(GitCollection.Name)]
public sealed class UrlCredentialTests(GitFixture git)
{
    private const string Secret = "ghp_UrlSecretThatMustNeverLeak0123456789";

    [Theory]
    [InlineData("https://" + Secret + "@example.com/x.git")]
    [InlineData("http://" + Secret + "@127.0.0.1:1/hubs/demo.git#main")]
    [InlineData("https://user:" + Secret + "@example.com/x.git")]
    [InlineData("git://" + Secret + "@example.com/x.git")]
    [InlineData("https://" + Secret + "@example.com/")]
    [InlineData("https://" + Secret + "@exa mple.com/x.git")]
    public void Credentials_in_a_url_are_refused_without_repeating_them(string url)
    {
        var e = Assert.Throws<HubException>(() => HubPipeline.Parse(url, GitUrls.DefaultBaseUrl));
        Assert.DoesNotContain(Secret, e.Message);
        if (!url.Contains(' ', StringComparison.Ordinal) && !url.EndsWith(".com/", StringComparison.Ordinal))
        {
            Assert.Contains("GITHUB_TOKEN", e.Message);
            Assert.Contains("credential helper", e.Message);
        }
    }

    [Fact]
    public void An_ssh_user_name_is_not_a_secret()
        => Assert.Equal("ssh://git@host.example/x.git", global::HubHost.Sources.Git.GitRemote.Parse("ssh://git@host.example/x.git#main", GitUrls.DefaultBaseUrl).Url);

    [Theory]
    [InlineData("http://" + Secret + "@127.0.0.1:{0}/")]
    [InlineData("http://x-access-token:" + Secret + "@127.0.0.1:{0}/")]
    public async Task Credentials_in_HUBHOST_GIT_BASE_URL_are_refused_and_reach_no_output_file_or_server(string baseUrl)
    {
        using var server = new GitHttpServer(git.Repo.ServeRoot, Secret);
        var home = Path.Combine(git.Root, "url-secret-" + Guid.NewGuid().ToString("N")[..8]);
        var result = await git.RunCliAsync(["list", "hubs/demo:main", "--trust-repo", "--verbose"], home,
            new Dictionary<string, string?> { ["HUBHOST_GIT_BASE_URL"] = string.Format(System.Globalization.CultureInfo.InvariantCulture, baseUrl, server.Port) });
        Assert.Equal(1, result.ExitCode);
        Assert.DoesNotContain(Secret, result.Stdout + result.Stderr);
        var errors = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.Single(errors);
        Assert.Contains("HUBHOST_GIT_BASE_URL", errors[0]);
        Assert.Contains("GITHUB_TOKEN", errors[0]);
        Assert.Equal(0, server.Authorized + server.Refused); // git never ran against it
        if (Directory.Exists(home))
            foreach (var file in Directory.EnumerateFiles(home, "*", SearchOption.AllDirectories))
                Assert.DoesNotContain(Secret, Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)));
    }
}
