using System.Diagnostics;
using System.Text.Json;
using HubHost.Storage;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Sources.Git;

/// <summary>The real `hubhost` CLI over git sources: many processes at once, killed processes, and the cache and trust commands.</summary>
[Collection(GitCollection.Name)]
public sealed class GitCliTests(GitFixture git)
{
    private static int Count(IEnumerable<CliResult> results, string text)
        => results.Sum(r => r.Stderr.Split('\n').Count(l => l.Contains(text, StringComparison.Ordinal)));

    [Fact]
    public async Task Six_processes_on_a_cold_cache_make_one_clone_and_one_build_and_all_succeed()
    {
        var home = Path.Combine(git.Root, "cold-" + Guid.NewGuid().ToString("N")[..8]);
        var environment = new Dictionary<string, string?> { ["HUBHOST_GIT_BASE_URL"] = git.Daemon.BaseUrl };
        var runs = Enumerable.Range(0, 6)
            .Select(i => git.RunCliAsync(["load", "hubs/demo:v2", "hello", "--arg", $"name=p{i}", "--trust-repo"], home, environment, timeoutSeconds: 300))
            .ToList();
        var results = await Task.WhenAll(runs);
        for (var i = 0; i < results.Length; i++)
        {
            Assert.True(results[i].ExitCode == 0, results[i].ToString());
            Assert.StartsWith($"v2 p{i}", results[i].Stdout);
        }
        Assert.Equal(1, Count(results, "Cloned git://127.0.0.1"));
        Assert.Equal(1, Count(results, "[INF] Building hubs/demo:v2"));
        var hub = Path.Combine(home, "hub");
        Assert.Single(Directory.EnumerateDirectories(HubDirectories.GitMirrors(hub)));
        Assert.Single(Directory.EnumerateDirectories(HubDirectories.Builds(hub)));
        // Six processes trusted the repo at once: one entry, no lost or torn write.
        Assert.Equal([$"git://127.0.0.1:{git.Daemon.Port}/hubs/demo"], File.ReadAllLines(HubDirectories.TrustedList(hub)).Where(l => l.Length > 0));
    }

