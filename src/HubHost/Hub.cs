namespace HubHost;

/// <summary>
/// torch.hub for .NET in one-line static calls over a shared default <see cref="HubClient"/>.
/// </summary>
public static partial class Hub
{
    private static HubClient? _default;
    private static readonly Lock Gate = new();

    /// <summary>The shared hub the static methods use (created on first use from the environment).</summary>
    public static HubClient Default
    {
        get
        {
            lock (Gate) return _default ??= new HubClient();
        }
    }

    /// <summary>The hub directory in use (torch.hub.get_dir).</summary>
    public static string GetDir() => Default.HubDirectory;

    /// <summary>Sets the hub directory for later static calls (torch.hub.set_dir). Repos already loaded stay loaded.</summary>
    public static void SetDir(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        lock (Gate) _default = new HubClient(new HubOptions { HubDirectory = directory });
    }
}
