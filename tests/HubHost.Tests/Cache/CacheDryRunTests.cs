using HubHost.Storage;
using HubHost.Tests.Sources.Git;

namespace HubHost.Tests.Cache;

/// <summary>
/// <c>hubhost cache rm|prune --dry-run</c>: plan, then execute (huggingface_hub's delete_revisions → expected_freed_size →
/// execute). The plan removes nothing, and executing it removes exactly what it listed and frees the bytes it expected.
/// </summary>
[Collection(GitCollection.Name)]
public sealed class CacheDryRunTests(GitFixture git)
{
    [Fact]
    public async Task Rm_dry_run_lists_what_rm_removes_and_removes_nothing()
    {
        var alias = git.Alias("dry-run");
        Assert.Equal(0, (await git.RunCliAsync(["list", alias + ":main", "--trust-repo"])).ExitCode);
        var before = git.Hub.ListCache();
        var repo = before.Repos.Single(r => r.Name == alias);

        var plan = await git.RunCliAsync(["cache", "rm", alias, "--dry-run"]);
        Assert.True(plan.ExitCode == 0, plan.ToString());
        var wouldRemove = Lines(plan.Stdout, "would remove ");
        Assert.Contains("mirror " + alias + " (" + repo.Mirror + ")", wouldRemove);
        Assert.Contains($"ref {alias}:main -> {git.Main1[..12]}", wouldRemove);
        Assert.Contains(plan.Stdout.Split('\n'), l => l.StartsWith("would free ", StringComparison.Ordinal) && l.EndsWith("(dry run: nothing was removed)", StringComparison.Ordinal));

        // Nothing went: the mirror, its ref and the builds are all still there.
        var after = git.Hub.ListCache();
        Assert.Equal(repo.Refs.Select(r => r.Ref), after.Repos.Single(r => r.Name == alias).Refs.Select(r => r.Ref));
        Assert.True(Directory.Exists(Path.Combine(HubDirectories.GitMirrors(git.HubDirectory), repo.Mirror)));
        Assert.Equal(before.Builds.Select(b => b.Name).Order(), after.Builds.Select(b => b.Name).Order());

        // The plan, executed, removes what it listed and frees what it expected.
        var planned = await git.Hub.PlanCacheRemovalAsync(alias);
        Assert.Equal(wouldRemove.Order(), planned.Items.Order());
        var removed = await planned.ExecuteAsync();
        Assert.Equal(planned.Items.Order(), removed.Removed.Order());
        Assert.Equal(planned.ExpectedFreedBytes, removed.Bytes);
        Assert.DoesNotContain(git.Hub.ListCache().Repos, r => r.Name == alias);
    }

    [Fact]
    public async Task Prune_removes_the_content_hash_recorded_for_a_local_folder_once_the_folder_is_gone()
    {
        var folder = Path.Combine(git.Root, "gone-folder");
        Directory.CreateDirectory(folder);
        foreach (var (name, content) in GitFixture.HubFiles("gone-folder")) File.WriteAllText(Path.Combine(folder, name), content);
        Assert.Equal(0, (await git.RunCliAsync(["list", folder])).ExitCode);
        string Record() => Directory.GetFiles(HubDirectories.LocalHashes(git.HubDirectory)).SingleOrDefault(f => File.ReadLines(f).First() == folder) ?? "";
        var record = Record();
        Assert.True(File.Exists(record), "no content hash recorded for the folder");
        Assert.DoesNotContain((await git.Hub.PlanCachePruneAsync()).Items, i => i.Contains(folder, StringComparison.Ordinal) && i.StartsWith("content hash", StringComparison.Ordinal));

        Directory.Delete(folder, recursive: true);
        var planned = await git.Hub.PlanCachePruneAsync();
        var item = $"content hash of {folder} (the folder no longer exists)";
        Assert.Contains(item, planned.Items);
        Assert.True(File.Exists(record)); // planned, not removed
        var removed = await planned.ExecuteAsync();
        Assert.Contains(item, removed.Removed);
        Assert.False(File.Exists(record));
    }

    [Fact]
    public async Task Prune_dry_run_lists_a_stale_build_and_keeps_it()
    {
        var folder = Path.Combine(git.Root, "dry-run-prune");
        Directory.CreateDirectory(folder);
        foreach (var (name, content) in GitFixture.HubFiles("dry-run-prune")) File.WriteAllText(Path.Combine(folder, name), content);
        Assert.Equal(0, (await git.RunCliAsync(["list", folder])).ExitCode);
        var build = git.Hub.ListCache().Builds.Single(b => b.Repo == folder);
        File.AppendAllText(Path.Combine(folder, "Hubconf.cs"), "\n// changed\n"); // its build is stale now

        var plan = await git.RunCliAsync(["cache", "prune", "--dry-run", "--json"]);
        Assert.True(plan.ExitCode == 0, plan.ToString());
        using (var json = System.Text.Json.JsonDocument.Parse(plan.Stdout))
        {
            var items = json.RootElement.GetProperty("wouldRemove").EnumerateArray().Select(e => e.GetString()!).ToList();
            Assert.Contains(items, i => i.StartsWith($"build {build.Name} ", StringComparison.Ordinal) && i.EndsWith("its folder has changed since", StringComparison.Ordinal));
            Assert.True(json.RootElement.GetProperty("expectedFreedBytes").GetInt64() >= build.Bytes);
        }
        Assert.True(Directory.Exists(Path.Combine(HubDirectories.Builds(git.HubDirectory), build.Name)));

        var prune = await git.RunCliAsync(["cache", "prune"]);
        Assert.True(prune.ExitCode == 0, prune.ToString());
        Assert.Contains($"removed build {build.Name} ", prune.Stdout);
        Assert.False(Directory.Exists(Path.Combine(HubDirectories.Builds(git.HubDirectory), build.Name)));
    }

    private static List<string> Lines(string stdout, string prefix)
        => stdout.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).Select(l => l[prefix.Length..]).ToList();
}
