namespace HubHost.Downloads;

/// <summary>
/// One attempt failed in a way worth retrying (connection lost, timeout, 5xx, 429, short body), or, with
/// <paramref name="retry"/> false, in a way that ends the download (a stall) though its bytes so far are good.
/// </summary>
internal sealed class TransientDownloadException(string reason, TimeSpan? retryAfter = null, Exception? inner = null, bool retry = true)
    : Exception(reason, inner)
{
    /// <summary>Whether another attempt may help.</summary>
    public bool Retry { get; } = retry;

    /// <summary>What went wrong, as a clause for a sentence ("the connection was reset").</summary>
    public string Reason { get; } = reason;

    /// <summary>The server's Retry-After, when it gave one.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
