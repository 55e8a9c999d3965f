using System.Reflection;
using HubHost.Checkpoints;
using HubHost.Downloads;
using HubHost.Entrypoints;
using HubHost.Running;
using HubHost.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Checking;

/// <summary>
/// <c>hubhost check</c>: what a publisher runs before tagging and in CI. Given a built and loaded repo version, it
/// applies the file rules (<see cref="RepoFileRules"/>), the Hubconf rules (<see cref="HubconfRules"/>), and calls each
/// entrypoint as a user would: with its defaults, with its pretrained weights (<see cref="CheckOptions.Pretrained"/>),
/// checking what it returns, that a model comes back in training mode and runs on the example input its card
/// declares, and that its output matches a golden file. Each entrypoint is called with <c>torch.manual_seed(0)</c>
/// first, and whatever it made is disposed after.
/// </summary>
internal sealed class RepoChecker(CheckOptions options, TimeProvider time)
{
    /// <summary>The golden comparison's tolerances, as <c>torch.allclose</c>'s rtol and atol: outputs of another libtorch or BLAS differ in the last bits.</summary>
    private const double GoldenRelativeTolerance = 1e-4, GoldenAbsoluteTolerance = 1e-5;

    private readonly List<CheckFinding> _findings = [];
    private readonly Dictionary<string, List<string>> _checked = new(StringComparer.Ordinal);

    private void Add(CheckFinding finding) => _findings.Add(finding);

    private void Add(string subject, string rule, string problem, string fix, CheckLevel level = CheckLevel.Error)
        => _findings.Add(new CheckFinding(subject, rule, problem, fix, level));

    /// <summary>The report for a repo that did not build (or resolve): the build error, and the file rules where its folder is known.</summary>
    public CheckReport NotBuilt(string repo, string? sourceDirectory, HubException error)
    {
        Add(repo, "build", $"does not build as users get it: {error.Message}", "Fix the errors above until `dotnet build` and `hubhost load` succeed.");
        if (sourceDirectory is not null)
        {
            RepoFileRules.Readme(sourceDirectory, Add);
            RepoFileRules.Catalog(sourceDirectory, null, Add);
        }
        return new CheckReport { Repo = repo, Version = null, Entrypoints = [], Findings = _findings.ToList() };
    }

    public async Task<CheckReport> CheckAsync(string repo, HubRepo opened, CancellationToken cancellationToken)
    {
        var catalog = opened.EntrypointCatalog;
        var names = catalog.All.Select(e => e.Name).ToList();
        RepoFileRules.Readme(opened.SourceDirectory, Add);
        RepoFileRules.Catalog(opened.SourceDirectory, names, Add);
        if (names.Count == 0)
            Add("Hubconf", "entrypoints", "has no public static methods, so the repo has nothing to load.", "Add an entrypoint: a public static method of Hubconf with a doc comment, e.g. `public static MyModel mymodel(bool pretrained = false)`.");
        HubconfRules.Helpers(catalog.Hubconf, Add);
        var golden = Golden(names);
        foreach (var entrypoint in catalog.All)
        {
            _checked[entrypoint.Name] = [];
            HubconfRules.Documentation(entrypoint.Info, Add);
            await EntrypointAsync(opened, entrypoint, golden.Contains(entrypoint.Name), cancellationToken).ConfigureAwait(false);
        }
        var entrypoints = catalog.All.Select(e => new CheckedEntrypoint(e.Name, !_findings.Any(f => f.Subject == e.Name && f.Level == CheckLevel.Error), _checked[e.Name])).ToList();
        return new CheckReport { Repo = repo, Version = opened.Version, Entrypoints = entrypoints, Findings = _findings.ToList() };
    }

