namespace HubHost;

/// <summary>
/// What a repo string names, without fetching or building anything (<see cref="HubClient.DescribeSource"/>):
/// a local folder or a git repo, its ref, and whether the hub may build it.
/// </summary>
/// <param name="Text">The repo as given (trimmed).</param>
/// <param name="IsLocal">A local folder (always trusted) rather than a git repo.</param>
/// <param name="RepoName">The repo without its ref: the folder's full path, <c>owner/name</c>, or the git URL.</param>
/// <param name="Ref">The ref asked for (branch, tag or commit); null for a local folder or a git repo's default branch.</param>
/// <param name="IsTrusted">Whether a load with <see cref="TrustRepo.Check"/> would build it without asking: a local folder, or a git repo in the trusted list.</param>
public sealed record HubSourceInfo(string Text, bool IsLocal, string RepoName, string? Ref, bool IsTrusted)
{
    /// <summary>The command that trusts this repo (<c>hubhost trust add owner/name</c>); null for a local folder.</summary>
    public string? TrustCommand => IsLocal ? null : $"hubhost trust add {RepoName}";
}
