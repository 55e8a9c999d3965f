namespace HubHost;

/// <summary>
/// What a repo string names, without fetching or building anything (<see cref="HubClient.DescribeSource"/>):
/// a local folder, a git repo or a hub package, its ref (or version), and whether the hub may build or load it.
/// </summary>
public sealed record HubSourceInfo
{
    internal HubSourceInfo(string Text, bool IsLocal, string RepoName, string? Ref, bool IsTrusted)
    {
        this.Text = Text;
        this.IsLocal = IsLocal;
        this.RepoName = RepoName;
        this.Ref = Ref;
        this.IsTrusted = IsTrusted;
    }

    /// <summary>The repo as given (trimmed).</summary>
    public string Text { get; init; }

    /// <summary>A local folder (always trusted) rather than a git repo or a package.</summary>
    public bool IsLocal { get; init; }

    /// <summary>The repo without its ref: the folder's full path, <c>owner/name</c>, the git URL, or <c>nuget:Id</c>.</summary>
    public string RepoName { get; init; }

    /// <summary>The ref asked for (branch, tag or commit) or a package's version or range; null for a local folder, a git repo's default branch, or a package's highest version.</summary>
    public string? Ref { get; init; }

    /// <summary>Whether a load with <see cref="TrustRepo.Check"/> would go ahead without asking: a local folder, or a repo or package in the trusted list.</summary>
    public bool IsTrusted { get; init; }

    /// <summary>The command that trusts this repo (<c>hubhost trust add owner/name</c>); null for a local folder.</summary>
    public string? TrustCommand => IsLocal ? null : $"hubhost trust add {RepoName}";

    /// <summary>The entry the trusted list holds for it (<c>owner/name</c>, a normalised URL, <c>nuget:Id</c>); null for a local folder.</summary>
    public string? TrustKey { get; init; }
}
