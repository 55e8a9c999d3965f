using HubHost.Caching;
using HubHost.Sources.Git;

namespace HubHost.Trust;

/// <summary>
/// torch.hub's <c>trusted_list</c>: a text file in the hub directory, one trusted repo per line
/// (<c>owner/name</c> for GitHub repos, else the normalised URL). Changes are written to a temp file and
/// renamed into place under a lock, so concurrent processes never lose an entry or see half a file.
/// </summary>
internal sealed class TrustedList(string hubDirectory)
{
    public string FilePath { get; } = HubDirectories.TrustedList(hubDirectory);

    /// <summary>The trusted entries, in file order.</summary>
    public IReadOnlyList<string> Entries()
    {
        try
        {
            return File.Exists(FilePath)
                ? File.ReadAllLines(FilePath).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).Distinct(StringComparer.Ordinal).ToList()
                : [];
        }
        catch (IOException e)
        {
            throw new HubException($"Could not read the trusted list {FilePath}: {e.Message}", e);
        }
    }

    public bool Contains(GitRemote remote)
    {
        var entries = Entries();
        return entries.Contains(remote.TrustKey, StringComparer.OrdinalIgnoreCase)
               || entries.Contains(GitRemote.NormalizeUrl(remote.Url), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Adds an entry (no-op when present). Returns whether it was added.</summary>
    public async Task<bool> AddAsync(string key, CancellationToken cancellationToken)
    {
        using var gate = await Lock(cancellationToken).ConfigureAwait(false);
        var entries = Entries().ToList();
        if (entries.Contains(key, StringComparer.OrdinalIgnoreCase)) return false;
        entries.Add(key);
        Write(entries);
        return true;
    }

    /// <summary>Removes an entry. Returns whether it was there.</summary>
    public async Task<bool> RemoveAsync(string key, CancellationToken cancellationToken)
    {
        using var gate = await Lock(cancellationToken).ConfigureAwait(false);
        var entries = Entries().ToList();
        var removed = entries.RemoveAll(e => string.Equals(e, key, StringComparison.OrdinalIgnoreCase)) > 0;
        if (removed) Write(entries);
        return removed;
    }

    private Task<FileLock> Lock(CancellationToken cancellationToken)
        => FileLock.AcquireAsync(Path.Combine(HubDirectories.Locks(hubDirectory), "trusted_list.lock"), "changing the trusted list", TimeSpan.FromSeconds(30), cancellationToken);

    private void Write(List<string> entries)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        var temp = FilePath + $".tmp-{Guid.NewGuid():N}";
        File.WriteAllLines(temp, entries);
        File.Move(temp, FilePath, overwrite: true);
    }
}
