using System.CommandLine;
using System.Globalization;
using System.Text;
using HubHost.Cache;

namespace HubHost.Cli.Commands;

/// <summary><c>hubhost cache ls|rm|prune</c>: what the hub directory holds (repos, refs -> commits, builds, sizes), and cleaning it.</summary>
internal static class CacheCommand
{
    public static Command Create(CliApp app)
    {
        var command = new Command("cache", "Show and clean the hub cache: git mirrors, refs and the commits they point to, checkouts and builds.");

        var ls = new Command("ls", "List cached repos, their refs and commits, builds and sizes.");
        ls.SetAction((parse, ct) => app.RunAsync(token =>
        {
            var listing = app.Hub.ListCache();
            app.Print(listing, () => ToText(listing));
            return Task.FromResult(0);
        }, ct));

        var repo = new Argument<string>("REPO")
        {
            Description = "What to remove: owner/name or a git URL (the whole repo), owner/name:REF or URL#REF (one ref), a local folder (its builds), nuget:Id[@VERSION] (a hub package's versions and load folders), or a weights URL (http(s):// or hf://: its cached file).",
        };
        var rmDryRun = DryRun();
        var rm = new Command("rm", "Remove a cached repo or one of its refs, with the checkouts and builds nothing else uses.") { repo, rmDryRun };
        rm.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            // Plan, then execute (huggingface_hub's delete_revisions → expected_freed_size → execute): --dry-run stops after the plan.
            var plan = await app.Hub.PlanCacheRemovalAsync(parse.GetValue(repo)!, token);
            await ExecuteAsync(app, plan, parse.GetValue(rmDryRun), token);
            return 0;
        }, ct));

        var pruneDryRun = DryRun();
        var prune = new Command("prune", "Remove builds, checkouts and mirrors no ref points to, builds of changed or deleted local folders, and temp folders left by killed runs.") { pruneDryRun };
        prune.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            var plan = await app.Hub.PlanCachePruneAsync(token);
            await ExecuteAsync(app, plan, parse.GetValue(pruneDryRun), token);
            return 0;
        }, ct));

        command.Subcommands.Add(ls);
        command.Subcommands.Add(rm);
        command.Subcommands.Add(prune);
        return command;
    }

    private static string ToText(CacheListing listing)
    {
        var sb = new StringBuilder();
        var parts = listing.Parts;
        var other = listing.TotalBytes - parts.Sum(p => p.Bytes);
        sb.AppendLine($"hub directory: {listing.HubDirectory}, {Size(listing.TotalBytes)} in all"
                      + (parts.Count == 0 ? "" : ": " + string.Join(", ", parts.Select(p => $"{p.Name} {Size(p.Bytes)}")) + (other > 0 ? $", other {Size(other)}" : "")));
        if (listing.Repos.Count == 0) sb.AppendLine("git repos: none");
        foreach (var repo in listing.Repos)
        {
            sb.AppendLine($"{repo.Name}{(repo.Name == repo.Url ? "" : "  " + repo.Url)}  mirror {(repo.HasMirror ? Size(repo.MirrorBytes) : "missing")}");
            foreach (var r in repo.Refs)
                sb.AppendLine($"  {r.Ref} -> {r.Commit[..12]}  fetched {r.ResolvedAt.ToLocalTime():yyyy-MM-dd HH:mm}{(r.CheckedOut ? "" : "  (no checkout)")}  builds: {(r.Builds.Count == 0 ? "none" : string.Join(", ", r.Builds))}");
        }
        if (listing.Packages.Count > 0)
        {
            sb.AppendLine("nuget packages:");
            foreach (var p in listing.Packages)
                sb.AppendLine($"  {p.Id} {p.Version}  {(p.HubPackage ? "hub package" : "dependency")}  {Size(p.Bytes)}{(p.Layouts.Count == 0 ? "" : "  loads from: " + string.Join(", ", p.Layouts))}");
        }
        if (listing.Builds.Count == 0) sb.AppendLine("builds: none");
        else
        {
            sb.AppendLine("builds:");
            var rows = listing.Builds.Select(b => (b.Repo, b.Version, Size: Size(b.Bytes), b.Name)).Prepend((Repo: "REPO", Version: "VERSION", Size: "SIZE", Name: "FOLDER (under builds/)")).ToList();
            int repoWidth = rows.Max(r => r.Repo.Length), versionWidth = rows.Max(r => r.Version.Length), sizeWidth = rows.Max(r => r.Size.Length);
            foreach (var r in rows)
                sb.AppendLine($"  {r.Repo.PadRight(repoWidth)}  {r.Version.PadRight(versionWidth)}  {r.Size.PadLeft(sizeWidth)}  {r.Name}");
        }
        if (listing.Weights.Count > 0)
        {
            sb.AppendLine("weights (checkpoints/):");
            foreach (var w in listing.Weights)
                sb.AppendLine($"  {w.Url ?? "(cached by an earlier version; URL unknown)"}  {Size(w.Bytes)}  sha256 {w.Sha256 ?? "(not checked yet)"}" +
                              (w.Commit is null ? "" : $"  commit {w.Commit[..12]}") + $"  {w.Path}");
        }
        if (listing.Checkouts.Count > 0)
            sb.AppendLine($"checkouts: {listing.Checkouts.Count} ({Size(listing.Checkouts.Sum(c => c.Bytes))})");
        if (listing.TempFolders.Count > 0)
            sb.AppendLine($"temp folders (in progress, or left by killed runs; `hubhost cache prune` removes them): {listing.TempFolders.Count}");
        return sb.ToString().TrimEnd();
    }

    private static Option<bool> DryRun() => new("--dry-run")
    {
        Description = "Only show what would be removed and how much space that frees; remove nothing.",
    };

    /// <summary>Prints the plan (--dry-run), or executes it and prints what was removed.</summary>
    private static async Task ExecuteAsync(CliApp app, CachePlan plan, bool dryRun, CancellationToken token)
    {
        if (dryRun)
        {
            var shown = new CacheDryRun(plan.Items, plan.Skipped, plan.ExpectedFreedBytes);
            app.Print(shown, shown.ToText);
            return;
        }
        var report = await plan.ExecuteAsync(token);
        app.Print(report, () => ToText(report));
    }

    /// <summary>What <c>cache rm|prune --dry-run</c> prints.</summary>
    private sealed record CacheDryRun(IReadOnlyList<string> WouldRemove, IReadOnlyList<string> Skipped, long ExpectedFreedBytes)
    {
        public string ToText()
        {
            var lines = WouldRemove.Select(r => "would remove " + r).Concat(Skipped.Select(s => "would skip " + s)).ToList();
            lines.Add(WouldRemove.Count == 0 ? "nothing to remove" : $"would free {Size(ExpectedFreedBytes)} (dry run: nothing was removed)");
            return string.Join("\n", lines);
        }
    }

    private static string ToText(CacheRemoval report)
    {
        var lines = report.Removed.Select(r => "removed " + r).Concat(report.Skipped.Select(s => "skipped " + s)).ToList();
        lines.Add(report.Removed.Count == 0 ? "nothing to remove" : $"freed {Size(report.Bytes)}");
        return string.Join("\n", lines);
    }

    internal static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KB",
        < 1024L * 1024 * 1024 => (bytes / 1024.0 / 1024).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
        _ => (bytes / 1024.0 / 1024 / 1024).ToString("0.00", CultureInfo.InvariantCulture) + " GB",
    };
}
