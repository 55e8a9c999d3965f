using TorchSharp;
using TorchSharp.Modules;
using Vision.Models;
using static TorchSharp.torch;
using static TorchSharp.torchvision;

/// <summary>
/// The .NET twin of torchvision 0.14's hubconf.py: every architecture TorchVision for .NET has, with torchvision's
/// published ImageNet weights, plus SqueezeNet 1.1 (defined in this repo as a TorchSharp module, since TorchVision
/// lacks it) and a small digits MLP whose trained weights ship in this repo. Every entrypoint returns a TorchSharp
/// module in training mode, as torchvision does: call <c>eval()</c> before inference. Inputs are normalized
/// images [N, 3, H, W] (ImageNet mean and std); outputs are logits [N, numClasses].
/// </summary>
public static class Hubconf
{
    /// <summary>
    /// A small MLP for 8x8 digit images: Sequential(Linear(64, 32), ReLU(), Linear(32, 10)). Inputs [N, 64] are the
    /// pixel values divided by 16; outputs are logits for the digits 0-9 (accuracy 0.8956 on scikit-learn's held-out digits).
    /// </summary>
    /// <param name="pretrained">Load the weights trained on scikit-learn's digits data set, shipped in this repo as digits_mlp.pt.</param>
    public static Sequential digits_mlp(bool pretrained = false)
    {
        var model = nn.Sequential(("0", nn.Linear(64, 32)), ("1", nn.ReLU()), ("2", nn.Linear(32, 10)));
        if (pretrained)
        {
            var hub = HubHost.Contract.HubServices.For(typeof(Hubconf));
            model.load_state_dict(hub.LoadStateDict("digits_mlp.pt"), strict: true);
        }
        return model;
    }

    /// <summary>
    /// SqueezeNet 1.1 from "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and &lt;0.5MB model size":
    /// 2.4x less computation than SqueezeNet 1.0 at the same accuracy. Defined in this repo (Models/SqueezeNet.cs).
    /// </summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1 or DEFAULT (IMAGENET1K_V1); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="dropout">Dropout probability before the classifier.</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static SqueezeNet squeezenet1_1(bool pretrained = false, string? weights = null, bool progress = true, long numClasses = 1000, double dropout = 0.5, string? weightsUrl = null)
        => Pretrained.Load(new SqueezeNet("1_1", numClasses, dropout), Pretrained.Choose("squeezenet1_1", pretrained, weights, weightsUrl, numClasses), progress);

    /// <summary>ResNet-18 from "Deep Residual Learning for Image Recognition" (torchvision.models.resnet18).</summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1 or DEFAULT (IMAGENET1K_V1); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="zeroInitResidual">Zero-initialize the last batch norm of each residual branch (torchvision's zero_init_residual).</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static ResNet resnet18(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, bool zeroInitResidual = false, string? weightsUrl = null)
        => Pretrained.Load(models.resnet18(num_classes: numClasses, zero_init_residual: zeroInitResidual), Pretrained.Choose("resnet18", pretrained, weights, weightsUrl, numClasses), progress);

    /// <summary>ResNet-34 from "Deep Residual Learning for Image Recognition" (torchvision.models.resnet34).</summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1 or DEFAULT (IMAGENET1K_V1); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="zeroInitResidual">Zero-initialize the last batch norm of each residual branch (torchvision's zero_init_residual).</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static ResNet resnet34(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, bool zeroInitResidual = false, string? weightsUrl = null)
        => Pretrained.Load(models.resnet34(num_classes: numClasses, zero_init_residual: zeroInitResidual), Pretrained.Choose("resnet34", pretrained, weights, weightsUrl, numClasses), progress);

    /// <summary>ResNet-50 from "Deep Residual Learning for Image Recognition" (torchvision.models.resnet50).</summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1, IMAGENET1K_V2 or DEFAULT (IMAGENET1K_V2); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="zeroInitResidual">Zero-initialize the last batch norm of each residual branch (torchvision's zero_init_residual).</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static ResNet resnet50(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, bool zeroInitResidual = false, string? weightsUrl = null)
        => Pretrained.Load(models.resnet50(num_classes: numClasses, zero_init_residual: zeroInitResidual), Pretrained.Choose("resnet50", pretrained, weights, weightsUrl, numClasses), progress);

    /// <summary>ResNet-101 from "Deep Residual Learning for Image Recognition" (torchvision.models.resnet101).</summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1, IMAGENET1K_V2 or DEFAULT (IMAGENET1K_V2); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="zeroInitResidual">Zero-initialize the last batch norm of each residual branch (torchvision's zero_init_residual).</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static ResNet resnet101(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, bool zeroInitResidual = false, string? weightsUrl = null)
        => Pretrained.Load(models.resnet101(num_classes: numClasses, zero_init_residual: zeroInitResidual), Pretrained.Choose("resnet101", pretrained, weights, weightsUrl, numClasses), progress);

