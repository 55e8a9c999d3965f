namespace HubHost.Serve.Tests;

/// <summary>What the server must never do: run a repo's code, build an untrusted repo, listen beyond loopback unasked.</summary>
[Collection(ServeCollection.Name)]
public sealed class SafetyTests(ServeFixture fixture)
{
    [Fact]
    public async Task Serving_never_runs_a_repos_code_though_calling_it_would()
    {
        var canary = HostileFixture.Canary(fixture.HostileRepo);
        var hostile = fixture.Repo("/" + Path.GetFileName(fixture.HostileRepo));
        using (var page = await fixture.Http.GetAsync(fixture.BaseUrl + $"/repos/{hostile.Id}/entrypoints/inject"))
            page.EnsureSuccessStatusCode();
        Assert.False(File.Exists(canary), "the server ran the hostile repo's code");

        // The canary works: calling the entrypoint (what the server never does) writes it.
        try
        {
            var hub = new HubClient(new HubOptions { HubDirectory = fixture.HubDirectory });
            await hub.LoadAsync(fixture.HostileRepo, "inject");
            Assert.True(File.Exists(canary));
            foreach (var r in hub.Loaded) r.Dispose();
        }
        finally
        {
            File.Delete(canary);
        }
    }

    [Fact]
    public void DescribeSource_tells_local_from_git_and_trusted_from_not_without_fetching()
    {
        var hub = new HubClient(new HubOptions { HubDirectory = fixture.HubDirectory });
        var local = hub.DescribeSource(fixture.HostileRepo);
        Assert.True(local.IsLocal);
        Assert.True(local.IsTrusted);
        Assert.Null(local.TrustCommand);
        Assert.Equal(fixture.HostileRepo, local.RepoName);

        var trusted = hub.DescribeSource(fixture.Versions.FileUrl + "#v2");
        Assert.False(trusted.IsLocal);
        Assert.True(trusted.IsTrusted);
        Assert.Equal("v2", trusted.Ref);

        var untrusted = hub.DescribeSource(fixture.Untrusted.FileUrl + "#main");
        Assert.False(untrusted.IsTrusted);
        Assert.Equal("main", untrusted.Ref);
        Assert.Equal($"hubhost trust add {untrusted.RepoName}", untrusted.TrustCommand);

        var owner = hub.DescribeSource("someone/thing:feature/x");
        Assert.Equal(("someone/thing", "feature/x", false), (owner.RepoName, owner.Ref, owner.IsTrusted));
        Assert.Throws<HubException>(() => hub.DescribeSource(""));
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080", false, true)]
    [InlineData("http://localhost:0", false, true)]
    [InlineData("http://[::1]:8080", false, true)]
    [InlineData("http://127.0.0.2:8080", false, true)]
    [InlineData("http://0.0.0.0:8080", false, false)]
    [InlineData("http://[::]:8080", false, false)]
    [InlineData("http://+:8080", false, false)]
    [InlineData("http://10.1.2.3:8080", false, false)]
    [InlineData("http://0.0.0.0:8080", true, true)]
    [InlineData("ftp://127.0.0.1:8080", true, false)]
    [InlineData("not a url", true, false)]
    public void Only_loopback_addresses_unless_asked(string url, bool allowRemote, bool accepted)
    {
        if (accepted) ServeHost.CheckUrl(url, allowRemote);
        else Assert.Throws<HubException>(() => ServeHost.CheckUrl(url, allowRemote));
    }

    [Theory]
    [InlineData("https://example.com/x", true)]
    [InlineData("docs/intro.md", true)]
    [InlineData("#section", true)]
    [InlineData("mailto:a@example.com", true)]
    [InlineData("javascript:alert(1)", false)]
    [InlineData(" JavaScript:alert(1)", false)]
    [InlineData("java\tscript:alert(1)", false)]
    [InlineData("data:text/html,<script>alert(1)</script>", false)]
    [InlineData("vbscript:x", false)]
    public void Readme_links_keep_only_safe_schemes(string url, bool safe)
    {
        Assert.Equal(safe, Markdown.IsSafeUrl(url));
        var html = Markdown.Render($"[x]({url.Trim()}) <b>raw</b>");
        Assert.Contains("&lt;b&gt;raw&lt;/b&gt;", html);
        Assert.DoesNotContain("script:", html.Replace("(" + url.Trim() + ")", "")); // rendered as a link, its URL is gone; as text, in parentheses
        if (!url.Any(c => char.IsWhiteSpace(c) || c == '<')) Assert.Contains(safe ? $"href=\"{url.Trim()}\"" : "href=\"#\"", html);
    }
}
