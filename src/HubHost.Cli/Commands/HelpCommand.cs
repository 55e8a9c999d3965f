using System.CommandLine;

namespace HubHost.Cli.Commands;

/// <summary><c>hubhost help REPO ENTRY</c>: signature and doc comment (torch.hub.help).</summary>
internal static class HelpCommand
{
    public static Command Create(CliApp app)
    {
        var repo = RepoOptions.Repo();
        var entry = RepoOptions.Entrypoint();
        var command = new Command("help", "Show an entrypoint's signature and documentation.") { repo, entry };
        RepoOptions.AddLoadOptions(command);
        command.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            var opened = await app.Hub.OpenAsync(parse.GetValue(repo)!, RepoOptions.LoadOptions(parse), token);
            var name = parse.GetValue(entry)!;
            var help = opened.Help(name);
            var info = opened.Entrypoints.First(e => help.StartsWith(e.Signature, StringComparison.Ordinal));
            app.Print(info, () => help);
            return 0;
        }, ct));
        return command;
    }
}
