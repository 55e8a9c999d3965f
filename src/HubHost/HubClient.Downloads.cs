using HubHost.Storage;
using HubHost.Downloads;
using HubHost.Checkpoints;
using HubHost.Locking;
using TorchSharp;

namespace HubHost;

public sealed partial class HubClient
{
    /// <summary>Retries, timeouts and waits of downloads: the defaults with the options' stall check (tests shorten them).</summary>
    internal DownloadSettings DownloadSettings { get; init; }

    private FileDownloader Downloader => new(HubHttp.Client, DownloadSettings, Logger, new CompletedDownloads(HubLocks.Downloads(HubDirectory)), HuggingFace.AuthorizationFor, TimeProvider);

    /// <summary>Resolves <c>hf://</c> URLs against <see cref="HubOptions.HuggingFaceEndpoint"/>, sending <see cref="HubOptions.HuggingFaceToken"/> to that host only.</summary>
    private HuggingFaceResolver HuggingFace => new(Settings.HuggingFaceEndpoint, Settings.HuggingFaceToken, DownloadSettings, Logger, TimeProvider);

    /// <summary>The checkpoint cache (keyed by URL, each file's SHA-256 recorded).</summary>
    internal CheckpointCache Checkpoints => new(HubDirectory, Downloader, HuggingFace, Logger);

    /// <summary>
    /// Downloads <paramref name="url"/> to <paramref name="destination"/> (torch.hub.download_url_to_file).
    /// The file appears at the destination only when complete and, with <paramref name="hashPrefix"/>, only if
    /// its SHA-256 starts with that prefix; until then it is written to a hidden temp file beside it. Dropped
    /// connections resume (or restart when the server cannot resume) and transient server errors are retried
    /// with back-off. Downloads of one destination (from any process) run one at a time; a call that waited
    /// for another uses that one's file instead of downloading again when it has <paramref name="hashPrefix"/>.
    /// </summary>
    /// <param name="url">An http or https URL.</param>
    /// <param name="destination">The file to write (replaced if it exists; a leading <c>~/</c> is the home directory); its directory is created if needed.</param>
    /// <param name="hashPrefix">Hex the file's SHA-256 must start with, or null for no check.</param>
    /// <param name="progress">Receives progress reports while bytes arrive.</param>
    /// <param name="cancellationToken">Cancels the download; nothing is left behind.</param>
    /// <returns>The file written: its path, SHA-256 and size.</returns>
    /// <exception cref="HubException">The download failed or the hash did not match; the message says why.</exception>
    public Task<DownloadResult> DownloadUrlToFileAsync(
        string url, string destination, string? hashPrefix = null, IProgress<DownloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var source = WeightsSource.Parse(url);
        if (string.IsNullOrWhiteSpace(destination)) throw new HubException("No destination given: give the path of the file to write.");
        return source.Hf is { } hf
            ? DownloadFromHuggingFaceAsync(hf, HubDirectories.ExpandHome(destination), hashPrefix, progress, cancellationToken)
            : Downloader.DownloadAsync(source.Http!, HubDirectories.ExpandHome(destination), hashPrefix, progress, ExistingFile.Replace, cancellationToken);
    }

