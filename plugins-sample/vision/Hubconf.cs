using HubHost.Nn;
using HubHost.Nn.Checkpoints;
using HubHost.Nn.Modules;
using Vision.Models;

/// <summary>
/// Entrypoints of the vision hub repo: torchvision-compatible models built on HubHost.Nn. As in PyTorch, the
/// models are returned in training mode; call <c>Eval()</c> before inference.
/// </summary>
public static class Hubconf
{
    /// <summary>
    /// A small MLP for 8x8 digit images: Sequential(Linear(64, 32), ReLU(), Linear(32, 10)). Inputs are the 64
    /// pixel values divided by 16; outputs are logits for the digits 0-9.
    /// </summary>
    /// <param name="pretrained">Load the weights trained on scikit-learn's digits data set (shipped in this repo as digits_mlp.pt).</param>
    public static Sequential digits_mlp(bool pretrained = false)
    {
        var model = new Sequential(new Linear(64, 32), new ReLU(), new Linear(32, 10));
        if (pretrained)
        {
            string location = typeof(Hubconf).Assembly.Location;
            if (string.IsNullOrEmpty(location))
                throw new InvalidOperationException("digits_mlp(pretrained: true) reads digits_mlp.pt next to the repo's assembly, but the assembly was loaded without a file location.");
            model.LoadStateDict(Checkpoint.Load(Path.Combine(Path.GetDirectoryName(location)!, "digits_mlp.pt")));
        }
        return model;
    }

    /// <summary>
    /// SqueezeNet 1.1 (torchvision.models.squeezenet1_1): AlexNet-level accuracy with 50x fewer parameters and
    /// 2.4x less computation than SqueezeNet 1.0. Input [N, 3, H, W] normalized images; output [N, numClasses] logits.
    /// </summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights (1000 classes).</param>
    /// <param name="numClasses">Number of output classes; must be 1000 with <paramref name="pretrained"/>.</param>
    /// <param name="weightsUrl">Where to download the pretrained weights from; null for torchvision's published file. The file name must keep torch.hub's hash part (name-&lt;sha256 prefix&gt;.pth), which is checked.</param>
    public static SqueezeNet squeezenet1_1(bool pretrained = false, int numClasses = 1000, string? weightsUrl = null)
    {
        RequireImageNetClasses(pretrained, numClasses);
        var model = new SqueezeNet("1_1", numClasses);
        if (pretrained) model.LoadStateDict(PretrainedWeights.LoadStateDictFromUrl(weightsUrl ?? "https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth"));
        return model;
    }

    /// <summary>
    /// ResNet-18 (torchvision.models.resnet18) from "Deep Residual Learning for Image Recognition". Input
    /// [N, 3, H, W] normalized images; output [N, numClasses] logits.
    /// </summary>
    /// <param name="pretrained">Load torchvision's ImageNet weights (IMAGENET1K_V1, 1000 classes).</param>
    /// <param name="numClasses">Number of output classes; must be 1000 with <paramref name="pretrained"/>.</param>
    /// <param name="weightsUrl">Where to download the pretrained weights from; null for torchvision's published file. The file name must keep torch.hub's hash part (name-&lt;sha256 prefix&gt;.pth), which is checked.</param>
    public static ResNet resnet18(bool pretrained = false, int numClasses = 1000, string? weightsUrl = null)
    {
        RequireImageNetClasses(pretrained, numClasses);
        var model = new ResNet(bottleneck: false, [2, 2, 2, 2], numClasses);
        if (pretrained) model.LoadStateDict(PretrainedWeights.LoadStateDictFromUrl(weightsUrl ?? "https://download.pytorch.org/models/resnet18-f37072fd.pth"));
        return model;
    }

    private static void RequireImageNetClasses(bool pretrained, int numClasses)
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "numClasses must be positive.");
        if (pretrained && numClasses != 1000)
            throw new ArgumentException($"The pretrained weights have 1000 ImageNet classes; numClasses={numClasses} does not fit them. Load with numClasses: 1000, or pretrained: false.", nameof(numClasses));
    }
}
