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
        return (await Inventory.RemoveAsync(repo, execute: true, cancellationToken).ConfigureAwait(false)).ToResult();
    }

    /// <summary>
    /// Plans <see cref="RemoveFromCacheAsync"/> without removing anything (<c>hubhost cache rm --dry-run</c>), as huggingface_hub's
    /// <c>delete_revisions</c>: what would go and <see cref="CachePlan.ExpectedFreedBytes"/>; <see cref="CachePlan.ExecuteAsync"/> removes it.
    /// The plan decides as the removal does (the same locks; what a running load uses is listed as skipped).
    /// </summary>
    /// <exception cref="HubException">Nothing is cached for that repo or ref; the message says what is.</exception>
    public async Task<CachePlan> PlanCacheRemovalAsync(string repo, CancellationToken cancellationToken = default)
    {
        EnsureHubDirectory();
        var planned = await Inventory.RemoveAsync(repo, execute: false, cancellationToken).ConfigureAwait(false);
        return new CachePlan(planned.Removed, planned.Skipped, planned.Bytes, token => RemoveFromCacheAsync(repo, token));
    }

    /// <summary>
    /// Removes what nothing points to (<c>hubhost cache prune</c>): builds of commits no ref records, builds of local
    /// folders that changed or are gone, checkouts and mirrors no ref uses, and temp folders left by killed runs.
    /// </summary>
    public async Task<CacheRemoval> PruneCacheAsync(CancellationToken cancellationToken = default)
    {
        EnsureHubDirectory();
        return (await Inventory.PruneAsync(execute: true, cancellationToken).ConfigureAwait(false)).ToResult();
    }

    /// <summary>Plans <see cref="PruneCacheAsync"/> without removing anything (<c>hubhost cache prune --dry-run</c>); see <see cref="PlanCacheRemovalAsync"/>.</summary>
    public async Task<CachePlan> PlanCachePruneAsync(CancellationToken cancellationToken = default)
    {
        EnsureHubDirectory();
        var planned = await Inventory.PruneAsync(execute: false, cancellationToken).ConfigureAwait(false);
        return new CachePlan(planned.Removed, planned.Skipped, planned.Bytes, PruneCacheAsync);
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

    private HubCache Inventory => new(HubDirectory, repo => Pipeline.Parse(repo).Footprint);
}
