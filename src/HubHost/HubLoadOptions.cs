namespace HubHost;

/// <summary>Per-call options of list, help and load (torch.hub's force_reload, trust_repo and skip_validation).</summary>
public sealed record HubLoadOptions
{
    /// <summary>The defaults: use the cache, check trust.</summary>
    public static HubLoadOptions Default { get; } = new();

    /// <summary>Re-resolve the ref, fetch, rebuild if the content moved, and load the new version (torch.hub's force_reload).</summary>
    public bool ForceReload { get; init; }

    /// <summary>Whether a git repo may be built (building runs its MSBuild code). Local folders are always trusted.</summary>
    public TrustRepo TrustRepo { get; init; } = TrustRepo.Check;

    /// <summary>
    /// Accept a commit SHA that no branch or tag of the repo reaches (torch.hub's skip_validation). Off by default:
    /// hosts such as GitHub serve every commit of a repo's fork network through its URL, so such a SHA may be a
    /// stranger's fork commit, which trusting the repo does not cover.
    /// </summary>
    public bool SkipValidation { get; init; }
}

/// <summary>torch.hub's trust_repo: whether the hub may build (and so run code from) a repo.</summary>
public enum TrustRepo
{
    /// <summary>Build if the repo is in the trusted list, else ask (<see cref="HubOptions.TrustPrompt"/>); refuse when no one can be asked (torch's "check").</summary>
    Check,

    /// <summary>Trust the repo and add it to the trusted list (torch's True).</summary>
    Trust,

    /// <summary>Ask every time, even when the repo is in the trusted list (torch's False); a yes adds it to the list, as torch does.</summary>
    Prompt,
}