    /// <summary>An <c>hf://</c> file to a destination: resolved to its commit, checked against the hub's SHA-256 (and the prefix given).</summary>
    private async Task<DownloadResult> DownloadFromHuggingFaceAsync(HfLocation hf, string destination, string? hashPrefix, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var resolved = await HuggingFace.ResolveAsync(hf, cancellationToken).ConfigureAwait(false);
        var prefix = FileDownloader.NormaliseHashPrefix(hashPrefix);
        if (prefix is not null && resolved.Sha256 is { } lfs && !lfs.StartsWith(prefix, StringComparison.Ordinal))
            throw new HubException($"{hf.Text} is at commit {resolved.Commit[..12]} a file whose SHA-256 {lfs} does not start with '{prefix}'. Nothing was downloaded; check the URL and the hash prefix.");
        return await Downloader.DownloadAsync(resolved.Url, destination, resolved.Sha256 ?? prefix, progress, ExistingFile.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The local path of the checkpoint at <paramref name="url"/>, downloaded into the checkpoint cache unless
    /// it is already there (the download half of torch.hub.load_state_dict_from_url). The cache is keyed by the URL
    /// (<c>&lt;hub dir&gt;/checkpoints/&lt;key&gt;/&lt;name&gt;</c>), so two URLs ending in the same file name are two files; each
    /// file's full SHA-256 is recorded when it arrives, and a cached file is used without any request once its size and time
    /// still match that record. A zip holding exactly one file (torch's legacy format) is extracted beside it and the
    /// extracted file's path returned.
    /// </summary>
    /// <param name="url">An http or https URL, or <c>hf://owner/repo[@revision]/path</c> (a file on the Hugging Face hub, fetched at the commit its revision points to).</param>
    /// <param name="modelDirectory">The cache directory; null for <c>&lt;hub dir&gt;/checkpoints</c>.</param>
    /// <param name="fileName">The cached file's name (torch's <c>file_name</c>: the file is <c>&lt;cache dir&gt;/&lt;fileName&gt;</c>, whatever URL it came from); null to key it by the URL.</param>
    /// <param name="checkHash">
    /// Verify the download against the hash prefix in the file name, torch's convention: the first '-' followed
    /// by lower-case hex digits and a '.' (in <c>resnet18-f37072fd.pth</c>, "f37072fd") gives the start of the
    /// file's SHA-256 (for <c>hf://</c>, the hub's SHA-256 of an LFS file does too). Refused when there is no such hash. A cached file
    /// is checked against the SHA-256 recorded when it was cached.
    /// </param>
    /// <param name="progress">Receives progress reports while bytes arrive.</param>
    /// <param name="cancellationToken">Cancels the download; nothing is left behind.</param>
    /// <returns>The absolute path of the checkpoint file to load.</returns>
    /// <exception cref="HubException">The download failed or the hash did not match; the message says why.</exception>
    public async Task<string> DownloadCheckpointAsync(
        string url, string? modelDirectory = null, string? fileName = null, bool checkHash = false,
        IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var file = await FetchWeightsAsync(url, modelDirectory, fileName, checkHash, null, progress, cancellationToken).ConfigureAwait(false);
        return await CheckpointFiles.ResolveLegacyZipAsync(file.Path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The one way weights reach the hub: a URL into the checkpoint cache, checked against what <paramref name="repo"/>'s lock
    /// requires (when the version was opened under a lock) and recorded when a lock is being written.
    /// </summary>
    internal async Task<CachedFile> FetchWeightsAsync(string url, string? modelDirectory, string? fileName, bool checkHash, RepoWeights? repo,
        IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var source = WeightsSource.Parse(url);
        var file = await Checkpoints.GetAsync(source, modelDirectory, fileName, checkHash, repo?.Expect(source), repo?.Verify == true, progress, cancellationToken).ConfigureAwait(false);
        WeightsRecorder.Current?.Add(source, fileName, file);
        return file;
    }

    /// <summary>Where the checkpoint cache keeps the file of <paramref name="url"/> (keyed by the URL).</summary>
    internal string CheckpointCachePath(string url) => Checkpoints.PathFor(WeightsSource.Parse(url), modelDirectory: null, fileName: null);

    /// <summary>
    /// Reads the state dict of a local checkpoint file or of a URL: torch.save zip or legacy, or safetensors; never anything
    /// outside the weights-only allow-list. What <c>hubhost state-dict</c> and <c>run --weights</c> read. A URL goes through the
    /// checkpoint cache (hash-checked when its file name has torch's <c>-&lt;hex&gt;.</c> hash part); with <paramref name="repo"/>,
    /// under that version's rule, as its own services would fetch it: under the lock it was opened with, the URL must be one the
    /// lock lists and its file must have the locked SHA-256, and while a lock is written it is recorded. (To get the cached file's
    /// path instead of its tensors, use <see cref="DownloadCheckpointAsync"/>; torch.hub's name for the download-and-read is
    /// <see cref="Hub.LoadStateDictFromUrl"/>.)
    /// </summary>
    /// <param name="pathOrUrl">A local file, an http(s) URL, or <c>hf://owner/repo[@revision]/path</c>.</param>
    /// <param name="repo">A version this client opened whose weights rule applies (<see cref="OpenAsync(string, HubLoadOptions?, CancellationToken)"/>); null for none.</param>
    /// <param name="progress">Receives progress reports while a download's bytes arrive.</param>
    /// <param name="cancellationToken">Cancels a download.</param>
    /// <exception cref="HubException">No such file, an unsupported URL scheme, a failed download or hash check, the lock refuses the URL or its file, or not a readable checkpoint.</exception>
    public async Task<Dictionary<string, torch.Tensor>> LoadStateDictAsync(string pathOrUrl, HubRepo? repo = null, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (repo is null || string.IsNullOrWhiteSpace(pathOrUrl) || !WeightsSource.LooksLikeUrl(pathOrUrl))
            return Checkpoint.Read(await ResolveLocalOrDownloadAsync(pathOrUrl, progress, cancellationToken).ConfigureAwait(false));
        var source = WeightsSource.Parse(pathOrUrl);
        var hasHash = source.Hf is null && CheckpointFiles.HashPrefixOf(source.FileName) is not null;
        var file = await FetchWeightsAsync(pathOrUrl, null, null, hasHash, WeightsOf(repo), progress, cancellationToken).ConfigureAwait(false);
        return Checkpoint.Read(await CheckpointFiles.ResolveLegacyZipAsync(file.Path, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// For commands that take weights as a path or a URL: an http(s) URL is fetched through the checkpoint
    /// cache (hash-checked when its file name has a hash part); anything else must be an existing local file.
    /// </summary>
    internal async Task<string> ResolveLocalOrDownloadAsync(string pathOrUrl, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(pathOrUrl))
            throw new HubException("No checkpoint given: give a local file path or an http(s) URL.");
        if (WeightsSource.LooksLikeUrl(pathOrUrl))
        {
            var source = WeightsSource.Parse(pathOrUrl);
            var hasHash = source.Hf is null && CheckpointFiles.HashPrefixOf(source.FileName) is not null;
            return await DownloadCheckpointAsync(pathOrUrl, checkHash: hasHash, progress: progress, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        if (pathOrUrl.Contains("://", StringComparison.Ordinal))
            throw new HubException($"'{pathOrUrl.Split("://")[0]}://' URLs are not supported: give a local file path, an http(s) URL or hf://owner/repo/path.");
        var path = Path.GetFullPath(pathOrUrl);
        if (Directory.Exists(path))
            throw new HubException($"'{pathOrUrl}' is a directory: give a checkpoint file or an http(s) URL.");
        if (!File.Exists(path))
            throw new HubException($"The checkpoint '{pathOrUrl}' does not exist: give an existing file or an http(s) URL.");
        return path;
    }

    /// <summary>
    /// torch.hub's load_state_dict_from_url: downloads the checkpoint into the hub's checkpoints folder
    /// (or <paramref name="modelDirectory"/>) unless it is cached, and reads it (torch.save zip or legacy,
    /// or safetensors; never anything outside the weights-only allow-list).
    /// </summary>
    /// <param name="url">Where the checkpoint is published.</param>
    /// <param name="modelDirectory">The cache folder; null for <c>&lt;hub dir&gt;/checkpoints</c>.</param>
    /// <param name="fileName">The cached file's name; null for the last segment of the URL's path.</param>
    /// <param name="checkHash">Verify the hash prefix in the file name (torch's <c>-&lt;hex&gt;.</c> convention).</param>
    /// <param name="progress">Receives progress reports while bytes arrive.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <exception cref="HubException">The download failed, the hash did not match, or the file is not a readable checkpoint.</exception>
    internal async Task<Dictionary<string, torch.Tensor>> LoadStateDictFromUrlAsync(
        string url, string? modelDirectory = null, string? fileName = null, bool checkHash = false,
        IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var path = await DownloadCheckpointAsync(url, modelDirectory, fileName, checkHash, progress, cancellationToken).ConfigureAwait(false);
        return Checkpoint.Read(path);
    }
}
