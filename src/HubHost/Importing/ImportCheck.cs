using System.Collections;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Importing;

/// <summary>
/// The proof of an import: runs what an imported entrypoint returned on the example inputs, the way HubHost runs it,
/// and measures each output against PyTorch's.
/// </summary>
internal static class ImportCheck
{
    /// <summary>The largest relative difference an import accepts.</summary>
    public const double Tolerance = 1e-4;

    /// <summary>Runs the model in eval mode without gradients; its outputs in order (dictionary values, tuple items, or the one tensor).</summary>
    public static List<Tensor> Run(object? made, Tensor[] inputs, string what)
    {
        using var noGrad = no_grad();
        (made as nn.Module)?.eval();
        object? result;
        try
        {
            result = made switch
            {
                nn.IModule<Tensor, Dictionary<string, Tensor>> one when inputs.Length == 1 => one.call(inputs[0]),
                nn.IModule<Tensor[], Dictionary<string, Tensor>> many => many.call(inputs),
                jit.ScriptModule script => script.forward([.. inputs]),
                _ => throw new HubException($"{what} returned {made?.GetType().FullName ?? "null"}, not the TorchScript module the import wrote; was Hubconf.cs edited? Import again into a new folder."),
            };
        }
        catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException or NotImplementedException or InvalidCastException)
        {
            throw new HubException($"{what} failed on the example input in HubHost: {e.Message.Split('\n', 2)[0].Trim().TrimEnd('.')}. HubHost's libtorch cannot run this archive as PyTorch did; report it with the model's name.", e);
        }
        return result switch
        {
            Tensor t => [t],
            IEnumerable<KeyValuePair<string, Tensor>> named => named.Select(p => p.Value).ToList(),
            Tensor[] array => [.. array],
            ITuple tuple => Enumerable.Range(0, tuple.Length).Select(i => tuple[i] as Tensor ?? throw new HubException($"{what} returned a tuple holding {tuple[i]?.GetType().Name ?? "null"}, not tensors.")).ToList(),
            IList list => list.Cast<object?>().Select(v => v as Tensor ?? throw new HubException($"{what} returned a list holding {v?.GetType().Name ?? "null"}, not tensors.")).ToList(),
            _ => throw new HubException($"{what} returned {result?.GetType().Name ?? "null"}, not tensors."),
        };
    }

    /// <summary>max |actual − expected| and that divided by max |expected| (0 when both are all zeros).</summary>
    public static (double Absolute, double Relative) Difference(Tensor expected, Tensor actual)
    {
        using var scope = NewDisposeScope();
        if (!expected.shape.SequenceEqual(actual.shape)) return (double.PositiveInfinity, double.PositiveInfinity);
        var e = expected.to(ScalarType.Float64);
        var a = actual.to(ScalarType.Float64);
        if (e.numel() == 0) return (0, 0);
        var absolute = (a - e).abs().max().item<double>();
        var scale = e.abs().max().item<double>();
        var relative = scale > 0 ? absolute / scale : absolute == 0 ? 0 : double.PositiveInfinity;
        return (double.IsNaN(absolute) ? double.PositiveInfinity : absolute, double.IsNaN(relative) ? double.PositiveInfinity : relative);
    }
}
