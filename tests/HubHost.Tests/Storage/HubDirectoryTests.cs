using HubHost.Storage;

namespace HubHost.Tests.Storage;

/// <summary>Changes process environment variables: not run in parallel with anything.</summary>
[CollectionDefinition(nameof(EnvironmentCollection), DisableParallelization = true)]
public sealed class EnvironmentCollection;

[Collection(nameof(EnvironmentCollection))]
public sealed class HubDirectoryTests
{
    [Fact]
    public void Default_hub_directory_follows_XDG_CACHE_HOME_then_home_and_HUBHOST_HOME_only_through_FromEnvironment()
    {
        var saved = (Environment.GetEnvironmentVariable("HUBHOST_HOME"), Environment.GetEnvironmentVariable("XDG_CACHE_HOME"));
        try
        {
            Environment.SetEnvironmentVariable("HUBHOST_HOME", "/srv/hh");
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", "/srv/xdg");
            Assert.Equal("/srv/hh/hub", new HubClient(HubOptions.FromEnvironment()).HubDirectory);
            Assert.Equal("/srv/xdg/hubhost/hub", new HubClient().HubDirectory); // plain options read no HUBHOST_ variable
            Environment.SetEnvironmentVariable("HUBHOST_HOME", null);
            Assert.Equal("/srv/xdg/hubhost/hub", new HubClient(HubOptions.FromEnvironment()).HubDirectory);
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
    public void A_leading_tilde_in_the_hub_directory_is_the_home_folder()
        => Assert.Equal(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "hh-test"), new HubClient(new HubOptions { HubDirectory = "~/hh-test" }).HubDirectory);

    [Fact]
    public void Options_hub_directory_wins_and_is_made_absolute()
    {
        var client = new HubClient(new HubOptions { HubDirectory = "relative/hub" });
        Assert.Equal(Path.GetFullPath("relative/hub"), client.HubDirectory);
    }
}
