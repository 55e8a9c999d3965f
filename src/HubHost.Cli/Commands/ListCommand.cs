using System.CommandLine;

namespace HubHost.Cli.Commands;

/// <summary><c>hubhost list REPO</c>: the entrypoints (torch.hub.list).</summary>
internal static class ListCommand
{
    public static Command Create(CliApp app)
    {
        var repo = RepoOptions.Repo();
        var command = new Command("list", "List a repo's entrypoints.") { repo };
        RepoOptions.AddLoadOptions(command);
        command.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            var opened = await app.Hub.OpenAsync(parse.GetValue(repo)!, RepoOptions.LoadOptions(parse), token);
            app.Print(
                new { repo = opened.Name, version = opened.Version, entrypoints = opened.Entrypoints.Select(e => new { e.Name, e.Signature, e.Summary }) },
                () =>
                {
                    if (opened.Entrypoints.Count == 0) return $"{opened.Name} ({opened.Version}) has no entrypoints.";
                    var width = opened.Entrypoints.Max(e => e.Name.Length);
                    return string.Join("\n", opened.Entrypoints.Select(e => $"{e.Name.PadRight(width)}  {FirstLine(e.Summary)}".TrimEnd()));
                });
            return 0;
        }, ct));
        return command;
    }

    private static string FirstLine(string text) => text.Split('\n')[0];
}
