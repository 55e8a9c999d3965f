using HubHost.Storage;
using HubHost.Trust;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HubHost;

/// <summary>
/// A hub for embedding: its own hub directory, logger and loaded repo versions. The static <see cref="Hub"/>
/// methods call a shared default instance. Thread-safe.
/// </summary>
public sealed partial class HubClient
{
    /// <summary>
    /// Creates a hub with a copy of the given options (the defaults when null; environment variables are read only
    /// by <see cref="HubOptions.FromEnvironment()"/>) and the services it uses, as Microsoft.Extensions services take theirs
    /// (<c>AddHubHost</c> passes the container's).
    /// </summary>
    /// <param name="options">The settings (data only).</param>
    /// <param name="loggerFactory">Where diagnostics go; null: nowhere.</param>
    /// <param name="trustPrompt">Asks a person whether to trust a repo not in the trusted list; null: nobody can be asked, so such a repo is refused with a message saying how to trust it.</param>
    /// <param name="timeProvider">
    /// The hub's clock (<see cref="TimeProvider.System"/> when null): hot reload's polling, the download stall check and every
    /// time limit (git, <c>dotnet build</c>, NuGet feeds, HTTP requests); tests pass a fake one.
    /// </param>
    /// <exception cref="HubException">An option is invalid (a credential in <see cref="HubOptions.GitBaseUrl"/>, a timeout of zero).</exception>
    public HubClient(HubOptions? options = null, ILoggerFactory? loggerFactory = null, ITrustPrompt? trustPrompt = null, TimeProvider? timeProvider = null)
    {
        TimeProvider = timeProvider ?? TimeProvider.System;
        Settings = (options ?? new HubOptions()).Snapshot();
        HubDirectory = Path.GetFullPath(Settings.HubDirectory is { } directory ? HubDirectories.ExpandHome(directory) : HubDirectories.Default());
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        Logger = LoggerFactory.CreateLogger("HubHost");
        TrustPrompt = trustPrompt;
        DownloadSettings = Downloads.DownloadSettings.Default with { MinimumSpeed = Settings.DownloadMinimumSpeed, StallTime = Settings.DownloadStallTime };
    }

    /// <summary>A copy of the options this hub was created with (changing it changes nothing).</summary>
    public HubOptions Options => Settings.Copy();

    /// <summary>The checked options this hub runs with; never changed after construction.</summary>
    internal HubOptions Settings { get; }

    /// <summary>The clock this hub waits with (hot reload's polling).</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>The hub directory in use (absolute).</summary>
    public string HubDirectory { get; }

    /// <summary>Who is asked whether to trust a repo not in the trusted list; null when nobody can be asked (the hub then refuses such a repo).</summary>
    public ITrustPrompt? TrustPrompt { get; }

    /// <summary>Where this hub's diagnostics go (a hub made from this one, such as a non-prompting one, logs there too).</summary>
    internal ILoggerFactory LoggerFactory { get; }

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
