using System.Diagnostics;
using System.Runtime.InteropServices;
using HubHost.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Running;

/// <summary>
/// Running a model entrypoint's model on tensors the way inference is done (eval mode, no autograd), with one clear
/// <see cref="HubException"/> for each way it goes wrong: what <c>hubhost run</c> and <c>hubhost compare</c> do.
/// </summary>
/// <remarks>
/// Inputs: integer and bool tensors (token ids, masks) reach the model as they are; floating-point ones are given in the
/// dtype of the model's floating-point parameters (float32 for almost every model, so numpy's float64 default works),
/// as saved for a model without any. Outputs: a tensor, or one tensor picked by key from a tuple or list (keys
/// <c>0</c>, <c>1</c>, …) or a dictionary of tensors; by default the first.
/// </remarks>
internal static class ModelRunner
{
    /// <summary>What an entrypoint returned as a model to run, or a clear error naming what it returned instead.</summary>
    /// <param name="made">What the entrypoint returned.</param>
    /// <param name="repo">The repo, for messages (with its version where two are compared).</param>
    /// <param name="entrypoint">The entrypoint, for messages.</param>
    public static RunnableModel AsModel(object? made, string repo, string entrypoint)
        => RunnableModel.From(made, $"{entrypoint} of {repo}")
           ?? throw new HubException($"The entrypoint {entrypoint} of {repo} returned {(made is null ? "null" : Entrypoints.CSharpNames.Type(made.GetType()))}, " +
                                     "not a model taking tensors (a TorchSharp module such as torch.nn.Module<Tensor, Tensor>, or a TorchScript module), " +
                                     "so it cannot be run on an input. Use `hubhost load` for it.");

