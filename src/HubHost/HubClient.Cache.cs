using HubHost.Cache;
using HubHost.Storage;

namespace HubHost;

public sealed partial class HubClient
{
    /// <summary>
    /// What the hub directory holds: git repos with their refs and commits, checkouts, builds, packages, temp
    /// folders and sizes (<c>hubhost cache ls</c>). Reads only; safe while other processes use the hub.
    /// </summary>
    public CacheListing ListCache() => Inventory.List();

    /// <summary>
    /// Removes a repo from the cache (<c>hubhost cache rm</c>): <c>owner/name</c> or a git URL (the mirror, all its
    /// refs, and the checkouts and builds nothing else uses), <c>owner/name:REF</c> or <c>URL#REF</c> (one ref), a
    /// local folder (its builds), <c>nuget:Id[@version]</c> (a hub package's versions and load folders), or a weights URL
    /// (http(s) or <c>hf://</c>: its cached file, and any file cached under an explicit name from that URL). Whatever
    /// a running load (in any process) uses is left and reported as skipped.
    /// </summary>
    /// <exception cref="HubException">Nothing is cached for that repo or ref; the message says what is.</exception>
    public async Task<CacheRemoval> RemoveFromCacheAsync(string repo, CancellationToken cancellationToken = default)
    {
        EnsureHubDirectory();
        return (await Inventory.RemoveAsync(repo, cancellationToken).ConfigureAwait(false)).ToResult();
    }

    /// <summary>
    /// Removes what nothing points to (<c>hubhost cache prune</c>): builds of commits no ref records, builds of local
    /// folders that changed or are gone, checkouts and mirrors no ref uses, and temp folders left by killed runs.
    /// </summary>
    public async Task<CacheRemoval> PruneCacheAsync(CancellationToken cancellationToken = default)
    {
        EnsureHubDirectory();
        return (await Inventory.PruneAsync(cancellationToken).ConfigureAwait(false)).ToResult();
    }

    /// <summary>
    /// Checks that the hub directory can be used, with one clear <see cref="HubException"/> when it cannot (a file,
    /// or below a file, or not writable). <paramref name="writable"/>: create it and check it can be written to;
    /// otherwise only that it is not in the way of reading. Loads check this themselves.
    /// </summary>
    public void EnsureHubDirectory(bool writable = true)
    {
        if (writable) EnsureWritableHubDirectory();
        else HubDirectories.EnsureUsable(HubDirectory, write: false);
    }

    private HubCache Inventory => new(HubDirectory, Settings.GitBaseUrl);
}
