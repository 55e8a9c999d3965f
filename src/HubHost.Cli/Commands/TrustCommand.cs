using System.CommandLine;
using HubHost.Sources;
using HubHost.Sources.Git;
using HubHost.Sources.NuGet;
using HubHost.Trust;

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
            var list = new TrustedList(app.Hub.HubDirectory);
            var entries = list.Entries();
            app.Print(new { file = list.FilePath, trusted = entries },
                () => entries.Count == 0 ? $"no trusted repos ({list.FilePath})" : string.Join("\n", entries));
            return Task.FromResult(0);
        }, ct));

        var addRepo = RepoArgument();
        var add = new Command("add", "Trust a repo: loads of it build without asking.") { addRepo };
        add.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            var key = KeyOf(app, parse.GetValue(addRepo)!);
            if (key is null) return LocalAlwaysTrusted(app);
            var added = await new TrustedList(app.Hub.HubDirectory).AddAsync(key, token);
            app.Print(new { repo = key, added }, () => added ? $"trusted {key}" : $"{key} was already trusted");
            return 0;
        }, ct));

        var rmRepo = RepoArgument();
        var rm = new Command("rm", "Stop trusting a repo.") { rmRepo };
        rm.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            var key = KeyOf(app, parse.GetValue(rmRepo)!);
            if (key is null) return LocalAlwaysTrusted(app);
            var list = new TrustedList(app.Hub.HubDirectory);
            if (!await list.RemoveAsync(key, token))
                throw new HubException($"{key} is not in the trusted list {list.FilePath}. `hubhost trust ls` shows what is.");
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
        Description = "owner/name, a git URL or nuget:Id (a ref or version, if given, is ignored: trust is per repo or package).",
    };

    /// <summary>The trusted-list key of a repo string; null for a local folder (always trusted).</summary>
    private static string? KeyOf(CliApp app, string repo) => app.Hub.ParseSource(repo) switch
    {
        GitRepoSource git => git.Remote.TrustKey,
        NuGetRepoSource package => package.TrustKey,
        _ => null,
    };

    private static int LocalAlwaysTrusted(CliApp app)
    {
        app.Print(new { local = true }, () => "local folders are always trusted; the trusted list is for git repos");
        return 0;
    }
}
