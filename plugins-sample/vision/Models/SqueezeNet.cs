using HubHost.Nn;
using HubHost.Nn.Functional;
using HubHost.Nn.Modules;

namespace Vision.Models;

/// <summary>torchvision's SqueezeNet 1.0 / 1.1 (0.14): the same layers, parameter names and forward pass.</summary>
public sealed class SqueezeNet : Module
{
    private readonly Sequential _features;
    private readonly Sequential _classifier;

    /// <summary>Builds the network with torchvision's initialization.</summary>
    /// <param name="version">"1_0" or "1_1".</param>
    /// <param name="numClasses">Output classes (channels of the final 1x1 conv).</param>
    /// <param name="dropout">Dropout probability before the final conv.</param>
    public SqueezeNet(string version = "1_0", int numClasses = 1000, double dropout = 0.5)
    {
        _features = version switch
        {
            "1_0" => new Sequential(
                new Conv2d(3, 96, kernelSize: 7, stride: 2),
                new ReLU(inPlace: true),
                new MaxPool2d(kernelSize: 3, stride: 2, ceilMode: true),
                new Fire(96, 16, 64, 64),
                new Fire(128, 16, 64, 64),
                new Fire(128, 32, 128, 128),
                new MaxPool2d(kernelSize: 3, stride: 2, ceilMode: true),
                new Fire(256, 32, 128, 128),
                new Fire(256, 48, 192, 192),
                new Fire(384, 48, 192, 192),
                new Fire(384, 64, 256, 256),
                new MaxPool2d(kernelSize: 3, stride: 2, ceilMode: true),
                new Fire(512, 64, 256, 256)),
            "1_1" => new Sequential(
                new Conv2d(3, 64, kernelSize: 3, stride: 2),
                new ReLU(inPlace: true),
                new MaxPool2d(kernelSize: 3, stride: 2, ceilMode: true),
                new Fire(64, 16, 64, 64),
                new Fire(128, 16, 64, 64),
                new MaxPool2d(kernelSize: 3, stride: 2, ceilMode: true),
                new Fire(128, 32, 128, 128),
                new Fire(256, 32, 128, 128),
                new MaxPool2d(kernelSize: 3, stride: 2, ceilMode: true),
                new Fire(256, 48, 192, 192),
                new Fire(384, 48, 192, 192),
                new Fire(384, 64, 256, 256),
                new Fire(512, 64, 256, 256)),
            _ => throw new ArgumentException($"Unsupported SqueezeNet version {version}: 1_0 or 1_1 expected.", nameof(version)),
        };
        var finalConv = new Conv2d(512, numClasses, kernelSize: 1);
        _classifier = new Sequential(new Dropout(dropout), finalConv, new ReLU(inPlace: true), new AdaptiveAvgPool2d(1));
        RegisterModule("features", _features);
        RegisterModule("classifier", _classifier);
        foreach (var (_, m) in NamedModules())
        {
            if (m is not Conv2d conv) continue;
            if (ReferenceEquals(conv, finalConv)) Init.Normal(conv.Weight, 0, 0.01);
            else Init.KaimingUniform(conv.Weight);
            if (conv.Bias is not null) Init.Constant(conv.Bias, 0);
        }
    }

    /// <summary>Logits [N, numClasses] for images [N, 3, H, W].</summary>
    /// <param name="input">Normalized images.</param>
    public override Tensor Forward(Tensor input) => _classifier.Forward(_features.Forward(input)).Flatten(1);
}

/// <summary>SqueezeNet's Fire module: a 1x1 squeeze conv, then 1x1 and 3x3 expand convs concatenated on channels.</summary>
public sealed class Fire : Module
{
    private readonly Conv2d _squeeze, _expand1x1, _expand3x3;
    private readonly ReLU _squeezeActivation, _expand1x1Activation, _expand3x3Activation;

    /// <summary>Creates the module.</summary>
    /// <param name="inplanes">Input channels.</param>
    /// <param name="squeezePlanes">Channels after the squeeze conv.</param>
    /// <param name="expand1x1Planes">Channels of the 1x1 expand conv.</param>
    /// <param name="expand3x3Planes">Channels of the 3x3 expand conv.</param>
    public Fire(long inplanes, long squeezePlanes, long expand1x1Planes, long expand3x3Planes)
    {
        _squeeze = new Conv2d(inplanes, squeezePlanes, kernelSize: 1);
        _squeezeActivation = new ReLU(inPlace: true);
        _expand1x1 = new Conv2d(squeezePlanes, expand1x1Planes, kernelSize: 1);
        _expand1x1Activation = new ReLU(inPlace: true);
        _expand3x3 = new Conv2d(squeezePlanes, expand3x3Planes, kernelSize: 3, padding: 1);
        _expand3x3Activation = new ReLU(inPlace: true);
        RegisterModule("squeeze", _squeeze);
        RegisterModule("squeeze_activation", _squeezeActivation);
        RegisterModule("expand1x1", _expand1x1);
        RegisterModule("expand1x1_activation", _expand1x1Activation);
        RegisterModule("expand3x3", _expand3x3);
        RegisterModule("expand3x3_activation", _expand3x3Activation);
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        var x = _squeezeActivation.Forward(_squeeze.Forward(input));
        return F.Cat([_expand1x1Activation.Forward(_expand1x1.Forward(x)), _expand3x3Activation.Forward(_expand3x3.Forward(x))], 1);
    }
}
