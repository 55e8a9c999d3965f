using HubHost.Locking;
using System.CommandLine;
using HubHost.Serve;

namespace HubHost.Cli.Commands;

/// <summary>
/// <c>hubhost serve [--catalog FILE] [REPO...] [--urls URL]</c>: a browsable catalog of hub repos (index, entrypoint
/// pages, version comparison, /api), on loopback unless --allow-remote. It never builds an untrusted repo and never
/// runs an entrypoint.
/// </summary>
internal static class ServeCommand
{
    public static Command Create(CliApp app)
    {
        var repos = new Argument<string[]>("REPO")
        {
            Description = "Repos to show, each as for `hubhost list` (./folder, owner/name:ref, URL#ref); several refs of one repo are compared side by side.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var catalog = new Option<string>("--catalog") { Description = "A catalog file (JSON) listing repos and their refs; see README.md." };
        var urls = new Option<string[]>("--urls")
        {
            Description = $"Address(es) to listen on, repeated or separated by ';' (default {ServeOptions.DefaultUrl}); only loopback unless --allow-remote. Port 0 picks a free port.",
        };
        var allowRemote = new Option<bool>("--allow-remote") { Description = "Allow listening on a non-loopback address (the catalog becomes visible to the network)." };
        var refresh = new Option<double?>("--refresh-minutes") { Description = "Resolve every ref again this often (default 10, or the catalog's refreshMinutes; 0: only on the Refresh button)." };
        var title = new Option<string>("--title") { Description = "The page title (default: the catalog's title, else \"HubHost catalog\")." };
        var locks = new Option<string[]>("--lock") { Description = "A lock file to show at /locks (repeat it: two releases' locks side by side, with what changed between them)." };
        var command = new Command("serve", "Serve a browsable catalog of hub repos: entrypoint cards, docs, READMEs, one-liners, version comparison, JSON API.")
        {
            repos, catalog, urls, allowRemote, refresh, title, locks,
        };
        command.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            var list = new List<string>();
            CatalogFile? file = null;
            if (parse.GetValue(catalog) is { } path)
            {
                var full = Path.GetFullPath(path);
                file = CatalogFile.Load(full);
                list.AddRange(file.RepoStrings(Path.GetDirectoryName(full)!));
            }
            list.AddRange(parse.GetValue(repos) ?? []);
            var minutes = parse.GetValue(refresh) ?? file?.RefreshMinutes ?? 10;
            if (minutes is < 0 or > ServeOptions.MaxRefreshMinutes || double.IsNaN(minutes))
                throw new HubException($"--refresh-minutes must be 0 (only on the Refresh button) to {ServeOptions.MaxRefreshMinutes} (4 weeks), not {minutes}.");
            var options = new ServeOptions
            {
                Repos = list,
                Urls = (parse.GetValue(urls) ?? []).SelectMany(u => u.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).DefaultIfEmpty(ServeOptions.DefaultUrl).ToList(),
                AllowRemote = parse.GetValue(allowRemote),
                RefreshInterval = minutes == 0 ? null : TimeSpan.FromMinutes(minutes),
                Title = parse.GetValue(title) ?? file?.Title ?? "HubHost catalog",
                Locks = (parse.GetValue(locks) ?? []).Select(Path.GetFullPath).ToList(),
            };
            foreach (var lockFile in options.Locks) HubLock.Load(lockFile); // a file that is not a lock is refused now, not on the page
            var host = ServeHost.Create(app.NonPromptingHub(), options, app.Loggers);
            await using (host)
            {
                await host.StartAsync(token);
                app.Out.WriteLine($"Serving {host.RepoCount} repos ({host.RefCount} refs) at {string.Join(", ", host.Addresses)}. Ctrl+C stops.");
                app.Out.Flush();
                await host.RunUntilCancelledAsync(token);
            }
            return 0;
        }, ct));
        return command;
    }
}
