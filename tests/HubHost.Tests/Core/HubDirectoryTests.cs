using HubHost.Caching;

namespace HubHost.Tests.Core;

/// <summary>Changes process environment variables: not run in parallel with anything.</summary>
[CollectionDefinition(nameof(EnvironmentCollection), DisableParallelization = true)]
public sealed class EnvironmentCollection;

[Collection(nameof(EnvironmentCollection))]
public sealed class HubDirectoryTests
{
    [Fact]
    public void Default_hub_directory_follows_HUBHOST_HOME_then_XDG_CACHE_HOME_then_home()
    {
        var saved = (Environment.GetEnvironmentVariable("HUBHOST_HOME"), Environment.GetEnvironmentVariable("XDG_CACHE_HOME"));
        try
        {
            Environment.SetEnvironmentVariable("HUBHOST_HOME", "/srv/hh");
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", "/srv/xdg");
            Assert.Equal("/srv/hh/hub", HubDirectories.Default());
            Environment.SetEnvironmentVariable("HUBHOST_HOME", null);
            Assert.Equal("/srv/xdg/hubhost/hub", HubDirectories.Default());
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", null);
            Assert.Equal(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "hubhost", "hub"), HubDirectories.Default());
        }
        finally
        {
            Environment.SetEnvironmentVariable("HUBHOST_HOME", saved.Item1);
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", saved.Item2);
        }
    }

    [Fact]
    public void Options_hub_directory_wins_and_is_made_absolute()
    {
        var client = new HubClient(new HubOptions { HubDirectory = "relative/hub" });
        Assert.Equal(Path.GetFullPath("relative/hub"), client.HubDirectory);
    }
}
