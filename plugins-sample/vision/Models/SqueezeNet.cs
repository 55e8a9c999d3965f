using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Vision.Models;

/// <summary>
/// torchvision's SqueezeNet 1.0 / 1.1 (0.14), which TorchVision for .NET lacks, written as a TorchSharp module:
/// the same layers, parameter names (<c>features.3.squeeze.weight</c>, <c>classifier.1.bias</c>) and forward pass,
/// so PyTorch's state dicts load with <c>load_state_dict</c>.
/// </summary>
public sealed class SqueezeNet : Module<Tensor, Tensor>
{
    private readonly Sequential features;
    private readonly Sequential classifier;

    /// <summary>Builds the network with torchvision's initialization.</summary>
    /// <param name="version">"1_0" or "1_1".</param>
    /// <param name="numClasses">Output classes (channels of the final 1x1 conv).</param>
    /// <param name="dropout">Dropout probability before the final conv.</param>
    public SqueezeNet(string version = "1_0", long numClasses = 1000, double dropout = 0.5) : base("SqueezeNet")
    {
        features = version switch
        {
            "1_0" => Sequential(
                Conv2d(3, 96, kernel_size: 7, stride: 2),
                ReLU(inplace: true),
                MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true),
                new Fire(96, 16, 64, 64),
                new Fire(128, 16, 64, 64),
                new Fire(128, 32, 128, 128),
                MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true),
                new Fire(256, 32, 128, 128),
                new Fire(256, 48, 192, 192),
                new Fire(384, 48, 192, 192),
                new Fire(384, 64, 256, 256),
                MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true),
                new Fire(512, 64, 256, 256)),
            "1_1" => Sequential(
                Conv2d(3, 64, kernel_size: 3, stride: 2),
                ReLU(inplace: true),
                MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true),
                new Fire(64, 16, 64, 64),
                new Fire(128, 16, 64, 64),
                MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true),
                new Fire(128, 32, 128, 128),
                new Fire(256, 32, 128, 128),
                MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true),
                new Fire(256, 48, 192, 192),
                new Fire(384, 48, 192, 192),
                new Fire(384, 64, 256, 256),
                new Fire(512, 64, 256, 256)),
            _ => throw new ArgumentException($"Unsupported SqueezeNet version {version}: 1_0 or 1_1 expected.", nameof(version)),
        };
        var finalConv = Conv2d(512, numClasses, kernel_size: 1);
        classifier = Sequential(Dropout(dropout), finalConv, ReLU(inplace: true), AdaptiveAvgPool2d(1));
        RegisterComponents();
        foreach (var module in modules())
        {
            if (module is not Conv2d conv) continue;
            if (ReferenceEquals(conv, finalConv)) init.normal_(conv.weight, 0, 0.01);
            else init.kaiming_uniform_(conv.weight);
            if (conv.bias is { } bias) init.constant_(bias, 0);
        }
    }

    /// <summary>Logits [N, numClasses] for normalized images [N, 3, H, W].</summary>
    /// <param name="input">Normalized images.</param>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return classifier.forward(features.forward(input)).flatten(1).MoveToOuterDisposeScope();
    }
}

/// <summary>SqueezeNet's Fire module: a 1x1 squeeze conv, then 1x1 and 3x3 expand convs concatenated on channels.</summary>
public sealed class Fire : Module<Tensor, Tensor>
{
    private readonly Conv2d squeeze, expand1x1, expand3x3;
    private readonly ReLU squeeze_activation, expand1x1_activation, expand3x3_activation;

    /// <summary>Creates the module.</summary>
    /// <param name="inplanes">Input channels.</param>
    /// <param name="squeezePlanes">Channels after the squeeze conv.</param>
    /// <param name="expand1x1Planes">Channels of the 1x1 expand conv.</param>
    /// <param name="expand3x3Planes">Channels of the 3x3 expand conv.</param>
    public Fire(long inplanes, long squeezePlanes, long expand1x1Planes, long expand3x3Planes) : base("Fire")
    {
        squeeze = Conv2d(inplanes, squeezePlanes, kernel_size: 1);
        squeeze_activation = ReLU(inplace: true);
        expand1x1 = Conv2d(squeezePlanes, expand1x1Planes, kernel_size: 1);
        expand1x1_activation = ReLU(inplace: true);
        expand3x3 = Conv2d(squeezePlanes, expand3x3Planes, kernel_size: 3, padding: 1);
        expand3x3_activation = ReLU(inplace: true);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = squeeze_activation.forward(squeeze.forward(input));
        return cat([expand1x1_activation.forward(expand1x1.forward(x)), expand3x3_activation.forward(expand3x3.forward(x))], 1).MoveToOuterDisposeScope();
    }
}