    /// <summary>ResNet-152 from "Deep Residual Learning for Image Recognition" (torchvision.models.resnet152).</summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1, IMAGENET1K_V2 or DEFAULT (IMAGENET1K_V2); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="zeroInitResidual">Zero-initialize the last batch norm of each residual branch (torchvision's zero_init_residual).</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static ResNet resnet152(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, bool zeroInitResidual = false, string? weightsUrl = null)
        => Pretrained.Load(models.resnet152(num_classes: numClasses, zero_init_residual: zeroInitResidual), Pretrained.Choose("resnet152", pretrained, weights, weightsUrl, numClasses), progress);

    /// <summary>ResNeXt-50 32x4d from "Aggregated Residual Transformation for Deep Neural Networks" (torchvision.models.resnext50_32x4d).</summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1, IMAGENET1K_V2 or DEFAULT (IMAGENET1K_V2); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="zeroInitResidual">Zero-initialize the last batch norm of each residual branch (torchvision's zero_init_residual).</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static ResNet resnext50_32x4d(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, bool zeroInitResidual = false, string? weightsUrl = null)
        => Pretrained.Load(models.resnext50_32x4d(num_classes: numClasses, zero_init_residual: zeroInitResidual), Pretrained.Choose("resnext50_32x4d", pretrained, weights, weightsUrl, numClasses), progress);

    /// <summary>ResNeXt-101 32x8d from "Aggregated Residual Transformation for Deep Neural Networks" (torchvision.models.resnext101_32x8d).</summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1, IMAGENET1K_V2 or DEFAULT (IMAGENET1K_V2); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="zeroInitResidual">Zero-initialize the last batch norm of each residual branch (torchvision's zero_init_residual).</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static ResNet resnext101_32x8d(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, bool zeroInitResidual = false, string? weightsUrl = null)
        => Pretrained.Load(models.resnext101_32x8d(num_classes: numClasses, zero_init_residual: zeroInitResidual), Pretrained.Choose("resnext101_32x8d", pretrained, weights, weightsUrl, numClasses), progress);

    /// <summary>ResNeXt-101 64x4d from "Aggregated Residual Transformation for Deep Neural Networks" (torchvision.models.resnext101_64x4d).</summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1 or DEFAULT (IMAGENET1K_V1); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="zeroInitResidual">Zero-initialize the last batch norm of each residual branch (torchvision's zero_init_residual).</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static ResNet resnext101_64x4d(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, bool zeroInitResidual = false, string? weightsUrl = null)
        => Pretrained.Load(models.resnext101_64x4d(num_classes: numClasses, zero_init_residual: zeroInitResidual), Pretrained.Choose("resnext101_64x4d", pretrained, weights, weightsUrl, numClasses), progress);

    /// <summary>Wide ResNet-50-2 from "Wide Residual Networks" (torchvision.models.wide_resnet50_2).</summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1, IMAGENET1K_V2 or DEFAULT (IMAGENET1K_V2); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="zeroInitResidual">Zero-initialize the last batch norm of each residual branch (torchvision's zero_init_residual).</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static ResNet wide_resnet50_2(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, bool zeroInitResidual = false, string? weightsUrl = null)
        => Pretrained.Load(models.wide_resnet50_2(num_classes: numClasses, zero_init_residual: zeroInitResidual), Pretrained.Choose("wide_resnet50_2", pretrained, weights, weightsUrl, numClasses), progress);

    /// <summary>Wide ResNet-101-2 from "Wide Residual Networks" (torchvision.models.wide_resnet101_2).</summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1, IMAGENET1K_V2 or DEFAULT (IMAGENET1K_V2); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="zeroInitResidual">Zero-initialize the last batch norm of each residual branch (torchvision's zero_init_residual).</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static ResNet wide_resnet101_2(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, bool zeroInitResidual = false, string? weightsUrl = null)
        => Pretrained.Load(models.wide_resnet101_2(num_classes: numClasses, zero_init_residual: zeroInitResidual), Pretrained.Choose("wide_resnet101_2", pretrained, weights, weightsUrl, numClasses), progress);

    /// <summary>VGG-11 from "Very Deep Convolutional Networks for Large-Scale Image Recognition" (torchvision.models.vgg11).</summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1 or DEFAULT (IMAGENET1K_V1); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="dropout">Dropout probability in the classifier.</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static VGG vgg11(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, float dropout = 0.5f, string? weightsUrl = null)
        => Pretrained.Load(models.vgg11(num_classes: numClasses, dropout: dropout), Pretrained.Choose("vgg11", pretrained, weights, weightsUrl, numClasses), progress);

