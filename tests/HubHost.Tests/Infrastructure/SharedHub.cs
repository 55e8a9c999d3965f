namespace HubHost.Tests.Infrastructure;

/// <summary>
/// One hub directory for the whole test run (a plugin build costs seconds: each fixture repo is built once
/// and reused by every test, in-process and through the CLI). Tests that need a cold cache make their own.
/// </summary>
public sealed class SharedHub : IDisposable
{
    private readonly TempDirectory _home = new("hubhost-shared");

    public SharedHub() => Client = new HubClient(new HubOptions { HubDirectory = HubDirectory });

    public string HubDirectory => _home.Combine("hub");

    /// <summary>A client over the shared hub directory (loaded repos are shared too: release what you load to test unloading).</summary>
    public HubClient Client { get; }

    /// <summary>A new client over the same hub directory: builds are reused, nothing is loaded yet.</summary>
    public HubClient NewClient() => new(new HubOptions { HubDirectory = HubDirectory });

    public void Dispose()
    {
        foreach (var repo in Client.Loaded) repo.Dispose();
        _home.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class SharedHubCollection : ICollectionFixture<SharedHub>
{
    public const string Name = "shared hub";
}
