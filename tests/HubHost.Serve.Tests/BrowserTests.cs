using Microsoft.Playwright;
using Xunit.Abstractions;

namespace HubHost.Serve.Tests;

/// <summary>The acceptance tests of issue 11, in Debian's Chromium against the real server over real hub builds.</summary>
[Collection(ServeCollection.Name)]
public sealed class BrowserTests(ServeFixture fixture, ITestOutputHelper output)
{
    [BrowserFact]
    public async Task Index_lists_plugins_samples_entrypoints_and_search_and_category_filter_without_a_reload()
    {
        await using var browser = await Browser.StartAsync(fixture.BaseUrl);
        var page = browser.Page;
        await page.GotoAsync("/");
        foreach (var (repo, entry) in new[] { ("hello", "greet"), ("hello", "add"), ("json-v13", "describe"), ("vision", "resnet18"), ("vision", "squeezenet1_1") })
            Assert.Equal(1, await page.Locator($"#cards .card[data-repo='{fixture.Repo("/" + repo).Id}'][data-entry='{entry}']").CountAsync());
        var vision = fixture.Repo("/vision");
        Assert.Equal(vision.Ref(0).Entrypoints.Count, await page.Locator($"#cards .card[data-repo='{vision.Id}']").CountAsync());
        var total = await page.Locator("#cards .card").CountAsync();
        Assert.True(total > 30, $"only {total} cards");
        output.WriteLine("index screenshot: " + await browser.ScreenshotAsync("index"));

        // A marker survives only if the page is not reloaded by filtering.
        await page.EvaluateAsync("window.__noReload = 42");
        await page.FillAsync("#search", "resnet");
        var visible = page.Locator("#cards .card:visible");
        var names = await visible.EvaluateAllAsync<string[]>("cards => cards.map(c => c.dataset.entry)");
        Assert.NotEmpty(names);
        Assert.All(names, n => Assert.Contains("resnet", n));
        Assert.Contains("resnet18", names);
        Assert.Contains($"{names.Length} of {total}", await page.TextContentAsync("#count"));

        await page.FillAsync("#search", "");
        await page.SelectOptionAsync("#category", "Math");
        names = await visible.EvaluateAllAsync<string[]>("cards => cards.map(c => c.dataset.entry)");
        Assert.Equal(["add"], names);
        await page.FillAsync("#search", "nothing-matches-this");
        Assert.Equal(0, await visible.CountAsync());
        Assert.True(await page.IsVisibleAsync("#no-match"));
        Assert.Equal(42, await page.EvaluateAsync<int>("window.__noReload"));
        Assert.Empty(browser.Console);
    }

    [BrowserFact]
    public async Task Entrypoint_page_shows_the_signature_parameters_and_the_rendered_readme()
    {
        await using var browser = await Browser.StartAsync(fixture.BaseUrl);
        var page = browser.Page;
        var hello = fixture.Repo("/hello");
        await page.GotoAsync("/");
        await page.ClickAsync($"#cards .card[data-repo='{hello.Id}'][data-entry='greet'] h3 a");
        await page.WaitForURLAsync("**/entrypoints/greet**");
        Assert.Equal("greet(string name = \"world\", int times = 1, bool excited = false) -> string", await page.TextContentAsync("#signature"));
        Assert.Equal("Greeter", await page.TextContentAsync("h1"));
        var rows = await page.Locator("table.params tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => [...r.cells].map(c => c.textContent).join('|'))");
        Assert.Equal(["name|string|\"world\"|Who to greet.", "times|int|1|How many times to say hello.", "excited|bool|false|End with an exclamation mark."], rows);
        Assert.Contains("hubhost load ./plugins-sample/hello greet", await page.TextContentAsync("pre.example"));
        // README.md rendered by Markdig: a heading and a table, not Markdown source.
        Assert.Equal("hello", await page.TextContentAsync("#readme h1"));
        Assert.Equal(4, await page.Locator("#readme table tr").CountAsync());
        Assert.DoesNotContain("|---|", await page.TextContentAsync("#readme"));
        output.WriteLine("entrypoint screenshot: " + await browser.ScreenshotAsync("entrypoint"));
        Assert.Empty(browser.Console);
    }

    [BrowserFact]
    public async Task Copy_puts_the_one_liners_on_the_clipboard()
    {
        await using var browser = await Browser.StartAsync(fixture.BaseUrl);
        var page = browser.Page;
        var hello = fixture.Repo("/hello");
        await page.GotoAsync($"/repos/{hello.Id}/entrypoints/greet");
        var repoPath = hello.Ref(0).Shown;
        Assert.Equal("./hello", repoPath); // as given, not the server's absolute path

        await page.ClickAsync("#copy-csharp");
        var csharp = $"using HubHost;\nvar result = Hub.Load<string>(\"{repoPath}\", \"greet\");";
        await Assertions.Expect(page.Locator("#copy-status")).ToHaveTextAsync("Copied: " + csharp);
        Assert.Equal(csharp, await page.EvaluateAsync<string>("navigator.clipboard.readText()"));

        await page.ClickAsync("#copy-cli");
        var cli = $"hubhost load {repoPath} greet";
        await Assertions.Expect(page.Locator("#copy-status")).ToHaveTextAsync("Copied: " + cli);
        Assert.Equal(cli, await page.EvaluateAsync<string>("navigator.clipboard.readText()"));
    }

