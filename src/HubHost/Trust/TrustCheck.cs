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
    /// Refuses an untrusted repo. Returns whether the caller must record the trust (<see cref="RecordAsync(HubClient, string, CancellationToken)"/>) once
    /// the source resolved: TrustRepo.Trust and a yes at the prompt are remembered only for a repo that exists.
    /// </summary>
    public static bool EnsureTrusted(HubClient hub, GitRemote remote, TrustRepo mode, string? note = null)
        => EnsureTrusted(hub, remote.TrustKey, remote.Text, "build", "Loading a repo builds and runs its code.", mode, note, remote.RepoName);

    /// <summary>
    /// The same for any source by its trusted-list key (<c>nuget:Id</c> for a package): <paramref name="verb"/> says what is
    /// refused (build, load), <paramref name="why"/> what loading it does.
    /// </summary>
    public static bool EnsureTrusted(HubClient hub, string key, string text, string verb, string why, TrustRepo mode, string? note = null, string? addName = null)
    {
        switch (mode)
        {
            case TrustRepo.Trust:
                return true;
            case TrustRepo.Check when new TrustedList(hub.HubDirectory).Contains(key):
                return false;
            case TrustRepo.Check:
            case TrustRepo.Prompt:
                var prompt = hub.Settings.TrustPrompt;
                if (prompt is null) throw Refused(text, addName ?? key, verb, why, mode, asked: false);
                var question = $"The repo {key} is not in your trusted list{(mode == TrustRepo.Prompt ? " (or you asked to be prompted)" : "")}. " +
                               why + (note is null ? "" : " " + note) + " Trust it?";
                if (!prompt(question)) throw Refused(text, addName ?? key, verb, why, mode, asked: true);
                return mode == TrustRepo.Check;
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown TrustRepo value.");
        }
    }

    /// <summary>Adds the repo to the trusted list (after its source resolved).</summary>
    public static Task RecordAsync(HubClient hub, GitRemote remote, CancellationToken cancellationToken) => RecordAsync(hub, remote.TrustKey, cancellationToken);

    /// <summary>Adds a trusted-list key (after its source resolved).</summary>
    public static async Task RecordAsync(HubClient hub, string key, CancellationToken cancellationToken)
    {
        var list = new TrustedList(hub.HubDirectory);
        if (await list.AddAsync(key, cancellationToken).ConfigureAwait(false))
            hub.Logger.LogInformation("Added {Repo} to the trusted list {File}", key, list.FilePath);
    }

    private static HubException Refused(string text, string addName, string verb, string why, TrustRepo mode, bool asked)
    {
        var reason = asked ? "you did not confirm that you trust it"
            : mode == TrustRepo.Prompt ? "TrustRepo.Prompt asks every time but nobody can be asked here (no terminal, no TrustPrompt)"
            : "it is not in the trusted list and nobody can be asked here (no terminal, no TrustPrompt)";
        return new HubException($"Refusing to {verb} {text}: {reason}. {why} " +
                                $"If you trust it, run `hubhost trust add {addName}`, pass --trust-repo, or load with TrustRepo = TrustRepo.Trust.");
    }
}
