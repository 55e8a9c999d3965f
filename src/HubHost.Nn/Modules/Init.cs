namespace HubHost.Nn.Modules;

/// <summary>
/// Parameter initializers in the shape of torch.nn.init (same distributions; the random stream is .NET's,
/// not PyTorch's, so values differ from a seeded PyTorch run).
/// </summary>
public static class Init
{
    /// <summary>Fills with values drawn uniformly from [<paramref name="low"/>, <paramref name="high"/>).</summary>
    /// <param name="tensor">A float32 tensor, filled in place.</param>
    /// <param name="low">Lower bound.</param>
    /// <param name="high">Upper bound.</param>
    /// <param name="random">Source of randomness; null: <see cref="Random.Shared"/>.</param>
    public static Tensor Uniform(Tensor tensor, double low, double high, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var rng = random ?? Random.Shared;
        var d = Writable(tensor).Data;
        for (int i = 0; i < d.Length; i++) d[i] = (float)(low + (high - low) * rng.NextDouble());
        tensor.MarkChanged();
        return tensor;
    }

    /// <summary>Fills with values drawn from the normal distribution N(<paramref name="mean"/>, <paramref name="std"/>²).</summary>
    /// <param name="tensor">A float32 tensor, filled in place.</param>
    /// <param name="mean">Mean.</param>
    /// <param name="std">Standard deviation.</param>
    /// <param name="random">Source of randomness; null: <see cref="Random.Shared"/>.</param>
    public static Tensor Normal(Tensor tensor, double mean, double std, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var rng = random ?? Random.Shared;
        var d = Writable(tensor).Data;
        for (int i = 0; i < d.Length; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            d[i] = (float)(mean + std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        tensor.MarkChanged();
        return tensor;
    }

    /// <summary>Fills with <paramref name="value"/>.</summary>
    /// <param name="tensor">A float32 tensor, filled in place.</param>
    /// <param name="value">The value.</param>
    public static Tensor Constant(Tensor tensor, float value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Writable(tensor).Data.Fill(value);
        tensor.MarkChanged();
        return tensor;
    }

    /// <summary>Kaiming (He) uniform init, torch.nn.init.kaiming_uniform_ with leaky_relu slope <paramref name="a"/>: U(-b, b), b = gain·√(3 / fan).</summary>
    /// <param name="tensor">A float32 weight ([out, in, ...]), filled in place.</param>
    /// <param name="a">Negative slope of the rectifier (√5 gives PyTorch's default Linear/Conv init).</param>
    /// <param name="fanOut">Use fan_out (out·receptive field) instead of fan_in.</param>
    /// <param name="random">Source of randomness; null: <see cref="Random.Shared"/>.</param>
    public static Tensor KaimingUniform(Tensor tensor, double a = 0, bool fanOut = false, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        double gain = Math.Sqrt(2.0 / (1 + a * a));
        double bound = gain * Math.Sqrt(3.0 / Fan(tensor, fanOut));
        return Uniform(tensor, -bound, bound, random);
    }

    /// <summary>Kaiming (He) normal init for ReLU, torch.nn.init.kaiming_normal_(nonlinearity="relu"): N(0, 2 / fan).</summary>
    /// <param name="tensor">A float32 weight ([out, in, ...]), filled in place.</param>
    /// <param name="fanOut">Use fan_out (torchvision's ResNet init) instead of fan_in.</param>
    /// <param name="random">Source of randomness; null: <see cref="Random.Shared"/>.</param>
    public static Tensor KaimingNormal(Tensor tensor, bool fanOut = false, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return Normal(tensor, 0, Math.Sqrt(2.0 / Fan(tensor, fanOut)), random);
    }

    private static Tensor Writable(Tensor tensor)
    {
        if (tensor.DType != DType.Float32 || !tensor.IsContiguous)
            throw new ArgumentException($"Initializers fill contiguous Float32 tensors in place; this one is {tensor.DType}{(tensor.IsContiguous ? "" : ", non-contiguous")}.", nameof(tensor));
        return tensor;
    }

    /// <summary>fan_in (in·receptive field) or fan_out (out·receptive field) of a weight, as torch computes it.</summary>
    internal static double Fan(Tensor tensor, bool fanOut)
    {
        if (tensor.Rank < 2) throw new ArgumentException($"Fan in/out needs a tensor with at least 2 dimensions, got {tensor.ShapeString}.");
        long receptive = 1;
        for (int i = 2; i < tensor.Rank; i++) receptive *= tensor.Size(i);
        return Math.Max(1, (fanOut ? tensor.Size(0) : tensor.Size(1)) * receptive);
    }
}
