using System.Net;
using System.Text.Json;

namespace HubHost.Serve.Tests;

/// <summary>Two lock files (two releases) written as <c>hubhost lock</c> writes them.</summary>
internal static class LockFilesFixture
{
    public const string Commit1 = "1111111111111111111111111111111111111111";
    public const string Commit2 = "2222222222222222222222222222222222222222";

    public static IReadOnlyList<string> Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var v1 = Path.Combine(folder, "release-1.lock.json");
        var v2 = Path.Combine(folder, "release-2.lock.json");
        File.WriteAllText(v1, Lock(Commit1, "0.107.0", new string('a', 64)));
        File.WriteAllText(v2, Lock(Commit2, "0.108.0", new string('b', 64)));
        return [v1, v2];
    }

    private static string Lock(string commit, string torchVision, string weights) => $$"""
        {
          "format": 1,
          "host": { "hubHost": "0.1.0", "contract": "0.2.0", "torchSharp": "0.107.0", "runtime": "linux-x64" },
          "repos": [
            {
              "repo": "owner/vision:main",
              "source": { "kind": "git", "url": "https://github.com/owner/vision.git", "ref": "main", "commit": "{{commit}}" },
              "builtAgainst": { "HubHost.Contract": "0.2.0.0", "TorchSharp": "0.107.0.0" },
              "packages": [ { "id": "TorchVision", "version": "{{torchVision}}", "sha512": "c2hh<script>" } ],
              "calls": [ { "entrypoint": "resnet18", "arguments": { "pretrained": "true" } } ],
              "weights": [ { "url": "https://download.pytorch.org/models/resnet18-f37072fd.pth", "sha256": "{{weights}}", "size": 46830571 } ]
            }
          ]
        }
        """;
}

/// <summary><c>/locks</c> and <c>/api/locks</c>: two releases' locks side by side.</summary>
[Collection(ServeCollection.Name)]
public sealed class LockPageTests(ServeFixture fixture)
{
    [Fact]
    public async Task Api_locks_lists_each_lock_and_what_changed_from_one_to_the_next()
    {
        using var response = await fixture.Http.GetAsync(fixture.BaseUrl + "/api/locks");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        Assert.Equal(2, root.GetProperty("locks").GetArrayLength());
        var comparison = Assert.Single(root.GetProperty("comparisons").EnumerateArray());
        Assert.False(comparison.GetProperty("same").GetBoolean());
        var aspects = comparison.GetProperty("changes").EnumerateArray().Select(c => c.GetProperty("aspect").GetString()).ToList();
        Assert.Equal(["source", "package", "weights"], aspects);
    }

    [Fact]
    public async Task The_locks_page_shows_the_changes_encoded()
    {
        var html = await fixture.Http.GetStringAsync(fixture.BaseUrl + "/locks");
        Assert.Contains("release-1.lock.json → release-2.lock.json", html);
        Assert.Contains("data-aspect=\"source\"", html);
        Assert.Contains(LockFilesFixture.Commit2, html);
        Assert.Contains("TorchVision", html);
        Assert.DoesNotContain("<script>", html.Replace("<script src=\"/static/app.js\" defer></script>", "", StringComparison.Ordinal));
    }
}
