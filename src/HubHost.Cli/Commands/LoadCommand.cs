using System.CommandLine;
using System.Runtime.Loader;

namespace HubHost.Cli.Commands;

/// <summary><c>hubhost load REPO ENTRY [--arg NAME=VALUE]...</c>: calls an entrypoint and shows what it returned and where it came from.</summary>
internal static class LoadCommand
{
    public static Command Create(CliApp app)
    {
        var repo = RepoOptions.Repo();
        var entry = RepoOptions.Entrypoint();
        var command = new Command("load", "Load a repo, call an entrypoint and print the result and its load context.") { repo, entry, RepoOptions.Arguments };
        RepoOptions.AddLoadOptions(command);
        command.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            var outcome = await Invoke(app, parse.GetValue(repo)!, parse.GetValue(entry)!, parse, token);
            app.Print(outcome, outcome.ToText);
            StartupTrace.Mark("printed");
            return 0;
        }, ct));
        return command;
    }

    /// <summary>
    /// Opens a repo and calls one entrypoint (shared with compare, which names each side as it was given: two folders
    /// with the same content share one loaded version and its name).
    /// </summary>
    public static async Task<LoadOutcome> Invoke(CliApp app, string repo, string entrypoint, ParseResult parse, CancellationToken token, bool nameAsGiven = false)
    {
        var arguments = RepoOptions.ParseArguments(parse);
        var opened = await app.Hub.OpenAsync(repo, RepoOptions.LoadOptions(parse), token);
        StartupTrace.Mark("repo opened");
        var result = await opened.InvokeAsync(entrypoint, arguments, token);
        StartupTrace.Mark("entrypoint called");
        var name = nameAsGiven && app.Hub.DescribeSource(repo) is var given ? (given.IsLocal ? given.RepoName : given.Text) : opened.Name;
        return new LoadOutcome(name, opened.Version, entrypoint, result?.ToString() ?? "null", result?.GetType().ToString(), // ToString: generic arguments without their assembly names
            opened.LoadContextName, result is null ? null : AssemblyLoadContext.GetLoadContext(result.GetType().Assembly)?.Name);
    }
}

/// <summary>What <c>load</c> and <c>compare</c> print for one call.</summary>
internal sealed record LoadOutcome(string Repo, string Version, string Entrypoint, string Result, string? ResultType, string LoadContext, string? ResultTypeLoadContext)
{
    public string ToText() => string.Join("\n",
        Result,
        $"  repo:         {Repo} ({Version})",
        $"  load context: {LoadContext}",
        $"  result type:  {ResultType ?? "null"}{(ResultTypeLoadContext is null ? "" : $" (from {ResultTypeLoadContext})")}");
}
