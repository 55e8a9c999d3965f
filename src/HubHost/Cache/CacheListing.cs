namespace HubHost.Cache;

/// <summary>What the hub directory holds (<see cref="HubClient.ListCache"/>, <c>hubhost cache ls</c>).</summary>
public sealed record CacheListing
{
    internal CacheListing(string HubDirectory, IReadOnlyList<CachedRepo> Repos, IReadOnlyList<CachedCheckout> Checkouts, IReadOnlyList<CachedBuild> Builds, IReadOnlyList<string> TempFolders, long TotalBytes, IReadOnlyList<CachedPackage> Packages, IReadOnlyList<CachePart> Parts)
    {
        this.HubDirectory = HubDirectory;
        this.Repos = Repos;
        this.Checkouts = Checkouts;
        this.Builds = Builds;
        this.TempFolders = TempFolders;
        this.TotalBytes = TotalBytes;
        this.Packages = Packages;
        this.Parts = Parts;
    }

    /// <summary>The hub directory listed.</summary>
    public string HubDirectory { get; init; }

    /// <summary>Git repos: their mirrors and the refs fetched from them.</summary>
    public IReadOnlyList<CachedRepo> Repos { get; init; }

    /// <summary>The files of each commit checked out.</summary>
    public IReadOnlyList<CachedCheckout> Checkouts { get; init; }

    /// <summary>Every build folder (repo builds and package load folders).</summary>
    public IReadOnlyList<CachedBuild> Builds { get; init; }

    /// <summary>Work in progress, or left by killed runs (<see cref="HubClient.PruneCacheAsync"/> removes the latter).</summary>
    public IReadOnlyList<string> TempFolders { get; init; }

    /// <summary>Everything under the hub directory.</summary>
    public long TotalBytes { get; init; }

    /// <summary>Packages in the hub's package folder (<c>nuget:</c> sources).</summary>
    public IReadOnlyList<CachedPackage> Packages { get; init; }

    /// <summary>What <see cref="TotalBytes"/> is made of, by kind (builds, restores, git, packages, checkpoints); kinds with nothing are left out.</summary>
    public IReadOnlyList<CachePart> Parts { get; init; }

    /// <summary>The weights files in <c>&lt;hub&gt;/checkpoints</c>, with the URL each came from and its SHA-256.</summary>
    public IReadOnlyList<CachedWeights> Weights { get; init; } = [];
}

/// <summary>A weights file in the checkpoint cache.</summary>
public sealed record CachedWeights
{
    internal CachedWeights(string? Url, string Path, string? Sha256, long Bytes, string? Commit, DateTimeOffset? VerifiedAt, bool Legacy)
    {
        this.Url = Url;
        this.Path = Path;
        this.Sha256 = Sha256;
        this.Bytes = Bytes;
        this.Commit = Commit;
        this.VerifiedAt = VerifiedAt;
        this.Legacy = Legacy;
    }

    /// <summary>The URL it came from (no user info or query), or null for a file an earlier version cached under its name alone.</summary>
    public string? Url { get; init; }

    /// <summary>The file.</summary>
    public string Path { get; init; }

    /// <summary>Its full SHA-256, recorded when it was cached or first checked; null when never checked.</summary>
    public string? Sha256 { get; init; }

    /// <summary>Its size.</summary>
    public long Bytes { get; init; }

    /// <summary>For an <c>hf://</c> file, the commit it was fetched at.</summary>
    public string? Commit { get; init; }

    /// <summary>When its SHA-256 was last computed.</summary>
    public DateTimeOffset? VerifiedAt { get; init; }

    /// <summary>Cached by an earlier version under the URL's last path segment alone (moved under its URL once it is proven to be that URL's file).</summary>
    public bool Legacy { get; init; }
}

/// <summary>One kind of thing in the hub directory and its size.</summary>
public sealed record CachePart
{
    internal CachePart(string Name, string Path, long Bytes)
    {
        this.Name = Name;
        this.Path = Path;
        this.Bytes = Bytes;
    }

    /// <summary>What it is (<c>builds</c>, <c>git</c>...).</summary>
    public string Name { get; init; }

    /// <summary>Its folder.</summary>
    public string Path { get; init; }

    /// <summary>Its size.</summary>
    public long Bytes { get; init; }
}

/// <summary>A package in the hub's package folder: a hub package or a dependency, and the load folders made from it.</summary>
public sealed record CachedPackage
{
    internal CachedPackage(string Id, string Version, bool HubPackage, long Bytes, IReadOnlyList<string> Layouts)
    {
        this.Id = Id;
        this.Version = Version;
        this.HubPackage = HubPackage;
        this.Bytes = Bytes;
        this.Layouts = Layouts;
    }

    /// <summary>The package id.</summary>
    public string Id { get; init; }

    /// <summary>The version.</summary>
    public string Version { get; init; }

    /// <summary>A hub package (made by <c>hubhost pack</c>) rather than a dependency of one.</summary>
    public bool HubPackage { get; init; }

    /// <summary>Its size.</summary>
    public long Bytes { get; init; }

    /// <summary>The build folders laid out from it.</summary>
    public IReadOnlyList<string> Layouts { get; init; }
}

/// <summary>A git repo in the cache: its mirror and the refs fetched from it.</summary>
public sealed record CachedRepo
{
    internal CachedRepo(string Name, string Url, string Mirror, bool HasMirror, long MirrorBytes, IReadOnlyList<CachedRef> Refs)
    {
        this.Name = Name;
        this.Url = Url;
        this.Mirror = Mirror;
        this.HasMirror = HasMirror;
        this.MirrorBytes = MirrorBytes;
        this.Refs = Refs;
    }

