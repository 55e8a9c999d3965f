using Microsoft.Extensions.Logging;

namespace HubHost.Downloads;

internal static partial class DownloadLog
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "Using cached checkpoint {Path}")]
    public static partial void LogCachedCheckpoint(this ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Downloading {Url} to {Path}")]
    public static partial void LogDownloadingCheckpoint(this ILogger logger, string url, string path);
}