    /// <summary>The entrypoints that have a golden file; a golden file of no entrypoint, or a missing folder, is a finding.</summary>
    private HashSet<string> Golden(IReadOnlyList<string> names)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        if (options.GoldenDirectory is not { } folder) return result;
        if (!Directory.Exists(folder))
        {
            Add(folder, "golden", "the golden folder does not exist.", "Give the folder holding NAME.npy per entrypoint (write one with `hubhost run REPO NAME --arg pretrained=true --input X.npy --output NAME.npy`).");
            return result;
        }
        foreach (var file in Directory.EnumerateFiles(folder, "*.npy").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (names.Contains(name)) result.Add(name);
            else Add(Path.GetFileName(file), "golden", $"names no entrypoint of the repo ({string.Join(", ", names)}).", "Rename it to ENTRYPOINT.npy, or remove it.");
        }
        if (result.Count == 0 && _findings.All(f => f.Rule != "golden"))
            Add(folder, "golden", "holds no NAME.npy file, so nothing was compared.", "Write one per entrypoint: `hubhost run REPO NAME --arg pretrained=true --input X.npy --output NAME.npy`.", CheckLevel.Warning);
        return result;
    }

    private async Task EntrypointAsync(HubRepo repo, Entrypoint entrypoint, bool hasGolden, CancellationToken cancellationToken)
    {
        var info = entrypoint.Info;
        var required = info.Parameters.Where(p => !p.HasDefault && p.Type is not ("CancellationToken" or "CancellationToken?")).Select(p => p.Name).ToList();
        if (required.Count > 0)
        {
            Add(info.Name, "defaults", $"cannot be called with its defaults ({string.Join(", ", required)} {(required.Count == 1 ? "has" : "have")} none), so the check did not call it.",
                $"Give {string.Join(", ", required)} a default if there is a sensible one (users load it with `hubhost load REPO {info.Name}`).", CheckLevel.Warning);
            if (hasGolden) Add(info.Name, "golden", "has a golden file but cannot be called with its defaults, so it was not compared.", "Give its parameters defaults.");
            return;
        }
        var pretrained = ShortestCall.PretrainedArgument(info);
        var goldenCall = hasGolden ? (pretrained is null ? "defaults" : "pretrained") : null;
        await CallAsync(repo, entrypoint, null, "defaults", goldenCall == "defaults", cancellationToken).ConfigureAwait(false);
        if (pretrained is not null && (options.Pretrained || goldenCall == "pretrained"))
            await CallAsync(repo, entrypoint, pretrained, "pretrained", goldenCall == "pretrained", cancellationToken).ConfigureAwait(false);
    }

    private async Task CallAsync(HubRepo repo, Entrypoint entrypoint, CallArgument? argument, string label, bool compareGolden, CancellationToken cancellationToken)
    {
        var name = entrypoint.Name;
        var call = argument is null ? $"`hubhost load REPO {name}`" : $"`hubhost load REPO {name} --arg {argument.Name}={argument.Cli}`";
        if (repo.UsesTorchSharp)
        {
            TorchNative.EnsureLoaded(); // before the seed: libtorch may need the hub's loader on this system
            manual_seed(0);
        }
        object? made;
        var errors = _findings.Count(f => f.Subject == name && f.Level == CheckLevel.Error);
        var at = _checked[name].Count;
        using (var watch = DownloadWatch.Open())
        {
            try
            {
                made = await repo.InvokeAsync(name, argument is null ? null : new Dictionary<string, object?> { [argument.Name] = argument.Value }, cancellationToken).ConfigureAwait(false);
            }
            catch (HubException e) when (!cancellationToken.IsCancellationRequested)
            {
                var failedDownloads = await WeightsAsync(name, watch.Downloads, cancellationToken).ConfigureAwait(false);
                if (failedDownloads == 0)
                    Add(name, argument is null ? "call" : "pretrained", $"fails when called as {call}: {Reason(e)}",
                        argument is null ? "Make it work with no arguments: users and the catalog's one-liners call it that way." : "Make the pretrained weights load: publish them where the entrypoint looks, in the shape its model has.");
                if (compareGolden) Add(name, "golden", $"was not compared with its golden file: the {label} call failed.", "Fix the failure above.");
                return;
            }
            await WeightsAsync(name, watch.Downloads, cancellationToken).ConfigureAwait(false);
        }
        try
        {
            Returns(entrypoint.Method, made, name);
            if (made is nn.Module module) TrainingMode(module, name, label);
            var card = repo.Cards.For(name);
            // A null result has nothing to run (Returns said whether null was allowed).
            if (made is not null && card.Input is { } input) RunExample(repo, made, input, card, name, label, compareGolden);
            else if (made is not null && compareGolden) Add(name, "golden", "has a golden file, but its card declares no example input to run it on.", $"Declare one in {EntrypointCard.FileName}: \"entrypoints\": {{ \"{name}\": {{ \"input\": {{ \"file\": \"samples/x.npy\" }} }} }}.");
        }
        finally
        {
            (made as IDisposable)?.Dispose();
        }
        if (_findings.Count(f => f.Subject == name && f.Level == CheckLevel.Error) == errors) _checked[name].Insert(at, label);
    }

    /// <summary>The findings on an entrypoint's weights downloads; returns how many failed.</summary>
    private async Task<int> WeightsAsync(string name, IReadOnlyList<WatchedDownload> downloads, CancellationToken cancellationToken)
    {
        var failed = 0;
        foreach (var d in downloads)
        {
            var file = d.FileName ?? (d.CachedPath is not null ? Path.GetFileName(d.CachedPath) : UrlFileName(d.Url));
            var prefix = CheckpointFiles.HashPrefixOf(file);
            if (d.Error is not null)
            {
                failed++;
                Add(name, "weights", $"cannot load its weights {d.Url}: {Reason(d.Error)}",
                    prefix is null
                        ? $"Publish it as {HashedName(file)} (torch.hub's convention: '-', the first 8 hex digits of its SHA-256, then the extension; `sha256sum {file}`), and load it from that URL."
                        : $"Publish the file at that URL, named after its hash: the first hex digits of `sha256sum {file}` must be {prefix}.");
                continue;
            }
            if (prefix is null)
                Add(name, "weights", $"downloads {d.Url}, whose file name has no hash part, so no one can tell a changed or damaged file from the right one.",
                    $"Publish it as {HashedName(file)} (torch.hub's convention: '-', the first 8 hex digits of its SHA-256, then the extension; `sha256sum {file}`); the hub then checks every download.");
            else if (!d.CheckHash)
                Add(name, "weights", $"downloads {d.Url} with the hash check turned off.", "Leave checkHash at its default (true): the file name's hash is then checked on every download.");
            if (!d.WasCached) continue;
            // Loaded from the cache (re-hashed in full: CheckAsync verifies), so nothing was requested: ask the URL now.
            if (await UrlProbe.ProblemAsync(d.Url, TimeSpan.FromSeconds(30), time, cancellationToken).ConfigureAwait(false) is { } problem)
                Add(name, "weights", $"loaded {file} from the hub's cache, but {d.Url} does not answer ({problem}), so users without the cached file cannot load it.", "Publish the file at that URL again, or point the entrypoint at where it is now.");
        }
        return failed;
    }

    /// <summary>The last segment of a URL's path (what the cache names its file after), or the URL when it has none.</summary>
    private static string UrlFileName(string url)
        => Uri.TryCreate(url, UriKind.Absolute, out var uri) && Path.GetFileName(Uri.UnescapeDataString(uri.AbsolutePath)) is { Length: > 0 } name ? name : url;

    /// <summary><c>name-1234abcd.ext</c> for <c>name.ext</c>.</summary>
    private static string HashedName(string file)
    {
        var ext = Path.GetExtension(file);
        return $"{Path.GetFileNameWithoutExtension(file)}-<sha256 prefix>{ext}";
    }

    /// <summary>The result against the signature: not null unless the return type is nullable; a TorchSharp module the host's TorchSharp knows.</summary>
    private void Returns(MethodInfo method, object? made, string name)
    {
        var returnType = method.ReturnType;
        var nullability = new NullabilityInfoContext().Create(method.ReturnParameter);
        if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() is var d && (d == typeof(Task<>) || d == typeof(ValueTask<>)))
        {
            returnType = returnType.GetGenericArguments()[0];
            nullability = nullability.GenericTypeArguments[0];
        }
        if (returnType == typeof(void) || returnType == typeof(Task) || returnType == typeof(ValueTask)) return;
        var declared = CSharpNames.Type(returnType);
        if (made is null)
        {
            if (!returnType.IsValueType && nullability.ReadState != NullabilityState.Nullable)
                Add(name, "returns", $"returns null, but its signature says {declared}, not {declared}?.", $"Return a {declared}; or declare {declared}? if null is a valid answer.");
            return;
        }
        if (!returnType.IsInstanceOfType(made))
            Add(name, "returns", $"returns a {CSharpNames.Type(made.GetType())}, not the {declared} its signature says.", $"Return a {declared}.");
        else if (IsTorchSharpModuleType(made.GetType()) && made is not nn.Module)
            Add(name, "returns", $"returns a {CSharpNames.Type(made.GetType())} from a TorchSharp other than the host's, so callers cannot use it as a torch.nn.Module.", "Reference the TorchSharp package (the hub provides it at run time); do not ship TorchSharp.dll in the repo.");
    }

    private static bool IsTorchSharpModuleType(Type? type)
    {
        for (; type is not null; type = type.BaseType)
            if (type.FullName == "TorchSharp.torch+nn+Module") return true;
        return false;
    }

    private void TrainingMode(nn.Module module, string name, string label)
    {
        var inEval = module.modules().Prepend(module).Count(m => !m.training);
        if (inEval > 0)
            Add(name, "training-mode", $"returns its model in eval mode ({(module.training ? $"{inEval} submodules" : "the model")} with training = false) when called with {label}; torchvision's models come back in training mode.",
                "Do not call eval() in the entrypoint: return the model in training mode, and let users call eval() before inference (the README should say so).");
    }

    /// <summary>Runs a model on its card's example input; with <paramref name="compareGolden"/>, compares the output with the golden file.</summary>
    private void RunExample(HubRepo repo, object? made, ExampleInput input, EntrypointCard card, string name, string label, bool compareGolden)
    {
        TorchNative.EnsureLoaded();
        using var scope = NewDisposeScope();
        Tensor x;
        try
        {
            var example = ExampleTensor(repo.SourceDirectory, input);
            if (example is null)
            {
                if (compareGolden) Add(name, "golden", "has a golden file, but its example input cannot be made (see hubconf.catalog.json's findings).", "Fix the card's input.");
                return; // the catalog rules said why
            }
            x = example;
        }
        catch (Exception e) when (e is HubException or CheckpointFormatException or IOException)
        {
            Add(name, "example-input", $"its example input cannot be read: {Reason(e)}", "Save the example with numpy.save, in the shape and dtype the card declares.");
            return;
        }
        Tensor y;
        try
        {
            y = Forward(made, x, repo.Name, name);
        }
        catch (HubException e)
        {
            Add(name, "example-input", $"fails on its example input [{string.Join(", ", x.shape)}] ({DTypes.Torch(x.dtype)}) when called with {label}: {Reason(e)}",
                $"Make the model run on the input its card declares, or correct \"input\" in {EntrypointCard.FileName}.");
            if (compareGolden) Add(name, "golden", "was not compared with its golden file: the model did not run.", "Fix the failure above.");
            return;
        }
        var shapeText = $"example input [{string.Join(", ", x.shape)}] -> [{string.Join(", ", y.shape)}]";
        if (y.is_floating_point() && !isfinite(y).all().item<bool>())
            Add(name, "example-input", $"gives NaN or infinite outputs on its example input when called with {label}.", "Check the weights and the input's scaling (the card's input should be what the model expects).");
        if (card.Task == "classification" && !(y.dim() == 2 && y.shape[0] == x.shape[0] && y.shape[1] >= 2))
            Add(name, "example-input", $"is a classification model (its card's task), but its output on [{string.Join(", ", x.shape)}] is [{string.Join(", ", y.shape)}], not [{x.shape[0]}, classes].",
                "Return logits [N, classes], or correct the card's task.");
        if (!_checked[name].Contains(shapeText)) _checked[name].Add(shapeText);
        if (compareGolden) CompareGolden(y, name);
    }

    private void CompareGolden(Tensor output, string name)
    {
        var file = Path.Combine(options.GoldenDirectory!, name + ".npy");
        Tensor golden;
        try
        {
            golden = Npy.Load(file);
        }
        catch (Exception e) when (e is HubException or CheckpointFormatException or IOException)
        {
            Add(name, "golden", $"its golden file {file} cannot be read: {Reason(e)}", "Write it again with `hubhost run … --output`.");
            return;
        }
        if (!golden.shape.SequenceEqual(output.shape))
        {
            Add(name, "golden", $"gives an output of shape [{string.Join(", ", output.shape)}], but {Path.GetFileName(file)} is [{string.Join(", ", golden.shape)}].",
                "If the change is intended, write the golden file again (`hubhost run REPO NAME --arg pretrained=true --input X.npy --output NAME.npy`); else find what changed the model.");
            return;
        }
        var a = output.to(ScalarType.Float64);
        var b = golden.to(ScalarType.Float64);
        var difference = (a - b).abs();
        var within = (difference <= GoldenAbsoluteTolerance + GoldenRelativeTolerance * b.abs()).all().item<bool>();
        var max = difference.numel() == 0 ? 0 : difference.max().item<double>();
        if (!within)
            Add(name, "golden", $"no longer gives its golden output: max absolute difference {max:G3} (tolerance {GoldenAbsoluteTolerance:G2} + {GoldenRelativeTolerance:G2} × |golden|).",
                "If the change is intended, write the golden file again (`hubhost run REPO NAME --arg pretrained=true --input X.npy --output NAME.npy`); else find what changed the model or its weights.");
        else
            _checked[name].Add($"golden (max abs difference {max:G3})");
    }

    /// <summary>The example input: the card's .npy file, else a tensor of its shape and dtype (seeded normal floats, zero integers); null when there is none.</summary>
    private static Tensor? ExampleTensor(string root, ExampleInput input)
    {
        if (input.File is { } file && file.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) && RepoFileRules.InsideRepo(root, file) is { } path && File.Exists(path))
            return Npy.Load(path);
        if (input.Shape.Count == 0 || input.Shape.Any(d => d < 1)) return null;
        if (RepoFileRules.TorchType(input.DType) is not { } dtype) return null;
        var shape = input.Shape.ToArray();
        manual_seed(0);
        return dtype is ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16 ? randn(shape, dtype) : zeros(shape, dtype);
    }

    /// <summary>An exception's message on one line, with an entrypoint failure's inner reason.</summary>
    private static string Reason(Exception e) => string.Join(" ", e.Message.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).Take(6));

    /// <summary>
    /// One forward pass of what an entrypoint made (any TorchSharp callable model, TorchScript included), through the
    /// library's model runner: eval mode, no gradients, the first output of a tuple or dictionary.
    /// </summary>
    private static Tensor Forward(object? made, Tensor input, string repo, string entrypoint)
        => ModelRunner.Forward(ModelRunner.AsModel(made, repo, entrypoint), [input]).Tensor; // the model is `made`, disposed by the caller
}