    /// <summary>VGG-11 with batch normalization from "Very Deep Convolutional Networks for Large-Scale Image Recognition" (torchvision.models.vgg11_bn).</summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1 or DEFAULT (IMAGENET1K_V1); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="dropout">Dropout probability in the classifier.</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static VGG vgg11_bn(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, float dropout = 0.5f, string? weightsUrl = null)
        => Pretrained.Load(models.vgg11_bn(num_classes: numClasses, dropout: dropout), Pretrained.Choose("vgg11_bn", pretrained, weights, weightsUrl, numClasses), progress);

    /// <summary>VGG-13 from "Very Deep Convolutional Networks for Large-Scale Image Recognition" (torchvision.models.vgg13).</summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1 or DEFAULT (IMAGENET1K_V1); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="dropout">Dropout probability in the classifier.</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static VGG vgg13(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, float dropout = 0.5f, string? weightsUrl = null)
        => Pretrained.Load(models.vgg13(num_classes: numClasses, dropout: dropout), Pretrained.Choose("vgg13", pretrained, weights, weightsUrl, numClasses), progress);

    /// <summary>VGG-13 with batch normalization from "Very Deep Convolutional Networks for Large-Scale Image Recognition" (torchvision.models.vgg13_bn).</summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1 or DEFAULT (IMAGENET1K_V1); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="dropout">Dropout probability in the classifier.</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static VGG vgg13_bn(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, float dropout = 0.5f, string? weightsUrl = null)
        => Pretrained.Load(models.vgg13_bn(num_classes: numClasses, dropout: dropout), Pretrained.Choose("vgg13_bn", pretrained, weights, weightsUrl, numClasses), progress);

    /// <summary>VGG-16 from "Very Deep Convolutional Networks for Large-Scale Image Recognition" (torchvision.models.vgg16).</summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1 or DEFAULT (IMAGENET1K_V1); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="dropout">Dropout probability in the classifier.</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static VGG vgg16(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, float dropout = 0.5f, string? weightsUrl = null)
        => Pretrained.Load(models.vgg16(num_classes: numClasses, dropout: dropout), Pretrained.Choose("vgg16", pretrained, weights, weightsUrl, numClasses), progress);

    /// <summary>VGG-16 with batch normalization from "Very Deep Convolutional Networks for Large-Scale Image Recognition" (torchvision.models.vgg16_bn).</summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1 or DEFAULT (IMAGENET1K_V1); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="dropout">Dropout probability in the classifier.</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static VGG vgg16_bn(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, float dropout = 0.5f, string? weightsUrl = null)
        => Pretrained.Load(models.vgg16_bn(num_classes: numClasses, dropout: dropout), Pretrained.Choose("vgg16_bn", pretrained, weights, weightsUrl, numClasses), progress);

    /// <summary>VGG-19 from "Very Deep Convolutional Networks for Large-Scale Image Recognition" (torchvision.models.vgg19).</summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1 or DEFAULT (IMAGENET1K_V1); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="dropout">Dropout probability in the classifier.</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static VGG vgg19(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, float dropout = 0.5f, string? weightsUrl = null)
        => Pretrained.Load(models.vgg19(num_classes: numClasses, dropout: dropout), Pretrained.Choose("vgg19", pretrained, weights, weightsUrl, numClasses), progress);

    /// <summary>VGG-19 with batch normalization from "Very Deep Convolutional Networks for Large-Scale Image Recognition" (torchvision.models.vgg19_bn).</summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1 or DEFAULT (IMAGENET1K_V1); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="dropout">Dropout probability in the classifier.</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static VGG vgg19_bn(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, float dropout = 0.5f, string? weightsUrl = null)
        => Pretrained.Load(models.vgg19_bn(num_classes: numClasses, dropout: dropout), Pretrained.Choose("vgg19_bn", pretrained, weights, weightsUrl, numClasses), progress);

    /// <summary>AlexNet from "One weird trick for parallelizing convolutional neural networks" (torchvision.models.alexnet).</summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1 or DEFAULT (IMAGENET1K_V1); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="dropout">Dropout probability in the classifier.</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static AlexNet alexnet(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, float dropout = 0.5f, string? weightsUrl = null)
        => Pretrained.Load(models.alexnet(num_classes: numClasses, dropout: dropout), Pretrained.Choose("alexnet", pretrained, weights, weightsUrl, numClasses), progress);

