using HubHost.Checking;
using System.CommandLine;

namespace HubHost.Cli.Commands;

/// <summary>
/// <c>hubhost check [REPO] [--pretrained] [--golden DIR]</c>: whether a hub repo is ready for its users, what a publisher
/// runs before tagging and in CI. Prints the entrypoints with what was checked of each, then one line per problem
/// (entrypoint or file, rule, fix); exit code 1 when any is an error, with one <c>error:</c> line on stderr. With --json
/// the report is the JSON on stdout.
/// </summary>
internal static class CheckCommand
{
    public static Command Create(CliApp app)
    {
        var repo = RepoOptions.Repo();
        repo.Arity = ArgumentArity.ZeroOrOne;
        repo.DefaultValueFactory = _ => ".";
        repo.Description = "The repo to check (default: the current folder, `.`); any repo `hubhost load` takes.";
        var pretrained = new Option<bool>("--pretrained") { Description = "Also load each entrypoint's pretrained weights (pretrained=true, or weights=DEFAULT): they download, their URLs are hash-named and the files match." };
        var golden = new Option<string>("--golden") { Description = "A folder of NAME.npy golden outputs (each entrypoint's model, with its pretrained weights, on its example input) to compare with." };
        var command = new Command("check", "Check that a hub repo is ready for its users: it builds, is documented, every entrypoint loads with its defaults (and its pretrained weights) and runs on its example input. One line per problem with its fix; exit code 1 on any.")
        {
            repo, pretrained, golden,
        };
        RepoOptions.AddLoadOptions(command);
        command.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            var goldenDirectory = parse.GetValue(golden);
            var options = new CheckOptions
            {
                Pretrained = parse.GetValue(pretrained),
                GoldenDirectory = goldenDirectory is null ? null : Path.GetFullPath(goldenDirectory),
                Load = RepoOptions.LoadOptions(parse),
            };
            var report = await app.WritableHub.CheckAsync(parse.GetValue(repo)!, options, token);
            app.Print(new
            {
                repo = report.Repo,
                version = report.Version,
                passed = report.Passed,
                entrypoints = report.Entrypoints,
                findings = report.Findings.Select(f => new { subject = f.Subject, rule = f.Rule, level = f.Level, problem = f.Problem, fix = f.Fix, line = f.ToString() }),
            }, () => Text(report));
            var errors = report.Findings.Count(f => f.Level == CheckLevel.Error);
            if (errors == 0) return 0;
            app.Error.WriteLine($"error: {report.Repo} is not ready: {errors} problem{(errors == 1 ? "" : "s")}, each listed on stdout with its fix.");
            return 1;
        }, ct));
        return command;
    }

    private static string Text(CheckReport report)
    {
        var lines = new List<string>
        {
            report.Version is null
                ? $"{report.Repo}: did not build"
                : $"{report.Repo} ({report.Version}): {report.Entrypoints.Count} entrypoint{(report.Entrypoints.Count == 1 ? "" : "s")}",
        };
        var width = report.Entrypoints.Select(e => e.Name.Length).DefaultIfEmpty(0).Max();
        foreach (var e in report.Entrypoints)
            lines.Add($"  {(e.Passed ? "ok  " : "FAIL")}  {e.Name.PadRight(width)}  {string.Join("; ", e.Checked)}".TrimEnd());
        if (report.Findings.Count > 0) lines.Add("");
        lines.AddRange(report.Findings.Select(f => f.ToString()));
        var errors = report.Findings.Count(f => f.Level == CheckLevel.Error);
        var warnings = report.Findings.Count - errors;
        lines.Add(errors == 0
            ? $"{report.Repo} is ready{(warnings == 0 ? "." : $" ({warnings} warning{(warnings == 1 ? "" : "s")}).")}"
            : $"{errors} problem{(errors == 1 ? "" : "s")}{(warnings == 0 ? "" : $", {warnings} warning{(warnings == 1 ? "" : "s")}")}.");
        return string.Join("\n", lines);
    }
}
