using HubHost.Checkpoints;
using HubHost.Contract;
using HubHost.TorchScript;
using TorchSharp;

namespace HubHost.Loading;

/// <summary>
/// The <see cref="IHubServices"/> of one loaded repo version: its build's copy of the repo's files, the hub's
/// checkpoint reader and TorchScript loader, and the checkpoint cache of the hub that loaded it
/// (<paramref name="downloadCheckpoint"/>: url, file name, check hash, progress → the cached file).
/// </summary>
internal sealed class RepoServices(string repoDirectory, Func<string, string?, bool, bool, string> downloadCheckpoint) : IHubServices
{
    public string RepoDirectory { get; } = repoDirectory;

    public Dictionary<string, torch.Tensor> LoadStateDict(string path)
        => Checkpoint.Read(InRepo(path));

    public Dictionary<string, torch.Tensor> LoadStateDictFromUrl(string url, string? fileName = null, bool checkHash = true, bool progress = true)
        => Checkpoint.Read(downloadCheckpoint(url, fileName, checkHash, progress));

    public torch.jit.ScriptModule<T, TResult> LoadScript<T, TResult>(string path)
        => ScriptArchive.Load<T, TResult>(InRepo(path));

    public torch.jit.ScriptModule<TResult> LoadScript<TResult>(string path)
        => ScriptArchive.Load<TResult>(InRepo(path));

    public torch.jit.ScriptModule<T, TResult> LoadScriptFromUrl<T, TResult>(string url, string? fileName = null, bool checkHash = true, bool progress = true)
        => ScriptArchive.Load<T, TResult>(downloadCheckpoint(url, fileName, checkHash, progress));

    public torch.jit.ScriptModule<TResult> LoadScriptFromUrl<TResult>(string url, string? fileName = null, bool checkHash = true, bool progress = true)
        => ScriptArchive.Load<TResult>(downloadCheckpoint(url, fileName, checkHash, progress));

    private string InRepo(string path) => Path.GetFullPath(path, RepoDirectory);
}
