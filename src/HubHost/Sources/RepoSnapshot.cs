using HubHost.Building;
using HubHost.Storage;
using Microsoft.Extensions.Logging;

namespace HubHost.Sources;

/// <summary>
/// A resolved version of a repo: its files, the key that names exactly that content, and — what differs by source — how it
/// becomes loadable (built with <c>dotnet build</c>, or a package laid out) and under which folder name in <c>builds/</c>.
/// </summary>
/// <param name="DisplayName">The repo as the user named it.</param>
/// <param name="Version">Short human-readable version (commit or content hash prefix, package version).</param>
/// <param name="ContentKey">Names exactly this content (a commit, a content hash, a package id and version).</param>
/// <param name="Directory">The folder holding the repo's files (a git checkout, the user's folder, or a package's repo files).</param>
internal abstract record RepoSnapshot(string DisplayName, string Version, ContentKey ContentKey, string Directory)
{
    /// <summary>The folder name of its loadable form in <c>builds/</c>; one loaded version per loadable form.</summary>
    public abstract string LoadableKey { get; }

    /// <summary>
    /// Makes this version loadable, once per version: builds it, or lays out its package. <paramref name="pins"/> (a lock's record
    /// of a restore) applies to builds; a package restores nothing.
    /// </summary>
    public abstract Task<RepoBuild> MakeLoadableAsync(LoadableContext context, PinnedRestore? pins, CancellationToken cancellationToken);
}

/// <summary>A version built from its files with <c>dotnet build</c>: a git commit's checkout or a local folder.</summary>
internal sealed record SourceSnapshot(string DisplayName, string Version, ContentKey ContentKey, string Directory)
    : RepoSnapshot(DisplayName, Version, ContentKey, Directory)
{
    public override string LoadableKey => RepoBuilder.BuildKey(ContentKey);

    public override Task<RepoBuild> MakeLoadableAsync(LoadableContext context, PinnedRestore? pins, CancellationToken cancellationToken)
        => context.Builder.EnsureBuiltAsync(new RepoFiles(DisplayName, Version, ContentKey, Directory), pins, cancellationToken);
}

/// <summary>What making a version loadable needs of the hub: its directory, its builder, its logger and its clock (time limits).</summary>
internal sealed record LoadableContext(string HubDirectory, RepoBuilder Builder, ILogger Logger, TimeProvider Time);