    /// <summary>
    /// GoogLeNet (Inception v1) from "Going Deeper with Convolutions" (torchvision.models.googlenet), without the
    /// auxiliary classifiers (torchvision drops them after loading weights too).
    /// </summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1 or DEFAULT (IMAGENET1K_V1); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="transformInput">Re-normalize inputs as the original weights expect; null: true with weights, false without (as torchvision).</param>
    /// <param name="dropout">Dropout probability before the classifier.</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static GoogleNet googlenet(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, bool? transformInput = null, float dropout = 0.2f, string? weightsUrl = null)
    {
        var url = Pretrained.Choose("googlenet", pretrained, weights, weightsUrl, numClasses);
        return Pretrained.Load(models.googlenet(num_classes: numClasses, transform_input: transformInput ?? url is not null, dropout: dropout), url, progress, "aux1.", "aux2.");
    }

    /// <summary>
    /// Inception v3 from "Rethinking the Inception Architecture for Computer Vision" (torchvision.models.inception_v3),
    /// with its auxiliary classifier (TorchVision for .NET always builds it, and torchvision's weights fill it); forward
    /// returns the main logits. Expects 299x299 inputs.
    /// </summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1 or DEFAULT (IMAGENET1K_V1); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="transformInput">Re-normalize inputs as the original weights expect; null: true with weights, false without (as torchvision).</param>
    /// <param name="dropout">Dropout probability before the classifier.</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static InceptionV3 inception_v3(bool pretrained = false, string? weights = null, bool progress = true, int numClasses = 1000, bool? transformInput = null, float dropout = 0.5f, string? weightsUrl = null)
    {
        var url = Pretrained.Choose("inception_v3", pretrained, weights, weightsUrl, numClasses);
        return Pretrained.Load(models.inception_v3(num_classes: numClasses, dropout: dropout, transform_input: transformInput ?? url is not null), url, progress);
    }

    /// <summary>MobileNetV2 from "MobileNetV2: Inverted Residuals and Linear Bottlenecks" (torchvision.models.mobilenet_v2).</summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1, IMAGENET1K_V2 or DEFAULT (IMAGENET1K_V2); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="numClasses">Output classes; 1000 with weights.</param>
    /// <param name="widthMult">Width multiplier: scales the channels of every layer; 1.0 with weights.</param>
    /// <param name="dropout">Dropout probability before the classifier.</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static MobileNetV2 mobilenet_v2(bool pretrained = false, string? weights = null, bool progress = true, long numClasses = 1000, double widthMult = 1.0, double dropout = 0.2, string? weightsUrl = null)
    {
        var url = Pretrained.Choose("mobilenet_v2", pretrained, weights, weightsUrl, numClasses);
        if (url is not null && widthMult != 1.0) throw new ArgumentException($"The published mobilenet_v2 weights are for widthMult 1.0, not {widthMult}.", nameof(widthMult));
        return Pretrained.Load(models.mobilenet_v2(num_classes: numClasses, width_mult: widthMult, dropout: dropout), url, progress);
    }

    /// <summary>
    /// MobileNetV3-Large from "Searching for MobileNetV3" (torchvision.models.mobilenet_v3_large), 1000 classes
    /// (TorchVision for .NET builds it with its defaults only).
    /// </summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1, IMAGENET1K_V2 or DEFAULT (IMAGENET1K_V2); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static MobileNetV3 mobilenet_v3_large(bool pretrained = false, string? weights = null, bool progress = true, string? weightsUrl = null)
        => Pretrained.Load(models.mobilenet_v3_large(), Pretrained.Choose("mobilenet_v3_large", pretrained, weights, weightsUrl, 1000), progress);

    /// <summary>
    /// MobileNetV3-Small from "Searching for MobileNetV3" (torchvision.models.mobilenet_v3_small), 1000 classes
    /// (TorchVision for .NET builds it with its defaults only).
    /// </summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights IMAGENET1K_V1 (torchvision's legacy <c>pretrained=True</c>).</param>
    /// <param name="weights">torchvision's weights name instead: IMAGENET1K_V1 or DEFAULT (IMAGENET1K_V1); null: as <paramref name="pretrained"/> says.</param>
    /// <param name="progress">Show the weights download's progress.</param>
    /// <param name="weightsUrl">Where to download the weights from instead of torchvision's file (keep torch.hub's name-&lt;sha256 prefix&gt;.pth, which is checked).</param>
    public static MobileNetV3 mobilenet_v3_small(bool pretrained = false, string? weights = null, bool progress = true, string? weightsUrl = null)
        => Pretrained.Load(models.mobilenet_v3_small(), Pretrained.Choose("mobilenet_v3_small", pretrained, weights, weightsUrl, 1000), progress);
}
