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

    public override Task<RepoSnapshot> ResolveAsync(SourceContext context, HubLoadOptions options, CancellationToken cancellationToken)
        => ResolveAsync(context, options, null, cancellationToken);

    /// <summary>Resolves the commit a lock pins, whatever the ref points to now (see <see cref="GitRepoCache.ResolveCommitAsync"/>).</summary>
    public Task<RepoSnapshot> ResolveCommitAsync(SourceContext context, HubLoadOptions options, string commit, CancellationToken cancellationToken)
        => ResolveAsync(context, options, commit, cancellationToken);

    private async Task<RepoSnapshot> ResolveAsync(SourceContext context, HubLoadOptions options, string? pinned, CancellationToken cancellationToken)
    {
        // owner/name is always git; a folder of the same name here is named in errors, with the ./ form that loads it.
        var note = Trust.Note;
        try
        {
            var cache = new GitRepoCache(context.HubDirectory, context.Settings, context.Logger);
            var (commit, checkout, lease) = pinned is null
                ? await cache.ResolveAsync(Remote, options.ForceReload, options.SkipValidation, cancellationToken, context.RepoFile).ConfigureAwait(false)
                : await cache.ResolveCommitAsync(Remote, pinned, options.SkipValidation, cancellationToken, context.RepoFile).ConfigureAwait(false);
            if (note is not null) context.Logger.LogWarning("Loading the git repo {Repo}. {Note}", Remote.Text, note);
            return new RepoSnapshot(Remote.Text, commit[..12], "git-" + commit, checkout) { Lease = lease };
        }
        catch (HubException e) when (note is not null)
        {
            throw new HubException(e.Message + " " + note, e);
        }
    }
}
