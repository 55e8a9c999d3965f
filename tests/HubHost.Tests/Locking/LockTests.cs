using HubHost.Tests.Sources.Git;
using HubHost.Locking;
using System.Security.Cryptography;
using System.Text.Json;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Locking;

/// <summary>
/// Lock files (issue 20.1): what a lock records, and loads under it with real git repos, real builds and weights served over
/// loopback HTTP — a moved branch still loads the locked commit, a changed weights file behind the same URL is refused in one
/// line, a lock written online loads offline.
/// </summary>
[Collection(LockCollection.Name)]
public sealed class LockTests(LockFixture fixture)
{
    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    [Fact]
    public async Task A_moved_branch_still_loads_the_locked_commit()
    {
        var repo = fixture.NewPlainRepo("moving", "m1", out var first);
        var client = fixture.NewClient();
        var hubLock = await client.LockAsync("hubs/moving:main", "hello", options: new HubLockOptions { TrustRepo = TrustRepo.Trust });
        var entry = Assert.Single(hubLock.Repos);
        Assert.Equal(("git", first), (entry.Source.Kind, entry.Source.Commit));
        Assert.Equal("main", entry.Source.Ref);

        var second = repo.Commit("main", Sources.Git.GitFixture.HubFiles("m2"), "m2");
        repo.Push(second, "main");

        Assert.Equal("m2 world", await client.LoadAsync<string>("hubs/moving:main", "hello", options: LockFixture.Trusted with { ForceReload = true }));
        Assert.Equal("m1 world", await client.LoadAsync<string>("hubs/moving:main", "hello", options: LockFixture.Trusted with { Lock = hubLock }));
        // A new client (another process) re-resolving the moved ref still gets the locked commit.
        var locked = await fixture.NewClient().OpenAsync("hubs/moving:main", LockFixture.Trusted with { Lock = hubLock, ForceReload = true });
        Assert.Equal(first[..12], locked.Version);
        Assert.Equal("m1 world", await locked.InvokeAsync("hello"));
    }

    [Fact]
    public async Task A_lock_records_commit_contract_versions_calls_and_the_weights_with_their_full_sha256()
    {
        fixture.Server.Serve("/record/model.pt", LockFixture.DigitsBytes);
        var url = fixture.Server.Url("/record/model.pt");

        var hubLock = await fixture.NewClient().LockAsync("hubs/weights:main", "weights", new { url }, new HubLockOptions { TrustRepo = TrustRepo.Trust });

        var entry = Assert.Single(hubLock.Repos);
        Assert.Equal(fixture.WeightsCommit, entry.Source.Commit);
        Assert.Equal(["HubHost.Contract", "TorchSharp"], entry.BuiltAgainst.Keys.Order());
        // The host provides TorchSharp and HubHost.Contract: they are not the repo's packages; what restore brought with them is.
        Assert.DoesNotContain(entry.Packages, p => p.Id is "TorchSharp" or "HubHost.Contract");
        Assert.Contains(entry.Packages, p => p.Id == "Google.Protobuf" && p.Sha512.Length == 88);
        Assert.Equal("weights --arg url=" + url, Assert.Single(entry.Calls).ToString());
        var weights = Assert.Single(entry.Weights);
        Assert.Equal((url, Sha256(LockFixture.DigitsBytes), (long)LockFixture.DigitsBytes.Length), (weights.Url, weights.Sha256, weights.Size));
        Assert.NotNull(entry.NuGetLock); // NuGet's own packages.lock.json of the build

        // The file round-trips, and the same lock gives the same bytes.
        var json = hubLock.ToJson();
        Assert.Equal(json, HubLock.Parse(json).ToJson());
        using var document = JsonDocument.Parse(json);
        Assert.Equal(1, document.RootElement.GetProperty("format").GetInt32());
        Assert.Equal("git", document.RootElement.GetProperty("repos")[0].GetProperty("source").GetProperty("kind").GetString());
    }

