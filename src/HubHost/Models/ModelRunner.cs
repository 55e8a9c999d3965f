using System.Diagnostics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Models;

/// <summary>
/// Running a model entrypoint's module on a tensor the way inference is done (eval mode, no autograd), with one
/// clear <see cref="HubException"/> for each way it goes wrong: what <c>hubhost run</c> does.
/// </summary>
public static class ModelRunner
{
    /// <summary>The module an entrypoint returned, or a clear error naming what it returned instead.</summary>
    /// <param name="made">What the entrypoint returned.</param>
    /// <param name="repo">The repo, for the message.</param>
    /// <param name="entrypoint">The entrypoint, for the message.</param>
    public static nn.Module<Tensor, Tensor> AsModel(object? made, string repo, string entrypoint)
        => made as nn.Module<Tensor, Tensor>
           ?? throw new HubException($"The entrypoint {entrypoint} of {repo} returned {made?.GetType().FullName ?? "null"}, not a TorchSharp module taking and returning a tensor (torch.nn.Module<Tensor, Tensor>), so it cannot be run on an input. Use `hubhost load` for it.");

    /// <summary>Loads <paramref name="stateDict"/> into <paramref name="model"/> strictly, naming the entries that do not fit when it does not.</summary>
    /// <param name="model">The model.</param>
    /// <param name="stateDict">The weights, by parameter and buffer name.</param>
    /// <param name="source">Where the weights came from, for the message.</param>
    public static void LoadWeights(nn.Module model, Dictionary<string, Tensor> stateDict, string source)
    {
        var expected = model.state_dict();
        var missing = expected.Keys.Where(k => !stateDict.ContainsKey(k)).ToList();
        var unexpected = stateDict.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        var misshapen = expected.Where(p => stateDict.TryGetValue(p.Key, out var t) && !t.shape.SequenceEqual(p.Value.shape))
            .Select(p => $"{p.Key} is [{string.Join(", ", stateDict[p.Key].shape)}] in the weights but [{string.Join(", ", p.Value.shape)}] in the model").ToList();
        if (missing.Count + unexpected.Count + misshapen.Count > 0)
        {
            var problems = new List<string>();
            if (misshapen.Count > 0) problems.Add(string.Join("; ", misshapen.Take(3)) + (misshapen.Count > 3 ? $" (and {misshapen.Count - 3} more)" : ""));
            if (missing.Count > 0) problems.Add($"missing {string.Join(", ", missing.Take(5))}" + (missing.Count > 5 ? $" (and {missing.Count - 5} more)" : ""));
            if (unexpected.Count > 0) problems.Add($"not in the model: {string.Join(", ", unexpected.Take(5))}" + (unexpected.Count > 5 ? $" (and {unexpected.Count - 5} more)" : ""));
            throw new HubException($"The weights {source} do not fit the model {model.GetType().Name}: {string.Join("; ", problems)}. Use weights saved from the same architecture and arguments.");
        }
        try
        {
            model.load_state_dict(stateDict, strict: true);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or ExternalException)
        {
            throw new HubException($"The weights {source} do not fit the model {model.GetType().Name}: {e.Message.TrimEnd('.')}. Use weights saved from the same architecture.", e);
        }
    }

    /// <summary>Runs <paramref name="model"/> in eval mode without gradients on <paramref name="input"/> (as float32).</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">The input batch.</param>
    /// <param name="what">The model as messages name it (<c>resnet18 of owner/vision</c>).</param>
    /// <returns>The output (the caller disposes it) and the time the forward pass took.</returns>
    public static (Tensor Output, TimeSpan Elapsed) Forward(nn.Module<Tensor, Tensor> model, Tensor input, string what)
    {
        model.eval();
        using var noGrad = no_grad();
        var x = input.dtype == ScalarType.Float32 ? input : input.to(ScalarType.Float32);
        var watch = Stopwatch.StartNew();
        try
        {
            var y = model.forward(x);
            return (y, watch.Elapsed);
        }
        catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new HubException($"{what} cannot run on an input of shape [{string.Join(", ", input.shape)}]: {FirstLine(e.Message)}. Give an input of the shape the model expects.", e);
        }
    }

    /// <summary>Each row's highest-scoring class for outputs [N, C] with C ≥ 2; otherwise null.</summary>
    internal static long[]? Top1(Tensor output)
        => output.dim() == 2 && output.shape[1] >= 2 ? output.argmax(1).data<long>().ToArray() : null;

    /// <summary>The number of parameter elements.</summary>
    internal static long ParameterCount(nn.Module model) => model.parameters().Sum(p => p.numel());

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim().TrimEnd('.');
}
