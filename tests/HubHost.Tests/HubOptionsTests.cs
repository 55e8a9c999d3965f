namespace HubHost.Tests;

/// <summary>
/// Every setting lives on <see cref="HubOptions"/>; environment variables are read by <see cref="HubOptions.FromEnvironment()"/>
/// alone, and a client keeps its own checked copy.
/// </summary>
public sealed class HubOptionsTests
{
    private static HubOptions From(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        return HubOptions.FromEnvironment(name => map.GetValueOrDefault(name));
    }

    [Fact]
    public void The_default_urls_are_what_checking_them_gives_so_a_client_takes_them_unparsed()
    {
        Assert.Equal(HubOptions.GitHubBaseUrl, GitUrls.CheckBaseUrl(HubOptions.GitHubBaseUrl, "default"));
        Assert.Equal(HubOptions.HuggingFaceHubUrl, HubHost.Downloads.HuggingFaceUrls.CheckEndpoint(HubOptions.HuggingFaceHubUrl, "default"));
    }

    [Fact]
    public void No_variables_give_the_defaults()
    {
        var options = From();
        var defaults = new HubOptions();
        Assert.Null(options.HubDirectory);
        Assert.False(options.Offline);
        Assert.False(options.DisableBuilds);
        Assert.Equal(HubOptions.GitHubBaseUrl, options.GitBaseUrl);
        Assert.Null(options.GitHubToken);
        Assert.Empty(options.TrustedOwners); // torch trusts pytorch and facebookresearch; HubHost trusts no owner unless told
        Assert.Equal(defaults.BuildTimeout, options.BuildTimeout);
        Assert.Equal(TimeSpan.FromSeconds(60), options.GitNetworkTimeout);
        Assert.Equal(TimeSpan.FromSeconds(60), options.NuGetTimeout);
        Assert.Equal(1024, options.DownloadMinimumSpeed);
        Assert.Equal(TimeSpan.FromSeconds(30), options.DownloadStallTime);
        Assert.Equal(HubOptions.HuggingFaceHubUrl, options.HuggingFaceEndpoint);
        Assert.Null(options.HuggingFaceToken);
    }

    [Fact]
    public void Every_variable_in_the_readme_table_sets_its_option()
    {
        var options = From(
            ("HUBHOST_HOME", "/srv/home"), ("HUBHOST_OFFLINE", "yes"), ("HUBHOST_NO_BUILD", "1"), ("HUBHOST_BUILD_TIMEOUT", "90"),
            ("HUBHOST_GIT_BASE_URL", "git://127.0.0.1:9418"), ("GITHUB_TOKEN", "tok"), ("HUBHOST_GIT_TIMEOUT", "7.5"), ("HUBHOST_NUGET_TIMEOUT", "12"),
            ("HUBHOST_TRUSTED_OWNERS", "myorg/*, https://git.example.com/ml/*"),
            ("HUBHOST_DOWNLOAD_MIN_SPEED", "0"), ("HUBHOST_DOWNLOAD_STALL_TIME", "3"), ("HF_ENDPOINT", "http://127.0.0.1:5000/"), ("HF_TOKEN", "hf_tok"));
        Assert.Equal("/srv/home/hub", options.HubDirectory);
        Assert.True(options.Offline);
        Assert.True(options.DisableBuilds);
        Assert.Equal(TimeSpan.FromSeconds(90), options.BuildTimeout);
        Assert.Equal("git://127.0.0.1:9418/", options.GitBaseUrl);
        Assert.Equal("tok", options.GitHubToken);
        Assert.Equal(TimeSpan.FromSeconds(7.5), options.GitNetworkTimeout);
        Assert.Equal(TimeSpan.FromSeconds(12), options.NuGetTimeout);
        Assert.Equal(["myorg/*", "https://git.example.com/ml/*"], options.TrustedOwners);
        Assert.Equal(0, options.DownloadMinimumSpeed);
        Assert.Equal(TimeSpan.FromSeconds(3), options.DownloadStallTime);
        Assert.Equal("http://127.0.0.1:5000", options.HuggingFaceEndpoint);
        Assert.Equal("hf_tok", options.HuggingFaceToken);

        // The README's table names exactly these variables.
        var readme = File.ReadAllText(Path.Combine(Infrastructure.RepoPaths.Root, "README.md"));
        foreach (var name in new[] { "HUBHOST_HOME", "HUBHOST_OFFLINE", "HUBHOST_NO_BUILD", "HUBHOST_BUILD_TIMEOUT", "HUBHOST_GIT_BASE_URL", "GITHUB_TOKEN", "HUBHOST_GIT_TIMEOUT", "HUBHOST_NUGET_TIMEOUT", "HUBHOST_TRUSTED_OWNERS", "HUBHOST_DOWNLOAD_MIN_SPEED", "HUBHOST_DOWNLOAD_STALL_TIME", "HF_ENDPOINT", "HF_TOKEN" })
            Assert.Contains($"| `{name}` |", readme);
    }

