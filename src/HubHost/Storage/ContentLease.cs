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

/// <summary>
/// The content lease of one load, owned in one place (the pipeline that resolves and loads the version): taken during resolve
/// (a git commit's, before its checkout is written) or right after it (a local folder, a package), handed to the loaded version
/// (<see cref="Transfer"/>), and let go when the load fails. Disposing an empty or handed-over lease does nothing.
/// </summary>
internal sealed class VersionLease(string hubDirectory) : IDisposable
{
    private FileLock? _held;

    /// <summary>The content it holds; null when it holds none.</summary>
    public ContentKey? Key { get; private set; }

    /// <summary>Holds <paramref name="key"/> in use (shared with other loads); nothing to do when it holds that key already.</summary>
    /// <exception cref="InvalidOperationException">It holds another key.</exception>
    public async Task HoldAsync(ContentKey key, string what, CancellationToken cancellationToken)
    {
        if (_held is not null)
        {
            if (Key == key) return;
            throw new InvalidOperationException($"The lease holds {Key} already, not {key}.");
        }
        _held = await ContentLease.UseAsync(hubDirectory, key.ToString(), what, cancellationToken).ConfigureAwait(false);
        Key = key;
    }

    /// <summary>A lease that now owns what this one held (this one is empty afterwards).</summary>
    public VersionLease Transfer()
    {
        var moved = new VersionLease(hubDirectory) { _held = Interlocked.Exchange(ref _held, null), Key = Key };
        Key = null;
        return moved;
    }

    /// <summary>Lets go of the content: <c>cache rm</c> and <c>cache prune</c> may remove it from now on (unless another load holds it).</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _held, null)?.Dispose();
        Key = null;
    }
}
