using HubHost.Downloads;

namespace HubHost;

public static partial class Hub
{
    /// <summary>
    /// Downloads <paramref name="url"/> to <paramref name="destination"/> (torch.hub.download_url_to_file): the
    /// file appears only when complete and, with <paramref name="hashPrefix"/>, only if its SHA-256 starts with
    /// it. Blocks until done; see <see cref="HubClient.DownloadUrlToFileAsync"/>.
    /// </summary>
    /// <param name="url">An http or https URL.</param>
    /// <param name="destination">The file to write (replaced if it exists).</param>
    /// <param name="hashPrefix">Hex the file's SHA-256 must start with, or null for no check.</param>
    /// <param name="progress">Receives progress reports while bytes arrive.</param>
    /// <exception cref="HubException">The download failed or the hash did not match; the message says why.</exception>
    public static void DownloadUrlToFile(string url, string destination, string? hashPrefix = null, IProgress<DownloadProgress>? progress = null)
        => Default.DownloadUrlToFileAsync(url, destination, hashPrefix, progress).GetAwaiter().GetResult();

    /// <summary>
    /// torch.hub.load_state_dict_from_url: downloads a checkpoint into <c>&lt;hub dir&gt;/checkpoints</c> unless it
    /// is cached, and reads it (torch.save zip or legacy, or safetensors; only the weights-only allow-list). Blocks until done; the async way is <see cref="HubClient.LoadStateDictAsync(string, HubRepo?, IProgress{Downloads.DownloadProgress}?, CancellationToken)"/>.
    /// </summary>
    /// <param name="url">An http or https URL.</param>
    /// <param name="modelDirectory">The cache folder; null for <c>&lt;hub dir&gt;/checkpoints</c>.</param>
    /// <param name="fileName">The cached file's name; null for the last segment of the URL's path.</param>
    /// <param name="checkHash">Verify the hash prefix in the file name (torch's <c>-&lt;hex&gt;.</c> convention).</param>
    /// <exception cref="HubException">The download failed, the hash did not match, or the file is not a readable checkpoint.</exception>
    public static Dictionary<string, TorchSharp.torch.Tensor> LoadStateDictFromUrl(string url, string? modelDirectory = null, string? fileName = null, bool checkHash = false)
        => Default.LoadStateDictFromUrlAsync(url, modelDirectory, fileName, checkHash).GetAwaiter().GetResult();
}
