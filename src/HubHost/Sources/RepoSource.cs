using HubHost.Storage;
using HubHost.Locking;

namespace HubHost.Sources;

/// <summary>
/// Where a hub repo comes from (torch.hub's repo_or_dir + source). A source resolves to a
/// <see cref="RepoSnapshot"/>: a folder of files with a version key that names exactly that content.
/// </summary>
internal abstract class RepoSource
{
    /// <summary>How the user wrote it, for messages (never holds a credential).</summary>
    public abstract string DisplayName { get; }

    /// <summary>The repo without its ref or version: a local folder's full path, <c>owner/name</c>, the git URL, <c>nuget:Id</c>.</summary>
    public abstract string RepoName { get; }

    /// <summary>The ref or version asked for; null for a local folder, a git repo's default branch, or a package's highest version.</summary>
    public abstract string? Ref { get; }

    /// <summary>What the trusted list calls this source and how a refusal names it; null: always trusted (a local folder).</summary>
    public abstract TrustIdentity? Trust { get; }

    /// <summary>
    /// Resolves the current version, fetching if needed (ForceReload: re-resolve a cached ref). Trust is the caller's step, before
    /// this one (the pipeline: parse, trust, resolve, make loadable, load). A source that must hold its content before writing it
    /// (a git checkout) holds it in <paramref name="lease"/>, which the caller owns.
    /// </summary>
    public abstract Task<RepoSnapshot> ResolveAsync(SourceContext context, HubLoadOptions options, VersionLease lease, CancellationToken cancellationToken);

    /// <summary>What a lock calls this kind of source: <c>git</c>, <c>nuget</c> or <c>local</c>.</summary>
    public abstract string Kind { get; }

    /// <summary>
    /// Resolves exactly the version <paramref name="locked"/> records (of this <see cref="Kind"/>): a git repo at the locked commit
    /// whatever its ref says now, a package at the locked version and SHA-512, a folder only while its content is the locked one.
    /// </summary>
    /// <exception cref="SourceDriftException">The source no longer gives the locked version; the message says what differs.</exception>
    public abstract Task<RepoSnapshot> ResolveLockedAsync(SourceContext context, HubLoadOptions options, VersionLease lease, LockedSource locked, CancellationToken cancellationToken);

    /// <summary>What a lock records of a version of this source.</summary>
    public abstract LockedSource DescribeLocked(RepoSnapshot snapshot, SourceContext context);

    /// <summary>What this source leaves in the hub's cache, for <c>cache rm</c>: a folder's builds, a git repo's mirror and refs (or one ref), a package's versions.</summary>
    public abstract CacheFootprint Footprint { get; }

    /// <summary>Why this source cannot be packed by <c>hubhost pack</c> (a package already), or null.</summary>
    public virtual string? PackRefusal => null;

    /// <summary>The package id <c>hubhost pack</c> gives a version of it when none is given (before NuGet's character rules).</summary>
    public virtual string PackageIdHint(RepoSnapshot snapshot) => System.IO.Path.GetFileName(snapshot.Directory.TrimEnd('/'));

    /// <summary>The ref asked for when it may be a release tag (<c>v1.2.0</c>), for a packed version; null when it cannot be one.</summary>
    public virtual string? ReleaseRef => null;

    /// <summary>The repository a version of it was packed from (git: URL, ref and commit), or null.</summary>
    public virtual (string Url, string? Ref, string Commit)? Repository(RepoSnapshot snapshot) => null;
}

/// <summary>
/// What a source needs from the hub that resolves it: its directory, its settings, its logger, its clock (time limits), and the file that
/// makes a folder the kind of repo asked for (<see cref="HubRepoLayout.ProjectFileName"/>; <c>hubconf.py</c> for the
/// Python torch.hub repo <c>hubhost import</c> reads).
/// </summary>
internal sealed record SourceContext(string HubDirectory, HubOptions Settings, Microsoft.Extensions.Logging.ILogger Logger, TimeProvider Time, string RepoFile = HubRepoLayout.ProjectFileName);

/// <summary>
/// A source as the trusted list knows it: <paramref name="Key"/> (owner/name, a normalised URL, nuget:Id), how the
/// user wrote it, what trusting allows (<paramref name="Verb"/>: build, load) and why that matters, the name
/// <c>hubhost trust add</c> takes, and a note to add to messages (a same-named local folder).
/// </summary>
internal sealed record TrustIdentity(string Key, string Text, string Verb, string Why, string AddName, string? Note = null);

/// <summary>A source no longer gives the version a lock records (the lock step names the lock and the repo around the message).</summary>
internal sealed class SourceDriftException(string message, Exception? inner = null) : HubException(message, inner);

/// <summary>What a source leaves in the hub's cache (<see cref="RepoSource.Footprint"/>): one case per kind of source.</summary>
internal abstract record CacheFootprint;

/// <summary>A local folder: the builds of its contents, recorded under its full path.</summary>
internal sealed record FolderFootprint(string Folder) : CacheFootprint;