    /// <summary>How it was named (<c>owner/name</c> or its URL).</summary>
    public string Name { get; init; }

    /// <summary>The URL it mirrors.</summary>
    public string Url { get; init; }

    /// <summary>The mirror's folder name.</summary>
    public string Mirror { get; init; }

    /// <summary>Whether the mirror is there.</summary>
    public bool HasMirror { get; init; }

    /// <summary>The mirror's size.</summary>
    public long MirrorBytes { get; init; }

    /// <summary>The refs fetched.</summary>
    public IReadOnlyList<CachedRef> Refs { get; init; }
}

/// <summary>A ref and the commit it resolved to, with whether its files are checked out, and its builds.</summary>
public sealed record CachedRef
{
    internal CachedRef(string Ref, string Commit, DateTimeOffset ResolvedAt, bool CheckedOut, IReadOnlyList<string> Builds)
    {
        this.Ref = Ref;
        this.Commit = Commit;
        this.ResolvedAt = ResolvedAt;
        this.CheckedOut = CheckedOut;
        this.Builds = Builds;
    }

    /// <summary>The ref as asked for (HEAD for the default branch).</summary>
    public string Ref { get; init; }

    /// <summary>The full commit SHA.</summary>
    public string Commit { get; init; }

    /// <summary>When it was last resolved.</summary>
    public DateTimeOffset ResolvedAt { get; init; }

    /// <summary>Whether the commit's files are in the cache.</summary>
    public bool CheckedOut { get; init; }

    /// <summary>The build folders of that commit.</summary>
    public IReadOnlyList<string> Builds { get; init; }
}

/// <summary>The files of one commit.</summary>
public sealed record CachedCheckout
{
    internal CachedCheckout(string Commit, long Bytes)
    {
        this.Commit = Commit;
        this.Bytes = Bytes;
    }

    /// <summary>The full commit SHA.</summary>
    public string Commit { get; init; }

    /// <summary>Their size.</summary>
    public long Bytes { get; init; }
}

/// <summary>A build folder.</summary>
public sealed record CachedBuild
{
    internal CachedBuild(string Name, string Repo, string Version, string ContentKey, long Bytes, DateTimeOffset? BuiltAt)
    {
        this.Name = Name;
        this.Repo = Repo;
        this.Version = Version;
        this.ContentKey = ContentKey;
        this.Bytes = Bytes;
        this.BuiltAt = BuiltAt;
    }

    /// <summary>The folder name under <c>builds/</c> (the build key).</summary>
    public string Name { get; init; }

    /// <summary>The repo built, as named.</summary>
    public string Repo { get; init; }

    /// <summary>Its version (commit prefix, content hash prefix, package version).</summary>
    public string Version { get; init; }

    /// <summary>What exactly was built (<c>git-SHA</c>, <c>local-HASH</c>, <c>nuget-id@version</c>).</summary>
    public string ContentKey { get; init; }

    /// <summary>Its size.</summary>
    public long Bytes { get; init; }

    /// <summary>When it was built; null for an unfinished one.</summary>
    public DateTimeOffset? BuiltAt { get; init; }
}

/// <summary>What a removal or prune removed, and what it left because it was in use.</summary>
public sealed record CacheRemoval
{
    internal CacheRemoval(IReadOnlyList<string> Removed, IReadOnlyList<string> Skipped, long Bytes)
    {
        this.Removed = Removed;
        this.Skipped = Skipped;
        this.Bytes = Bytes;
    }

    /// <summary>What was removed, one line each (<c>build KEY (...)</c>, <c>ref owner/name:main -> SHA</c>...).</summary>
    public IReadOnlyList<string> Removed { get; init; }

    /// <summary>What was in use and left, with why.</summary>
    public IReadOnlyList<string> Skipped { get; init; }

    /// <summary>The bytes freed.</summary>
    public long Bytes { get; init; }
}

/// <summary>
/// What a cache removal would remove (<see cref="HubClient.PlanCacheRemovalAsync"/>, <see cref="HubClient.PlanCachePruneAsync"/>), as
/// huggingface_hub's <c>DeleteCacheStrategy</c>: the items, the space they take, and <see cref="ExecuteAsync"/>, which removes them —
/// deciding again under the locks, so what a load started using since the plan is left and reported as skipped.
/// </summary>
public sealed class CachePlan
{
    private readonly Func<CancellationToken, Task<CacheRemoval>> _execute;

    internal CachePlan(IReadOnlyList<string> items, IReadOnlyList<string> skipped, long expectedFreedBytes, Func<CancellationToken, Task<CacheRemoval>> execute)
    {
        Items = items.ToList();
        Skipped = skipped.ToList();
        ExpectedFreedBytes = expectedFreedBytes;
        _execute = execute;
    }

    /// <summary>What would be removed, one line each, as <see cref="CacheRemoval.Removed"/> words it.</summary>
    public IReadOnlyList<string> Items { get; }

    /// <summary>What is in use now and would be left, with why.</summary>
    public IReadOnlyList<string> Skipped { get; }

    /// <summary>The bytes removing <see cref="Items"/> frees.</summary>
    public long ExpectedFreedBytes { get; }

    /// <summary>Removes what the plan lists (what came into use since is left).</summary>
    public Task<CacheRemoval> ExecuteAsync(CancellationToken cancellationToken = default) => _execute(cancellationToken);
}
