namespace HubHost.Tests.Infrastructure;

/// <summary>
/// Waits for a state that nothing announces (a file growing, a process appearing in /proc, an HTTP API saying
/// "ready"), by polling. The timeout is a liveness bound, never a timing; prefer a real signal (a log message, a
/// TaskCompletionSource a server completes) where there is one. The one place tests poll.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Returns once <paramref name="condition"/> holds; fails the test with <paramref name="what"/> if it does not within <paramref name="timeout"/>.</summary>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null, TimeSpan? poll = null)
        => UntilAsync(() => Task.FromResult(condition()), what, timeout, poll);

    /// <inheritdoc cref="UntilAsync(Func{bool}, string, TimeSpan?, TimeSpan?)"/>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, TimeSpan? poll = null)
    {
        if (!await TryUntilAsync(condition, timeout ?? DefaultTimeout, poll))
            Assert.Fail("never happened: " + what);
    }

    /// <summary>Whether <paramref name="condition"/> came to hold within <paramref name="timeout"/> (for callers that measure or report themselves).</summary>
    public static async Task<bool> TryUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? poll = null)
    {
        using var bound = new CancellationTokenSource(timeout);
        var interval = poll ?? TimeSpan.FromMilliseconds(20);
        while (!await condition())
        {
            try
            {
                await Task.Delay(interval, bound.Token);
            }
            catch (OperationCanceledException)
            {
                return await condition();
            }
        }
        return true;
    }
}
