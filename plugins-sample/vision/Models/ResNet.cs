using HubHost.Nn;
using HubHost.Nn.Functional;
using HubHost.Nn.Modules;

namespace Vision.Models;

/// <summary>torchvision's ResNet (0.14): the same layers, parameter names and forward pass.</summary>
public sealed class ResNet : Module
{
    private readonly Conv2d _conv1;
    private readonly BatchNorm2d _bn1;
    private readonly ReLU _relu;
    private readonly MaxPool2d _maxpool;
    private readonly Sequential _layer1, _layer2, _layer3, _layer4;
    private readonly AdaptiveAvgPool2d _avgpool;
    private readonly Linear _fc;
    private long _inplanes = 64;

    /// <summary>Builds the network with torchvision's initialization (Kaiming-normal fan-out convs, BatchNorm weight 1 bias 0).</summary>
    /// <param name="bottleneck">Use Bottleneck blocks (ResNet-50 and deeper) instead of BasicBlock (ResNet-18/34).</param>
    /// <param name="layers">Blocks in each of the four stages, e.g. [2, 2, 2, 2] for ResNet-18.</param>
    /// <param name="numClasses">Outputs of the final fully connected layer.</param>
    public ResNet(bool bottleneck, int[] layers, int numClasses = 1000)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Length != 4) throw new ArgumentException($"ResNet needs block counts for 4 stages, got {layers.Length}.", nameof(layers));
        int expansion = bottleneck ? 4 : 1;
        _conv1 = new Conv2d(3, 64, kernelSize: 7, stride: 2, padding: 3, hasBias: false);
        _bn1 = new BatchNorm2d(64);
        _relu = new ReLU(inPlace: true);
        _maxpool = new MaxPool2d(kernelSize: 3, stride: 2, padding: 1);
        _layer1 = MakeLayer(bottleneck, 64, layers[0], 1);
        _layer2 = MakeLayer(bottleneck, 128, layers[1], 2);
        _layer3 = MakeLayer(bottleneck, 256, layers[2], 2);
        _layer4 = MakeLayer(bottleneck, 512, layers[3], 2);
        _avgpool = new AdaptiveAvgPool2d(1);
        _fc = new Linear(512 * expansion, numClasses);
        RegisterModule("conv1", _conv1);
        RegisterModule("bn1", _bn1);
        RegisterModule("relu", _relu);
        RegisterModule("maxpool", _maxpool);
        RegisterModule("layer1", _layer1);
        RegisterModule("layer2", _layer2);
        RegisterModule("layer3", _layer3);
        RegisterModule("layer4", _layer4);
        RegisterModule("avgpool", _avgpool);
        RegisterModule("fc", _fc);
        foreach (var (_, m) in NamedModules())
            if (m is Conv2d conv) Init.KaimingNormal(conv.Weight, fanOut: true);
    }

    private Sequential MakeLayer(bool bottleneck, long planes, int blocks, int stride)
    {
        int expansion = bottleneck ? 4 : 1;
        Sequential? downsample = null;
        if (stride != 1 || _inplanes != planes * expansion)
            downsample = new Sequential(new Conv2d(_inplanes, planes * expansion, kernelSize: 1, stride: stride, hasBias: false), new BatchNorm2d(planes * expansion));
        var layer = new Sequential();
        layer.Append(bottleneck ? new Bottleneck(_inplanes, planes, stride, downsample) : new BasicBlock(_inplanes, planes, stride, downsample));
        _inplanes = planes * expansion;
        for (int i = 1; i < blocks; i++)
            layer.Append(bottleneck ? new Bottleneck(_inplanes, planes) : new BasicBlock(_inplanes, planes));
        return layer;
    }

    /// <summary>Logits [N, numClasses] for images [N, 3, H, W].</summary>
    /// <param name="input">Normalized images.</param>
    public override Tensor Forward(Tensor input)
    {
        var x = _maxpool.Forward(_relu.Forward(_bn1.Forward(_conv1.Forward(input))));
        x = _layer4.Forward(_layer3.Forward(_layer2.Forward(_layer1.Forward(x))));
        return _fc.Forward(_avgpool.Forward(x).Flatten(1));
    }
}

