using HubHost.Locking;
using System.CommandLine;

namespace HubHost.Cli.Commands;

/// <summary>
/// <c>hubhost lock REPO[:ref] [ENTRY --arg k=v ...] [--weights URL] [-o hubhost.lock.json]</c> and <c>hubhost lock --update [REPO]</c>:
/// writes (or adds to, or updates) a lock file recording exactly what a load of the repo uses, for <c>--locked FILE</c>.
/// </summary>
internal static class LockCommand
{
    public static Command Create(CliApp app)
    {
        var repo = RepoOptions.Repo();
        repo.Arity = ArgumentArity.ZeroOrOne;
        repo.Description += " Without it, --update locks every repo of the lock file again.";
        var entry = new Argument<string>("ENTRY")
        {
            Description = "An entrypoint to call and record (the weights it fetches are locked); repeat the command to record more calls.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var weights = new Option<string>("--weights", "-w") { Description = "Weights the app loads into the entrypoint's result (as `hubhost run --weights`): fetched and locked with the call." };
        var output = new Option<string>("--output", "-o") { Description = $"The lock file to write, added to when it exists (default {HubLock.DefaultFileName})." };
        var update = new Option<bool>("--update") { Description = "Fetch refs and versions again and record what they point to now (without REPO: every repo of the lock file), replaying the recorded calls." };
        var command = new Command("lock", "Write a lock file: the commit (or package version), NuGet packages and weights SHA-256 a load uses, so `--locked FILE` loads exactly those.")
        {
            repo, entry, RepoOptions.Arguments, weights, output, update, RepoOptions.TrustRepo, RepoOptions.SkipValidation,
        };
        command.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            var path = Path.GetFullPath(parse.GetValue(output) is { Length: > 0 } o ? o : HubLock.DefaultFileName);
            var existing = File.Exists(path) ? HubLock.Load(path) : null;
            var name = parse.GetValue(repo);
            if (name is null && !parse.GetValue(update))
                throw new HubException($"Give the repo to lock (hubhost lock REPO [ENTRY --arg k=v] -o {Path.GetFileName(path)}), or --update to lock every repo of {Path.GetFileName(path)} again.");
            if (name is null && existing is null)
                throw new HubException($"There is no lock file {path} to update: write it first with hubhost lock REPO [ENTRY] -o {Path.GetFileName(path)}.");
            var entrypoint = parse.GetValue(entry);
            var locked = await app.WritableHub.LockAsync(name, entrypoint, entrypoint is null ? null : RepoOptions.ParseArguments(parse), new HubLockOptions
            {
                Existing = existing,
                Update = parse.GetValue(update),
                Weights = parse.GetValue(weights),
                TrustRepo = parse.GetValue(RepoOptions.TrustRepo) ? TrustRepo.Trust : TrustRepo.Check,
                SkipValidation = parse.GetValue(RepoOptions.SkipValidation),
            }, token);
            var saved = locked.Save(path);
            var bytes = new FileInfo(path).Length;
            var changes = existing is null ? null : HubLock.Compare(existing, saved);
            app.Print(new
            {
                path, bytes, repos = saved.Repos.Select(r => new { r.Repo, source = r.Source, packages = r.Packages.Count, weights = r.Weights, calls = r.Calls.Select(c => c.ToString()) }),
                changes = changes?.Changes,
            }, () => Text(saved, path, bytes, changes));
            return 0;
        }, ct));
        return command;
    }

    private static string Text(HubLock saved, string path, long bytes, LockComparison? changes)
    {
        var lines = new List<string> { $"wrote {path} ({CacheCommand.Size(bytes)}): {saved.Repos.Count} repo{(saved.Repos.Count == 1 ? "" : "s")}" };
        foreach (var r in saved.Repos)
        {
            lines.Add($"  {r.Repo}  {r.Source.Describe()}  {r.Packages.Count} package{(r.Packages.Count == 1 ? "" : "s")}, {r.Weights.Count} weights file{(r.Weights.Count == 1 ? "" : "s")}");
            foreach (var w in r.Weights) lines.Add($"    {w.Url}  sha256 {w.Sha256}  {CacheCommand.Size(w.Size)}");
        }
        if (changes is not null) lines.Add(changes.Same ? "unchanged" : CompareCommand.LockChangesText(changes));
        return string.Join("\n", lines);
    }
}
