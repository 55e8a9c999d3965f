using System.CommandLine;

namespace HubHost.Cli.Commands;

/// <summary><c>hubhost trust ls|add|rm</c>: the trusted list (torch.hub's trusted_list) of git repos the hub may build.</summary>
internal static class TrustCommand
{
    public static Command Create(CliApp app)
    {
        var command = new Command("trust", "Show and edit the list of git repos and packages (nuget:Id) trusted to be loaded (loading a repo builds and runs its code).");

        var ls = new Command("ls", "List the trusted repos.");
        ls.SetAction((parse, ct) => app.RunAsync(token =>
        {
            var entries = app.Hub.ListTrusted();
            var owners = app.Hub.Options.TrustedOwners;
            var file = app.Hub.TrustedListFile;
            app.Print(new { file, trusted = entries, trustedOwners = owners },
                () => entries.Count + owners.Count == 0 ? $"no trusted repos ({file})"
                    : string.Join("\n", entries.Concat(owners.Select(o => $"{o}  (HUBHOST_TRUSTED_OWNERS)"))));
            return Task.FromResult(0);
        }, ct));

        var addRepo = RepoArgument();
        var add = new Command("add", "Trust a repo: loads of it build without asking.") { addRepo };
        add.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            var repo = parse.GetValue(addRepo)!;
            if (IsOwner(repo))
            {
                var addedOwner = await app.Hub.TrustAsync(repo, token);
                app.Print(new { owner = repo.Trim(), added = addedOwner },
                    () => addedOwner ? $"trusted every repo of {repo.Trim()}" : $"every repo of {repo.Trim()} was already trusted");
                return 0;
            }
            var key = KeyOf(app, repo);
            if (key is null) return LocalAlwaysTrusted(app);
            var added = await app.Hub.TrustAsync(repo, token);
            app.Print(new { repo = key, added }, () => added ? $"trusted {key}" : $"{key} was already trusted");
            return 0;
        }, ct));

        var rmRepo = RepoArgument();
        var rm = new Command("rm", "Stop trusting a repo.") { rmRepo };
        rm.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            var key = IsOwner(parse.GetValue(rmRepo)!) ? parse.GetValue(rmRepo)!.Trim() : KeyOf(app, parse.GetValue(rmRepo)!);
            if (key is null) return LocalAlwaysTrusted(app);
            if (!await app.Hub.UntrustAsync(parse.GetValue(rmRepo)!, token))
                throw new HubException($"{key} is not in the trusted list {app.Hub.TrustedListFile}. `hubhost trust ls` shows what is.");
            app.Print(new { repo = key, removed = true }, () => $"no longer trusted: {key}");
            return 0;
        }, ct));

        command.Subcommands.Add(ls);
        command.Subcommands.Add(add);
        command.Subcommands.Add(rm);
        return command;
    }

    private static Argument<string> RepoArgument() => new("REPO")
    {
        Description = "owner/name, a git URL or nuget:Id (a ref or version, if given, is ignored: trust is per repo or package); owner/* or https://host/owner/* for every repo of an owner.",
    };

    /// <summary>An owner pattern (owner/*): every repo of that owner.</summary>
    private static bool IsOwner(string repo) => repo.Trim().EndsWith("/*", StringComparison.Ordinal);

    /// <summary>The trusted-list key of a repo string; null for a local folder (always trusted).</summary>
    private static string? KeyOf(CliApp app, string repo) => app.Hub.DescribeSource(repo).TrustKey;

    private static int LocalAlwaysTrusted(CliApp app)
    {
        app.Print(new { local = true }, () => "local folders are always trusted; the trusted list is for git repos");
        return 0;
    }
}
