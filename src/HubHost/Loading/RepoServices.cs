using HubHost.Checkpoints;
using HubHost.Contract;
using HubHost.Downloads;
using HubHost.Storage;
using HubHost.TorchScript;
using TorchSharp;

namespace HubHost.Loading;

/// <summary>
/// The <see cref="IHubServices"/> of one loaded repo version: its build's copy of the repo's files, the hub's
/// checkpoint reader and TorchScript loader, and the checkpoint cache of the hub that loaded it
/// (<paramref name="fetchCheckpoint"/>: url, file name, check hash, progress → the cached file) and TorchScript probe
/// (<paramref name="scriptProbe"/>). The contract is synchronous, as torch.hub's is (an entrypoint is a plain method): the
/// fetch runs on the thread pool and this call waits for it, so a caller's synchronization context (a UI thread) cannot
/// deadlock it; the arguments reach the fetch as the repo gave them.
/// </summary>
internal sealed class RepoServices(string repoDirectory, ScriptProbe scriptProbe, Func<string, string?, bool, bool, Task<string>> fetchCheckpoint) : IHubServices
{
    public string RepoDirectory { get; } = repoDirectory;

    public Dictionary<string, torch.Tensor> LoadStateDict(string path)
        => InRepo(path, Checkpoint.Read);

    public Dictionary<string, torch.Tensor> LoadStateDictFromUrl(string url, string? fileName = null, bool checkHash = true, bool progress = true)
        => Checkpoint.Read(Fetch(url, fileName, checkHash, progress));

    public torch.jit.ScriptModule<T, TResult> LoadScript<T, TResult>(string path)
        => InRepo(path, p => ScriptArchive.Load<T, TResult>(p, scriptProbe));

    public torch.jit.ScriptModule<TResult> LoadScript<TResult>(string path)
        => InRepo(path, p => ScriptArchive.Load<TResult>(p, scriptProbe));

    public torch.jit.ScriptModule<T, TResult> LoadScriptFromUrl<T, TResult>(string url, string? fileName = null, bool checkHash = true, bool progress = true)
        => Downloaded(Fetch(url, fileName, checkHash, progress), url, p => ScriptArchive.Load<T, TResult>(p, scriptProbe));

    public torch.jit.ScriptModule<TResult> LoadScriptFromUrl<TResult>(string url, string? fileName = null, bool checkHash = true, bool progress = true)
        => Downloaded(Fetch(url, fileName, checkHash, progress), url, p => ScriptArchive.Load<TResult>(p, scriptProbe));

    private string Fetch(string url, string? fileName, bool checkHash, bool progress)
        => Task.Run(() => fetchCheckpoint(url, fileName, checkHash, progress)).GetAwaiter().GetResult();

    /// <summary><paramref name="load"/> of a file downloaded from <paramref name="url"/>; its errors name the URL too.</summary>
    private static T Downloaded<T>(string path, string url, Func<string, T> load)
        => PathMessages.Named(() => load(path), path, Path.GetFileName(path), $"({Path.GetFileName(path)} was downloaded from {UrlText.Redact(UrlText.ParseHttp(url))} into {path}.)");

    /// <summary>
    /// <paramref name="load"/> of the repo's file <paramref name="path"/> (relative to <see cref="RepoDirectory"/>); its
    /// errors name the path as the repo wrote it, then where the hub's copy of the repo has it.
    /// </summary>
    private T InRepo<T>(string path, Func<string, T> load)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path, RepoDirectory);
        return full == path ? load(full) : PathMessages.Named(() => load(full), full, path, $"(The repo's {path} is {full} in this build of it.)");
    }
}
