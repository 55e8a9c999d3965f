using HubHost.Trust;

namespace HubHost.Tests.Infrastructure;

/// <summary>A trust prompt that answers with a test's delegate (the question in, true to trust).</summary>
internal sealed class TestTrustPrompt(Func<string, bool> answer) : ITrustPrompt
{
    public bool Confirm(string question) => answer(question);

    /// <summary>The prompt for <paramref name="answer"/>; null (nobody can be asked) for null.</summary>
    public static ITrustPrompt? From(Func<string, bool>? answer) => answer is null ? null : new TestTrustPrompt(answer);
}
