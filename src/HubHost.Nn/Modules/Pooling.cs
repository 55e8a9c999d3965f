namespace HubHost.Nn.Modules;

/// <summary>2-D max pooling (torch.nn.MaxPool2d), padding counting as -infinity. No state.</summary>
public sealed class MaxPool2d : Module
{
    /// <summary>Creates the layer with a square window.</summary>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Window step; null: the kernel size.</param>
    /// <param name="padding">Implicit -infinity padding on each side (at most half the kernel).</param>
    /// <param name="dilation">Spacing between window elements.</param>
    /// <param name="ceilMode">Round the output size up; the last window must still start inside the input or the left padding.</param>
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), (dilation, dilation), ceilMode)
    {
    }

    /// <summary>Creates the layer with per-direction (height, width) settings.</summary>
    /// <param name="kernelSize">Window (height, width).</param>
    /// <param name="stride">Window step; null: the kernel size.</param>
    /// <param name="padding">Implicit -infinity padding on each side; null: none.</param>
    /// <param name="dilation">Spacing between window elements; null: 1.</param>
    /// <param name="ceilMode">Round the output size up.</param>
    public MaxPool2d((int Height, int Width) kernelSize, (int Height, int Width)? stride = null, (int Height, int Width)? padding = null, (int Height, int Width)? dilation = null, bool ceilMode = false)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding ?? (0, 0);
        Dilation = dilation ?? (1, 1);
        CeilMode = ceilMode;
        if (KernelSize.Height < 1 || KernelSize.Width < 1 || Stride.Height < 1 || Stride.Width < 1 || Dilation.Height < 1 || Dilation.Width < 1)
            throw new ArgumentException($"MaxPool2d needs kernel, stride and dilation >= 1, got kernel {KernelSize}, stride {Stride}, dilation {Dilation}.");
        if (Padding.Height < 0 || Padding.Width < 0 || Padding.Height > KernelSize.Height / 2 || Padding.Width > KernelSize.Width / 2)
            throw new ArgumentException($"MaxPool2d: padding {Padding} must be >= 0 and at most half the kernel size {KernelSize}.");
    }

    /// <summary>Window (height, width).</summary>
    public (int Height, int Width) KernelSize { get; }

    /// <summary>Window step (height, width).</summary>
    public (int Height, int Width) Stride { get; }

    /// <summary>Padding on each side (height, width).</summary>
    public (int Height, int Width) Padding { get; }

    /// <summary>Spacing between window elements (height, width).</summary>
    public (int Height, int Width) Dilation { get; }

    /// <summary>Whether the output size is rounded up.</summary>
    public bool CeilMode { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.Pooling.MaxPool2d(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <inheritdoc />
    protected override string ExtraRepr()
        => $"kernel_size={Show(KernelSize)}, stride={Show(Stride)}, padding={Show(Padding)}, dilation={Show(Dilation)}, ceil_mode={(CeilMode ? "True" : "False")}";

    internal static string Show((int Height, int Width) v) => v.Height == v.Width ? $"{v.Height}" : $"({v.Height}, {v.Width})";
}

/// <summary>
/// Average pooling to a fixed output size (torch.nn.AdaptiveAvgPool2d): output cell i averages input
/// rows floor(i·H/out) .. ceil((i+1)·H/out) - 1 (likewise for columns). No state.
/// </summary>
public sealed class AdaptiveAvgPool2d : Module
{
    /// <summary>Creates the layer with a square output.</summary>
    /// <param name="outputSize">Output height and width.</param>
    public AdaptiveAvgPool2d(int outputSize)
        : this((outputSize, outputSize))
    {
    }

    /// <summary>Creates the layer.</summary>
    /// <param name="outputSize">Output (height, width); a null part keeps the input's size.</param>
    public AdaptiveAvgPool2d((int? Height, int? Width) outputSize)
    {
        if (outputSize.Height < 0 || outputSize.Width < 0) throw new ArgumentOutOfRangeException(nameof(outputSize), $"AdaptiveAvgPool2d output size must not be negative, got {outputSize}.");
        OutputSize = outputSize;
    }

    /// <summary>Output (height, width); a null part keeps the input's size.</summary>
    public (int? Height, int? Width) OutputSize { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Functional.Pooling.AdaptiveAvgPool2d(input, OutputSize.Height, OutputSize.Width);

    /// <inheritdoc />
    protected override string ExtraRepr()
        => OutputSize.Height == OutputSize.Width && OutputSize.Height is int h ? $"output_size={h}" : $"output_size=({OutputSize.Height?.ToString() ?? "None"}, {OutputSize.Width?.ToString() ?? "None"})";
}
