namespace HubHost.Cache;

/// <summary>What the hub directory holds (<see cref="HubClient.ListCache"/>, <c>hubhost cache ls</c>).</summary>
/// <param name="HubDirectory">The hub directory listed.</param>
/// <param name="Repos">Git repos: their mirrors and the refs fetched from them.</param>
/// <param name="Checkouts">The files of each commit checked out.</param>
/// <param name="Builds">Every build folder (repo builds and package load folders).</param>
/// <param name="TempFolders">Work in progress, or left by killed runs (<see cref="HubClient.PruneCacheAsync"/> removes the latter).</param>
/// <param name="TotalBytes">Everything under the hub directory.</param>
/// <param name="Packages">Packages in the hub's package folder (<c>nuget:</c> sources).</param>
/// <param name="Parts">What <paramref name="TotalBytes"/> is made of, by kind (builds, restores, git, packages, checkpoints); kinds with nothing are left out.</param>
public sealed record CacheListing(string HubDirectory, IReadOnlyList<CachedRepo> Repos, IReadOnlyList<CachedCheckout> Checkouts, IReadOnlyList<CachedBuild> Builds,
    IReadOnlyList<string> TempFolders, long TotalBytes, IReadOnlyList<CachedPackage> Packages, IReadOnlyList<CachePart> Parts)
{
    /// <summary>The weights files in <c>&lt;hub&gt;/checkpoints</c>, with the URL each came from and its SHA-256.</summary>
    public IReadOnlyList<CachedWeights> Weights { get; init; } = [];
}

/// <summary>A weights file in the checkpoint cache.</summary>
/// <param name="Url">The URL it came from (no user info or query), or null for a file an earlier version cached under its name alone.</param>
/// <param name="Path">The file.</param>
/// <param name="Sha256">Its full SHA-256, recorded when it was cached or first checked; null when never checked.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="Commit">For an <c>hf://</c> file, the commit it was fetched at.</param>
/// <param name="VerifiedAt">When its SHA-256 was last computed.</param>
/// <param name="Legacy">Cached by an earlier version under the URL's last path segment alone (moved under its URL once it is proven to be that URL's file).</param>
public sealed record CachedWeights(string? Url, string Path, string? Sha256, long Bytes, string? Commit, DateTimeOffset? VerifiedAt, bool Legacy);

/// <summary>One kind of thing in the hub directory and its size.</summary>
/// <param name="Name">What it is (<c>builds</c>, <c>git</c>...).</param>
/// <param name="Path">Its folder.</param>
/// <param name="Bytes">Its size.</param>
public sealed record CachePart(string Name, string Path, long Bytes);

/// <summary>A package in the hub's package folder: a hub package or a dependency, and the load folders made from it.</summary>
/// <param name="Id">The package id.</param>
/// <param name="Version">The version.</param>
/// <param name="HubPackage">A hub package (made by <c>hubhost pack</c>) rather than a dependency of one.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="Layouts">The build folders laid out from it.</param>
public sealed record CachedPackage(string Id, string Version, bool HubPackage, long Bytes, IReadOnlyList<string> Layouts);

/// <summary>A git repo in the cache: its mirror and the refs fetched from it.</summary>
/// <param name="Name">How it was named (<c>owner/name</c> or its URL).</param>
/// <param name="Url">The URL it mirrors.</param>
/// <param name="Mirror">The mirror's folder name.</param>
/// <param name="HasMirror">Whether the mirror is there.</param>
/// <param name="MirrorBytes">The mirror's size.</param>
/// <param name="Refs">The refs fetched.</param>
public sealed record CachedRepo(string Name, string Url, string Mirror, bool HasMirror, long MirrorBytes, IReadOnlyList<CachedRef> Refs);

/// <summary>A ref and the commit it resolved to, with whether its files are checked out, and its builds.</summary>
/// <param name="Ref">The ref as asked for (HEAD for the default branch).</param>
/// <param name="Commit">The full commit SHA.</param>
/// <param name="ResolvedAt">When it was last resolved.</param>
/// <param name="CheckedOut">Whether the commit's files are in the cache.</param>
/// <param name="Builds">The build folders of that commit.</param>
public sealed record CachedRef(string Ref, string Commit, DateTimeOffset ResolvedAt, bool CheckedOut, IReadOnlyList<string> Builds);

/// <summary>The files of one commit.</summary>
/// <param name="Commit">The full commit SHA.</param>
/// <param name="Bytes">Their size.</param>
public sealed record CachedCheckout(string Commit, long Bytes);

/// <summary>A build folder.</summary>
/// <param name="Name">The folder name under <c>builds/</c> (the build key).</param>
/// <param name="Repo">The repo built, as named.</param>
/// <param name="Version">Its version (commit prefix, content hash prefix, package version).</param>
/// <param name="ContentKey">What exactly was built (<c>git-SHA</c>, <c>local-HASH</c>, <c>nuget-id@version</c>).</param>
/// <param name="Bytes">Its size.</param>
/// <param name="BuiltAt">When it was built; null for an unfinished one.</param>
public sealed record CachedBuild(string Name, string Repo, string Version, string ContentKey, long Bytes, DateTimeOffset? BuiltAt);

/// <summary>What a removal or prune removed, and what it left because it was in use.</summary>
/// <param name="Removed">What was removed, one line each (<c>build KEY (...)</c>, <c>ref owner/name:main -> SHA</c>...).</param>
/// <param name="Skipped">What was in use and left, with why.</param>
/// <param name="Bytes">The bytes freed.</param>
public sealed record CacheRemoval(IReadOnlyList<string> Removed, IReadOnlyList<string> Skipped, long Bytes);

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