    [Theory]
    [InlineData("HUBHOST_OFFLINE", "maybe", "1 (or true, yes, on)")]
    [InlineData("HUBHOST_GIT_TIMEOUT", "soon", "a number of seconds greater than 0")]
    [InlineData("HUBHOST_GIT_TIMEOUT", "-4", "a number of seconds greater than 0")]
    [InlineData("HUBHOST_BUILD_TIMEOUT", "0", "a number of seconds greater than 0")]
    [InlineData("HUBHOST_NUGET_TIMEOUT", "forever", "a number of seconds greater than 0")]
    [InlineData("HUBHOST_TRUSTED_OWNERS", "myorg", "owners as owner/*")]
    [InlineData("HUBHOST_DOWNLOAD_MIN_SPEED", "1.5k", "a whole number of bytes per second")]
    [InlineData("HUBHOST_DOWNLOAD_STALL_TIME", "NaN", "a number of seconds greater than 0")]
    public void A_malformed_variable_is_one_message_naming_it_and_what_to_give(string name, string value, string expected)
    {
        var e = Assert.Throws<HubException>(() => From((name, value)));
        Assert.StartsWith($"{name}='{value}' is not valid: give {expected}", e.Message);
        Assert.Contains("or unset it for the default", e.Message);
    }

    [Fact]
    public void A_credential_in_the_base_url_is_refused_naming_where_it_came_from_and_never_repeated()
    {
        var env = Assert.Throws<HubException>(() => From(("HUBHOST_GIT_BASE_URL", "https://user:hunter2@git.example/")));
        Assert.StartsWith("HUBHOST_GIT_BASE_URL (", env.Message);
        Assert.DoesNotContain("hunter2", env.Message);
        var code = Assert.Throws<HubException>(() => new HubClient(new HubOptions { GitBaseUrl = "https://hunter2@git.example/" }));
        Assert.StartsWith("HubOptions.GitBaseUrl (", code.Message);
        Assert.DoesNotContain("hunter2", code.Message);
    }

    [Fact]
    public void Invalid_values_set_in_code_are_refused_when_the_client_is_made()
    {
        Assert.Contains("HubOptions.BuildTimeout", Assert.Throws<HubException>(() => new HubClient(new HubOptions { BuildTimeout = TimeSpan.Zero })).Message);
        Assert.Contains("HubOptions.GitNetworkTimeout", Assert.Throws<HubException>(() => new HubClient(new HubOptions { GitNetworkTimeout = TimeSpan.FromSeconds(-1) })).Message);
        Assert.Contains("HubOptions.NuGetTimeout", Assert.Throws<HubException>(() => new HubClient(new HubOptions { NuGetTimeout = TimeSpan.Zero })).Message);
        Assert.Contains("HubOptions.DownloadMinimumSpeed", Assert.Throws<HubException>(() => new HubClient(new HubOptions { DownloadMinimumSpeed = -1 })).Message);
    }

    [Fact]
    public void A_client_keeps_its_own_copy_so_later_changes_reach_no_client()
    {
        var options = new HubOptions { HubDirectory = "/tmp/a", Offline = true, GitBaseUrl = "file:///srv/git" };
        var client = new HubClient(options);
        options.Offline = false;
        options.GitBaseUrl = "https://elsewhere.example/";
        Assert.True(client.Options.Offline);
        Assert.Equal("file:///srv/git/", client.Options.GitBaseUrl);
        client.Options.Offline = false; // a copy, too
        Assert.True(client.Options.Offline);
        var other = new HubClient(options);
        Assert.False(other.Options.Offline); // two clients in one process differ
    }
}
