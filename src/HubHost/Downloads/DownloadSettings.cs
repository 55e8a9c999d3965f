namespace HubHost.Downloads;

/// <summary>
/// Retry, timeout and buffer settings of downloads. Internal: the defaults suit users; tests shorten the
/// back-offs and waits.
/// </summary>
internal sealed record DownloadSettings
{
    public static DownloadSettings Default { get; } = new();

    /// <summary>Consecutive failed attempts that made no progress before giving up.</summary>
    public int MaxAttempts { get; init; } = 6;

    /// <summary>Requests for one download in all, however much progress each made.</summary>
    public int MaxRequests { get; init; } = 200;

    /// <summary>First back-off after a failure; it doubles after each further failure without progress.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(0.5);

    /// <summary>Longest single back-off (also the cap on a server's Retry-After).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Give up when no byte has arrived for this long across retries.</summary>
    public TimeSpan RetryWindow { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The stall check (curl's --speed-limit and --speed-time): a download that receives fewer than
    /// <see cref="MinimumSpeed"/> bytes per second on average over <see cref="StallTime"/> fails, however steadily
    /// its bytes trickle in (the per-read <see cref="ReadTimeout"/> never trips on a server sending one byte a
    /// second). 0 turns the check off. A client takes it from <see cref="HubOptions.DownloadMinimumSpeed"/>.
    /// </summary>
    public long MinimumSpeed { get; init; } = 1024;

    /// <summary>The window of the stall check; a client takes it from <see cref="HubOptions.DownloadStallTime"/>.</summary>
    public TimeSpan StallTime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait for response headers, or between two reads of the body, before the attempt counts as failed.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest wait for another process downloading the same destination.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromMinutes(30);

    public TimeSpan LockPollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Bytes received before they are handed to hashing and writing (four such buffers are in use per download).</summary>
    public int ChunkSize { get; init; } = 1 << 20;

    /// <summary>Shortest interval between two progress reports.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(100);
}
