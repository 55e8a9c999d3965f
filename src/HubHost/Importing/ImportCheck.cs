using static TorchSharp.torch;

namespace HubHost.Importing;

/// <summary>
/// The proof of an import: each output of an imported model, as HubHost runs it (<see cref="Running.ModelRunner"/>), measured
/// against PyTorch's.
/// </summary>
internal static class ImportCheck
{
    /// <summary>The largest relative difference an import accepts.</summary>
    public const double Tolerance = 1e-4;

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
