using HubHost.Sources;
using Microsoft.Extensions.Logging;

namespace HubHost.Trust;

/// <summary>
/// Decides whether a source may be built or loaded (building runs its MSBuild code; loading runs its code), with
/// torch.hub's trust_repo semantics: the trust step of the hub's pipeline, before anything is fetched or built. A
/// run nobody can be asked in never waits: it refuses with a message saying how to trust the repo. Trust given for
/// this load is recorded only once the source resolved, so a mistyped or unreachable repo never lands in the list.
/// </summary>
internal static class TrustCheck
{
    /// <summary>
    /// Refuses an untrusted source. Returns whether the caller must record the trust (<see cref="RecordAsync"/>) once
    /// the source resolved: TrustRepo.Trust and a yes at the prompt (whether Check or Prompt asked it, as torch records
    /// a "y" to trust_repo=False) are remembered only for a repo that exists.
    /// </summary>
    public static bool EnsureTrusted(TrustedList list, ITrustPrompt? prompt, TrustIdentity source, TrustRepo mode)
    {
        switch (mode)
        {
            case TrustRepo.Trust:
                return true;
            case TrustRepo.Check when list.Contains(source.Key):
                return false;
            case TrustRepo.Check:
            case TrustRepo.Prompt:
                if (prompt is null) throw Refused(source, mode, asked: false);
                var question = $"The repo {source.Key} is not in your trusted list{(mode == TrustRepo.Prompt ? " (or you asked to be prompted)" : "")}. " +
                               source.Why + (source.Note is null ? "" : " " + source.Note) + " Trust it?";
                if (!prompt.Confirm(question)) throw Refused(source, mode, asked: true);
                return true;
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown TrustRepo value.");
        }
    }

    /// <summary>Adds a trusted-list key (after its source resolved).</summary>
    public static async Task RecordAsync(TrustedList list, string key, ILogger logger, CancellationToken cancellationToken)
    {
        if (await list.AddAsync(key, cancellationToken).ConfigureAwait(false))
            logger.LogInformation("Added {Repo} to the trusted list {File}", key, list.FilePath);
    }

    private static HubException Refused(TrustIdentity source, TrustRepo mode, bool asked)
    {
        var reason = asked ? "you did not confirm that you trust it"
            : mode == TrustRepo.Prompt ? "TrustRepo.Prompt asks every time but nobody can be asked here (no terminal, no TrustPrompt)"
            : "it is not in the trusted list and nobody can be asked here (no terminal, no TrustPrompt)";
        return new HubException($"Refusing to {source.Verb} {source.Text}: {reason}. {source.Why} " +
                                $"If you trust it, run `hubhost trust add {source.AddName}`, pass --trust-repo, or load with TrustRepo = TrustRepo.Trust."
                                + (source.Note is null ? "" : " " + source.Note));
    }
}
