using System.Net;
using System.Text.Json;
using HubHost.Tests.Sources.Git;

namespace HubHost.Serve.Tests;

/// <summary>The JSON API under /api, the server's refusals, and refresh: a ref is resolved again only when asked.</summary>
[Collection(ServeCollection.Name)]
public sealed class ApiTests(ServeFixture fixture)
{
    private async Task<JsonElement> GetJsonAsync(string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await fixture.Http.GetAsync(fixture.BaseUrl + path);
        Assert.Equal(expected, response.StatusCode);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact]
    public async Task Repos_lists_every_repo_with_its_refs_statuses_and_entrypoints()
    {
        var root = await GetJsonAsync("/api/repos");
        var repos = root.GetProperty("repos").EnumerateArray().ToList();
        Assert.Equal(fixture.Host.Catalog.Repos.Count, repos.Count);
        var hello = repos.Single(r => r.GetProperty("name").GetString()!.EndsWith("/hello"));
        // Repos show under the name the catalog was given, never as an absolute path of the server's machine.
        Assert.Equal("./hello", hello.GetProperty("name").GetString());
        Assert.All(repos, r => Assert.False(r.GetProperty("name").GetString()!.StartsWith('/'), r.GetProperty("name").GetString()));
        Assert.All(repos.SelectMany(r => r.GetProperty("refs").EnumerateArray()), r => Assert.False(r.GetProperty("load").GetString()!.StartsWith('/'), r.GetProperty("load").GetString()));
        var helloRef = hello.GetProperty("refs").EnumerateArray().Single();
        Assert.Equal("ready", helloRef.GetProperty("status").GetString());
        Assert.True(helloRef.GetProperty("hasReadme").GetBoolean());
        Assert.Equal(["greet", "add", "slow_answer"], helloRef.GetProperty("entrypoints").EnumerateArray().Select(e => e.GetProperty("name").GetString()));
        var greet = helloRef.GetProperty("entrypoints")[0];
        Assert.Equal("Greeter", greet.GetProperty("title").GetString());
        Assert.Equal("Text", greet.GetProperty("category").GetString());
        var versions = repos.Single(r => r.GetProperty("name").GetString()!.EndsWith("versions.git"));
        Assert.Equal(["v1", "v2", "live"], versions.GetProperty("refs").EnumerateArray().Select(r => r.GetProperty("ref").GetString()));
        var untrusted = repos.Single(r => r.GetProperty("name").GetString()!.EndsWith("untrusted.git"));
        Assert.Equal("not-trusted", untrusted.GetProperty("refs")[0].GetProperty("status").GetString());
        Assert.StartsWith("hubhost trust add file://", untrusted.GetProperty("trustCommand").GetString());
    }

    [Fact]
    public async Task An_untrusted_repo_is_never_fetched_or_built()
    {
        var mirrors = Path.Combine(fixture.HubDirectory, "git", "mirrors");
        Assert.Contains(Directory.EnumerateDirectories(mirrors), d => Path.GetFileName(d).Contains("versions", StringComparison.Ordinal));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(fixture.HubDirectory, "*untrusted*", SearchOption.AllDirectories), _ => true);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Entrypoint_gives_the_structured_doc_with_defaults_and_one_liners()
    {
        var hello = fixture.Repo("/hello");
        var e = await GetJsonAsync($"/api/repos/{hello.Id}/entrypoints/greet");
        Assert.Equal("greet", e.GetProperty("name").GetString());
        Assert.Equal("string", e.GetProperty("returnType").GetString());
        var times = e.GetProperty("parameters")[1];
        Assert.Equal("times", times.GetProperty("name").GetString());
        Assert.Equal("int", times.GetProperty("type").GetString());
        Assert.Equal("1", times.GetProperty("default").GetString());
        Assert.Equal("How many times to say hello.", times.GetProperty("description").GetString());
        // The shortest correct call: the repo as the catalog was given it, no default spelled out.
        Assert.Equal("using HubHost;\nvar result = Hub.Load<string>(\"./hello\", \"greet\");", e.GetProperty("csharp").GetString());
        Assert.Equal("hubhost load ./hello greet", e.GetProperty("cli").GetString());
        var add = await GetJsonAsync($"/api/repos/{hello.Id}/entrypoints/add");
        Assert.EndsWith("\"add\", new { a = 0.0, b = 0.0 });", add.GetProperty("csharp").GetString());
        Assert.EndsWith("add --arg a=0 --arg b=0", add.GetProperty("cli").GetString());
        // A model: pretrained = true, the type the host can cast to (TorchVision's ResNet is private to the repo), no null.
        var resnet = await GetJsonAsync($"/api/repos/{fixture.Repo("/vision").Id}/entrypoints/resnet18");
        Assert.Equal("using HubHost;\nusing static TorchSharp.torch;\nvar model = Hub.Load<nn.Module<Tensor, Tensor>>(\"./vision\", \"resnet18\", new { pretrained = true });", resnet.GetProperty("csharp").GetString());
        Assert.Equal("hubhost load ./vision resnet18 --arg pretrained=true", resnet.GetProperty("cli").GetString());
        var missing = await GetJsonAsync($"/api/repos/{hello.Id}/entrypoints/nope", HttpStatusCode.NotFound);
        Assert.Contains("has no entrypoint 'nope'", missing.GetProperty("error").GetString());
        var readme = await GetJsonAsync($"/api/repos/{hello.Id}/readme");
        Assert.Contains("<h1 id=\"hello\">hello</h1>", readme.GetProperty("html").GetString());
    }

