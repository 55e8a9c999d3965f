using System.Net;
using System.Text.Json;
using HubHost.Tests.Infrastructure;
using Microsoft.Playwright;

namespace HubHost.Serve.Tests;

/// <summary>
/// Local repos made to try serve's README handling, in a server of their own: a README with relative links and a
/// picture, a README that is a symbolic link to /etc/passwd, a README nested deeper than Markdig allows, and a repo that
/// changes while pages are open.
/// </summary>
public sealed class ServeHardeningFixture : IAsyncLifetime
{
    private readonly TempDirectory _home = new("hubhost-serve-hardening");

    public string Links => _home.Combine("links");

    public string PasswdReadme => _home.Combine("passwd-readme");

    public string DeepReadme => _home.Combine("deep-readme");

    public string Live => _home.Combine("live");

    internal ServeHost Host { get; private set; } = null!;

    public string BaseUrl { get; private set; } = "";

    public HttpClient Http { get; } = new();

    public async Task InitializeAsync()
    {
        VersionsRepo.WriteTiny(Links, extra: false);
        File.WriteAllText(Path.Combine(Links, "README.md"), """
            # Links

            See [the guide](docs/guide.md#usage), [the license](./LICENSE), [from the root](/docs/guide.md), [outside](../outside.md),
            [secrets](secrets.json), [a linked file](docs/linked.md), [a site](https://example.com/x) and [this section](#links).

            ![a picture](docs/pic.png)
            """);
        Directory.CreateDirectory(Path.Combine(Links, "docs"));
        File.WriteAllText(Path.Combine(Links, "docs", "guide.md"), "# Guide\n\n## Usage\n\nBack to [the README](../README.md). <script>alert(1)</script>\n");
        File.WriteAllBytes(Path.Combine(Links, "docs", "pic.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);
        File.WriteAllText(Path.Combine(Links, "LICENSE"), "MIT License\n");
        File.WriteAllText(Path.Combine(Links, "secrets.json"), """{ "token": "s3cret" }""");
        File.CreateSymbolicLink(Path.Combine(Links, "docs", "linked.md"), "guide.md");

        VersionsRepo.WriteTiny(PasswdReadme, extra: false);
        File.CreateSymbolicLink(Path.Combine(PasswdReadme, "README.md"), "/etc/passwd");

        VersionsRepo.WriteTiny(DeepReadme, extra: false);
        File.WriteAllText(Path.Combine(DeepReadme, "README.md"), new string('>', 200_000) + " deep\n" + string.Concat(Enumerable.Repeat("[", 200_000)));

        VersionsRepo.WriteTiny(Live, extra: false);

        var hub = new HubClient(new HubOptions { HubDirectory = _home.Combine("hub") });
        Host = ServeHost.Create(hub, new ServeOptions { Repos = [Links, PasswdReadme, DeepReadme, Live], Urls = ["http://127.0.0.1:0"], RefreshInterval = null });
        await Host.StartAsync();
        BaseUrl = Host.Addresses.Single().TrimEnd('/');
        await Host.Catalog.RefreshAsync(force: false);
    }

    /// <summary>The catalog's repo of a folder given by its full path (shown by its name, never the server's path).</summary>
    internal CatalogRepo Repo(string folder) => Host.Catalog.Repos.Single(r => r.Name == CatalogRepo.Shown(new HubClient().DescribeSource(folder)));

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (Host is not null) await Host.DisposeAsync();
        _home.Dispose();
    }
}

/// <summary>Issue 21, items 12 and 14: serve's README handling and pages that follow the catalog.</summary>
public sealed class ServeHardeningTests(ServeHardeningFixture fixture) : IClassFixture<ServeHardeningFixture>
{
    private async Task<(HttpStatusCode Status, string Type, string Body)> GetAsync(string path, HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, fixture.BaseUrl + path);
        using var response = await fixture.Http.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentType?.ToString() ?? "", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Head_is_answered_like_get_without_a_body()
    {
        foreach (var path in new[] { "/", "/api/repos", "/api/status", "/static/app.js" })
        {
            var (status, type, body) = await GetAsync(path, HttpMethod.Head);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.NotEqual("", type);
            Assert.Equal("", body);
        }
    }

