using System.IO.Compression;
using System.Xml.Linq;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Hosting;

public sealed class HostingPackageTests
{
    [Fact]
    public async Task The_hosting_package_depends_on_hubhost_not_a_backend_and_carries_readme_and_docs()
    {
        // Packed from the build these tests run on (bin/<Configuration>/), so it costs no build.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        using var temp = new TempDirectory();
        await Dotnet.RunAsync(RepoPaths.Root, "pack", Path.Combine(RepoPaths.Root, "src", "HubHost.Hosting"), "-c", configuration, "--no-build", "-o", temp.Path);
        var package = Directory.GetFiles(temp.Path, "HubHost.Hosting.*.nupkg").Single();
        using var zip = ZipFile.OpenRead(package);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("README.md", entries);
        Assert.Contains("lib/net10.0/HubHost.Hosting.dll", entries);
        Assert.Contains("lib/net10.0/HubHost.Hosting.xml", entries);
        using var nuspecStream = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        var nuspec = XDocument.Load(nuspecStream);
        var dependencies = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => (string)e.Attribute("id")!).ToList();
        Assert.Contains("HubHost", dependencies);
        Assert.Contains("Microsoft.Extensions.Hosting.Abstractions", dependencies);
        Assert.DoesNotContain(dependencies, id => id.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase) || id.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("README.md", nuspec.Descendants().Single(e => e.Name.LocalName == "readme").Value);
    }
}