    [Fact]
    public async Task A_changed_weights_file_behind_the_same_url_is_refused_under_the_lock_in_one_line()
    {
        var file = fixture.Server.Serve("/changing/model.pt", LockFixture.DigitsBytes);
        var url = fixture.Server.Url("/changing/model.pt");
        var client = fixture.NewClient();
        var hubLock = (await client.LockAsync("hubs/weights:main", "weights", new { url }, new HubLockOptions { TrustRepo = TrustRepo.Trust }))
            .Save(Path.Combine(fixture.Root, "changing.lock.json"));
        var locked = LockFixture.Trusted with { Lock = hubLock };
        Assert.Equal("w1: 4 tensors", await client.LoadAsync<string>("hubs/weights:main", "weights", new { url }, locked));

        // The publisher replaces the file behind the URL; a cold cache downloads it and the lock refuses it, keeping nothing.
        file.Content = LockFixture.OtherBytes;
        await client.RemoveFromCacheAsync(url);
        var cold = await Assert.ThrowsAsync<HubException>(() => fixture.NewClient().LoadAsync<string>("hubs/weights:main", "weights", new { url }, locked));
        Assert.StartsWith("hubs/weights:main drifted from changing.lock.json: the weights at " + url + " now have SHA-256 " + Sha256(LockFixture.OtherBytes), cold.Message);
        Assert.Contains("the lock has " + Sha256(LockFixture.DigitsBytes), cold.Message);
        Assert.EndsWith("update the lock: hubhost lock --update hubs/weights:main -o " + hubLock.FilePath, cold.Message);
        Assert.DoesNotContain('\n', cold.Message);
        Assert.DoesNotContain(client.ListCache().Weights, w => w.Url == url); // the hub is shared with the other lock tests

        // Without the lock the new file loads (and is cached); with it, the cached file is refused without another request.
        var unlocked = await fixture.NewClient().LoadAsync<string>("hubs/weights:main", "weights", new { url }, LockFixture.Trusted);
        Assert.StartsWith("w1: ", unlocked);
        Assert.NotEqual("w1: 4 tensors", unlocked);
        var requests = fixture.Server.RequestsFor("/changing/model.pt").Count;
        var warm = await Assert.ThrowsAsync<HubException>(() => fixture.NewClient().LoadAsync<string>("hubs/weights:main", "weights", new { url }, locked));
        Assert.Equal(cold.Message, warm.Message);
        Assert.Equal(requests, fixture.Server.RequestsFor("/changing/model.pt").Count);

        // The command line: exactly one error line, naming the drift and the command that updates the lock.
        var cli = await fixture.RunCliAsync(["load", "hubs/weights:main", "weights", "--arg", "url=" + url, "--locked", hubLock.FilePath!]);
        Assert.Equal(1, cli.ExitCode);
        var error = Assert.Single(cli.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("drifted", error);
        Assert.Contains("hubhost lock --update", error);
        Assert.Equal("", cli.Stdout);
    }

    [Fact]
    public async Task TorchScript_archives_fetched_through_the_repo_services_are_locked_and_checked_like_state_dicts()
    {
        var archive = File.ReadAllBytes(RepoPaths.Fixture("torchscript", "repo", "segmentation.pt"));
        var other = File.ReadAllBytes(RepoPaths.Fixture("torchscript", "repo", "segmentation_dict.pt"));
        var file = fixture.Server.Serve("/scripts/segmentation.pt", archive);
        var url = fixture.Server.Url("/scripts/segmentation.pt");
        var client = fixture.NewClient();

        var hubLock = await client.LockAsync("hubs/weights:main", "archive", new { url }, new HubLockOptions { TrustRepo = TrustRepo.Trust });
        var weights = Assert.Single(Assert.Single(hubLock.Repos).Weights);
        Assert.Equal((url, Sha256(archive)), (weights.Url, weights.Sha256));

        file.Content = other;
        await client.RemoveFromCacheAsync(url);
        var e = await Assert.ThrowsAsync<HubException>(() => fixture.NewClient().LoadAsync<string>("hubs/weights:main", "archive", new { url }, LockFixture.Trusted with { Lock = hubLock }));
        Assert.StartsWith($"hubs/weights:main drifted from the lock: the weights at {url} now have SHA-256 {Sha256(other)}", e.Message);
    }

    [Fact]
    public async Task Verify_rehashes_cached_weights_and_fetches_again_a_file_damaged_on_disk()
    {
        fixture.Server.Serve("/verify/model.pt", LockFixture.DigitsBytes);
        var url = fixture.Server.Url("/verify/model.pt");
        Assert.Equal("w1: 4 tensors", await fixture.NewClient().LoadAsync<string>("hubs/weights:main", "weights", new { url }, LockFixture.Trusted));
        var path = Assert.Single(fixture.NewClient().ListCache().Weights, w => w.Url == url).Path;
        // One byte flipped, size and time kept: the cheap check (size, time, recorded hash) cannot see it; the zip's CRC-32 can.
        var time = File.GetLastWriteTimeUtc(path);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0xff;
        File.WriteAllBytes(path, bytes);
        File.SetLastWriteTimeUtc(path, time);

        await Assert.ThrowsAsync<HubException>(() => fixture.NewClient().LoadAsync<string>("hubs/weights:main", "weights", new { url }, LockFixture.Trusted));
        Assert.Equal("w1: 4 tensors", await fixture.NewClient().LoadAsync<string>("hubs/weights:main", "weights", new { url }, LockFixture.Trusted with { Verify = true }));
        Assert.Equal(LockFixture.DigitsBytes, File.ReadAllBytes(path));
        Assert.Equal(2, fixture.Server.CompleteBodies("/verify/model.pt"));
    }

    [Fact]
    public async Task Weights_the_lock_does_not_list_and_repos_it_does_not_lock_are_refused()
    {
        fixture.Server.Serve("/listed/model.pt", LockFixture.DigitsBytes);
        fixture.Server.Serve("/unlisted/model.pt", LockFixture.DigitsBytes);
        var client = fixture.NewClient();
        var hubLock = await client.LockAsync("hubs/weights:main", "weights", new { url = fixture.Server.Url("/listed/model.pt") }, new HubLockOptions { TrustRepo = TrustRepo.Trust });
        var locked = LockFixture.Trusted with { Lock = hubLock };

        var unlisted = await Assert.ThrowsAsync<HubException>(() => client.LoadAsync<string>("hubs/weights:main", "weights", new { url = fixture.Server.Url("/unlisted/model.pt") }, locked));
        var notLocked = await Assert.ThrowsAsync<HubException>(() => client.OpenAsync("hubs/weights:other", locked));

        Assert.Contains($"it fetched {fixture.Server.Url("/unlisted/model.pt")}, which the lock does not list", unlisted.Message);
        Assert.StartsWith("hubs/weights:other is not in the lock (it locks hubs/weights:main)", notLocked.Message);
        Assert.Empty(fixture.Server.RequestsFor("/unlisted/model.pt"));
    }

    [Fact]
    public async Task A_lock_written_online_loads_offline_from_the_warm_cache()
    {
        using var server = new Downloads.LoopbackHttpServer();
        server.Serve("/offline/model.pt", LockFixture.DigitsBytes);
        var url = server.Url("/offline/model.pt");
        var lockFile = Path.Combine(fixture.Root, "offline.lock.json");
        var written = await fixture.RunCliAsync(["lock", "hubs/weights:main", "weights", "--arg", "url=" + url, "-o", lockFile, "--trust-repo"]);
        Assert.True(written.ExitCode == 0, written.Stderr);
        server.Dispose(); // no weights server, and offline: no git either

        var client = fixture.NewClient(offline: true);
        Assert.Equal("w1: 4 tensors", await client.LoadAsync<string>("hubs/weights:main", "weights", new { url }, new HubLoadOptions { Lock = HubLock.Load(lockFile) }));
        var cli = await fixture.RunCliAsync(["load", "hubs/weights:main", "weights", "--arg", "url=" + url, "--locked", lockFile], new Dictionary<string, string?> { ["HUBHOST_OFFLINE"] = "1" });
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        Assert.StartsWith("w1: 4 tensors", cli.Stdout);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Lock_update_records_where_the_ref_moved_and_compare_shows_what_changed_between_two_locks()
    {
        var repo = fixture.NewPlainRepo("releases", "r1", out var first);
        var v1 = Path.Combine(fixture.Root, "v1.lock.json");
        var v2 = Path.Combine(fixture.Root, "v2.lock.json");
        var locked = await fixture.RunCliAsync(["lock", "hubs/releases:main", "hello", "-o", v1, "--trust-repo"]);
        Assert.True(locked.ExitCode == 0, locked.Stderr);
        Assert.Contains($"commit {first}", locked.Stdout);
        File.Copy(v1, v2);

        var second = repo.Commit("main", Sources.Git.GitFixture.HubFiles("r2"), "r2");
        repo.Push(second, "main");
        var updated = await fixture.RunCliAsync(["lock", "--update", "-o", v2]);
        Assert.True(updated.ExitCode == 0, updated.Stderr);
        Assert.Equal(second, Assert.Single(HubLock.Load(v2).Repos).Source.Commit);
        Assert.Equal("hello", Assert.Single(Assert.Single(HubLock.Load(v2).Repos).Calls).Entrypoint); // the call was replayed

        var compare = await fixture.RunCliAsync(["compare", v1, v2]);
        Assert.True(compare.ExitCode == 0, compare.Stderr);
        Assert.Contains("hubs/releases:main", compare.Stdout);
        Assert.Contains($"at {first} -> ", compare.Stdout);
        Assert.Contains($"at {second}", compare.Stdout);
        var json = await fixture.RunCliAsync(["compare", v1, v2, "--json"]);
        using var document = JsonDocument.Parse(json.Stdout);
        Assert.False(document.RootElement.GetProperty("same").GetBoolean());
        Assert.Equal("source", document.RootElement.GetProperty("changes")[0].GetProperty("aspect").GetString());

        // The load under each lock is that release.
        Assert.Equal("r1 world", await Hello(v1));
        Assert.Equal("r2 world", await Hello(v2));

        async Task<string> Hello(string file)
            => await fixture.NewClient().LoadAsync<string>("hubs/releases:main", "hello", options: LockFixture.Trusted with { Lock = HubLock.Load(file) });
    }

    [Fact]
    public async Task An_hf_weights_url_is_locked_at_its_commit_and_loads_that_commits_file_after_the_branch_moved()
    {
        const string Commit1 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Commit2 = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
        using var hf = new Downloads.FakeHuggingFaceHub();
        hf.PublishLfs("owner/digits", "main", Commit1, "model.pt", LockFixture.DigitsBytes);
        var client = new HubClient(new HubOptions { HubDirectory = fixture.HubDirectory, GitBaseUrl = fixture.BaseFileUrl, HuggingFaceEndpoint = hf.Endpoint });
        const string url = "hf://owner/digits/model.pt";

        var hubLock = await client.LockAsync("hubs/weights:main", "weights", new { url }, new HubLockOptions { TrustRepo = TrustRepo.Trust });
        var weights = Assert.Single(Assert.Single(hubLock.Repos).Weights);
        Assert.Equal(("hf://owner/digits@main/model.pt", Commit1, Sha256(LockFixture.DigitsBytes)), (weights.Url, weights.Commit, weights.Sha256));

        // main moves to a commit with other weights; a load without the lock (cold cache) takes them and caches them.
        hf.PublishLfs("owner/digits", "main", Commit2, "model.pt", LockFixture.OtherBytes);
        await client.RemoveFromCacheAsync(url);
        Assert.NotEqual("w1: 4 tensors", await client.LoadAsync<string>("hubs/weights:main", "weights", new { url }, LockFixture.Trusted));

        // Under the lock: the locked commit's file, fetched at that commit (the revision is not asked again).
        var asked = hf.Hub.Requests.Count;
        Assert.Equal("w1: 4 tensors", await new HubClient(client.Options).LoadAsync<string>("hubs/weights:main", "weights", new { url }, LockFixture.Trusted with { Lock = hubLock }));
        Assert.Equal([$"GET /owner/digits/resolve/{Commit1}/model.pt"], hf.Hub.Requests.Skip(asked).Select(r => $"{r.Method} {r.Path}"));
    }

    [Fact]
    public async Task Lock_command_mistakes_are_one_error_line()
    {
        var missing = Path.Combine(fixture.Root, "missing.lock.json");
        foreach (var (args, expected) in new (string[], string)[]
                 {
                     (["load", "hubs/weights:main", "hello", "--locked", missing], $"error: The lock file '{missing}' does not exist."),
                     (["lock", "-o", missing], "error: Give the repo to lock"),
                     (["lock", "--update", "-o", missing], $"error: There is no lock file {missing} to update"),
                     (["lock", "hubs/weights:main", "hello", "--arg", "x", "-o", missing], "error: --arg 'x' is not NAME=VALUE"),
                     (["compare", "hubs/weights:main", "hubs/weights:v2"], "error: `hubhost compare` needs ENTRY"),
                 })
        {
            var result = await fixture.RunCliAsync(args);
            Assert.True(result.ExitCode == 1, result.ToString());
            var error = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith(expected, error);
        }
        Assert.False(File.Exists(missing));
    }

    [Theory]
    [InlineData("{\"format\": 2, \"repos\": []}", "has format 2, written by a newer hubhost")]
    [InlineData("{\"repos\": []}", "is not a hubhost lock file")]
    [InlineData("not json", "is not valid JSON")]
    [InlineData("{\"format\": 1, \"repos\": [{\"repo\": \"a/b\", \"source\": {\"kind\": \"git\", \"url\": \"u\", \"commit\": \"123\"}}]}", "malformed entry for a/b")]
    public void A_file_that_is_not_a_lock_is_one_message(string json, string expected)
    {
        var path = Path.Combine(fixture.Root, $"bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<HubException>(() => HubLock.Load(path));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
