using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Hosting;

public sealed class HostingPackageTests
{
    [Fact]
    public async Task The_hosting_package_depends_on_hubhost_not_a_backend_and_carries_readme_and_docs()
    {
        using var temp = new TempDirectory();
        var package = await PackedPackage.PackAsync("HubHost.Hosting", temp.Path);
        Assert.Contains("README.md", package.Entries);
        Assert.Contains("lib/net10.0/HubHost.Hosting.dll", package.Entries);
        Assert.Contains("lib/net10.0/HubHost.Hosting.xml", package.Entries);
        var dependencies = package.Dependencies.Keys.ToList();
        Assert.Contains("HubHost", dependencies);
        Assert.Contains("Microsoft.Extensions.Hosting.Abstractions", dependencies);
        Assert.DoesNotContain(dependencies, id => id.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase) || id.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("README.md", package.Element("readme").Value);
    }
}
