using System.Diagnostics;
using HubHost.Storage;

namespace HubHost.Tests.Sources.Git;

/// <summary>Git sources end to end in process: real repos, real git, real builds and load contexts.</summary>
[Collection(GitCollection.Name)]
public sealed class GitSourceTests(GitFixture git)
{
    [Fact]
    public async Task Two_refs_of_one_repo_load_side_by_side_and_run_concurrently()
    {
        // A client of its own: the fixture's shared client may hold this commit loaded under another name (hubs/demo:moving),
        // and one version is loaded once, under the name it was first loaded by.
        var hub = git.NewClient();
        var main = await hub.OpenAsync("hubs/demo:main", GitFixture.Trusted);
        var v2 = await hub.OpenAsync("hubs/demo:v2", GitFixture.Trusted);
        Assert.Equal(git.Main1[..12], main.Version);
        Assert.Equal(git.V2[..12], v2.Version);
        Assert.Equal("git-" + git.Main1, main.ContentKey);
        Assert.NotSame(main.LoadContext, v2.LoadContext);
        Assert.Contains("hubs/demo:main@", main.LoadContextName);

        var calls = Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? main : v2).InvokeAsync("hello", new { name = "n" + i })).ToList();
        var results = await Task.WhenAll(calls);
        for (var i = 0; i < results.Length; i++)
            Assert.Equal((i % 2 == 0 ? "main-1 n" : "v2 n") + i, results[i]);

        var m1 = await main.InvokeAsync("model");
        var m2 = await v2.InvokeAsync("model");
        Assert.Equal("Demo.DemoModel", m1!.GetType().FullName);
        Assert.NotEqual(m1.GetType(), m2!.GetType()); // same name, two contexts
    }

    [Fact]
    public async Task Every_ref_form_resolves_to_its_commit()
    {
        async Task<string> VersionOf(string repo) => (await git.Hub.OpenAsync(repo, GitFixture.Trusted)).Version;

        Assert.Equal(git.Main1[..12], await VersionOf("hubs/demo"));                  // remote HEAD -> main
        Assert.Equal(git.Main1[..12], await VersionOf("hubs/demo:v1.0"));             // annotated tag, peeled
        Assert.Equal(git.V2[..12], await VersionOf("hubs/demo:feature/x"));           // slash branch
        Assert.Equal(git.V2[..12], await VersionOf("hubs/demo:" + git.V2));           // full SHA
        Assert.Equal(git.V2[..12], await VersionOf("hubs/demo:" + git.V2[..8]));      // abbreviated SHA
        Assert.Equal(git.V2[..12], await VersionOf(git.Repo.FileUrl + "#v2"));        // file:// URL
        Assert.Equal(git.Main1[..12], await VersionOf(git.Daemon.BaseUrl + "hubs/demo.git#main")); // git daemon
    }

    [Fact]
    public async Task The_default_branch_is_the_remotes_head_not_a_guess()
    {
        var repo = new GitTestRepo(git.Root, "trunk-only");
        var commit = repo.Commit("trunk", GitFixture.HubFiles("main-1"), "trunk");
        repo.Push(commit, "trunk");
        GitTestRepo.Git(repo.BarePath, "symbolic-ref", "HEAD", "refs/heads/trunk"); // no main, no master
        var opened = await git.Hub.OpenAsync("hubs/trunk-only", GitFixture.Trusted);
        Assert.Equal(commit[..12], opened.Version);
    }

    [Fact]
    public async Task A_cached_ref_loads_with_the_daemon_stopped_and_force_reload_then_fails_clearly()
    {
        var url = git.Daemon.BaseUrl + "hubs/demo.git#v2";
        Assert.Equal("v2 x", await git.Hub.LoadAsync(url, "hello", new { name = "x" }, GitFixture.Trusted));
        git.Daemon.Stop();
        try
        {
            var fresh = git.NewClient(); // a new process would start like this: nothing loaded, only the cache
            Assert.Equal("v2 y", await fresh.LoadAsync(url, "hello", new { name = "y" }));
            var watch = Stopwatch.StartNew();
            var e = await Assert.ThrowsAsync<HubException>(() => fresh.OpenAsync(url, GitFixture.TrustedForce));
            Assert.Contains("Could not reach the git repo", e.Message);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), watch.Elapsed.ToString());
            Assert.Equal("v2 z", await fresh.LoadAsync(url, "hello", new { name = "z" })); // cache intact
        }
        finally
        {
            git.Daemon.Start();
        }
    }

    [Fact]
    public async Task Force_reload_picks_up_a_new_commit_and_keeps_the_old_version_cached()
    {
        git.Repo.Push(git.Main1, "moving");
        Assert.Equal("main-1 a", await git.Hub.LoadAsync("hubs/demo:moving", "hello", new { name = "a" }, GitFixture.Trusted));

        var main2 = git.Repo.Commit("moving-work", GitFixture.HubFiles("main-2"), "main 2", from: git.Main1);
        git.Repo.Push(main2, "moving");
        var fresh = git.NewClient();
        Assert.Equal("main-1 b", await fresh.LoadAsync("hubs/demo:moving", "hello", new { name = "b" })); // the record, no network
        Assert.Equal("main-2 c", await fresh.LoadAsync("hubs/demo:moving", "hello", new { name = "c" }, GitFixture.TrustedForce));
        Assert.Equal("main-2 d", await git.NewClient().LoadAsync("hubs/demo:moving", "hello", new { name = "d" }));

        var listing = git.Hub.ListCache();
        var builds = listing.Builds.Select(b => b.ContentKey).ToList();
        Assert.Contains("git-" + git.Main1, builds);
        Assert.Contains("git-" + main2, builds);
        Assert.Contains(listing.Repos.SelectMany(r => r.Refs), r => r.Ref == "moving" && r.Commit == main2);
        // The total is what the parts count and more; the builds part holds every build, the git part every mirror.
        Assert.True(listing.Parts.Sum(p => p.Bytes) <= listing.TotalBytes, $"{listing.Parts.Sum(p => p.Bytes)} > {listing.TotalBytes}");
        Assert.True(listing.Parts.Single(p => p.Name == "builds").Bytes >= listing.Builds.Sum(b => b.Bytes));
        Assert.True(listing.Parts.Single(p => p.Name == "git").Bytes >= listing.Repos.Sum(r => r.MirrorBytes) + listing.Checkouts.Sum(c => c.Bytes));
    }

    [Fact]
    public async Task Offline_uses_the_cache_and_refuses_clearly_what_is_not_cached()
    {
        await git.Hub.OpenAsync("hubs/demo:v1.0", GitFixture.Trusted);
        var before = GitFixture.Snapshot(git.HubDirectory);
        var offline = git.Options();
        offline.Offline = true;
        {
            var fresh = new HubClient(offline);
            Assert.Equal("main-1 o", await fresh.LoadAsync("hubs/demo:v1.0", "hello", new { name = "o" }));

            var e = await Assert.ThrowsAsync<HubException>(() => fresh.OpenAsync("hubs/demo:never-fetched", GitFixture.Trusted));
            Assert.Contains("has not been fetched", e.Message);
            Assert.Contains("HUBHOST_OFFLINE", e.Message);

            var other = git.Alias("offline-only");
            e = await Assert.ThrowsAsync<HubException>(() => fresh.OpenAsync(other, GitFixture.Trusted));
            Assert.Contains("is not in the cache", e.Message);
            Assert.Contains($"hubhost list {other}", e.Message);

            e = await Assert.ThrowsAsync<HubException>(() => fresh.OpenAsync("hubs/demo:v1.0", GitFixture.TrustedForce));
            Assert.Contains("Cannot force-reload", e.Message);
        }
        // Trusting the alias changed the trusted list, by design; nothing else changed.
        Assert.Equal(before.Without("trusted_list"), GitFixture.Snapshot(git.HubDirectory).Without("trusted_list"));
    }

    [Fact]
    public async Task An_unknown_ref_lists_what_exists_and_changes_nothing()
    {
        await git.Hub.OpenAsync("hubs/demo:main", GitFixture.Trusted);
        var before = GitFixture.Snapshot(git.HubDirectory);
        var e = await Assert.ThrowsAsync<HubException>(() => git.Hub.OpenAsync("hubs/demo:no-such-branch", GitFixture.Trusted));
        Assert.Contains("has no branch, tag or commit 'no-such-branch'", e.Message);
        Assert.Contains("feature/x", e.Message);
        Assert.Contains("v1.0", e.Message);
        Assert.Equal(before, GitFixture.Snapshot(git.HubDirectory));
    }

    [Fact]
    public async Task A_repo_without_hubconf_is_not_a_hub_and_a_first_failed_clone_leaves_no_mirror()
    {
        var alias = git.Alias("nohub-first");
        var client = git.NewClient();
        await client.OpenAsync("hubs/demo:main", GitFixture.Trusted); // trust list etc. exist
        var before = GitFixture.Snapshot(git.HubDirectory);
        var e = await Assert.ThrowsAsync<HubException>(() => client.OpenAsync(alias + ":nohub", GitFixture.Trusted));
        Assert.Contains("is not a hub repo", e.Message);
        Assert.Contains("hubconf.csproj", e.Message);
        Assert.Equal(before.Without("trusted_list"), GitFixture.Snapshot(git.HubDirectory).Without("trusted_list"));
    }

    [Fact]
    public async Task A_remote_that_refuses_connections_fails_fast_and_one_that_hangs_fails_within_the_timeout()
    {
        await git.Hub.OpenAsync("hubs/demo:main", GitFixture.Trusted);
        var before = GitFixture.Snapshot(git.HubDirectory);
        var closed = $"git://127.0.0.1:{GitTestRepo.FreePort()}/hubs/demo.git#main";
        var e = await Assert.ThrowsAsync<HubException>(() => git.Hub.OpenAsync(closed, GitFixture.Trusted));
        Assert.Contains("Could not reach the git repo", e.Message);

        using var silent = new SilentServer();
        var options = git.Options();
        options.GitNetworkTimeout = TimeSpan.FromSeconds(3);
        var watch = Stopwatch.StartNew();
        e = await Assert.ThrowsAsync<HubException>(() => new HubClient(options).OpenAsync($"git://127.0.0.1:{silent.Port}/hubs/demo.git", GitFixture.Trusted));
        Assert.Contains("did not answer within 3 s", e.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), watch.Elapsed.ToString());
        Assert.Equal(before.Without("trusted_list"), GitFixture.Snapshot(git.HubDirectory).Without("trusted_list"));
    }

    [Fact]
    public async Task A_ref_deleted_upstream_fails_force_reload_clearly_and_its_cached_version_stays()
    {
        git.Repo.Push(git.V2, "doomed");
        Assert.Equal("v2 a", await git.Hub.LoadAsync("hubs/demo:doomed", "hello", new { name = "a" }, GitFixture.Trusted));
        git.Repo.DeleteBranch("doomed");
        var before = GitFixture.Snapshot(git.HubDirectory);
        var e = await Assert.ThrowsAsync<HubException>(() => git.NewClient().OpenAsync("hubs/demo:doomed", GitFixture.TrustedForce));
        Assert.Contains("'doomed'", e.Message);
        Assert.Contains("deleted upstream", e.Message);
        Assert.Equal(before, GitFixture.Snapshot(git.HubDirectory));
        Assert.Equal("v2 b", await git.NewClient().LoadAsync("hubs/demo:doomed", "hello", new { name = "b" }));
    }

    [Fact]
    public async Task Leftovers_of_a_killed_fetch_are_not_taken_for_complete()
    {
        var alias = git.Alias("crashed");
        var remote = global::HubHost.Sources.Git.GitRemote.Parse(alias + ":main", git.BaseFileUrl);
        var mirrors = HubDirectories.GitMirrors(git.HubDirectory);
        // What a process killed mid-clone leaves: a temp mirror; one killed mid-extract: a temp checkout and tar.
        Directory.CreateDirectory(Path.Combine(mirrors, ".tmp-" + remote.MirrorName + "-" + Guid.NewGuid().ToString("N"), "objects"));
        Directory.CreateDirectory(Path.Combine(HubDirectories.GitCheckouts(git.HubDirectory), ".tmp-" + git.Main1 + "-" + Guid.NewGuid().ToString("N")));
        // And a mirror folder without its marker (e.g. made by hand or by an older version): rebuilt, not used.
        Directory.CreateDirectory(Path.Combine(mirrors, remote.MirrorName));
        Assert.Equal("main-1 k", await git.Hub.LoadAsync(alias + ":main", "hello", new { name = "k" }, GitFixture.Trusted));
        Assert.True(File.Exists(Path.Combine(mirrors, remote.MirrorName, "hubhost-mirror.json")));

        // A git killed mid-fetch in a complete mirror leaves *.lock files; the next fetch (under our lock) clears them.
        File.WriteAllText(Path.Combine(mirrors, remote.MirrorName, "packed-refs.lock"), "");
        Directory.CreateDirectory(Path.Combine(mirrors, remote.MirrorName, "refs", "heads"));
        File.WriteAllText(Path.Combine(mirrors, remote.MirrorName, "refs", "heads", "main.lock"), "");
        Assert.Equal("main-1 l", await git.NewClient().LoadAsync(alias + ":main", "hello", new { name = "l" }, GitFixture.TrustedForce));

        var pruned = await git.Hub.PruneCacheAsync();
        Assert.Contains(pruned.Removed, r => r.Contains(".tmp-" + remote.MirrorName, StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateDirectories(mirrors, ".tmp-*"));
    }

    [Fact]
    public async Task Prune_leaves_alone_what_a_lock_holder_is_working_on()
    {
        var alias = git.Alias("busy");
        await git.Hub.OpenAsync(alias + ":main", GitFixture.Trusted);
        var remote = global::HubHost.Sources.Git.GitRemote.Parse(alias, git.BaseFileUrl);
        var temp = Path.Combine(HubDirectories.GitMirrors(git.HubDirectory), ".tmp-" + remote.MirrorName + "-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(temp);
        var buildTemp = Path.Combine(HubDirectories.Builds(git.HubDirectory), ".tmp-git-busykey-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(buildTemp);

        // Another "process" is cloning into that mirror and building that key: it holds their locks.
        using (await FileLock.AcquireAsync(global::HubHost.Sources.Git.GitRepoCache.LockPath(git.HubDirectory, remote.MirrorName), "test", TimeSpan.FromSeconds(5), CancellationToken.None))
        using (await FileLock.AcquireAsync(Path.Combine(HubDirectories.Locks(git.HubDirectory), "build-git-busykey.lock"), "test", TimeSpan.FromSeconds(5), CancellationToken.None))
        {
            var busy = await git.Hub.PruneCacheAsync();
            Assert.Contains(busy.Skipped, s => s.Contains(remote.MirrorName, StringComparison.Ordinal));
            Assert.True(Directory.Exists(temp));
            Assert.True(Directory.Exists(buildTemp));
        }
        var free = await git.Hub.PruneCacheAsync();
        Assert.False(Directory.Exists(temp));
        Assert.False(Directory.Exists(buildTemp));
        Assert.Equal("main-1 still", await git.NewClient().LoadAsync(alias + ":main", "hello", new { name = "still" })); // the ref's files and build stay
        Assert.DoesNotContain(free.Removed, r => r.Contains("git-" + git.Main1[..12], StringComparison.Ordinal));
    }
}

internal static class SnapshotExtensions
{
    /// <summary>The snapshot without the lines of one file (e.g. the trusted list, which trusting a new alias changes by design).</summary>
    public static string Without(this string snapshot, string file)
        => string.Join("\n", snapshot.Split('\n').Where(l => !l.StartsWith(file, StringComparison.Ordinal)));
}