    [Fact]
    public async Task Relative_readme_links_lead_to_the_repo_files_the_catalog_shows_and_nowhere_else()
    {
        var repo = fixture.Repo(fixture.Links);
        var html = repo.Ref(0).ReadmeHtml!;
        var guide = $"/repos/{repo.Id}/files/docs/guide.md?ref=folder";
        Assert.Contains($"href=\"{guide}#usage\"", html);
        Assert.Contains($"href=\"{guide}\"", html); // /docs/guide.md: from the repo's root
        Assert.Contains($"href=\"/repos/{repo.Id}/files/LICENSE?ref=folder\"", html);
        Assert.Contains($"src=\"/repos/{repo.Id}/files/docs/pic.png?ref=folder\"", html);
        Assert.Contains("href=\"#\">outside", html);
        Assert.Contains("href=\"https://example.com/x\"", html);
        Assert.Contains("href=\"#links\"", html);

        var (status, type, body) = await GetAsync(guide);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("text/html", type);
        Assert.Contains("<h2 id=\"usage\">Usage</h2>", body);
        Assert.Contains($"href=\"/repos/{repo.Id}/files/README.md?ref=folder\"", body); // ../README.md from docs/
        Assert.DoesNotContain("<script>alert", body);
        var picture = await GetAsync($"/repos/{repo.Id}/files/docs/pic.png?ref=folder");
        Assert.Equal((HttpStatusCode.OK, "image/png"), (picture.Status, picture.Type));
        var license = await GetAsync($"/repos/{repo.Id}/files/LICENSE?ref=folder");
        Assert.Equal(HttpStatusCode.OK, license.Status);
        Assert.StartsWith("text/plain", license.Type);
        Assert.Equal("MIT License\n", license.Body);

        // Not shown: a file of another kind (a secret in a local folder), one reached through a symbolic link, one outside.
        foreach (var path in new[] { "secrets.json", "docs/linked.md", "..%2F..%2Fetc%2Fpasswd", "hubconf.csproj" })
        {
            var refused = await GetAsync($"/repos/{repo.Id}/files/{path}?ref=folder");
            Assert.Equal(HttpStatusCode.NotFound, refused.Status);
            Assert.DoesNotContain("s3cret", refused.Body);
            Assert.DoesNotContain("root:", refused.Body);
        }
    }

    [Fact]
    public async Task A_readme_that_is_a_symbolic_link_is_not_shown_by_the_same_rule_as_images()
    {
        var repo = fixture.Repo(fixture.PasswdReadme);
        Assert.Equal(RefStatus.Ready, repo.Ref(0).Status);
        Assert.Null(repo.Ref(0).ReadmeHtml);
        var api = await GetAsync($"/api/repos/{repo.Id}/readme");
        Assert.DoesNotContain("root:", api.Body);
        var page = await GetAsync(Urls.Entry(repo, "folder", "greet"));
        Assert.DoesNotContain("root:x:0:0", page.Body);
    }

    [Fact]
    public void A_readme_nested_too_deeply_is_dropped_and_the_repo_still_shows()
    {
        var state = fixture.Repo(fixture.DeepReadme).Ref(0);
        Assert.Equal(RefStatus.Ready, state.Status);
        Assert.Null(state.Error);
        Assert.Contains(state.Entrypoints, e => e.Info.Name == "greet");
        Assert.Equal(Markdown.TooDeep, state.ReadmeHtml);
    }

    [BrowserFact]
    public async Task Open_pages_follow_a_refresh_made_elsewhere()
    {
        var repo = fixture.Repo(fixture.Live);
        // From a server that is not refreshing: a refresh still running (the fixture's first, or the interval's) can move the
        // generation and reload the index page under the fill, which then types into a page that is going away (a CI run
        // under load lost the search that way).
        for (var deadline = DateTime.UtcNow.AddMinutes(2); (await GetAsync("/api/status")).Body.Contains("\"refreshing\":true", StringComparison.Ordinal);)
        {
            Assert.True(DateTime.UtcNow < deadline, "the server was still refreshing after 2 minutes");
            await Task.Delay(100);
        }
        await using var browser = await Browser.StartAsync(fixture.BaseUrl);
        var index = browser.Page;
        await index.GotoAsync("/");
        await index.FillAsync("#search", "greet");
        var entry = await browser.Context.NewPageAsync();
        await entry.GotoAsync(Urls.Entry(repo, "folder", "greet"));
        Assert.Equal(0, await index.Locator($"#cards .card[data-repo='{repo.Id}'][data-entry='added']").CountAsync());

        // The repo changes and someone else (the API, the interval) refreshes: both open pages show it.
        VersionsRepo.WriteTiny(fixture.Live, extra: true);
        using var request = new HttpRequestMessage(HttpMethod.Post, fixture.BaseUrl + "/api/refresh?repo=" + repo.Id);
        request.Headers.Add(ServeHost.RefreshHeader, "1");
        using (var response = await fixture.Http.SendAsync(request))
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await index.Locator($"#cards .card[data-repo='{repo.Id}'][data-entry='added']").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached, Timeout = 120_000 });
        Assert.Equal("greet", await index.InputValueAsync("#search")); // the search survived the reload
        var version = repo.Ref(0).Version!;
        await entry.Locator("code.version").Filter(new LocatorFilterOptions { HasText = version }).WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        Assert.Empty(browser.Console);
        using var api = JsonDocument.Parse((await GetAsync($"/api/repos/{repo.Id}")).Body);
        Assert.Equal(2, api.RootElement.GetProperty("refs")[0].GetProperty("entrypoints").GetArrayLength());
    }
}
