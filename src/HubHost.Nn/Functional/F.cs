namespace HubHost.Nn.Functional;

/// <summary>
/// Stateless operations in the shape of torch.nn.functional (and the torch.* ops models need): float32,
/// PyTorch's semantics. Inputs of any dtype are converted to float32 first.
/// </summary>
public static class F
{
    /// <summary>y = x·Wᵀ + b over the last dimension (torch.nn.functional.linear).</summary>
    /// <param name="input">[..., in_features].</param>
    /// <param name="weight">[out_features, in_features].</param>
    /// <param name="bias">[out_features], or null.</param>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        return Kernels.Linear(input, weight, bias);
    }

    /// <summary>2-D convolution (torch.nn.functional.conv2d) with zero padding.</summary>
    /// <param name="input">[N, C_in, H, W] or [C_in, H, W].</param>
    /// <param name="weight">[C_out, C_in / groups, kH, kW].</param>
    /// <param name="bias">[C_out], or null.</param>
    /// <param name="stride">Step of the kernel in both directions.</param>
    /// <param name="padding">Zeros added on each side in both directions.</param>
    /// <param name="dilation">Spacing between kernel elements.</param>
    /// <param name="groups">Number of blocked connections from input to output channels.</param>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        return Convolution.Conv2d(input, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups, null);
    }

    /// <summary>2-D max pooling (torch.nn.functional.max_pool2d), padding counting as -infinity; NaN propagates.</summary>
    /// <param name="input">[N, C, H, W] or [C, H, W].</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Window step; null: the kernel size.</param>
    /// <param name="padding">Implicit -infinity padding on each side (at most half the kernel).</param>
    /// <param name="dilation">Spacing between window elements.</param>
    /// <param name="ceilMode">Round the output size up (the last window must still start inside the input or the left padding).</param>
    public static Tensor MaxPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        int s = stride ?? kernelSize;
        return Pooling.MaxPool2d(input, (kernelSize, kernelSize), (s, s), (padding, padding), (dilation, dilation), ceilMode);
    }

    /// <summary>Adaptive average pooling to a fixed output size (torch.nn.functional.adaptive_avg_pool2d).</summary>
    /// <param name="input">[N, C, H, W] or [C, H, W].</param>
    /// <param name="outputHeight">Output height; null keeps the input's.</param>
    /// <param name="outputWidth">Output width; null keeps the input's.</param>
    public static Tensor AdaptiveAvgPool2d(Tensor input, int? outputHeight, int? outputWidth)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Pooling.AdaptiveAvgPool2d(input, outputHeight, outputWidth);
    }

    /// <summary>Batch normalization over dimension 1 (torch.nn.functional.batch_norm).</summary>
    /// <param name="input">[N, C, ...].</param>
    /// <param name="runningMean">[C]; updated in place when <paramref name="training"/>.</param>
    /// <param name="runningVar">[C]; updated in place when <paramref name="training"/>.</param>
    /// <param name="weight">[C] scale, or null.</param>
    /// <param name="bias">[C] shift, or null.</param>
    /// <param name="training">Normalize with the batch's statistics (and update the running ones) instead of the running ones.</param>
    /// <param name="momentum">Weight of the batch statistic in the running update.</param>
    /// <param name="eps">Added to the variance.</param>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null, bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Kernels.BatchNorm(input, runningMean, runningVar, weight, bias, training, momentum, eps);
    }

    /// <summary>max(x, 0) element-wise (torch.nn.functional.relu).</summary>
    /// <param name="input">Any shape.</param>
    /// <param name="inPlace">Overwrite <paramref name="input"/> (when it is contiguous float32) and return it.</param>
    public static Tensor Relu(Tensor input, bool inPlace = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Kernels.Relu(input, inPlace);
    }

    /// <summary>Randomly zeroes elements with probability <paramref name="p"/> and scales the rest by 1/(1-p) when training; identity otherwise.</summary>
    /// <param name="input">Any shape.</param>
    /// <param name="p">Probability of an element being zeroed, in [0, 1].</param>
    /// <param name="training">Apply dropout; false returns <paramref name="input"/> unchanged.</param>
    /// <param name="random">Source of randomness; null: <see cref="Random.Shared"/>.</param>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (p is < 0 or > 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability must be between 0 and 1.");
        if (!training || p == 0) return input;
        var x = input.ReadFloats();
        var output = Tensor.Uninitialized([.. input.Shape]);
        var y = output.Data;
        if (p == 1)
        {
            y.Clear();
            return output;
        }
        var rng = random ?? Random.Shared;
        float scale = (float)(1.0 / (1.0 - p));
        for (int i = 0; i < x.Length; i++) y[i] = rng.NextDouble() < p ? 0f : x[i] * scale;
        GC.KeepAlive(input);
        return output;
    }

    /// <summary>exp(x) / sum(exp(x)) along <paramref name="dim"/> (torch.softmax), computed stably.</summary>
    /// <param name="input">Any shape.</param>
    /// <param name="dim">The dimension that sums to 1 (negative counts from the end).</param>
    public static Tensor Softmax(Tensor input, int dim)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Kernels.Softmax(input, dim);
    }

    /// <summary>Element-wise sum of two tensors of the same shape (torch.add; residual connections).</summary>
    /// <param name="a">First operand.</param>
    /// <param name="b">Second operand, same shape.</param>
    /// <param name="inPlace">Write into <paramref name="a"/> (when it is contiguous float32) and return it, like <c>a += b</c>.</param>
    public static Tensor Add(Tensor a, Tensor b, bool inPlace = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return Kernels.Add(a, b, inPlace);
    }

    /// <summary>Concatenates tensors along <paramref name="dim"/> (torch.cat); all other dimensions must match.</summary>
    /// <param name="tensors">At least one tensor.</param>
    /// <param name="dim">The dimension to join along (negative counts from the end).</param>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        return Kernels.Cat(tensors, dim);
    }

    /// <summary>Index (int64) of the first maximum along <paramref name="dim"/>, or over all elements when null (torch.argmax).</summary>
    /// <param name="input">Any shape.</param>
    /// <param name="dim">The dimension to reduce; null: the flattened tensor.</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1.</param>
    public static Tensor ArgMax(Tensor input, int? dim = null, bool keepDim = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Kernels.ArgMax(input, dim, keepDim);
    }
}
