using System.CommandLine;
using System.Globalization;
using HubHost.Checkpoints;
using HubHost.Cli.Inputs;
using HubHost.Cli.Outputs;
using HubHost.Running;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace HubHost.Cli.Commands;

/// <summary>
/// <c>hubhost run REPO ENTRY [--arg NAME=VALUE]... [--weights FILE|URL] (--input X.npy [--input Y.npy]... | --image FILE | --text "…" | --seed N)
/// [--output-key KEY] [--output Z.npy|Z.png] [--top K] [--labels FILE]</c>: loads a model (a TorchSharp module or a TorchScript
/// module), loads weights into it, runs it in eval mode on the inputs, and prints the top classes of each row of the
/// picked output (or writes the whole output).
/// </summary>
internal static class RunCommand
{
    public static Command Create(CliApp app)
    {
        var repo = RepoOptions.Repo();
        var entry = RepoOptions.Entrypoint();
        var weights = new Option<string>("--weights", "-w") { Description = "A checkpoint to load into the model (strict): a local file, an http(s) URL or hf://owner/repo[@revision]/path." };
        var input = ModelOptions.Input();
        var image = ModelOptions.Image();
        var outputKey = ModelOptions.OutputKey();
        var output = new Option<string>("--output", "-o") { Description = "Also write the output here: a tensor as .npy (float32; integer and bool outputs keep their dtype), or as .png a segmentation model's class mask or a generative model's image grid." };
        var text = new Option<string>("--text") { Description = "Text as input: tokenized by the repo's tokenizer entrypoint (EncodeToIds), run as int64 token ids [1, T]." };
        var seed = new Option<long?>("--seed") { Description = "Latents as input, for a generative model: N(0, 1) in the shape of the entrypoint's card (hubconf.catalog.json input.shape), from a generator seeded with this number." };
        var top = new Option<int>("--top", "-k") { Description = "How many classes to show per row of a classifier's output.", DefaultValueFactory = _ => 5 };
        var labels = new Option<string>("--labels") { Description = "Class names, one per line (line i names class i), to show instead of class numbers." };
        var command = new Command("run", "Load a model entrypoint (a TorchSharp or TorchScript module), optionally load weights into it, run it on inputs (.npy files or an image) in eval mode, and show its top classes.")
        {
            repo, entry, RepoOptions.Arguments, weights, input, image, text, seed, outputKey, output, top, labels,
        };
        RepoOptions.AddLoadOptions(command);
        command.SetAction((parse, ct) => app.RunAsync(async token =>
        {
            var k = parse.GetValue(top);
            if (k < 1) throw new HubException($"--top must be at least 1, not {k}.");
            if (parse.GetValue(output) is { } outputFile) RunChecks.OutputPath(outputFile, "--output");
            var names = parse.GetValue(labels) is { } labelFile ? ModelOptions.ReadLabels(labelFile) : null;
            RunInputs.CheckOne(parse.GetValue(input), parse.GetValue(image), parse.GetValue(text), parse.GetValue(seed));
            var opened = await app.Hub.OpenAsync(parse.GetValue(repo)!, RepoOptions.LoadOptions(parse), token);
            StartupTrace.Mark("repo opened");
            var name = parse.GetValue(entry)!;
            using var x = await RunInputs.ReadAsync(opened, name, parse.GetValue(input), parse.GetValue(image), parse.GetValue(text), parse.GetValue(seed), token);
            StartupTrace.Mark("inputs read");
            var arguments = RepoOptions.ParseArguments(parse);
            var outputKeyValue = parse.GetValue(outputKey);
            // Weights through the repo's weights rule: under --locked the URL must be locked with this file's SHA-256.
            using var result = parse.GetValue(weights) is { } weightsPath
                ? await DownloadCommand.WithProgressAsync(app, progress => app.Hub.RunModelAsync(opened, name, x.Tensors, arguments, weightsPath, outputKeyValue, progress, token))
                : await app.Hub.RunModelAsync(opened, name, x.Tensors, arguments, outputKey: outputKeyValue, cancellationToken: token);
            var y = result.Output;
            StartupTrace.Mark("model made and run (entrypoint, forward pass)");
            var logger = app.Loggers.CreateLogger("hubhost");
            RunChecks.Labels(names, parse.GetValue(labels), y, logger);
            RunChecks.NonFinite(y, logger);
            var shape = y.shape;
            // Top classes for classifiers: any [N, C] output, unless the entrypoint's card says it is another kind of model.
            var rows = opened.Cards.For(name).Task is null or "classification" ? TopClasses(y, k, names) : null;
            string? written = null;
            object? picture = null;
            if (parse.GetValue(output) is { } pngPath && ImageOutput.IsPng(pngPath))
            {
                picture = PictureOutput.Write(y, pngPath, opened.Cards.For(name));
                written = Path.GetFullPath(pngPath);
            }
            else if (parse.GetValue(output) is { } outputPath)
            {
                var saved = y.is_floating_point() && y.dtype != ScalarType.Float32 ? y.to(ScalarType.Float32) : y;
                try
                {
                    Npy.Save(outputPath, saved);
                }
                finally
                {
                    if (!ReferenceEquals(saved, y)) saved.Dispose();
                }
                written = Path.GetFullPath(outputPath);
            }
            app.Print(new { repo = opened.Name, version = opened.Version, entrypoint = name, outputKey = result.Run.OutputKey, outputKeys = result.OutputKeys, shape, dtype = DTypeNames.Torch(y.dtype), top = rows, output = written, picture, tokens = parse.GetValue(text) is null ? null : x.Tensors[0].data<long>().ToArray() },
                () => (parse.GetValue(text) is null ? "" : $"token ids [{string.Join(", ", x.Tensors[0].data<long>().ToArray())}]\n") + Text(result, rows, written, picture is not null));
            StartupTrace.Mark("printed");
            return 0;
        }, ct));
        return command;
    }

