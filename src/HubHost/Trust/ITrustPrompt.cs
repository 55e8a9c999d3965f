namespace HubHost.Trust;

/// <summary>
/// Asks a person whether to trust a repo that is not in the trusted list (torch.hub's trust_repo prompt). A service: give it
/// to <see cref="HubClient"/>'s constructor, or register it in the container (<c>services.AddSingleton&lt;ITrustPrompt, MyPrompt&gt;()</c>)
/// for <c>AddHubHost</c>. A hub without one never waits: it refuses an untrusted repo with a message saying how to trust it.
/// The command line gives one when it runs on a terminal.
/// </summary>
public interface ITrustPrompt
{
    /// <summary>Asks <paramref name="question"/> (it names the repo and why trust is needed); true to trust the repo.</summary>
    /// <param name="question">The question, one line.</param>
    bool Confirm(string question);
}
