using Microsoft.Extensions.Logging;

namespace HubHost.Downloads;

/// <summary>
/// The progress of a download a loaded repo asked for with <c>progress: true</c>, shown where the hub shows things: its
/// logger, once per tenth of the file (or per 100 MB when the size is unknown), and when it ends.
/// </summary>
internal sealed class LoggedProgress(string url, ILogger logger) : IProgress<DownloadProgress>
{
    private const long UnknownSizeStep = 100L << 20;
    private readonly string _shown = WeightsSource.Parse(url).Shown;
    private long _lastStep = -1;

    public void Report(DownloadProgress value)
    {
        var step = value.Fraction is { } fraction ? (long)(fraction * 10) : value.BytesReceived / UnknownSizeStep;
        if (Interlocked.Exchange(ref _lastStep, step) == step) return;
        if (value.Fraction is { } done)
            logger.LogInformation("Downloading {Url}: {Percent:0}% of {Total:N0} bytes", _shown, done * 100, value.TotalBytes);
        else
            logger.LogInformation("Downloading {Url}: {Received:N0} bytes", _shown, value.BytesReceived);
    }
}
