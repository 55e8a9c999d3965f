using HubHost.Tests.Infrastructure;

namespace HubHost.Tests;

public sealed class PackageTests
{
    [Fact]
    public async Task The_embedders_package_depends_on_torchsharp_not_a_backend_and_carries_readme_docs_and_symbols()
    {
        using var temp = new TempDirectory();
        var package = await PackedPackage.PackAsync("HubHost", temp.Path);
        Assert.Single(Directory.GetFiles(temp.Path, "HubHost.*.snupkg"));
        Assert.Contains("README.md", package.Entries);
        Assert.Contains("lib/net10.0/HubHost.dll", package.Entries);
        Assert.Contains("lib/net10.0/HubHost.xml", package.Entries);
        var dependencies = package.Dependencies;
        Assert.Equal("0.107.0", dependencies["TorchSharp"]);
        Assert.Contains("HubHost.Contract", dependencies.Keys);
        Assert.Contains("HubHost.Checkpoints", dependencies.Keys); // the checkpoint readers, a package of their own
        Assert.DoesNotContain(dependencies.Keys, id => id.StartsWith("TorchSharp-", StringComparison.OrdinalIgnoreCase) || id.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("README.md", package.Element("readme").Value);
        Assert.Equal("git", (string?)package.Element("repository").Attribute("type"));
    }
}
