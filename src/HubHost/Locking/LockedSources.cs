using HubHost.Building;
using HubHost.Sources;
using HubHost.Sources.Git;
using HubHost.Sources.NuGet;
using NuGet.Versioning;

namespace HubHost.Locking;

/// <summary>
/// The resolve step under a lock, per kind of source: a git repo at the locked commit (whatever its ref points to now), a package
/// at the locked version with the locked SHA-512, a folder only while its content is the locked content. And the other way round,
/// what a lock records of a resolved version.
/// </summary>
internal static class LockedSources
{
    public static async Task<RepoSnapshot> ResolveAsync(RepoSource source, SourceContext context, HubLoadOptions options, HubLock hubLock, LockedRepo entry,
        CancellationToken cancellationToken)
    {
        var locked = entry.Source;
        switch (source)
        {
            case GitRepoSource git when locked.Kind == "git":
                if (git.Remote.Url != locked.Url)
                    throw LockDrift.Drifted(hubLock, entry.Repo, $"it now means {git.Remote.Url}, the lock has {locked.Url} (HUBHOST_GIT_BASE_URL may differ)");
                try
                {
                    return await git.ResolveCommitAsync(context, options, locked.Commit!, cancellationToken).ConfigureAwait(false);
                }
                catch (HubException e) when (e.Message.StartsWith("Refusing commit", StringComparison.Ordinal) || e.Message.Contains("has no branch, tag or commit", StringComparison.Ordinal))
                {
                    // The remote no longer has the locked commit on a branch or tag: its history was rewritten.
                    throw LockDrift.Drifted(hubLock, entry.Repo, $"its locked commit {locked.Commit![..12]} cannot be loaded any more: {e.Message.TrimEnd('.')}");
                }

            case NuGetRepoSource package when locked.Kind == "nuget":
                return await ResolvePackageAsync(package, context, options, hubLock, entry, cancellationToken).ConfigureAwait(false);

            case LocalDirectorySource local when locked.Kind == "local":
                var current = await local.ResolveAsync(context, options, cancellationToken).ConfigureAwait(false);
                if (current.ContentKey != locked.ContentKey)
                {
                    current.Lease?.Dispose();
                    throw LockDrift.Drifted(hubLock, entry.Repo, $"its files changed (content {current.ContentKey}, the lock has {locked.ContentKey})");
                }
                return current;

            default:
                throw LockDrift.Drifted(hubLock, entry.Repo, $"it is a {KindOf(source)} source now, the lock has a {locked.Kind} source");
        }
    }

    /// <summary>A package at its locked version and SHA-512 (apart, so a git or folder load never loads NuGet's assemblies).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task<RepoSnapshot> ResolvePackageAsync(NuGetRepoSource package, SourceContext context, HubLoadOptions options, HubLock hubLock, LockedRepo entry,
        CancellationToken cancellationToken)
    {
        var locked = entry.Source;
        if (!package.Id.Equals(locked.Id, StringComparison.OrdinalIgnoreCase) || !NuGetVersion.TryParse(locked.Version, out var version))
            throw LockDrift.Drifted(hubLock, entry.Repo, $"it names the package {package.Id}, the lock has {locked.Id} {locked.Version}");
        var snapshot = await package.AtVersion(version).ResolveAsync(context, options, cancellationToken).ConfigureAwait(false);
        var folder = new HubPackageStore(context.HubDirectory, context.Logger).Installed(package.Id, version);
        var hash = folder is null ? null : PackageLayout.InstalledHash(folder);
        if (hash != locked.Sha512)
        {
            snapshot.Lease?.Dispose();
            throw LockDrift.Drifted(hubLock, entry.Repo, $"the package {locked.Id} {locked.Version} has SHA-512 {Short(hash)}, the lock has {Short(locked.Sha512)}");
        }
        return snapshot;
    }

    /// <summary>What a lock records of a resolved version of <paramref name="source"/>.</summary>
    public static LockedSource Describe(RepoSource source, RepoSnapshot snapshot, string hubDirectory, Microsoft.Extensions.Logging.ILogger logger) => source switch
    {
        GitRepoSource git => new LockedSource("git") { Url = git.Remote.Url, Ref = git.Remote.Ref, Commit = snapshot.ContentKey["git-".Length..] },
        NuGetRepoSource package => new LockedSource("nuget")
        {
            Id = package.Id,
            Ref = package.Ref,
            Version = snapshot.Version,
            Sha512 = new HubPackageStore(hubDirectory, logger).Installed(package.Id, NuGetVersion.Parse(snapshot.Version)) is { } folder
                ? PackageLayout.InstalledHash(folder)
                : throw new HubException($"{package.Text} {snapshot.Version} is not in the hub's package folder any more; lock it again."),
        },
        LocalDirectorySource local => new LockedSource("local") { Path = local.RepoName, ContentKey = snapshot.ContentKey },
        _ => throw new InvalidOperationException($"Unknown source {source.GetType().Name}."),
    };

    private static string KindOf(RepoSource source) => source switch
    {
        GitRepoSource => "git",
        NuGetRepoSource => "nuget",
        _ => "local",
    };

    private static string Short(string? hash) => hash is null ? "(not installed)" : hash.Length > 16 ? hash[..16] + "…" : hash;
}
