using System.Net.Http;
using HubHost.Tests.Sources.Git;
using HubHost.Tests.Infrastructure;

namespace HubHost.Serve.Tests;

/// <summary>`hubhost serve` as a user runs it: the real CLI process, started and stopped (by its id) by the test.</summary>
[Collection(ServeCollection.Name)]
public sealed class ServeCliTests(ServeFixture fixture)
{
    private Dictionary<string, string?> Environment() => new() { ["HUBHOST_HOME"] = null };

    [Theory]
    [InlineData("http://0.0.0.0:8080")]
    [InlineData("http://192.0.2.1:8080")]
    [InlineData("http://*:8080")]
    [InlineData("http://example.com:8080")]
    public async Task A_non_loopback_address_is_refused_unless_asked_for(string url)
    {
        var result = await CliRunner.RunAsync(["serve", "--hub-dir", fixture.HubDirectory, "--urls", url, RepoPaths.Sample("hello")], Environment());
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: Refusing to listen on {url}: it is not a loopback address", line);
        Assert.Contains("--allow-remote", line);
    }

    [Theory]
    [InlineData("{ \"repos\": [ { \"repo\": \"\" } ] }", "repos[0] has no \"repo\"")]
    [InlineData("{ \"repo\": [] }", "is not valid")]
    [InlineData("not json", "is not valid")]
    [InlineData("{ \"title\": \"x\" }", "has no \"repos\" list")]
    [InlineData("{ \"repos\": [ { \"repo\": \"./hello\", \"refs\": [\"main\"] } ] }", "is a local folder, which has no refs")]
    public async Task A_bad_catalog_file_is_one_error_line(string content, string expected)
    {
        using var temp = new TempDirectory();
        var file = temp.Combine("catalog.json");
        File.WriteAllText(file, content);
        var result = await CliRunner.RunAsync(["serve", "--hub-dir", fixture.HubDirectory, "--catalog", file, "--urls", "http://127.0.0.1:0"], Environment());
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains(expected, line);
    }

    [Theory]
    [InlineData("https://user:secret@git.example/x.git", "credentials")]
    [InlineData("--no-such-option", "--no-such-option")]
    public async Task A_bad_repo_or_option_is_one_error_line(string arg, string expected)
    {
        var result = await CliRunner.RunAsync(["serve", "--hub-dir", fixture.HubDirectory, "--urls", "http://127.0.0.1:0", arg], Environment());
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
        Assert.DoesNotContain("secret", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public async Task Nothing_to_serve_is_an_error()
    {
        var result = await CliRunner.RunAsync(["serve", "--hub-dir", fixture.HubDirectory], Environment());
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: Nothing to serve", result.Stderr.Trim());
    }

    [Fact]
    public async Task Serve_with_a_catalog_file_answers_on_loopback_until_stopped()
    {
        using var temp = new TempDirectory();
        var file = temp.Combine("catalog.json");
        var relative = Path.GetRelativePath(temp.Path, RepoPaths.Sample("hello"));
        File.WriteAllText(file, $$"""
            // the catalog of a team
            { "title": "Team hub", "refreshMinutes": 0,
              "repos": [ { "repo": "{{relative}}" }, { "repo": "{{fixture.Versions.FileUrl}}", "refs": ["v1", "v2"] } ] }
            """);
        var port = GitTestRepo.FreePort();
        using var process = CliRunner.Start(["serve", "--hub-dir", fixture.HubDirectory, "--catalog", file, "--urls", $"http://127.0.0.1:{port}"], Environment());
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal($"Serving 2 repos (3 refs) at http://127.0.0.1:{port}. Ctrl+C stops.", line);
            using var http = new HttpClient();
            string json = "";
            // The catalog opens its refs in the background; its API is the only place that says when they are done.
            await Eventually.TryUntilAsync(async () =>
            {
                json = await http.GetStringAsync($"http://127.0.0.1:{port}/api/repos");
                return !json.Contains("\"loading\"") && !json.Contains("\"refreshing\":true");
            }, TimeSpan.FromMinutes(2), poll: TimeSpan.FromMilliseconds(250));
            Assert.Contains("\"title\":\"Team hub\"", json);
            Assert.Contains("\"name\":\"greet\"", json);
            Assert.Contains("\"name\":\"shout\"", json);
            Assert.DoesNotContain("\"failed\"", json);
            var html = await http.GetStringAsync($"http://127.0.0.1:{port}/");
            Assert.Contains("<title>Team hub</title>", html);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