    [BrowserFact]
    public async Task Version_comparison_shows_a_changed_default_between_two_refs_of_a_local_git_repo()
    {
        await using var browser = await Browser.StartAsync(fixture.BaseUrl);
        var page = browser.Page;
        var versions = fixture.Repo("versions.git");
        await page.GotoAsync("/");
        await page.ClickAsync($".repo[data-repo='{versions.Id}'] a.compare-link");
        await page.SelectOptionAsync("#ref-a", "v1");
        await page.SelectOptionAsync("#ref-b", "v2");
        await page.ClickAsync("#compare");
        await page.WaitForURLAsync("**a=v1&b=v2");

        var defaultRow = page.Locator("table.diff tr[data-entry='greet'][data-aspect='default']");
        Assert.Equal(1, await defaultRow.CountAsync());
        Assert.Equal("times", await defaultRow.Locator("td.what").TextContentAsync());
        Assert.Equal("1", await defaultRow.Locator("td.before").TextContentAsync());
        Assert.Equal("3", await defaultRow.Locator("td.after").TextContentAsync());
        Assert.Equal(1, await page.Locator("table.diff tr[data-entry='greet'][data-aspect='doc']").CountAsync());
        Assert.Equal("added", await page.Locator("table.diff tr.added[data-entry='shout'] td.kind").TextContentAsync());
        Assert.Equal("removed", await page.Locator("table.diff tr.removed[data-entry='wave'] td.kind").TextContentAsync());
        Assert.Equal("unchanged", await page.Locator("table.diff tr.unchanged[data-entry='count'] td.kind").TextContentAsync());
        output.WriteLine("compare screenshot: " + await browser.ScreenshotAsync("compare"));
    }

    [BrowserFact]
    public async Task A_hostile_doc_comment_readme_and_metadata_show_as_text_and_run_nothing()
    {
        await using var browser = await Browser.StartAsync(fixture.BaseUrl);
        var page = browser.Page;
        var hostile = fixture.Repo("/" + Path.GetFileName(fixture.HostileRepo));
        foreach (var url in new[] { "/", $"/repos/{hostile.Id}/entrypoints/inject" })
        {
            await page.GotoAsync(url);
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            Assert.Null(await page.EvaluateAsync<int?>("window.pwned ?? null"));
            // The page's own script is the only one; no element came from a repo's string.
            Assert.Equal(["/static/app.js"], await page.Locator("script").EvaluateAllAsync<string[]>("s => s.map(x => new URL(x.src).pathname)"));
            Assert.Equal(0, await page.Locator("iframe, b[onmouseover], img[onerror], main script").CountAsync());
        }
        // On the entrypoint page the strings are there, as text.
        Assert.Contains("<script>window.pwned=1</script>", await page.TextContentAsync(".summary"));
        Assert.Contains("<img src=x onerror=\"window.pwned=9\">Hostile", await page.TextContentAsync("h1"));
        Assert.Contains("\"\\\"><script>window.pwned=5</script>\"", await page.TextContentAsync("#signature"));
        Assert.Contains("<iframe src=\"javascript:window.pwned=4\"></iframe>", await page.TextContentAsync(".remarks"));
        Assert.Contains("<script>window.pwned=6</script>", await page.TextContentAsync("#readme"));
        Assert.Equal("#", await page.GetAttributeAsync("#readme a", "href"));
        Assert.Equal(0, await page.Locator("a.paper").CountAsync());
        // Clicking the README's javascript: link runs nothing.
        await page.ClickAsync("#readme a");
        Assert.Null(await page.EvaluateAsync<int?>("window.pwned ?? null"));
        output.WriteLine("hostile screenshot: " + await browser.ScreenshotAsync("hostile"));
    }

    [BrowserFact]
    public async Task An_untrusted_repo_shows_as_not_trusted_with_the_command_to_trust_it()
    {
        await using var browser = await Browser.StartAsync(fixture.BaseUrl);
        var page = browser.Page;
        var untrusted = fixture.Repo("untrusted.git");
        await page.GotoAsync("/");
        var section = page.Locator($".repo[data-repo='{untrusted.Id}']");
        Assert.Equal("not trusted", await section.Locator(".status").TextContentAsync());
        Assert.Equal($"hubhost trust add {untrusted.Name}", await section.Locator("code.trust-command").TextContentAsync());
        Assert.Equal(0, await page.Locator($"#cards .card[data-repo='{untrusted.Id}']").CountAsync());
    }

    [BrowserFact]
    public async Task The_refresh_button_resolves_the_refs_again_and_reloads_the_page()
    {
        await using var browser = await Browser.StartAsync(fixture.BaseUrl);
        var page = browser.Page;
        await page.GotoAsync("/");
        var before = fixture.Host.Catalog.LastRefresh;
        await page.EvaluateAsync("window.__beforeRefresh = 1");
        await page.ClickAsync("#refresh");
        await page.WaitForFunctionAsync("() => window.__beforeRefresh === undefined", null, new PageWaitForFunctionOptions { Timeout = 120_000 });
        Assert.NotEqual(before, fixture.Host.Catalog.LastRefresh);
        Assert.StartsWith("refreshed ", await page.TextContentAsync("#refresh-status"));
        Assert.True(await page.Locator("#cards .card").CountAsync() > 30);
    }
}
