using HubHost.Checkpoints;
using HubHost.Contract;
using TorchSharp;

namespace HubHost.Loading;

/// <summary>
/// The <see cref="IHubServices"/> of one loaded repo version: its build's copy of the repo's files, the hub's
/// checkpoint reader, and the downloads of the hub that loaded it (<paramref name="loadStateDictFromUrl"/>).
/// </summary>
internal sealed class RepoServices(string repoDirectory, Func<string, string?, bool, Dictionary<string, torch.Tensor>> loadStateDictFromUrl) : IHubServices
{
    public string RepoDirectory { get; } = repoDirectory;

    public Dictionary<string, torch.Tensor> LoadStateDict(string path)
        => Checkpoint.Read(Path.GetFullPath(path, RepoDirectory));

    public Dictionary<string, torch.Tensor> LoadStateDictFromUrl(string url, string? fileName = null, bool checkHash = true, bool progress = true)
        => loadStateDictFromUrl(url, fileName, checkHash);
}