/// <summary>torchvision's BasicBlock: two 3x3 convs with BatchNorm and a residual connection.</summary>
public sealed class BasicBlock : Module
{
    private readonly Conv2d _conv1, _conv2;
    private readonly BatchNorm2d _bn1, _bn2;
    private readonly ReLU _relu;
    private readonly Module? _downsample;

    /// <summary>Creates the block.</summary>
    /// <param name="inplanes">Input channels.</param>
    /// <param name="planes">Output channels.</param>
    /// <param name="stride">Stride of the first conv.</param>
    /// <param name="downsample">Projection of the input for the residual, or null for identity.</param>
    public BasicBlock(long inplanes, long planes, int stride = 1, Module? downsample = null)
    {
        _conv1 = new Conv2d(inplanes, planes, kernelSize: 3, stride: stride, padding: 1, hasBias: false);
        _bn1 = new BatchNorm2d(planes);
        _relu = new ReLU(inPlace: true);
        _conv2 = new Conv2d(planes, planes, kernelSize: 3, padding: 1, hasBias: false);
        _bn2 = new BatchNorm2d(planes);
        _downsample = downsample;
        RegisterModule("conv1", _conv1);
        RegisterModule("bn1", _bn1);
        RegisterModule("relu", _relu);
        RegisterModule("conv2", _conv2);
        RegisterModule("bn2", _bn2);
        RegisterModule("downsample", _downsample);
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        var identity = _downsample?.Forward(input) ?? input;
        var x = _relu.Forward(_bn1.Forward(_conv1.Forward(input)));
        x = _bn2.Forward(_conv2.Forward(x));
        return _relu.Forward(F.Add(x, identity, inPlace: true));
    }
}

/// <summary>torchvision's Bottleneck (ResNet V1.5): 1x1, 3x3 (strided), 1x1 convs with BatchNorm, 4x expansion, residual.</summary>
public sealed class Bottleneck : Module
{
    private readonly Conv2d _conv1, _conv2, _conv3;
    private readonly BatchNorm2d _bn1, _bn2, _bn3;
    private readonly ReLU _relu;
    private readonly Module? _downsample;

    /// <summary>Creates the block.</summary>
    /// <param name="inplanes">Input channels.</param>
    /// <param name="planes">Width of the inner convs; the output has 4x as many channels.</param>
    /// <param name="stride">Stride of the 3x3 conv.</param>
    /// <param name="downsample">Projection of the input for the residual, or null for identity.</param>
    public Bottleneck(long inplanes, long planes, int stride = 1, Module? downsample = null)
    {
        _conv1 = new Conv2d(inplanes, planes, kernelSize: 1, hasBias: false);
        _bn1 = new BatchNorm2d(planes);
        _conv2 = new Conv2d(planes, planes, kernelSize: 3, stride: stride, padding: 1, hasBias: false);
        _bn2 = new BatchNorm2d(planes);
        _conv3 = new Conv2d(planes, planes * 4, kernelSize: 1, hasBias: false);
        _bn3 = new BatchNorm2d(planes * 4);
        _relu = new ReLU(inPlace: true);
        _downsample = downsample;
        RegisterModule("conv1", _conv1);
        RegisterModule("bn1", _bn1);
        RegisterModule("conv2", _conv2);
        RegisterModule("bn2", _bn2);
        RegisterModule("conv3", _conv3);
        RegisterModule("bn3", _bn3);
        RegisterModule("relu", _relu);
        RegisterModule("downsample", _downsample);
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        var identity = _downsample?.Forward(input) ?? input;
        var x = _relu.Forward(_bn1.Forward(_conv1.Forward(input)));
        x = _relu.Forward(_bn2.Forward(_conv2.Forward(x)));
        x = _bn3.Forward(_conv3.Forward(x));
        return _relu.Forward(F.Add(x, identity, inPlace: true));
    }
}
