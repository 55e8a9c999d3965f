using System.CommandLine;
using System.Globalization;
using HubHost.Cli.Inputs;
using HubHost.Models;

namespace HubHost.Cli.Commands;

/// <summary>
/// <c>hubhost compare REPO_A REPO_B ENTRY [--input X.npy [--input Y.npy]... | --image FILE] [--output-key KEY]</c>: both
/// versions in one process, side by side. With inputs, both models run on them and the command reports what decides a
/// model upgrade for the picked output (output shapes, max absolute and relative difference, top-1 agreement); without,
/// it compares the two results as text.
/// </summary>
internal static class CompareCommand
{
    public static Command Create(CliApp app)
    {
        var repoA = RepoOptions.Repo("REPO_A");
        var repoB = RepoOptions.Repo("REPO_B");
        var entry = RepoOptions.Entrypoint();
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
            var name = parse.GetValue(entry)!;
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
                LoadCommand.Invoke(app, parse.GetValue(repoA)!, name, parse, token),
                LoadCommand.Invoke(app, parse.GetValue(repoB)!, name, parse, token));
            app.Print(new { a = results[0], b = results[1], same = results[0].Result == results[1].Result },
                () => $"A: {results[0].ToText()}\nB: {results[1].ToText()}\n{(results[0].Result == results[1].Result ? "The results are equal." : "The results differ.")}");
            return 0;
        }, ct));
        return command;
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
