namespace HubHost.Storage;

/// <summary>
/// The lock that keeps one version's files (a git checkout, the builds of a content key) from being removed
/// while they are in use: a load holds it shared from the moment it knows the content key until its
/// <see cref="HubRepo"/> is released (or its process exits); <c>cache rm</c> and <c>cache prune</c> take it
/// exclusively, and only when it is free, before removing that content's checkout or builds.
/// </summary>
internal static class ContentLease
{
    /// <summary>How long a load waits for a removal that holds the lease (removals only delete, never wait, while holding it).</summary>
    private static readonly TimeSpan UseTimeout = TimeSpan.FromMinutes(2);

    public static string PathFor(string hubDirectory, string contentKey)
        => Path.Combine(HubDirectories.Locks(hubDirectory), "use-" + (contentKey.Length > 80 ? contentKey[..80] : contentKey) + ".lock");

    /// <summary>Holds <paramref name="contentKey"/> in use (shared with other loads).</summary>
    public static Task<FileLock> UseAsync(string hubDirectory, string contentKey, string what, CancellationToken cancellationToken)
        => FileLock.AcquireAsync(PathFor(hubDirectory, contentKey), $"removing {what} from the cache", UseTimeout, cancellationToken, shared: true);

    /// <summary>Takes <paramref name="contentKey"/> for removal if no load uses it; null when one does.</summary>
    public static Task<FileLock?> TryTakeForRemovalAsync(string hubDirectory, string contentKey, CancellationToken cancellationToken)
        => FileLock.TryAcquireAsync(PathFor(hubDirectory, contentKey), cancellationToken);
}
