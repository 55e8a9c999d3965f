using System.CommandLine;
using System.Globalization;
using HubHost.Nn;
using HubHost.Nn.Checkpoints;
using HubHost.Nn.Modules;

namespace HubHost.Cli.Commands;

/// <summary>
/// <c>hubhost run REPO ENTRY [--arg NAME=VALUE]... [--weights FILE|URL] --input X.npy [--output Y.npy]</c>:
/// loads a model, loads weights into it, runs it in eval mode on an .npy input, writes or prints the output.
/// </summary>
internal static class RunCommand
{
    public static Command Create(CliApp app)
    {
        var repo = RepoOptions.Repo();
        var entry = RepoOptions.Entrypoint();
        var weights = new Option<string>("--weights", "-w") { Description = "A checkpoint to load into the model (strict): a local file or an http(s) URL." };
        var input = new Option<string>("--input", "-i") { Description = "The input tensor as .npy (float32 or any numeric dtype).", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Write the output tensor here as .npy (float32) instead of printing it." };
        var command = new Command("run", "Load a model entrypoint, load weights into it, and run it on an .npy input (eval mode).")
        {
            repo, entry, RepoOptions.Arguments, weights, input, output,
        };
        RepoOptions.AddLoadOptions(command);
        command.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            var inputPath = parse.GetValue(input)!;
            var x = ReadInput(inputPath);
            var opened = await app.Hub.OpenAsync(parse.GetValue(repo)!, RepoOptions.LoadOptions(parse), token);
            var name = parse.GetValue(entry)!;
            var made = await opened.InvokeAsync(name, RepoOptions.ParseArguments(parse), token);
            if (made is not Module model)
                throw new HubException($"The entrypoint {name} of {opened.Name} returned {made?.GetType().FullName ?? "null"}, not a HubHost.Nn.Modules.Module, so it cannot be run on a tensor. Use `hubhost load` for it.");
            if (parse.GetValue(weights) is { } weightsPath)
                LoadWeights(model, await StateDictCommand.LoadAsync(app, weightsPath, token), weightsPath);
            model.Eval();
            Tensor y;
            try
            {
                y = model.Call(x.To(DType.Float32));
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                throw new HubException($"{name} cannot run on the input {inputPath} of shape [{string.Join(", ", x.Shape)}]: {e.Message}", e);
            }
            var shape = y.Shape.ToArray();
            long[]? argmax = shape.Length == 2 ? y.ArgMax(1).ToInt64Array() : null;
            if (parse.GetValue(output) is { } outputPath)
            {
                Npy.Save(outputPath, y);
                app.Print(new { repo = opened.Name, version = opened.Version, entrypoint = name, output = Path.GetFullPath(outputPath), shape, argmax },
                    () => $"wrote {Path.GetFullPath(outputPath)}: shape [{string.Join(", ", shape)}]" + (argmax is null ? "" : $", argmax per row [{string.Join(", ", argmax)}]"));
            }
            else
            {
                var values = y.ToArray();
                app.Print(new { repo = opened.Name, version = opened.Version, entrypoint = name, shape, argmax, values },
                    () => $"shape [{string.Join(", ", shape)}]" + (argmax is null ? "" : $"\nargmax per row [{string.Join(", ", argmax)}]") + "\n"
                          + string.Join(" ", values.Take(64).Select(v => v.ToString("G6", CultureInfo.InvariantCulture))) + (values.Length > 64 ? $" ... ({values.Length} values; use --output to save them all)" : ""));
            }
            return 0;
        }, ct));
        return command;
    }

    private static Tensor ReadInput(string path)
    {
        try
        {
            return Npy.Load(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new HubException($"The input '{path}' does not exist; give an .npy file.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HubException($"Cannot read the input {path}: {e.Message}", e);
        }
    }

    private static void LoadWeights(Module model, OrderedDictionary<string, Tensor> stateDict, string source)
    {
        try
        {
            model.LoadStateDict(stateDict, strict: true);
        }
        catch (StateDictException e)
        {
            throw new HubException($"The weights {source} do not fit the model: {e.Message}", e);
        }
    }
}
