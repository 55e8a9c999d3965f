using HubHost.Contract;
using TorchSharp;

namespace HubHost.Loading;

/// <summary>The <see cref="IHubServices"/> of one loaded repo version: its build's copy of the repo's files, and the hub that loaded it.</summary>
internal sealed class RepoServices(HubClient hub, string repoDirectory) : IHubServices
{
    public string RepoDirectory { get; } = repoDirectory;

    public Dictionary<string, torch.Tensor> LoadStateDict(string path)
        => HubClient.ReadCheckpoint(Path.GetFullPath(path, RepoDirectory));

    public Dictionary<string, torch.Tensor> LoadStateDictFromUrl(string url, string? fileName = null, bool checkHash = true, bool progress = true)
        => hub.LoadStateDictFromUrlAsync(url, fileName: fileName, checkHash: checkHash).GetAwaiter().GetResult();
}