    /// <summary>One row's best classes with softmax probabilities (classifier outputs [N, C] only).</summary>
    internal sealed record ClassScore(long Class, string? Label, double Probability, double Logit);

    private static List<ClassScore[]>? TopClasses(Tensor y, int k, IReadOnlyList<string>? names)
    {
        if (y.dim() != 2 || y.shape[1] < 2 || !y.is_floating_point()) return null;
        using var scope = NewDisposeScope();
        var logits = y.to(ScalarType.Float64);
        var probabilities = nn.functional.softmax(logits, 1);
        var (values, indices) = probabilities.topk((int)Math.Min(k, y.shape[1]), dim: 1);
        var rows = new List<ClassScore[]>();
        for (long row = 0; row < y.shape[0]; row++)
        {
            var classes = indices[row].data<long>().ToArray();
            var p = values[row].data<double>().ToArray();
            rows.Add(classes.Select((c, i) => new ClassScore(c, names is not null && c < names.Count ? names[(int)c] : null, p[i], logits[row, c].item<double>())).ToArray());
        }
        return rows;
    }

    private static string Text(ModelResult result, List<ClassScore[]>? rows, string? written, bool picture = false)
    {
        var y = result.Output;
        var lines = new List<string> { $"{result.OutputDescription} shape [{string.Join(", ", y.shape)}]" + (y.is_floating_point() ? "" : $" ({DTypeNames.Torch(y.dtype)})") + (written is null ? "" : picture ? $", drawn to {written}" : $", written to {written}") };
        if (rows is not null)
        {
            for (var r = 0; r < rows.Count; r++)
                lines.Add($"row {r}: " + string.Join(", ", rows[r].Select(c => $"{c.Label ?? c.Class.ToString(CultureInfo.InvariantCulture)} ({c.Probability.ToString("P1", CultureInfo.InvariantCulture)})")));
        }
        else if (written is null && !picture)
        {
            var values = y.to(ScalarType.Float32).flatten().data<float>().ToArray();
            lines.Add(string.Join(" ", values.Take(64).Select(v => v.ToString("G6", CultureInfo.InvariantCulture))) + (values.Length > 64 ? $" ... ({values.Length} values; use --output to save them all)" : ""));
        }
        return string.Join("\n", lines);
    }
}
