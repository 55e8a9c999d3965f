namespace HubHost.Downloads;

/// <summary>
/// How far a download has got, reported through <see cref="IProgress{T}"/> while bytes arrive (a few times a
/// second at most, and once at the end). When a server cannot resume a dropped connection the download
/// restarts and <see cref="BytesReceived"/> goes back to zero.
/// </summary>
public readonly record struct DownloadProgress
{
    internal DownloadProgress(long BytesReceived, long? TotalBytes)
    {
        this.BytesReceived = BytesReceived;
        this.TotalBytes = TotalBytes;
    }

    /// <summary>Bytes of the file received and written so far.</summary>
    public long BytesReceived { get; init; }

    /// <summary>The file's size when the server said it (Content-Length), otherwise null.</summary>
    public long? TotalBytes { get; init; }

    /// <summary>The fraction done, 0 to 1, or null when the total is unknown.</summary>
    public double? Fraction => TotalBytes is > 0 and var total ? Math.Min(1.0, (double)BytesReceived / total) : null;
}