    [Fact]
    public async Task A_build_killed_midway_leaves_nothing_taken_for_complete_and_the_next_run_recovers()
    {
        var home = Path.Combine(git.Root, "killed-build-" + Guid.NewGuid().ToString("N")[..8]);
        var hub = Path.Combine(home, "hub");
        using (var process = git.StartCli(["load", "hubs/demo:main", "hello", "--trust-repo"], home))
        {
            var stderr = process.StandardError;
            var deadline = DateTime.UtcNow.AddMinutes(2);
            string? line;
            while ((line = await stderr.ReadLineAsync()) is not null && !line.Contains("Building", StringComparison.Ordinal))
                Assert.True(DateTime.UtcNow < deadline, "no build started");
            Assert.NotNull(line);
            // The build's dotnet runs (a child of the CLI, which itself runs under dotnet): kill the CLI and its tree now.
            await Eventually.UntilAsync(() => ProcessTree.Descendants(process.Id).ContainsValue("dotnet"), "dotnet build started");
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        var builds = HubDirectories.Builds(hub);
        Assert.All(Directory.EnumerateDirectories(builds).Where(d => !Path.GetFileName(d).StartsWith(".tmp-", StringComparison.Ordinal)),
            d => Assert.True(File.Exists(Path.Combine(d, "build.json")), d + " looks like a build but is not finished"));

        var again = await git.RunCliAsync(["load", "hubs/demo:main", "hello"], home);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.StartsWith("main-1 world", again.Stdout);
        Assert.Contains("[INF] Building hubs/demo:main", again.Stderr); // the kill came mid-build: nothing finished was left to reuse

        var prune = await git.RunCliAsync(["cache", "prune"], home);
        Assert.True(prune.ExitCode == 0, prune.ToString());
        Assert.Empty(Directory.EnumerateDirectories(builds, ".tmp-*"));
        Assert.Single(Directory.EnumerateDirectories(builds)); // the finished build stays: a ref points to it
    }

    [Fact]
    public async Task A_process_killed_while_fetching_from_a_hanging_remote_leaves_a_temp_mirror_the_next_run_ignores()
    {
        var port = GitTestRepo.FreePort();
        var url = $"git://127.0.0.1:{port}/hubs/demo.git#main";
        var mirrors = HubDirectories.GitMirrors(git.HubDirectory);
        Directory.CreateDirectory(mirrors);
        var tempsBefore = Directory.EnumerateDirectories(mirrors, ".tmp-*").ToHashSet();
        using (var silent = new SilentServer(port))
        using (var process = git.StartCli(["load", url, "hello", "--trust-repo"]))
        {
            // git ls-remote (run after the temp mirror is made) has connected and waits for an answer that never comes.
            await silent.Connected.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.False(process.HasExited, "the CLI ended before it was killed");
            Assert.NotEmpty(Directory.EnumerateDirectories(mirrors, ".tmp-*").Except(tempsBefore));
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        Assert.NotEmpty(Directory.EnumerateDirectories(mirrors, ".tmp-*").Except(tempsBefore));
        var remote = global::HubHost.Sources.Git.GitRemote.Parse(url, git.BaseFileUrl);
        Assert.False(new global::HubHost.Trust.TrustedList(git.HubDirectory).Contains(remote)); // it never resolved, so --trust-repo recorded nothing

        using var daemon = new GitDaemon(git.Repo.ServeRoot, port); // the remote comes back on the same address
        var again = await git.RunCliAsync(["load", url, "hello", "--trust-repo"]);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.StartsWith("main-1 world", again.Stdout);
        Assert.True(File.Exists(Path.Combine(mirrors, remote.MirrorName, "hubhost-mirror.json")));
    }

    [Fact]
    public async Task Cache_ls_rm_and_prune_work_for_every_source_form()
    {
        var alias = git.Alias("cli-cache");
        var url = git.Repo.FileUrl;
        // hubs/demo:v2 (the same commit as v2) is loaded here too, whichever tests ran before: the removals below must leave its build.
        foreach (var repo in new[] { alias + ":main", alias + ":v2", url + "#feature/x", "hubs/demo:v2" })
        {
            var load = await git.RunCliAsync(["list", repo, "--trust-repo"]);
            Assert.True(load.ExitCode == 0, load.ToString());
        }

        var ls = await git.RunCliAsync(["cache", "ls", "--json"]);
        Assert.True(ls.ExitCode == 0, ls.ToString());
        using (var json = JsonDocument.Parse(ls.Stdout))
        {
            var repos = json.RootElement.GetProperty("repos").EnumerateArray().ToList();
            var aliasRepo = repos.Single(r => r.GetProperty("name").GetString() == alias);
            var refs = aliasRepo.GetProperty("refs").EnumerateArray().ToDictionary(r => r.GetProperty("ref").GetString()!, r => r.GetProperty("commit").GetString());
            Assert.Equal(git.Main1, refs["main"]);
            Assert.Equal(git.V2, refs["v2"]);
            Assert.True(aliasRepo.GetProperty("mirrorBytes").GetInt64() > 0);
            Assert.Contains(aliasRepo.GetProperty("refs").EnumerateArray(), r => r.GetProperty("builds").GetArrayLength() == 1);
        }
        var text = await git.RunCliAsync(["cache", "ls"]);
        Assert.Contains($"  main -> {git.Main1[..12]}", text.Stdout);
        // The total says what it counts, and the builds come with column headers.
        Assert.Matches(@"hub directory: .*, [0-9.]+ [KMG]?B in all: builds [0-9.]+ [KMG]?B", text.Stdout);
        Assert.Matches(@"\n  REPO +VERSION +SIZE  FOLDER \(under builds/\)\n", text.Stdout);

        var rmRef = await git.RunCliAsync(["cache", "rm", alias + ":v2"]);
        Assert.True(rmRef.ExitCode == 0, rmRef.ToString());
        Assert.Contains($"removed ref {alias}:v2 -> {git.V2[..12]}", rmRef.Stdout);
        Assert.DoesNotContain("removed build", rmRef.Stdout); // hubs/demo:v2 and the URL's feature/x still point to that commit

        var rmUrl = await git.RunCliAsync(["cache", "rm", url + "#feature/x"]);
        Assert.True(rmUrl.ExitCode == 0, rmUrl.ToString());

        var rmRepo = await git.RunCliAsync(["cache", "rm", alias]);
        Assert.True(rmRepo.ExitCode == 0, rmRepo.ToString());
        Assert.Contains("removed mirror " + alias, rmRepo.Stdout);
        var missing = await git.RunCliAsync(["cache", "rm", alias]);
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("error: " + alias + " is not cached", missing.Stderr);

        var unknownRef = await git.RunCliAsync(["cache", "rm", "hubs/demo:never-loaded"]);
        Assert.Equal(1, unknownRef.ExitCode);
        Assert.Contains("is not cached", unknownRef.Stderr);

        // Local folders: their builds.
        var folder = Path.Combine(git.Root, "local-for-cache");
        Directory.CreateDirectory(folder);
        foreach (var (name, content) in GitFixture.HubFiles("local-cache")) File.WriteAllText(Path.Combine(folder, name), content);
        Assert.Equal(0, (await git.RunCliAsync(["list", folder])).ExitCode);
        var rmLocal = await git.RunCliAsync(["cache", "rm", folder]);
        Assert.True(rmLocal.ExitCode == 0, rmLocal.ToString());
        Assert.Contains("removed build", rmLocal.Stdout);

        var prune = await git.RunCliAsync(["cache", "prune", "--json"]);
        Assert.True(prune.ExitCode == 0, prune.ToString());
        var after = git.Hub.ListCache();
        var referenced = after.Repos.SelectMany(r => r.Refs).Select(r => "git-" + r.Commit).ToHashSet();
        Assert.All(after.Builds.Where(b => b.ContentKey.StartsWith("git-", StringComparison.Ordinal)), b => Assert.Contains(b.ContentKey, referenced));
        Assert.Contains(after.Builds, b => b.ContentKey == "git-" + git.V2); // still used by hubs/demo:v2
    }

    [Fact]
    public async Task Trust_commands_add_list_and_remove_for_every_form()
    {
        foreach (var repo in new[] { "someone/thing:v3", "https://git.example/Team/Thing.git#main" })
        {
            var add = await git.RunCliAsync(["trust", "add", repo]);
            Assert.True(add.ExitCode == 0, add.ToString());
        }
        var ls = await git.RunCliAsync(["trust", "ls", "--json"]);
        using (var json = JsonDocument.Parse(ls.Stdout))
        {
            var trusted = json.RootElement.GetProperty("trusted").EnumerateArray().Select(e => e.GetString()).ToList();
            Assert.Contains("https://git.example/Team/Thing", trusted); // normalised: no .git, no ref
            Assert.Contains(trusted, t => t!.EndsWith("/someone/thing", StringComparison.Ordinal)); // on the test's base URL: trusted by URL
        }
        Assert.Equal(0, (await git.RunCliAsync(["trust", "rm", "https://git.example/Team/Thing.git"])).ExitCode);
        var again = await git.RunCliAsync(["trust", "rm", "https://git.example/Team/Thing.git"]);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("is not in the trusted list", again.Stderr);
        var local = await git.RunCliAsync(["trust", "add", git.Root]);
        Assert.Contains("always trusted", local.Stdout);

        var refused = await git.RunCliAsync(["load", git.Alias("cli-untrusted") + ":main", "hello"]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("hubhost trust add hubs/cli-untrusted", refused.Stderr);
        Assert.Equal(0, (await git.RunCliAsync(["trust", "add", "hubs/cli-untrusted"])).ExitCode);
        var allowed = await git.RunCliAsync(["load", "hubs/cli-untrusted:main", "hello"]);
        Assert.True(allowed.ExitCode == 0, allowed.ToString());
    }

    [Fact]
    public async Task Compare_works_across_two_refs_of_one_repo()
    {
        var result = await git.RunCliAsync(["compare", "hubs/demo:main", "hubs/demo:v2", "hello", "--trust-repo"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("main-1 world", result.Stdout);
        Assert.Contains("v2 world", result.Stdout);
        Assert.Contains("The results differ.", result.Stdout);
    }

    [Theory]
    [InlineData("a/b/c", "is not a valid repo")]
    [InlineData("owner/", "is not a valid repo")]
    [InlineData("hubs/demo:", "is not a valid repo")]
    [InlineData("hubs/demo:no-such-ref", "has no branch, tag or commit 'no-such-ref'")]
    [InlineData("hubs/demo:nohub", "is not a hub repo")]
    public async Task Bad_input_gives_one_error_line_and_a_non_zero_exit(string repo, string message)
    {
        var result = await git.RunCliAsync(["load", repo, "hello", "--trust-repo"]);
        Assert.Equal(1, result.ExitCode);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("[", StringComparison.Ordinal)).ToList();
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(message, lines[0]);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public async Task Offline_cli_loads_the_cache_and_fails_clearly_otherwise()
    {
        Assert.Equal(0, (await git.RunCliAsync(["list", "hubs/demo:v1.0", "--trust-repo"])).ExitCode);
        var offline = new Dictionary<string, string?> { ["HUBHOST_OFFLINE"] = "1" };
        var watch = Stopwatch.StartNew();
        var cached = await git.RunCliAsync(["load", "hubs/demo:v1.0", "hello"], environment: offline);
        Assert.True(cached.ExitCode == 0, cached.ToString());
        var uncached = await git.RunCliAsync(["load", "hubs/demo:not-fetched-offline", "hello"], environment: offline);
        Assert.Equal(1, uncached.ExitCode);
        Assert.Contains("HUBHOST_OFFLINE is set", uncached.Stderr);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60));
    }
}
