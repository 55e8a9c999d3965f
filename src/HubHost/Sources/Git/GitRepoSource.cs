namespace HubHost.Sources.Git;

/// <summary>A hub repo in git: <c>owner/name[:ref]</c> or a git URL with <c>#ref</c>.</summary>
internal sealed class GitRepoSource : RepoSource
{
    private GitRepoSource(string displayName) => DisplayName = displayName;

    public override string DisplayName { get; }

    public static GitRepoSource FromString(string repo)
        => throw new HubException($"'{repo}' is not a local folder, and git sources are not available in this build. Give the path of a folder that contains hubconf.csproj.");

    public override Task<RepoSnapshot> ResolveAsync(HubClient hub, HubLoadOptions options, CancellationToken cancellationToken)
        => throw new NotSupportedException();
}
