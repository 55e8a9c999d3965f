using HubHost.Downloads;
using HubHost.Storage;
using HubHost.TorchScript;
using TorchSharp;

namespace HubHost;

public sealed partial class HubClient
{
    /// <summary>The fewest hex digits of SHA-256 a TorchScript archive's URL must name: a shorter prefix is a check a forger passes.</summary>
    internal const int ScriptHashDigits = 8;

    /// <summary>
    /// Loads a TorchScript archive (<c>torch.jit.save</c> of a scripted or traced model) as a TorchSharp script module taking
    /// one <typeparamref name="T"/> and returning <typeparamref name="TResult"/> (<c>LoadScriptAsync&lt;Tensor, Tensor&gt;</c> for
    /// most models; a tuple such as <c>(Tensor, Tensor)</c> for several outputs). An archive is code that libtorch
    /// interprets: a local file is loaded as you name it (your choice to trust it); an http(s) URL only when its file name
    /// carries the start of the file's SHA-256 (torch.hub's <c>name-&lt;sha256 prefix&gt;.pt</c>, at least 8 hex digits),
    /// which is checked — downloaded through the checkpoint cache as <see cref="DownloadCheckpointAsync"/> does (cached
    /// under <c>&lt;hub dir&gt;/checkpoints</c>, resumable, used from the cache without any request).
    /// </summary>
    /// <typeparam name="T">The forward's argument type (<c>Tensor</c>).</typeparam>
    /// <typeparam name="TResult">What forward returns: <c>Tensor</c>, or a tuple of tensors.</typeparam>
    /// <param name="pathOrUrl">A local archive, or an http(s) URL whose file name has the hash part.</param>
    /// <param name="progress">Receives progress reports while a download's bytes arrive.</param>
    /// <param name="cancellationToken">Cancels a download, or the child process that loads a new archive first.</param>
    /// <exception cref="HubException">A URL without a hash part, a failed download or hash check, no such file, or not a TorchScript archive libtorch loads.</exception>
    public async Task<torch.jit.ScriptModule<T, TResult>> LoadScriptAsync<T, TResult>(string pathOrUrl, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var (path, shownAs, where) = await ResolveScriptAsync(pathOrUrl, progress, cancellationToken).ConfigureAwait(false);
        return PathMessages.Named(() => ScriptArchive.Load<T, TResult>(path, ScriptProbe, cancellationToken), path, shownAs, where);
    }

    /// <summary>
    /// Like <see cref="LoadScriptAsync{T, TResult}"/> for a model taking any number of tensors (<c>forward(params Tensor[])</c>),
    /// such as a text encoder given token ids and an attention mask.
    /// </summary>
    /// <typeparam name="TResult">What forward returns: <c>Tensor</c>, or a tuple of tensors.</typeparam>
    /// <param name="pathOrUrl">A local archive, or an http(s) URL whose file name has the hash part.</param>
    /// <param name="progress">Receives progress reports while a download's bytes arrive.</param>
    /// <param name="cancellationToken">Cancels a download, or the child process that loads a new archive first.</param>
    /// <exception cref="HubException">A URL without a hash part, a failed download or hash check, no such file, or not a TorchScript archive libtorch loads.</exception>
    public async Task<torch.jit.ScriptModule<TResult>> LoadScriptAsync<TResult>(string pathOrUrl, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var (path, shownAs, where) = await ResolveScriptAsync(pathOrUrl, progress, cancellationToken).ConfigureAwait(false);
        return PathMessages.Named(() => ScriptArchive.Load<TResult>(path, ScriptProbe, cancellationToken), path, shownAs, where);
    }

    /// <summary>
    /// Loads each TorchScript archive in a child process before its first load in this one (its code may not compile, which
    /// ends a process, or loop while loading); records passed archives by SHA-256 under the hub directory.
    /// </summary>
    internal ScriptProbe ScriptProbe => LazyInitializer.EnsureInitialized(ref _scriptProbe, () => new ScriptProbe(HubDirectory, Settings.ScriptProbeTimeout, Logger, TimeProvider));

    private ScriptProbe? _scriptProbe;

    /// <summary>The archive's local file (a URL downloaded, hash-checked, into the checkpoint cache), how messages name it and where it is.</summary>
    private async Task<(string Path, string ShownAs, string Where)> ResolveScriptAsync(string pathOrUrl, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(pathOrUrl))
            throw new HubException("No TorchScript archive given: give a local .pt file or an http(s) URL whose file name carries its SHA-256 prefix.");
        if (UrlText.LooksLikeHttp(pathOrUrl))
        {
            var uri = UrlText.ParseHttp(pathOrUrl);
            var name = CheckpointFiles.FileNameOf(uri);
            if (CheckpointFiles.HashPrefixOf(name) is not { Length: >= ScriptHashDigits })
                throw new HubException(
                    $"Not loading the TorchScript archive {UrlText.Redact(uri)}: an archive is code that libtorch interprets, so one from a URL is loaded only " +
                    $"when its file name carries the start of its SHA-256 (at least {ScriptHashDigits} hex digits, like 'model-3f2a9c1d.pt'), which the hub checks. " +
                    "Publish it under such a name (the first hex digits of `sha256sum model.pt`), or download it yourself and load the local file.");
            var cached = await DownloadCheckpointAsync(pathOrUrl, checkHash: true, progress: progress, cancellationToken: cancellationToken).ConfigureAwait(false);
            return (cached, name, $"({name} was downloaded from {UrlText.Redact(uri)} into {cached}.)");
        }
        if (pathOrUrl.Contains("://", StringComparison.Ordinal))
            throw new HubException($"'{pathOrUrl.Split("://")[0]}://' URLs are not supported: give a local file path or an http(s) URL.");
        var path = Path.GetFullPath(HubDirectories.ExpandHome(pathOrUrl));
        return (path, pathOrUrl, path == pathOrUrl ? "" : $"({pathOrUrl} is {path}.)");
    }
}
