using TorchSharp;

namespace HubHost.Contract;

/// <summary>
/// What the hub that loaded a repo does for it: the torch.hub helpers a hubconf.py calls, served by the calling
/// hub (its download cache, hash checks and checkpoint reader). Get it with <see cref="HubServices.For"/>.
/// </summary>
public interface IHubServices
{
    /// <summary>
    /// The repo's own folder, with the files it ships (weights, vocabularies): torch.hub's
    /// <c>os.path.dirname(__file__)</c>. Read only.
    /// </summary>
    string RepoDirectory { get; }

    /// <summary>Reads a state dict from a torch.save (zip or legacy) or safetensors file, safely (no code in the file runs).</summary>
    /// <param name="path">The file; relative paths are taken from <see cref="RepoDirectory"/>.</param>
    Dictionary<string, torch.Tensor> LoadStateDict(string path);

    /// <summary>
    /// torch.hub's <c>load_state_dict_from_url</c>: downloads the checkpoint at <paramref name="url"/> into the
    /// hub's checkpoint cache (or takes it from there) and reads its state dict.
    /// </summary>
    /// <param name="url">Where the checkpoint is published.</param>
    /// <param name="fileName">Name in the cache; null: the last segment of the URL.</param>
    /// <param name="checkHash">Check the file name's hash prefix (torch.hub's <c>name-&lt;sha256 prefix&gt;.ext</c> convention).</param>
    /// <param name="progress">Show the download's progress where the hub shows progress.</param>
    Dictionary<string, torch.Tensor> LoadStateDictFromUrl(string url, string? fileName = null, bool checkHash = true, bool progress = true);
}
