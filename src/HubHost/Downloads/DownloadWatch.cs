namespace HubHost.Downloads;

/// <summary>
/// The checkpoint downloads a repo asks its hub for (<c>LoadStateDictFromUrl</c>, <c>LoadScriptFromUrl</c>) while a watch
/// is open on the calling flow: what <c>hubhost check</c> looks at to say whether an entrypoint's weights URLs are
/// hash-named, reachable and match their hashes. Scoped by an AsyncLocal, so concurrent loads elsewhere in the process
/// are not seen and nothing is recorded when no watch is open.
/// </summary>
internal static class DownloadWatch
{
    private static readonly AsyncLocal<List<WatchedDownload>?> Current = new();

    /// <summary>Starts recording on this flow; dispose the scope to stop.</summary>
    public static Watching Open() => new(Current.Value = []);

    /// <summary>Runs one fetch of a repo's checkpoint through the cache, recording it when a watch is open.</summary>
    /// <param name="url">The URL the repo asked for.</param>
    /// <param name="fileName">The file name it gave, or null for the URL's.</param>
    /// <param name="checkHash">Whether it asked for the hash check.</param>
    /// <param name="fetch">The fetch itself: the cached file, and whether it was downloaded now.</param>
    public static async Task<CachedFile> RunAsync(string url, string? fileName, bool checkHash, Func<Task<CachedFile>> fetch)
    {
        var list = Current.Value;
        if (list is null) return await fetch().ConfigureAwait(false);
        try
        {
            var file = await fetch().ConfigureAwait(false);
            lock (list) list.Add(new WatchedDownload(url, fileName, checkHash, !file.Downloaded, file.Path, null));
            return file;
        }
        catch (Exception e)
        {
            lock (list) list.Add(new WatchedDownload(url, fileName, checkHash, false, null, e));
            throw;
        }
    }

    /// <summary>An open watch: the downloads seen so far.</summary>
    internal sealed class Watching(List<WatchedDownload> downloads) : IDisposable
    {
        public IReadOnlyList<WatchedDownload> Downloads
        {
            get
            {
                lock (downloads) return downloads.ToList();
            }
        }

        public void Dispose()
        {
            if (ReferenceEquals(Current.Value, downloads)) Current.Value = null;
        }
    }
}

/// <summary>One checkpoint download a repo asked for.</summary>
/// <param name="Url">The URL.</param>
/// <param name="FileName">The file name the repo gave, or null for the URL's.</param>
/// <param name="CheckHash">Whether the repo asked for the hash check.</param>
/// <param name="WasCached">Whether the file was already in the checkpoint cache (so nothing was requested).</param>
/// <param name="CachedPath">The file in the checkpoint cache (as downloaded: before a legacy zip is extracted), or null when the fetch failed.</param>
/// <param name="Error">Why it failed, or null.</param>
internal sealed record WatchedDownload(string Url, string? FileName, bool CheckHash, bool WasCached, string? CachedPath, Exception? Error);