    [Fact]
    public async Task Compare_reports_added_removed_and_changed_defaults_and_docs()
    {
        var versions = fixture.Repo("versions.git");
        var diff = await GetJsonAsync($"/api/repos/{versions.Id}/compare?a=v1&b=v2");
        var byName = diff.GetProperty("entrypoints").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
        Assert.Equal("added", byName["shout"].GetProperty("kind").GetString());
        Assert.Equal("removed", byName["wave"].GetProperty("kind").GetString());
        Assert.Equal("unchanged", byName["count"].GetProperty("kind").GetString());
        Assert.Equal("changed", byName["greet"].GetProperty("kind").GetString());
        var changes = byName["greet"].GetProperty("changes").EnumerateArray().Select(c => (c.GetProperty("aspect").GetString(), c.GetProperty("what").GetString(), c.GetProperty("before").GetString(), c.GetProperty("after").GetString())).ToList();
        Assert.Equal([("default", "times", "1", "3"), ("doc", "summary", "Greets someone.", "Greets someone, several times by default.")], changes);
        Assert.DoesNotContain(changes, c => c.Item1 == "signature");
        await GetJsonAsync($"/api/repos/{versions.Id}/compare?a=v1", HttpStatusCode.BadRequest);
        await GetJsonAsync($"/api/repos/{versions.Id}/compare?a=v1&b=v9", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Pages_are_refused_under_a_foreign_host_name_and_refresh_needs_its_header()
    {
        using (var request = new HttpRequestMessage(HttpMethod.Get, fixture.BaseUrl + "/"))
        {
            request.Headers.Host = "attacker.example";
            using var response = await fixture.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        using (var response = await fixture.Http.PostAsync(fixture.BaseUrl + "/api/refresh", null))
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using (var page = await fixture.Http.GetAsync(fixture.BaseUrl + "/"))
        {
            Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        }
    }

    [Fact]
    public async Task A_moved_ref_shows_its_new_version_only_after_a_refresh()
    {
        var versions = fixture.Repo("versions.git");
        var live = () => versions.Refs.Single(r => r.Label == "live");
        var before = live().Version;
        Assert.Equal(fixture.LiveCommit[..12], before);
        var moved = fixture.Versions.Commit("live", VersionsRepo.Files(defaultTimes: 7, v2: false, marker: "live two"), "live moved");
        fixture.Versions.Push(moved, "live");

        // Requests read the cached catalog: the ref is not resolved again.
        var e = await GetJsonAsync($"/api/repos/{versions.Id}/entrypoints/greet?ref=live");
        Assert.Equal(before, e.GetProperty("version").GetString());
        Assert.Equal("1", e.GetProperty("parameters")[1].GetProperty("default").GetString());

        using var request = new HttpRequestMessage(HttpMethod.Post, fixture.BaseUrl + $"/api/refresh?repo={versions.Id}");
        request.Headers.Add(ServeHost.RefreshHeader, "1");
        using (var response = await fixture.Http.SendAsync(request))
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await fixture.Host.Catalog.RefreshAsync(force: true, versions.Id); // joins the refresh just started
        e = await GetJsonAsync($"/api/repos/{versions.Id}/entrypoints/greet?ref=live");
        Assert.Equal(moved[..12], e.GetProperty("version").GetString());
        Assert.Equal("7", e.GetProperty("parameters")[1].GetProperty("default").GetString());
        // v1 and v2 did not move.
        Assert.Equal("ready", (await GetJsonAsync($"/api/repos/{versions.Id}")).GetProperty("refs")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_declared_image_inside_the_repo_is_served_and_nothing_else()
    {
        var versions = fixture.Repo("versions.git");
        var api = await GetJsonAsync($"/api/repos/{versions.Id}/entrypoints/greet?ref=v1");
        var src = api.GetProperty("metadata").GetProperty("image").GetString();
        Assert.Equal($"/repos/{versions.Id}/image?ref=v1&entry=greet", src);
        using (var image = await fixture.Http.GetAsync(fixture.BaseUrl + src))
        {
            Assert.Equal(HttpStatusCode.OK, image.StatusCode);
            Assert.Equal("image/png", image.Content.Headers.ContentType?.MediaType);
            Assert.Equal("not really a png, served as one", await image.Content.ReadAsStringAsync());
        }
        // A path out of the repo is not an image source, and asking for it anyway is a 404.
        var count = await GetJsonAsync($"/api/repos/{versions.Id}/entrypoints/count?ref=v1");
        Assert.Equal(JsonValueKind.Null, count.GetProperty("metadata").GetProperty("image").ValueKind);
        using (var outside = await fixture.Http.GetAsync(fixture.BaseUrl + $"/repos/{versions.Id}/image?ref=v1&entry=count"))
            Assert.Equal(HttpStatusCode.NotFound, outside.StatusCode);
        using (var page = await fixture.Http.GetAsync(fixture.BaseUrl + "/"))
            Assert.Contains($"src=\"/repos/{versions.Id}/image?ref=v1&amp;entry=greet\"", await page.Content.ReadAsStringAsync());
    }
}