    /// <summary>Loads <paramref name="stateDict"/> into <paramref name="model"/> strictly, naming the entries that do not fit when it does not.</summary>
    /// <param name="model">The model (a TorchScript module's parameters and buffers take weights too).</param>
    /// <param name="stateDict">The weights, by parameter and buffer name.</param>
    /// <param name="source">Where the weights came from, for the message.</param>
    public static void LoadWeights(RunnableModel model, Dictionary<string, Tensor> stateDict, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stateDict);
        var module = model.Module
            ?? throw new HubException($"{model.Name} is a {model.TypeName}, not a torch.nn.Module, so it has no weights to load {source} into.");
        var expected = module.state_dict();
        var missing = expected.Keys.Where(k => !stateDict.ContainsKey(k)).ToList();
        var unexpected = stateDict.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        var misfits = expected.Where(p => stateDict.TryGetValue(p.Key, out var t) && !t.shape.SequenceEqual(p.Value.shape))
            .Select(p => $"{p.Key} is [{string.Join(", ", stateDict[p.Key].shape)}] in the weights but [{string.Join(", ", p.Value.shape)}] in the model").ToList();
        if (missing.Count + unexpected.Count + misfits.Count > 0)
        {
            var problems = new List<string>();
            if (misfits.Count > 0) problems.Add(string.Join("; ", misfits.Take(3)) + (misfits.Count > 3 ? $" (and {misfits.Count - 3} more)" : ""));
            if (missing.Count > 0) problems.Add($"missing {string.Join(", ", missing.Take(5))}" + (missing.Count > 5 ? $" (and {missing.Count - 5} more)" : ""));
            if (unexpected.Count > 0) problems.Add($"not in the model: {string.Join(", ", unexpected.Take(5))}" + (unexpected.Count > 5 ? $" (and {unexpected.Count - 5} more)" : ""));
            throw new HubException($"The weights {source} do not fit the model {model.TypeName}: {string.Join("; ", problems)}. Use weights saved from the same architecture and arguments.");
        }
        try
        {
            module.load_state_dict(stateDict, strict: true);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or ExternalException)
        {
            throw new HubException($"The weights {source} do not fit the model {model.TypeName}: {FirstLine(e.Message)}. Use weights saved from the same architecture.", e);
        }
    }

    /// <summary>
    /// Runs <paramref name="model"/> in eval mode without gradients on <paramref name="inputs"/> (in the order its forward
    /// takes them; dtypes as the remarks of <see cref="ModelRunner"/> say) and returns the output <paramref name="outputKey"/> picks.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="inputs">One tensor per input of the model's forward, in order.</param>
    /// <param name="outputKey">For a model returning several outputs: a dictionary key, or a position (<c>0</c>, <c>1</c>, …) in a tuple or list; null for the first.</param>
    /// <returns>The output (the caller disposes it), which one it is, and the time the forward pass took.</returns>
    /// <exception cref="HubException">The number of inputs does not fit, the model fails on them, or there is no such output tensor.</exception>
    public static ModelOutput Forward(RunnableModel model, IReadOnlyList<Tensor> inputs, string? outputKey = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        var call = model.CallWith(inputs.Count)
            ?? throw new HubException($"{model.Name} takes {model.Inputs}, but {Count(inputs.Count)} {(inputs.Count == 1 ? "was" : "were")} given. " +
                                      "Give one input per argument of the model's forward, in order (--input once for each in the CLI).");
        model.Module?.eval();
        using var inference = inference_mode(); // no autograd, no version counters or view tracking: PyTorch's inference path
        var floating = inputs.Any(x => x.is_floating_point()) ? model.FloatingType() : null;
        var given = inputs.Select(x => floating is { } dtype && x.is_floating_point() && x.dtype != dtype ? x.to(dtype) : x).ToArray();
        object? result = null;
        try
        {
            var watch = Stopwatch.StartNew();
            try
            {
                result = call(given);
            }
            catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException or IndexOutOfRangeException or NotImplementedException or InvalidCastException)
            {
                throw Failed(model, inputs, e);
            }
            return ModelOutput.Pick(result, outputKey, model.Name, watch.Elapsed);
        }
        finally
        {
            for (var i = 0; i < given.Length; i++)
                if (!ReferenceEquals(given[i], inputs[i]) && !ReferenceEquals(given[i], result)) given[i].Dispose();
        }
    }

    /// <summary>What one forward pass of <paramref name="model"/> was, for <see cref="ModelRun"/>: <paramref name="repo"/> at <paramref name="version"/>, the model, and its picked output.</summary>
    public static ModelRun Describe(string repo, string version, RunnableModel model, ModelOutput output)
        => new(repo, version, model.TypeName, model.ParameterCount, output.Tensor.shape, output.Key, Top1(output.Tensor), output.ForwardTime);

    /// <summary>Each row's highest-scoring class for floating-point outputs [N, C] with C ≥ 2; otherwise null.</summary>
    private static long[]? Top1(Tensor output)
        => output.dim() == 2 && output.shape[1] >= 2 && output.is_floating_point() ? output.argmax(1).data<long>().ToArray() : null;

    private static HubException Failed(RunnableModel model, IReadOnlyList<Tensor> inputs, Exception e)
    {
        var given = inputs.Count == 1
            ? $"an input of shape [{string.Join(", ", inputs[0].shape)}] ({Checkpoint.TorchName(inputs[0].dtype)})"
            : $"{inputs.Count} inputs of shapes " + string.Join(", ", inputs.Select(x => $"[{string.Join(", ", x.shape)}] ({Checkpoint.TorchName(x.dtype)})"));
        var reason = model.IsScript ? ScriptReason(e.Message) : FirstLine(e.Message);
        if (model.IsScript && e is NotImplementedException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            return new HubException($"{model.Name} ran, but returned a value TorchSharp cannot pass to .NET (TorchSharp takes a tensor, a scalar, or a tuple or list of them from TorchScript; " +
                                    "not a dictionary, as torchvision's segmentation models return, nor a string or an object). Save the model with a forward that returns " +
                                    "a tensor or a tuple of tensors, e.g. trace a wrapper whose forward returns model(x)[\"out\"], or tuple(model(x).values()).", e);
        if (model.IsScript && reason.Contains("missing value for argument", StringComparison.Ordinal))
            return new HubException($"{model.Name} takes {model.Inputs}, but {Count(inputs.Count)} {(inputs.Count == 1 ? "was" : "were")} given ({reason}). " +
                                    "Give one input per argument of the model's forward, in order (--input once for each in the CLI).", e);
        var converted = inputs.FirstOrDefault(x => x.is_floating_point() && model.FloatingType() is { } t && x.dtype != t);
        var note = converted is null ? "" : $" (the {Checkpoint.TorchName(converted.dtype)} input was given as {Checkpoint.TorchName(model.FloatingType()!.Value)}, the dtype of the model's parameters; save token ids and other integer inputs as int64)";
        return new HubException($"{model.Name} cannot run on {given}: {reason}. Give inputs of the shapes and dtypes the model expects{note}.", e);
    }

    /// <summary>
    /// The line of a TorchScript interpreter error that says what went wrong: libtorch's message starts with "The
    /// following operation failed in the TorchScript interpreter" and a traceback, and ends with the Python-style error.
    /// </summary>
    private static string ScriptReason(string message)
    {
        var lines = message.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        var error = lines.LastOrDefault(l => l.Contains("Error: ", StringComparison.Ordinal));
        return (error ?? lines.FirstOrDefault() ?? message).Trim().TrimEnd('.');
    }

    private static string Count(int n) => n == 1 ? "1 input" : $"{n} inputs";

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim().TrimEnd('.');
}
