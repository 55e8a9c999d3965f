namespace HubHost;

/// <summary>
/// torch.hub for .NET in one-line static calls over a shared default <see cref="HubClient"/>.
/// </summary>
public static partial class Hub
{
    private static HubClient? _default;
    private static readonly Lock Gate = new();

    /// <summary>The shared hub the static methods use (created on first use with <see cref="HubOptions.FromEnvironment()"/>).</summary>
    public static HubClient Default
    {
        get
        {
            lock (Gate) return _default ??= new HubClient(HubOptions.FromEnvironment());
        }
    }

    /// <summary>The hub directory in use (torch.hub.get_dir).</summary>
    public static string GetDir() => Default.HubDirectory;

    /// <summary>
    /// Sets the hub directory for later static calls (torch.hub.set_dir); the other settings still come from the
    /// environment. Repos already loaded stay loaded.
    /// </summary>
    public static void SetDir(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var options = HubOptions.FromEnvironment();
        options.HubDirectory = directory;
        lock (Gate) _default = new HubClient(options);
    }

    /// <summary>The entrypoints of a repo (torch.hub.list).</summary>
    /// <param name="repo">A local folder, or a git repo: <c>owner/name[:ref]</c> or a git URL with <c>#ref</c>.</param>
    /// <param name="options">Force reload and trust; null for the defaults.</param>
    public static IReadOnlyList<string> List(string repo, HubLoadOptions? options = null)
        => Run(Default.ListAsync(repo, options)).Select(e => e.Name).ToList();

    /// <summary>The help of an entrypoint: its signature and doc comment (torch.hub.help).</summary>
    public static string Help(string repo, string entrypoint, HubLoadOptions? options = null)
        => Run(Default.HelpAsync(repo, entrypoint, options));

    /// <summary>
    /// Loads a repo and calls an entrypoint (torch.hub.load), e.g.
    /// <c>Hub.Load&lt;Module&gt;("owner/vision", "resnet18", new { pretrained = true })</c>.
    /// </summary>
    /// <param name="repo">A local folder, or a git repo: <c>owner/name[:ref]</c> or a git URL with <c>#ref</c>.</param>
    /// <param name="entrypoint">The entrypoint's name.</param>
    /// <param name="arguments">Null, <c>new { name = value }</c>, a dictionary, an <c>object[]</c> of positional values, or <see cref="HubArguments"/>.</param>
    /// <param name="options">Force reload and trust; null for the defaults.</param>
    public static T Load<T>(string repo, string entrypoint, object? arguments = null, HubLoadOptions? options = null)
        => Run(Default.LoadAsync<T>(repo, entrypoint, arguments, options));

    /// <summary>Like <see cref="Load{T}"/>, returning the result as an object.</summary>
    public static object? Load(string repo, string entrypoint, object? arguments = null, HubLoadOptions? options = null)
        => Run(Default.LoadAsync(repo, entrypoint, arguments, options));

    private static T Run<T>(Task<T> task) => task.GetAwaiter().GetResult();
}
