using HubHost.Locking;
using HubHost.Storage;
using Microsoft.Extensions.Logging;

namespace HubHost.Sources.Git;

/// <summary>
/// A hub repo in git: <c>owner/name[:ref]</c> (on <see cref="HubOptions.GitBaseUrl"/>, default https://github.com/) or a
/// git URL with <c>#ref</c>. Resolves to a commit through the commit-pinned cache (<see cref="GitRepoCache"/>).
/// </summary>
internal sealed class GitRepoSource : RepoSource
{
    private GitRepoSource(GitRemote remote) => Remote = remote;

    public GitRemote Remote { get; }

    public override string DisplayName => Remote.Text;

    public override string RepoName => Remote.RepoName;

    public override string? Ref => Remote.Ref;

    /// <summary>Parses a git source; malformed strings are a HubException naming the accepted forms.</summary>
    public static GitRepoSource FromString(string repo, string gitBaseUrl) => new(GitRemote.Parse(repo, gitBaseUrl));

    /// <summary>Made once per parse: its note (a same-named local folder here) looks at the file system.</summary>
    public override TrustIdentity Trust
        => _trust ??= new(Remote.TrustKey, Remote.Text, "build", "Loading a repo builds and runs its code.", Remote.RepoName,
               Remote.IsOwnerForm ? LocalDirectorySource.LookalikeNote(Remote.Text) : null);

    private TrustIdentity? _trust;

    public override Task<RepoSnapshot> ResolveAsync(SourceContext context, HubLoadOptions options, VersionLease lease, CancellationToken cancellationToken)
        => ResolveAsync(context, options, lease, null, cancellationToken);

    public override CacheFootprint Footprint => new GitFootprint(Remote);

    public override string Kind => "git";

    /// <summary>The commit a lock pins, whatever the ref points to now (see <see cref="GitRepoCache.ResolveCommitAsync"/>), from the locked URL.</summary>
    public override async Task<RepoSnapshot> ResolveLockedAsync(SourceContext context, HubLoadOptions options, VersionLease lease, LockedSource locked, CancellationToken cancellationToken)
    {
        if (Remote.Url != locked.Url)
            throw new SourceDriftException($"it now means {Remote.Url}, the lock has {locked.Url} (HUBHOST_GIT_BASE_URL may differ)");
        try
        {
            return await ResolveAsync(context, options, lease, locked.Commit!, cancellationToken).ConfigureAwait(false);
        }
        catch (HubException e) when (e.Message.StartsWith("Refusing commit", StringComparison.Ordinal) || e.Message.Contains("has no branch, tag or commit", StringComparison.Ordinal))
        {
            // The remote no longer has the locked commit on a branch or tag: its history was rewritten.
            throw new SourceDriftException($"its locked commit {locked.Commit![..12]} cannot be loaded any more: {e.Message.TrimEnd('.')}", e);
        }
    }

    public override LockedSource DescribeLocked(RepoSnapshot snapshot, SourceContext context)
        => new("git") { Url = Remote.Url, Ref = Remote.Ref, Commit = snapshot.ContentKey.Commit };

    /// <summary>owner/name → owner.name; a git URL → its last two path segments.</summary>
    public override string PackageIdHint(RepoSnapshot snapshot)
        => Remote.OwnerName is { } owner ? owner.Replace('/', '.')
            : string.Join('.', new Uri(Remote.Url).AbsolutePath.Trim('/').Split('/').TakeLast(2)).Replace(".git", "", StringComparison.Ordinal);

    public override string? ReleaseRef => Remote.Ref;

    public override (string Url, string? Ref, string Commit)? Repository(RepoSnapshot snapshot) => (Remote.Url, Remote.Ref, snapshot.ContentKey.Commit!);

    private async Task<RepoSnapshot> ResolveAsync(SourceContext context, HubLoadOptions options, VersionLease lease, string? pinned, CancellationToken cancellationToken)
    {
        // owner/name is always git; a folder of the same name here is named in errors, with the ./ form that loads it.
        var note = Trust.Note;
        try
        {
            var cache = new GitRepoCache(context.HubDirectory, context.Settings, context.Logger, context.Time);
            var (commit, checkout) = pinned is null
                ? await cache.ResolveAsync(Remote, lease, options.ForceReload, options.SkipValidation, cancellationToken, context.RepoFile).ConfigureAwait(false)
                : await cache.ResolveCommitAsync(Remote, lease, pinned, options.SkipValidation, cancellationToken, context.RepoFile).ConfigureAwait(false);
            if (note is not null) context.Logger.LogWarning("Loading the git repo {Repo}. {Note}", Remote.Text, note);
            return new SourceSnapshot(Remote.Text, commit[..12], ContentKey.Git(commit), checkout);
        }
        catch (HubException e) when (note is not null)
        {
            throw new HubException(e.Message + " " + note, e);
        }
    }
}

/// <summary>A git repo in the cache: its mirror and ref records (or the one ref named), and the checkouts and builds of commits no other ref uses.</summary>
internal sealed record GitFootprint(GitRemote Remote) : CacheFootprint;
