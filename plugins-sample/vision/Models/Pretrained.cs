using HubHost.Contract;
using TorchSharp;
using static TorchSharp.torch;

namespace Vision.Models;

/// <summary>
/// torchvision 0.14's published ImageNet weights (the <c>*_Weights</c> enums of torchvision/models), and how
/// an entrypoint's <c>pretrained</c> / <c>weights</c> arguments pick one, as torchvision does: <c>pretrained: true</c>
/// is IMAGENET1K_V1 (torchvision's legacy meaning), <c>weights: "DEFAULT"</c> the best published version.
/// </summary>
internal static class Pretrained
{
    private const string Base = "https://download.pytorch.org/models/";

    /// <summary>Weight names to URLs per model; the last entry is DEFAULT.</summary>
    private static readonly Dictionary<string, (string Name, string Url)[]> Published = new()
    {
        ["alexnet"] = [("IMAGENET1K_V1", Base + "alexnet-owt-7be5be79.pth")],
        ["googlenet"] = [("IMAGENET1K_V1", Base + "googlenet-1378be20.pth")],
        ["inception_v3"] = [("IMAGENET1K_V1", Base + "inception_v3_google-0cc3c7bd.pth")],
        ["mobilenet_v2"] = [("IMAGENET1K_V1", Base + "mobilenet_v2-b0353104.pth"), ("IMAGENET1K_V2", Base + "mobilenet_v2-7ebf99e0.pth")],
        ["mobilenet_v3_large"] = [("IMAGENET1K_V1", Base + "mobilenet_v3_large-8738ca79.pth"), ("IMAGENET1K_V2", Base + "mobilenet_v3_large-5c1a4163.pth")],
        ["mobilenet_v3_small"] = [("IMAGENET1K_V1", Base + "mobilenet_v3_small-047dcff4.pth")],
        ["resnet18"] = [("IMAGENET1K_V1", Base + "resnet18-f37072fd.pth")],
        ["resnet34"] = [("IMAGENET1K_V1", Base + "resnet34-b627a593.pth")],
        ["resnet50"] = [("IMAGENET1K_V1", Base + "resnet50-0676ba61.pth"), ("IMAGENET1K_V2", Base + "resnet50-11ad3fa6.pth")],
        ["resnet101"] = [("IMAGENET1K_V1", Base + "resnet101-63fe2227.pth"), ("IMAGENET1K_V2", Base + "resnet101-cd907fc2.pth")],
        ["resnet152"] = [("IMAGENET1K_V1", Base + "resnet152-394f9c45.pth"), ("IMAGENET1K_V2", Base + "resnet152-f82ba261.pth")],
        ["resnext50_32x4d"] = [("IMAGENET1K_V1", Base + "resnext50_32x4d-7cdf4587.pth"), ("IMAGENET1K_V2", Base + "resnext50_32x4d-1a0047aa.pth")],
        ["resnext101_32x8d"] = [("IMAGENET1K_V1", Base + "resnext101_32x8d-8ba56ff5.pth"), ("IMAGENET1K_V2", Base + "resnext101_32x8d-110c445d.pth")],
        ["resnext101_64x4d"] = [("IMAGENET1K_V1", Base + "resnext101_64x4d-173b62eb.pth")],
        ["wide_resnet50_2"] = [("IMAGENET1K_V1", Base + "wide_resnet50_2-95faca4d.pth"), ("IMAGENET1K_V2", Base + "wide_resnet50_2-9ba9bcbe.pth")],
        ["wide_resnet101_2"] = [("IMAGENET1K_V1", Base + "wide_resnet101_2-32ee1156.pth"), ("IMAGENET1K_V2", Base + "wide_resnet101_2-d733dc28.pth")],
        ["vgg11"] = [("IMAGENET1K_V1", Base + "vgg11-8a719046.pth")],
        ["vgg11_bn"] = [("IMAGENET1K_V1", Base + "vgg11_bn-6002323d.pth")],
        ["vgg13"] = [("IMAGENET1K_V1", Base + "vgg13-19584684.pth")],
        ["vgg13_bn"] = [("IMAGENET1K_V1", Base + "vgg13_bn-abd245e5.pth")],
        ["vgg16"] = [("IMAGENET1K_V1", Base + "vgg16-397923af.pth")],
        ["vgg16_bn"] = [("IMAGENET1K_V1", Base + "vgg16_bn-6c64b313.pth")],
        ["vgg19"] = [("IMAGENET1K_V1", Base + "vgg19-dcbb9e9d.pth")],
        ["vgg19_bn"] = [("IMAGENET1K_V1", Base + "vgg19_bn-c79401a0.pth")],
        ["squeezenet1_1"] = [("IMAGENET1K_V1", Base + "squeezenet1_1-b8a52dc0.pth")],
    };

    /// <summary>
    /// The URL of the weights the arguments ask for, or null for random initialization. Throws with the
    /// published names when <paramref name="weights"/> is not one of them, or when the classes do not fit.
    /// </summary>
    public static string? Choose(string model, bool pretrained, string? weights, string? weightsUrl, long numClasses)
    {
        var published = Published[model];
        string? name = weights is null ? (pretrained ? "IMAGENET1K_V1" : null) : weights.Trim();
        if (name is null) return weightsUrl is null ? null : throw new ArgumentException($"weightsUrl is set but no weights were asked for: add pretrained: true or weights: \"{published[^1].Name}\".", nameof(weightsUrl));
        if (name.Equals("DEFAULT", StringComparison.OrdinalIgnoreCase)) name = published[^1].Name;
        var match = published.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase) || $"{model}_Weights.{p.Name}".EndsWith(name, StringComparison.OrdinalIgnoreCase) && name.Contains('.'));
        if (match.Url is null)
            throw new ArgumentException($"{model} has no weights named '{weights}'; published: {string.Join(", ", published.Select(p => p.Name))} (or DEFAULT = {published[^1].Name}).", nameof(weights));
        if (numClasses != 1000)
            throw new ArgumentException($"The {match.Name} weights of {model} have 1000 ImageNet classes; numClasses={numClasses} does not fit them. Load with numClasses: 1000, or without weights.", "numClasses");
        return weightsUrl ?? match.Url;
    }

    /// <summary>Downloads (through the calling hub: cached, hash-checked) and loads the chosen weights into <paramref name="model"/>, strictly.</summary>
    /// <param name="model">The freshly built model.</param>
    /// <param name="url">From <see cref="Choose"/>; null: nothing to load.</param>
    /// <param name="progress">Show the download's progress.</param>
    /// <param name="dropPrefixes">State dict entries torchvision publishes but this architecture does not have (auxiliary classifiers).</param>
    public static T Load<T>(T model, string? url, bool progress, params string[] dropPrefixes) where T : nn.Module
    {
        if (url is null) return model;
        var stateDict = HubServices.For(typeof(Pretrained)).LoadStateDictFromUrl(url, progress: progress);
        foreach (var key in stateDict.Keys.Where(k => dropPrefixes.Any(p => k.StartsWith(p, StringComparison.Ordinal))).ToList())
            stateDict.Remove(key);
        model.load_state_dict(stateDict, strict: true);
        foreach (var tensor in stateDict.Values) tensor.Dispose(); // copied into the model's own parameters
        return model;
    }
}
