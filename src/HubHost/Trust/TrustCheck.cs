using HubHost.Sources.Git;
using Microsoft.Extensions.Logging;

namespace HubHost.Trust;

/// <summary>
/// Decides whether a git repo may be built (building runs its MSBuild code), with torch.hub's trust_repo
/// semantics; called before anything is fetched or built. A run nobody can be asked in never waits: it refuses
/// with a message saying how to trust the repo. Trust given for this load is recorded only once the source resolved,
/// so a mistyped or unreachable repo never lands in the trusted list.
/// </summary>
internal static class TrustCheck
{
    /// <summary>
    /// Refuses an untrusted repo. Returns whether the caller must record the trust (<see cref="RecordAsync"/>) once
    /// the source resolved: TrustRepo.Trust and a yes at the prompt are remembered only for a repo that exists.
    /// </summary>
    public static bool EnsureTrusted(HubClient hub, GitRemote remote, TrustRepo mode, string? note = null)
    {
        switch (mode)
        {
            case TrustRepo.Trust:
                return true;
            case TrustRepo.Check when new TrustedList(hub.HubDirectory).Contains(remote):
                return false;
            case TrustRepo.Check:
            case TrustRepo.Prompt:
                var prompt = hub.Options.TrustPrompt;
                if (prompt is null) throw Refused(remote, mode, asked: false);
                var question = $"The repo {remote.TrustKey} is not in your trusted list{(mode == TrustRepo.Prompt ? " (or you asked to be prompted)" : "")}. " +
                               "Loading it builds and runs its code." + (note is null ? "" : " " + note) + " Trust it?";
                if (!prompt(question)) throw Refused(remote, mode, asked: true);
                return mode == TrustRepo.Check;
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown TrustRepo value.");
        }
    }

    /// <summary>Adds the repo to the trusted list (after its source resolved).</summary>
    public static async Task RecordAsync(HubClient hub, GitRemote remote, CancellationToken cancellationToken)
    {
        var list = new TrustedList(hub.HubDirectory);
        if (await list.AddAsync(remote.TrustKey, cancellationToken).ConfigureAwait(false))
            hub.Logger.LogInformation("Added {Repo} to the trusted list {File}", remote.TrustKey, list.FilePath);
    }

    private static HubException Refused(GitRemote remote, TrustRepo mode, bool asked)
    {
        var why = asked ? "you did not confirm that you trust it"
            : mode == TrustRepo.Prompt ? "TrustRepo.Prompt asks every time but nobody can be asked here (no terminal, no TrustPrompt)"
            : "it is not in the trusted list and nobody can be asked here (no terminal, no TrustPrompt)";
        return new HubException($"Refusing to build {remote.Text}: {why}. Loading a repo builds and runs its code. " +
                                $"If you trust it, run `hubhost trust add {remote.RepoName}`, pass --trust-repo, or load with TrustRepo = TrustRepo.Trust.");
    }
}
