using HubHost.Nn.Functional;

namespace HubHost.Nn.Modules;

/// <summary>
/// 2-D convolution with zero padding (torch.nn.Conv2d). State: "weight" [out, in/groups, kH, kW], "bias" [out].
/// The weight is kept packed for the matrix multiply between calls (repacked after it changes).
/// </summary>
public sealed class Conv2d : Module
{
    private PackedConvWeight? _packed;

    /// <summary>Creates the layer with square kernel, stride, padding and dilation and PyTorch's default init.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernelSize">Kernel height and width.</param>
    /// <param name="stride">Step of the kernel.</param>
    /// <param name="padding">Zeros added on each side.</param>
    /// <param name="dilation">Spacing between kernel elements.</param>
    /// <param name="groups">Blocked connections from input to output channels (both divisible by it).</param>
    /// <param name="hasBias">Whether to learn an additive bias.</param>
    public Conv2d(long inChannels, long outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool hasBias = true)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, hasBias)
    {
    }

    /// <summary>Creates the layer with per-direction (height, width) settings and PyTorch's default init.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernelSize">Kernel (height, width).</param>
    /// <param name="stride">Step of the kernel (height, width).</param>
    /// <param name="padding">Zeros added on each side (height, width).</param>
    /// <param name="dilation">Spacing between kernel elements (height, width).</param>
    /// <param name="groups">Blocked connections from input to output channels (both divisible by it).</param>
    /// <param name="hasBias">Whether to learn an additive bias.</param>
    public Conv2d(long inChannels, long outChannels, (int Height, int Width) kernelSize, (int Height, int Width)? stride = null, (int Height, int Width)? padding = null, (int Height, int Width)? dilation = null, int groups = 1, bool hasBias = true)
    {
        if (groups < 1) throw new ArgumentOutOfRangeException(nameof(groups), groups, "Conv2d groups must be positive.");
        if (inChannels < 1 || outChannels < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d channels ({inChannels} in, {outChannels} out) must be positive and divisible by groups={groups}.");
        if (kernelSize.Height < 1 || kernelSize.Width < 1) throw new ArgumentOutOfRangeException(nameof(kernelSize), $"Conv2d kernel size must be positive, got ({kernelSize.Height}, {kernelSize.Width}).");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride ?? (1, 1);
        Padding = padding ?? (0, 0);
        Dilation = dilation ?? (1, 1);
        if (Stride.Height < 1 || Stride.Width < 1 || Dilation.Height < 1 || Dilation.Width < 1 || Padding.Height < 0 || Padding.Width < 0)
            throw new ArgumentException($"Conv2d needs stride and dilation >= 1 and padding >= 0, got stride {Stride}, padding {Padding}, dilation {Dilation}.");
        Groups = groups;
        Weight = Tensor.Zeros(outChannels, inChannels / groups, kernelSize.Height, kernelSize.Width);
        Init.KaimingUniform(Weight, Math.Sqrt(5));
        RegisterParameter("weight", Weight);
        if (hasBias)
        {
            double bound = 1 / Math.Sqrt(Init.Fan(Weight, fanOut: false));
            Bias = Init.Uniform(Tensor.Zeros(outChannels), -bound, bound);
            RegisterParameter("bias", Bias);
        }
    }

    /// <summary>Input channels.</summary>
    public long InChannels { get; }

    /// <summary>Output channels.</summary>
    public long OutChannels { get; }

    /// <summary>Kernel (height, width).</summary>
    public (int Height, int Width) KernelSize { get; }

    /// <summary>Step of the kernel (height, width).</summary>
    public (int Height, int Width) Stride { get; }

    /// <summary>Zeros added on each side (height, width).</summary>
    public (int Height, int Width) Padding { get; }

    /// <summary>Spacing between kernel elements (height, width).</summary>
    public (int Height, int Width) Dilation { get; }

    /// <summary>Blocked connections from input to output channels.</summary>
    public int Groups { get; }

    /// <summary>[out_channels, in_channels / groups, kH, kW].</summary>
    public Tensor Weight { get; }

    /// <summary>[out_channels], or null without bias.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        var packed = _packed;
        if (packed is null || !packed.Matches(Weight)) _packed = packed = new PackedConvWeight(Weight, Groups);
        return Convolution.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups, packed);
    }

    /// <inheritdoc />
    protected override string ExtraRepr()
    {
        var s = $"{InChannels}, {OutChannels}, kernel_size=({KernelSize.Height}, {KernelSize.Width}), stride=({Stride.Height}, {Stride.Width})";
        if (Padding != (0, 0)) s += $", padding=({Padding.Height}, {Padding.Width})";
        if (Dilation != (1, 1)) s += $", dilation=({Dilation.Height}, {Dilation.Width})";
        if (Groups != 1) s += $", groups={Groups}";
        if (Bias is null) s += ", bias=False";
        return s;
    }
}
