using TorchSharp;

namespace HubHost.Contract;

/// <summary>
/// What the hub that loaded a repo does for it: the torch.hub helpers a hubconf.py calls, served by the calling
/// hub (its download cache, hash checks, checkpoint reader and TorchScript loader). Get it with <see cref="HubServices.For"/>.
/// </summary>
/// <remarks>
/// Version 0.2 added the TorchScript members; a repo built against 0.1 loads unchanged in a 0.2 host, a repo built
/// against 0.2 is refused by a 0.1 host (it would call members that host lacks). The 0.2 members have default bodies
/// (which throw <see cref="NotSupportedException"/>), so a class a repo wrote against 0.1 that implements this interface
/// (a test double) still loads. The hub's own implementation fails with the calling hub's <c>HubException</c>, whose one
/// message says what was wrong and what to do.
/// </remarks>
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

    /// <summary>
    /// Loads a TorchScript archive (what <c>torch.jit.save</c> writes of a <c>torch.jit.script</c>ed or
    /// <c>torch.jit.trace</c>d model) that the repo ships, as a module taking one <typeparamref name="T"/> and
    /// returning <typeparamref name="TResult"/> (<c>ScriptModule&lt;Tensor, Tensor&gt;</c> for most models; a tuple
    /// such as <c>(Tensor, Tensor)</c> for several outputs). The archive is checked before libtorch reads it.
    /// </summary>
    /// <param name="path">The archive; relative paths are taken from <see cref="RepoDirectory"/>.</param>
    torch.jit.ScriptModule<T, TResult> LoadScript<T, TResult>(string path)
        => throw NoTorchScript();

    /// <summary>
    /// Like <see cref="LoadScript{T, TResult}(string)"/> for a model taking any number of tensors
    /// (<c>forward(params Tensor[])</c>), such as a text encoder given token ids and an attention mask.
    /// </summary>
    /// <param name="path">The archive; relative paths are taken from <see cref="RepoDirectory"/>.</param>
    torch.jit.ScriptModule<TResult> LoadScript<TResult>(string path)
        => throw NoTorchScript();

    /// <summary>
    /// <see cref="LoadScript{T, TResult}(string)"/> of an archive published at <paramref name="url"/>, through the
    /// hub's checkpoint cache with <see cref="LoadStateDictFromUrl"/>'s rules (cached once, resumable, offline from the cache).
    /// </summary>
    /// <param name="url">Where the archive is published.</param>
    /// <param name="fileName">Name in the cache; null: the last segment of the URL.</param>
    /// <param name="checkHash">Check the file name's hash prefix (torch.hub's <c>name-&lt;sha256 prefix&gt;.ext</c> convention).</param>
    /// <param name="progress">Show the download's progress where the hub shows progress.</param>
    torch.jit.ScriptModule<T, TResult> LoadScriptFromUrl<T, TResult>(string url, string? fileName = null, bool checkHash = true, bool progress = true)
        => throw NoTorchScript();

    /// <summary><see cref="LoadScript{TResult}(string)"/> of an archive published at <paramref name="url"/>, cached as <see cref="LoadScriptFromUrl{T, TResult}"/> does.</summary>
    /// <param name="url">Where the archive is published.</param>
    /// <param name="fileName">Name in the cache; null: the last segment of the URL.</param>
    /// <param name="checkHash">Check the file name's hash prefix.</param>
    /// <param name="progress">Show the download's progress where the hub shows progress.</param>
    torch.jit.ScriptModule<TResult> LoadScriptFromUrl<TResult>(string url, string? fileName = null, bool checkHash = true, bool progress = true)
        => throw NoTorchScript();

    private NotSupportedException NoTorchScript()
        => new($"{GetType().FullName} implements IHubServices without TorchScript loading (contract 0.1); the hub's own services load TorchScript archives.");
}
