using System.CommandLine;

namespace HubHost.Cli.Commands;

/// <summary><c>hubhost compare REPO_A REPO_B ENTRY</c>: both versions in one process, side by side.</summary>
internal static class CompareCommand
{
    public static Command Create(CliApp app)
    {
        var repoA = RepoOptions.Repo("REPO_A");
        var repoB = RepoOptions.Repo("REPO_B");
        var entry = RepoOptions.Entrypoint();
        var command = new Command("compare", "Load two repos (or two refs of one) into one process and call the same entrypoint in each.")
        {
            repoA, repoB, entry, RepoOptions.Arguments,
        };
        RepoOptions.AddLoadOptions(command);
        command.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            var name = parse.GetValue(entry)!;
            var results = await Task.WhenAll(
                LoadCommand.Invoke(app, parse.GetValue(repoA)!, name, parse, token),
                LoadCommand.Invoke(app, parse.GetValue(repoB)!, name, parse, token));
            app.Print(new { a = results[0], b = results[1], same = results[0].Result == results[1].Result },
                () => $"A: {results[0].ToText()}\nB: {results[1].ToText()}\n{(results[0].Result == results[1].Result ? "The results are equal." : "The results differ.")}");
            return 0;
        }, ct));
        return command;
    }
}
