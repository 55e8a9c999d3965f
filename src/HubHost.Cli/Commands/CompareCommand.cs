using HubHost.Locking;
using System.CommandLine;
using System.Globalization;
using HubHost.Cli.Inputs;
using HubHost.Running;

namespace HubHost.Cli.Commands;

/// <summary>
/// <c>hubhost compare REPO_A REPO_B ENTRY [--input X.npy [--input Y.npy]... | --image FILE] [--output-key KEY]</c>: both
/// versions in one process, side by side. With inputs, both models run on them and the command reports what decides a
/// model upgrade for the picked output (output shapes, max absolute and relative difference, top-1 agreement); without,
/// it compares the two results as text.
/// <c>hubhost compare A.lock.json B.lock.json</c>: what changed between two locks (two releases): commits, packages, weights.
/// </summary>
internal static class CompareCommand
{
    public static Command Create(CliApp app)
    {
        var repoA = RepoOptions.Repo("REPO_A");
        var repoB = RepoOptions.Repo("REPO_B");
        repoA.Description += " Or a lock file (*.json): then REPO_B is another lock file, and the two are compared.";
        var entry = RepoOptions.Entrypoint();
        entry.Arity = ArgumentArity.ZeroOrOne;
        var input = ModelOptions.Input();
        var image = ModelOptions.Image();
        var outputKey = ModelOptions.OutputKey();
        var command = new Command("compare", "Load two repos (or two refs of one) into one process and call the same entrypoint in each; with --input or --image, run both models on it and measure how far apart they are.")
        {
            repoA, repoB, entry, RepoOptions.Arguments, input, image, outputKey,
        };
        RepoOptions.AddLoadOptions(command);
        command.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            if (IsLockFile(parse.GetValue(repoA)!) && IsLockFile(parse.GetValue(repoB)!))
            {
                var before = HubLock.Load(parse.GetValue(repoA)!);
                var after = HubLock.Load(parse.GetValue(repoB)!);
                var changes = HubLock.Compare(before, after);
                app.Print(new { a = before.FilePath, b = after.FilePath, same = changes.Same, changes = changes.Changes },
                    () => $"A: {before.FilePath} ({before.Repos.Count} repos)\nB: {after.FilePath} ({after.Repos.Count} repos)\n" + (changes.Same ? "The locks pin the same commits, packages and weights." : LockChangesText(changes)));
                return 0;
            }
            var name = parse.GetValue(entry) ?? throw new HubException("`hubhost compare` needs ENTRY, the entrypoint to call in both repos (or give two lock files to compare them). See `hubhost compare --help`.");
            if (parse.GetValue(input) is { Length: > 0 } || parse.GetValue(image) is not null)
            {
                using var x = ModelInput.Read(parse.GetValue(input), parse.GetValue(image));
                var comparison = await app.Hub.CompareModelsAsync(parse.GetValue(repoA)!, parse.GetValue(repoB)!, name, x.Tensors,
                    RepoOptions.ParseArguments(parse), parse.GetValue(outputKey), RepoOptions.LoadOptions(parse), token);
                app.Print(comparison, () => Text(comparison));
                return 0;
            }
            if (parse.GetValue(outputKey) is { } key)
                throw new HubException($"--output-key {key} picks one of a model's outputs: give the inputs to run both models on (--input X.npy or --image FILE).");
            var results = await Task.WhenAll(
                LoadCommand.Invoke(app, parse.GetValue(repoA)!, name, parse, token, nameAsGiven: true),
                LoadCommand.Invoke(app, parse.GetValue(repoB)!, name, parse, token, nameAsGiven: true));
            app.Print(new { a = results[0], b = results[1], same = results[0].Result == results[1].Result },
                () => $"A: {results[0].ToText()}\nB: {results[1].ToText()}\n{(results[0].Result == results[1].Result ? "The results are equal." : "The results differ.")}");
            return 0;
        }, ct));
        return command;
    }

    /// <summary>A lock file rather than a repo: an existing file ending in .json (a repo is a folder, owner/name, a URL or nuget:Id).</summary>
    private static bool IsLockFile(string text) => text.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && File.Exists(text);

    /// <summary>The changes between two locks, grouped by repo, one line each.</summary>
    internal static string LockChangesText(LockComparison comparison)
    {
        var lines = new List<string>();
        foreach (var group in comparison.Changes.GroupBy(c => c.Repo))
        {
            lines.Add(group.Key);
            var width = group.Max(c => c.Aspect.Length);
            foreach (var c in group)
            {
                var what = (c.Before, c.After) switch
                {
                    (null, { } added) => $"added: {added}",
                    ({ } removed, null) => $"removed: {removed}",
                    _ => $"{c.Before} -> {c.After}",
                };
                lines.Add($"  {c.Aspect.PadRight(width)}  {(c.Item == c.Repo ? "" : c.Item + "  ")}{what}");
            }
        }
        return string.Join("\n", lines);
    }

    private static string Text(ModelComparison c)
    {
        static string Shape(long[] s) => "[" + string.Join(", ", s) + "]";
        static string G(double? v) => v is { } d ? d.ToString("G4", CultureInfo.InvariantCulture) : "-";
        string Side(string label, ModelRun r) =>
            $"{label}: {r.Repo} ({r.Version})  {r.ModelType}, {r.Parameters:N0} parameters, output {(r.OutputKey is null ? "" : $"{r.OutputKey} ")}{Shape(r.OutputShape)}, forward {r.ForwardTime.TotalMilliseconds:0.0} ms";
        var lines = new List<string> { Side("A", c.A), Side("B", c.B) };
        if (!c.SameShape)
        {
            lines.Add($"The outputs have different shapes ({Shape(c.A.OutputShape)} and {Shape(c.B.OutputShape)}): no difference measured.");
            return string.Join("\n", lines);
        }
        lines.Add($"max abs difference {G(c.MaxAbsoluteDifference)}, max relative difference {G(c.MaxRelativeDifference)} (of max |A|)");
        if (c.Top1Agreement is { } agreement)
            lines.Add($"top-1 agreement {agreement.ToString("P1", CultureInfo.InvariantCulture)} ({Math.Round(agreement * c.A.Top1!.Length)} of {c.A.Top1!.Length} rows)");
        return string.Join("\n", lines);
    }
}
