using HubHost.Sources.Git;
using HubHost.Sources.NuGet;

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
    /// Resolves the current version, fetching if needed (ForceReload: re-resolve a cached ref). Trust is the
    /// caller's step, before this one (<see cref="HubClient"/>'s pipeline: parse, trust, resolve, build, load).
    /// </summary>
    public abstract Task<RepoSnapshot> ResolveAsync(SourceContext context, HubLoadOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// Parses what a user typed, explicitly (torch.hub's source='local' vs 'github'): a local folder is a path
    /// that starts with <c>/</c>, <c>./</c>, <c>../</c> or <c>~</c>; anything else is a git source
    /// (<c>owner/name[:ref]</c>, or a git URL with <c>#ref</c>) — even when a folder of that name exists here, so a
    /// folder planted as <c>./owner/name</c> is never built in place of the git repo the user named. A prebuilt hub
    /// package is <c>nuget:Id[@version-or-range]</c>.
    /// </summary>
    /// <param name="repo">What the user typed.</param>
    /// <param name="gitBaseUrl">Where <c>owner/name</c> points: a client's checked <see cref="HubOptions.GitBaseUrl"/>.</param>
    public static RepoSource Parse(string repo, string gitBaseUrl)
    {
        if (string.IsNullOrWhiteSpace(repo))
            throw new HubException("The repo is empty. Give a local folder (./my-hub) or a git repo (owner/name[:ref]).");
        repo = repo.Trim();
        if (LocalDirectorySource.LooksLikePath(repo))
            return new LocalDirectorySource(repo);
        if (NuGetRepoSource.IsNuGet(repo))
            return NuGetRepoSource.FromString(repo);
        return GitRepoSource.FromString(repo, gitBaseUrl);
    }
}

/// <summary>
/// What a source needs from the hub that resolves it: its directory, its settings and its logger, and the file that
/// makes a folder the kind of repo asked for (<see cref="HubRepoLayout.ProjectFileName"/>; <c>hubconf.py</c> for the
/// Python torch.hub repo <c>hubhost import</c> reads).
/// </summary>
internal sealed record SourceContext(string HubDirectory, HubOptions Settings, Microsoft.Extensions.Logging.ILogger Logger, string RepoFile = HubRepoLayout.ProjectFileName);

/// <summary>
/// A source as the trusted list knows it: <paramref name="Key"/> (owner/name, a normalised URL, nuget:Id), how the
/// user wrote it, what trusting allows (<paramref name="Verb"/>: build, load) and why that matters, the name
/// <c>hubhost trust add</c> takes, and a note to add to messages (a same-named local folder).
/// </summary>
internal sealed record TrustIdentity(string Key, string Text, string Verb, string Why, string AddName, string? Note = null);

/// <summary>A resolved version of a repo: its files and the key its build is cached under.</summary>
/// <param name="DisplayName">The repo as the user named it.</param>
/// <param name="Version">Short human-readable version (commit or content hash prefix).</param>
/// <param name="ContentKey">Names exactly this content (full commit SHA or content hash).</param>
/// <param name="Directory">The folder holding the repo's files (a git checkout, the user's folder, or a package's repo files).</param>
/// <param name="Package">For a <c>nuget:</c> source: the installed package, which is laid out instead of built; null: build it.</param>
internal sealed record RepoSnapshot(string DisplayName, string Version, string ContentKey, string Directory, NuGetPackageRef? Package = null)
{
    /// <summary>
    /// The shared <see cref="Storage.ContentLease"/> that keeps <see cref="Directory"/> (a git checkout) and the
    /// builds of <see cref="ContentKey"/> from being removed while they are used; whoever resolves owns it.
    /// </summary>
    public IDisposable? Lease { get; init; }
}
