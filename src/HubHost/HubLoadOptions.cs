using HubHost.Locking;

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

    /// <summary>
    /// Load exactly what this lock records for the repo (<c>--locked FILE</c>; <see cref="HubLock.Load"/> reads one): its locked
    /// commit even if the ref moved (or package version and SHA-512, or folder content), a build whose NuGet packages are the locked
    /// ones (restored in NuGet's locked mode when it has to be built), and every weights file its services fetch checked against its
    /// full locked SHA-256. A repo the lock does not list, and any difference, is refused with one line naming what drifted and the
    /// <c>hubhost lock --update</c> command that updates the lock. Null: no lock.
    /// </summary>
    public HubLock? Lock { get; init; }

    /// <summary>
    /// Re-hash every cached weights file the repo fetches, in full (<c>--verify</c>), instead of trusting the size, time and SHA-256
    /// recorded when it was cached. A file whose bytes changed on disk is downloaded again.
    /// </summary>
    public bool Verify { get; init; }
}

/// <summary>torch.hub's trust_repo: whether the hub may build (and so run code from) a repo.</summary>
public enum TrustRepo
{
    /// <summary>Build if the repo is in the trusted list, else ask (the client's <see cref="Trust.ITrustPrompt"/>); refuse when no one can be asked (torch's "check").</summary>
    Check,

    /// <summary>Trust the repo and add it to the trusted list (torch's True).</summary>
    Trust,

    /// <summary>Ask every time, even when the repo is in the trusted list (torch's False); a yes adds it to the list, as torch does.</summary>
    Prompt,
}
