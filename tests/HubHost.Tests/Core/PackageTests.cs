using System.IO.Compression;
using System.Xml.Linq;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Core;

public sealed class PackageTests
{
    [Fact]
    public async Task The_embedders_package_depends_on_torchsharp_not_a_backend_and_carries_readme_docs_and_symbols()
    {
        using var temp = new TempDirectory();
        await Dotnet.RunAsync(RepoPaths.Root, "pack", Path.Combine(RepoPaths.Root, "src", "HubHost"), "-c", "Release", "-o", temp.Path);
        var package = Directory.GetFiles(temp.Path, "HubHost.*.nupkg").Single(f => !f.EndsWith(".snupkg", StringComparison.Ordinal));
        Assert.Single(Directory.GetFiles(temp.Path, "HubHost.*.snupkg"));
        using var zip = ZipFile.OpenRead(package);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("README.md", entries);
        Assert.Contains("lib/net10.0/HubHost.dll", entries);
        Assert.Contains("lib/net10.0/HubHost.xml", entries);
        using var nuspecStream = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        var nuspec = XDocument.Load(nuspecStream);
        var dependencies = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").ToDictionary(e => (string)e.Attribute("id")!, e => (string)e.Attribute("version")!);
        Assert.Equal("0.107.0", dependencies["TorchSharp"]);
        Assert.Contains("HubHost.Contract", dependencies.Keys);
        Assert.DoesNotContain(dependencies.Keys, id => id.StartsWith("TorchSharp-", StringComparison.OrdinalIgnoreCase) || id.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("README.md", nuspec.Descendants().Single(e => e.Name.LocalName == "readme").Value);
        Assert.Equal("git", (string?)nuspec.Descendants().Single(e => e.Name.LocalName == "repository").Attribute("type"));
    }
}
