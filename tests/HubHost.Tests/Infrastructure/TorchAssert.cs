using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Tests.Infrastructure;

/// <summary>Tensor comparisons for tests (after the hub made sure libtorch is loaded).</summary>
public static class TorchAssert
{
    /// <summary>Same shape, and max |actual − expected| / max |expected| within <paramref name="relative"/>.</summary>
    public static void Close(Tensor expected, Tensor actual, double relative = 1e-4)
    {
        Assert.Equal(expected.shape, actual.shape);
        var e = expected.to(ScalarType.Float64);
        var a = actual.to(ScalarType.Float64);
        var scale = e.abs().max().item<double>();
        Assert.True(scale > 0, "the expected tensor is all zeros: no test");
        var difference = (a - e).abs().max().item<double>() / scale;
        Assert.True(difference <= relative, $"relative difference {difference:G3} > {relative:G3}");
    }
}
