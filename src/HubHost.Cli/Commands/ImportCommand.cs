using System.CommandLine;
using System.Globalization;
using HubHost.Importing;

namespace HubHost.Cli.Commands;

/// <summary>
/// <c>hubhost import REPO ENTRY... --example-input SHAPE|FILE [--arg k=v]... -o DIR [--python PY] [--weights-url BASE]</c>:
/// turns entrypoints of a Python torch.hub repo into a HubHost repo of TorchScript archives, checked against PyTorch.
/// </summary>
internal static class ImportCommand
{
    public static Command Create(CliApp app)
    {
        var repo = new Argument<string>("REPO")
        {
            Description = "The Python torch.hub repo: a local folder with hubconf.py (./repo, /abs/repo) or a git repo, owner/name[:ref] or a git URL with #ref (trusted as for a load, never built).",
        };
        var entries = new Argument<string[]>("ENTRY") { Description = "The entrypoints (functions of hubconf.py) to import; each keeps its name.", Arity = ArgumentArity.OneOrMore };
        var inputs = new Option<string[]>("--example-input", "-x")
        {
            Description = "The model's example input, once per argument of its forward: a shape, batch first (1,3,224,224: float32 from N(0,1)), a shape and dtype (1,16:int64: integers in [0,100)), or an .npy file.",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<string>("--output", "-o") { Description = "The folder to write the HubHost repo to (new or empty; or one an earlier import wrote, which gets the entrypoints added).", Required = true };
        var python = new Option<string>("--python") { Description = "The Python interpreter that has torch (default: python3).", DefaultValueFactory = _ => "python3" };
        var weightsUrl = new Option<string>("--weights-url") { Description = "Publish the archives at this http(s) folder URL instead of shipping them in the repo: the repo loads BASE/NAME-<sha256 prefix>.pt through the hub's checkpoint cache; the files to upload are written to DIR-upload." };
        var task = new Option<string>("--task") { Description = "The catalog card's task (classification, segmentation, generation, text): how `hubhost run` shows the output; default: guessed from the shapes." };
        var category = new Option<string>("--category") { Description = "The catalog card's category (default: from the task)." };
        var command = new Command("import", "Turn entrypoints of a Python torch.hub repo into a HubHost repo: PyTorch exports each model to TorchScript (torch.jit.script, else torch.jit.trace on the example input), and the import proves HubHost reproduces PyTorch's output on it.")
        {
            repo, entries, RepoOptions.Arguments, inputs, output, python, weightsUrl, task, category,
        };
        RepoOptions.AddLoadOptions(command);
        command.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            var arguments = RepoOptions.ParseArguments(parse).Named.ToDictionary(p => p.Key, p => (string)p.Value!, StringComparer.Ordinal);
            var request = new ImportRequest
            {
                Repo = parse.GetValue(repo)!,
                Entrypoints = parse.GetValue(entries)!,
                ExampleInputs = parse.GetValue(inputs) ?? [],
                OutputDirectory = parse.GetValue(output)!,
                Arguments = arguments,
                Python = parse.GetValue(python)!,
                WeightsUrl = parse.GetValue(weightsUrl),
                Task = parse.GetValue(task),
                Category = parse.GetValue(category),
            };
            var result = await app.WritableHub.ImportAsync(request, RepoOptions.LoadOptions(parse), token);
            app.Print(new
            {
                directory = result.Directory, source = result.Source, commit = result.Commit, torch = result.TorchVersion,
                seconds = Math.Round(result.Elapsed.TotalSeconds, 2), upload = result.UploadDirectory,
                entrypoints = result.Entrypoints.Select(e => new
                {
                    name = e.Name, method = e.Method, scriptError = e.ScriptError, archive = e.Archive, sha256 = e.Sha256, url = e.Url, returns = e.ReturnType,
                    outputs = e.Outputs.Select(o => new { key = o.Key, shape = o.Shape, maxAbsoluteDifference = o.MaxAbsoluteDifference, maxRelativeDifference = o.MaxRelativeDifference }),
                }),
            }, () => Text(result));
            return 0;
        }, ct));
        return command;
    }

    /// <summary>A commit as people read it: 12 hex digits, and "+changes" for a folder with uncommitted changes.</summary>
    private static string ShortCommit(string commit) => commit.Length >= 40 ? commit[..12] + commit[40..] : commit;

    private static string Text(ImportResult result)
    {
        var lines = new List<string>
        {
            $"imported {result.Entrypoints.Count} entrypoint{(result.Entrypoints.Count == 1 ? "" : "s")} of {result.Source}{(result.Commit is null ? "" : $" (commit {ShortCommit(result.Commit)})")} " +
            $"with torch {result.TorchVersion} into {result.Directory} in {result.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s",
        };
        foreach (var e in result.Entrypoints)
        {
            var how = e.Method == "script" ? "scripted (torch.jit.script)" : $"traced (torch.jit.trace), because torch.jit.script failed: {e.ScriptError}";
            lines.Add($"  {e.Name}: {how}; returns {e.ReturnType}");
            foreach (var o in e.Outputs)
                lines.Add($"    {(o.Key.Length == 0 ? "output" : $"output {o.Key}")} [{string.Join(", ", o.Shape)}]: max relative difference to PyTorch " +
                          $"{o.MaxRelativeDifference.ToString("G3", CultureInfo.InvariantCulture)} (max absolute {o.MaxAbsoluteDifference.ToString("G3", CultureInfo.InvariantCulture)})");
            if (e.Url is not null) lines.Add($"    loads {e.Url}");
        }
        if (result.UploadDirectory is not null)
            lines.Add($"Upload the files in {result.UploadDirectory} to {string.Join(", ", result.Entrypoints.Select(e => e.Url).Distinct())} before you publish the repo.");
        return string.Join("\n", lines);
    }
}
