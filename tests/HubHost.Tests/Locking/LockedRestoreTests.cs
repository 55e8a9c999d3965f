using System.IO.Compression;
using System.Text;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Locking;

/// <summary>
/// The packages of a locked build: a repo whose dependency floats (<c>Version="1.*"</c>, a folder feed of its own) is locked while
/// the feed has 1.0.0; once 1.0.1 is published an unlocked build takes 1.0.1, and a build under the lock restores exactly 1.0.0
/// (NuGet's packages.lock.json in locked mode) — beside the other build in a warm hub, in the usual folder in a cold one.
/// </summary>
public sealed class LockedRestoreTests : IDisposable
{
    private readonly TempDirectory _root = new("hubhost-locked-restore");

    private static readonly HubLoadOptions Trusted = new() { TrustRepo = TrustRepo.Trust };

    [Fact]
    public async Task A_locked_build_restores_exactly_the_locked_versions_after_a_newer_one_is_published()
    {
        var feed = _root.Combine("feed");
        Directory.CreateDirectory(feed);
        WritePackage(feed, "1.0.0");
        var repo = _root.Combine("floating");
        Directory.CreateDirectory(repo);
        File.WriteAllText(Path.Combine(repo, "hubconf.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Hub.Floating" Version="1.*" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(repo, "Hubconf.cs"), "namespace Floating; public static class Hubconf { /// <summary>Hi.</summary>\n public static string hello() => \"hi\"; }\n");
        File.WriteAllText(Path.Combine(repo, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="floating" value="{feed}" />
              </packageSources>
            </configuration>
            """);

        var hubLock = await Client("a").LockAsync(repo, "hello");
        var entry = Assert.Single(hubLock.Repos);
        Assert.Equal("local", entry.Source.Kind);
        Assert.Equal(("Hub.Floating", "1.0.0"), (Assert.Single(entry.Packages).Id, entry.Packages[0].Version));
        Assert.Contains("\"Hub.Floating\"", entry.NuGetLock);

        WritePackage(feed, "1.0.1");
        var warm = Client("b");
        var floating = await warm.OpenAsync(repo, Trusted);
        Assert.Contains("\"resolved\": \"1.0.1\"", Restored(floating)); // without the lock, the float moved on

        var locked = await warm.OpenAsync(repo, Trusted with { Lock = hubLock });
        Assert.Contains("\"resolved\": \"1.0.0\"", Restored(locked));
        Assert.Matches("-r[0-9a-f]{8}$", locked.BuildDirectory); // beside the unlocked build of the same content
        Assert.Equal("hi", await locked.InvokeAsync("hello"));

        var cold = await Client("c").OpenAsync(repo, Trusted with { Lock = hubLock });
        Assert.Contains("\"resolved\": \"1.0.0\"", Restored(cold));
        Assert.DoesNotMatch("-r[0-9a-f]{8}$", cold.BuildDirectory);
    }

    private HubClient Client(string name) => new(new HubOptions { HubDirectory = _root.Combine(name, "hub") });

    /// <summary>NuGet's packages.lock.json of the build's restore (kept in the build folder).</summary>
    private static string Restored(HubRepo repo) => File.ReadAllText(Path.Combine(repo.BuildDirectory, "packages.lock.json"));

    /// <summary>A package with no assets for any framework (<c>lib/net10.0/_._</c>): restore records it, nothing is copied.</summary>
    private static void WritePackage(string feed, string version)
    {
        using var zip = ZipFile.Open(Path.Combine(feed, $"hub.floating.{version}.nupkg"), ZipArchiveMode.Create);
        void Add(string name, string text)
        {
            using var writer = new StreamWriter(zip.CreateEntry(name).Open(), new UTF8Encoding(false));
            writer.Write(text);
        }
        Add("Hub.Floating.nuspec", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
              <metadata>
                <id>Hub.Floating</id>
                <version>{version}</version>
                <authors>test</authors>
                <description>A dependency whose version floats.</description>
              </metadata>
            </package>
            """);
        Add("lib/net10.0/_._", "");
    }

    public void Dispose() => _root.Dispose();
}
