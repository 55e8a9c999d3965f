using HubHost.Contract;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HubRepoNamespace;

/// <summary>
/// The entrypoints of HubRepo1: every public static method of this class is one, called by name
/// (<c>hubhost load ./HubRepo1 digits_mlp --arg pretrained=true</c>, or <c>Hub.Load</c> in C#). Its doc comments are
/// its help: <c>hubhost check</c> asks for a summary and a description of every parameter. Keep helpers private or
/// internal, so they are not entrypoints.
/// </summary>
public static class Hubconf
{
    /// <summary>
    /// A small MLP for 8x8 images of handwritten digits: Sequential(Linear(64, 32), ReLU(), Linear(32, 10)). Inputs
    /// [N, 64] are the pixel values divided by 16; outputs are logits for the digits 0-9. Comes back in training mode,
    /// as torchvision's models do: call <c>eval()</c> before inference.
    /// </summary>
    /// <param name="pretrained">Load the weights trained on scikit-learn's digits (weights/digits_mlp.pt in this repo).</param>
    /// <param name="hidden">Width of the hidden layer; 32 with the pretrained weights.</param>
    /// <returns>The model, a TorchSharp module taking [N, 64] and returning [N, 10].</returns>
    public static Sequential digits_mlp(bool pretrained = false, int hidden = 32)
    {
        if (pretrained && hidden != 32)
            throw new ArgumentException($"The pretrained weights have a hidden layer of 32, not {hidden}: leave hidden at 32 with pretrained.", nameof(hidden));
        var model = nn.Sequential(("0", nn.Linear(64, hidden)), ("1", nn.ReLU()), ("2", nn.Linear(hidden, 10)));
        if (pretrained)
            LoadWeights(model, Hub.LoadStateDict("weights/digits_mlp.pt"));
        // Weights too large for git: publish them (a GitHub release, a bucket) under torch.hub's name-<sha256 prefix>.ext
        // convention, which the hub checks, and load them through the hub's cache:
        //   Hub.LoadStateDictFromUrl("https://github.com/OWNER/HubRepo1/releases/download/v1/digits_mlp-41499836.pt")
        return model;
    }

    /// <summary>The hub that loaded this repo: its folder, its weights cache and checkpoint reader.</summary>
    private static IHubServices Hub => HubServices.For(typeof(Hubconf));

    private static void LoadWeights(nn.Module model, Dictionary<string, Tensor> stateDict)
    {
        model.load_state_dict(stateDict, strict: true);
        foreach (var tensor in stateDict.Values) tensor.Dispose(); // copied into the model's own parameters
    }
}
