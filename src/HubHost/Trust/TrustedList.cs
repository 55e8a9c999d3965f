using HubHost.Storage;
using HubHost.Sources.Git;

namespace HubHost.Trust;

/// <summary>
/// torch.hub's <c>trusted_list</c>: a text file in the hub directory, one trusted repo per line
/// (<c>owner/name</c> for GitHub repos, else the normalised URL), or one trusted owner (<c>owner/*</c>, a URL ending in
/// <c>/*</c>: every repo of that owner on that host). Changes are written to a temp file and renamed into place under a
/// lock, so concurrent processes never lose an entry or see half a file. Entries are compared the way servers tell
/// repos apart (<see cref="SameRepo"/>): a letter case that names another repo on the server never matches. Owners
/// given in <see cref="HubOptions.TrustedOwners"/> are trusted too, without being written to the file (torch.hub trusts
/// the owners pytorch and facebookresearch so; HubHost trusts no owner unless told).
/// </summary>
internal sealed class TrustedList(string hubDirectory, IReadOnlyList<string>? owners = null)
{
    private readonly IReadOnlyList<string> _owners = owners ?? [];

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

    public bool Contains(GitRemote remote) => Contains(remote.TrustKey);

    /// <summary>Whether a trusted-list key (<c>owner/name</c>, a URL, <c>nuget:Id</c>) is trusted: by an entry, or by a trusted owner.</summary>
    public bool Contains(string key) => _owners.Any(o => Covers(o, key)) || Entries().Any(e => Covers(e, key));

    /// <summary>
    /// Whether a trusted-list entry covers a key: the same repo (<see cref="SameRepo"/>), or, for an owner pattern, a
    /// repo below that owner on the same host (compared as <see cref="SameRepo"/> compares: github.com ignoring case in
    /// the owner, other hosts exactly). Packages are never covered by an owner.
    /// </summary>
    internal static bool Covers(string entry, string key)
    {
        if (!GitUrls.IsOwnerPattern(entry)) return SameRepo(entry, key);
        if (key.StartsWith("nuget:", StringComparison.OrdinalIgnoreCase) || GitUrls.IsOwnerPattern(key)) return false;
        var (owner, ignoreCaseOwner) = Canonical(entry.Trim()[..^2]);
        var (repo, ignoreCaseRepo) = Canonical(key);
        var comparison = ignoreCaseOwner && ignoreCaseRepo ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return repo.Length > owner.Length + 1 && repo.StartsWith(owner + "/", comparison);
    }

    /// <summary>Hosts that ignore letter case in <c>owner/name</c> (github.com serves Owner/Name and owner/name as one repo).</summary>
    private static readonly HashSet<string> CaseInsensitiveHosts = new(StringComparer.OrdinalIgnoreCase) { "github.com", "www.github.com" };

    /// <summary>
    /// Whether two trusted-list keys name one repo: scheme and host compare ignoring case (as DNS and URLs do),
    /// the path exactly (git servers' paths are case-sensitive), except on hosts known to ignore case in
    /// owner/name (github.com). A bare <c>owner/name</c> means https://github.com/owner/name.
    /// </summary>
    internal static bool SameRepo(string a, string b)
    {
        // nuget:Id — package ids ignore case on every feed.
        var packageA = a.StartsWith("nuget:", StringComparison.OrdinalIgnoreCase);
        var packageB = b.StartsWith("nuget:", StringComparison.OrdinalIgnoreCase);
        if (packageA || packageB) return packageA && packageB && string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase);
        var (urlA, ignoreCaseA) = Canonical(a);
        var (urlB, ignoreCaseB) = Canonical(b);
        return string.Equals(urlA, urlB, ignoreCaseA && ignoreCaseB ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }

    private static (string Url, bool IgnoreCase) Canonical(string key)
    {
        var url = key.Contains("://", StringComparison.Ordinal) ? GitUrls.NormalizeUrl(key) : GitUrls.NormalizeUrl(GitUrls.DefaultBaseUrl + key.Trim('/'));
        return (url, Uri.TryCreate(url, UriKind.Absolute, out var uri) && CaseInsensitiveHosts.Contains(uri.Host));
    }

    /// <summary>Adds an entry (no-op when present). Returns whether it was added.</summary>
    public async Task<bool> AddAsync(string key, CancellationToken cancellationToken)
    {
        using var gate = await Lock(cancellationToken).ConfigureAwait(false);
        var entries = Entries().ToList();
        if (entries.Any(e => SameRepo(e, key))) return false;
        entries.Add(key);
        Write(entries);
        return true;
    }

    /// <summary>Removes an entry. Returns whether it was there.</summary>
    public async Task<bool> RemoveAsync(string key, CancellationToken cancellationToken)
    {
        using var gate = await Lock(cancellationToken).ConfigureAwait(false);
        var entries = Entries().ToList();
        var removed = entries.RemoveAll(e => SameRepo(e, key)) > 0;
        if (removed) Write(entries);
        return removed;
    }

    private Task<FileLock> Lock(CancellationToken cancellationToken)
    {
        HubDirectories.EnsureUsable(hubDirectory, write: true);
        return FileLock.AcquireAsync(HubLocks.TrustedList(hubDirectory), "changing the trusted list", TimeSpan.FromSeconds(30), cancellationToken);
    }

    private void Write(List<string> entries) => AtomicFile.WriteAllLines(FilePath, entries);
}
