using HubHost.Storage;
using HubHost.Downloads;
using HubHost.Checkpoints;
using TorchSharp;

namespace HubHost;

public sealed partial class HubClient
{
    /// <summary>Retries, timeouts and waits of downloads: the defaults with the options' stall check (tests shorten them).</summary>
    internal DownloadSettings DownloadSettings { get; init; }

    private FileDownloader Downloader => new(HubHttp.Client, DownloadSettings, Logger, new CompletedDownloads(HubLocks.Downloads(HubDirectory)));

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
        var uri = UrlText.ParseHttp(url);
        if (string.IsNullOrWhiteSpace(destination)) throw new HubException("No destination given: give the path of the file to write.");
        return Downloader.DownloadAsync(uri, HubDirectories.ExpandHome(destination), hashPrefix, progress, ExistingFile.Replace, cancellationToken);
    }

    /// <summary>
    /// The local path of the checkpoint at <paramref name="url"/>, downloaded into the checkpoint cache unless
    /// it is already there (the download half of torch.hub.load_state_dict_from_url). A cached file is used
    /// without any request. A zip holding exactly one file (torch's legacy format) is extracted beside it and
    /// the extracted file's path returned.
    /// </summary>
    /// <param name="url">An http or https URL.</param>
    /// <param name="modelDirectory">The cache directory; null for <c>&lt;hub dir&gt;/checkpoints</c>.</param>
    /// <param name="fileName">The cached file's name; null for the last segment of the URL's path.</param>
    /// <param name="checkHash">
    /// Verify the download against the hash prefix in the file name, torch's convention: the first '-' followed
    /// by lower-case hex digits and a '.' (in <c>resnet18-f37072fd.pth</c>, "f37072fd") gives the start of the
    /// file's SHA-256. Refused when the name has no such part. A file already in the cache is not re-checked.
    /// </param>
    /// <param name="progress">Receives progress reports while bytes arrive.</param>
    /// <param name="cancellationToken">Cancels the download; nothing is left behind.</param>
    /// <returns>The absolute path of the checkpoint file to load.</returns>
    /// <exception cref="HubException">The download failed or the hash did not match; the message says why.</exception>
    public async Task<string> DownloadCheckpointAsync(
        string url, string? modelDirectory = null, string? fileName = null, bool checkHash = false,
        IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var uri = UrlText.ParseHttp(url);
        var name = fileName is null ? CheckpointFiles.FileNameOf(uri) : CheckpointFiles.CheckFileName(fileName);
        string? hashPrefix = null;
        if (checkHash)
        {
            hashPrefix = CheckpointFiles.HashPrefixOf(name)
                ?? throw new HubException(
                    $"Cannot check the hash of '{name}': the name has no hash part like 'resnet18-f37072fd.pth' " +
                    "(a '-', then the start of the file's SHA-256 in lower-case hex, then '.'). Give such a file name or turn the hash check off.");
        }
        var path = CheckpointCachePath(name, modelDirectory);
        if (!File.Exists(path))
        {
            Logger.LogDownloadingCheckpoint(UrlText.Redact(uri), path);
            await Downloader.DownloadAsync(uri, path, hashPrefix, progress, ExistingFile.Use, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            Logger.LogCachedCheckpoint(path);
        }
        return await CheckpointFiles.ResolveLegacyZipAsync(path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Where the checkpoint cache keeps the file of <paramref name="url"/> (named <paramref name="fileName"/>, or after the URL).</summary>
    internal string CheckpointCachePath(Uri url, string? modelDirectory, string? fileName)
        => CheckpointCachePath(fileName is null ? CheckpointFiles.FileNameOf(url) : CheckpointFiles.CheckFileName(fileName), modelDirectory);

    private string CheckpointCachePath(string name, string? modelDirectory)
        => Path.Combine(Path.GetFullPath(modelDirectory ?? HubDirectories.Checkpoints(HubDirectory)), name);

    /// <summary>
    /// Reads the state dict of a local checkpoint file or of an http(s) URL (through the checkpoint cache, hash-checked
    /// when its file name has torch's <c>-&lt;hex&gt;.</c> hash part): torch.save zip or legacy, or safetensors; never
    /// anything outside the weights-only allow-list. What <c>hubhost state-dict</c> and <c>run --weights</c> read.
    /// </summary>
    /// <param name="pathOrUrl">A local file, or an http(s) URL.</param>
    /// <param name="progress">Receives progress reports while a download's bytes arrive.</param>
    /// <param name="cancellationToken">Cancels a download.</param>
    /// <exception cref="HubException">No such file, an unsupported URL scheme, a failed download or hash check, or not a readable checkpoint.</exception>
    public async Task<Dictionary<string, torch.Tensor>> LoadStateDictAsync(string pathOrUrl, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
        => Checkpoint.Read(await ResolveLocalOrDownloadAsync(pathOrUrl, progress, cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// For commands that take weights as a path or a URL: an http(s) URL is fetched through the checkpoint
    /// cache (hash-checked when its file name has a hash part); anything else must be an existing local file.
    /// </summary>
    internal async Task<string> ResolveLocalOrDownloadAsync(string pathOrUrl, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(pathOrUrl))
            throw new HubException("No checkpoint given: give a local file path or an http(s) URL.");
        if (UrlText.LooksLikeHttp(pathOrUrl))
        {
            var uri = UrlText.ParseHttp(pathOrUrl);
            var hasHash = CheckpointFiles.HashPrefixOf(CheckpointFiles.FileNameOf(uri)) is not null;
            return await DownloadCheckpointAsync(pathOrUrl, checkHash: hasHash, progress: progress, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        if (pathOrUrl.Contains("://", StringComparison.Ordinal))
            throw new HubException($"'{pathOrUrl.Split("://")[0]}://' URLs are not supported: give a local file path or an http(s) URL.");
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
    public async Task<Dictionary<string, torch.Tensor>> LoadStateDictFromUrlAsync(
        string url, string? modelDirectory = null, string? fileName = null, bool checkHash = false,
        IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var path = await DownloadCheckpointAsync(url, modelDirectory, fileName, checkHash, progress, cancellationToken).ConfigureAwait(false);
        return Checkpoint.Read(path);
    }
}
