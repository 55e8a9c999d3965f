using HubHost.Caching;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HubHost;

/// <summary>
/// A hub for embedding: its own hub directory, logger and loaded repo versions. The static <see cref="Hub"/>
/// methods call a shared default instance. Thread-safe.
/// </summary>
public sealed partial class HubClient
{
    /// <summary>Creates a hub with the given options (defaults when null).</summary>
    public HubClient(HubOptions? options = null)
    {
        Options = options ?? new HubOptions();
        HubDirectory = Path.GetFullPath(Options.HubDirectory ?? HubDirectories.Default());
        Logger = (Options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("HubHost");
    }

    /// <summary>The options this hub was created with.</summary>
    public HubOptions Options { get; }

    /// <summary>The hub directory in use (absolute).</summary>
    public string HubDirectory { get; }

    internal ILogger Logger { get; }

    private volatile bool _hubDirectoryWritable;

    /// <summary>Checks once per client that the hub directory is a writable folder (creating it), else one clear HubException.</summary>
    internal void EnsureWritableHubDirectory()
    {
        if (_hubDirectoryWritable) return;
        HubDirectories.EnsureUsable(HubDirectory, write: true);
        _hubDirectoryWritable = true;
    }
}
