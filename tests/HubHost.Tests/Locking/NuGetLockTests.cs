using HubHost.Locking;
using HubHost.Tests.Sources.NuGet;

namespace HubHost.Tests.Locking;

/// <summary>A <c>nuget:</c> source under a lock: the locked version and SHA-512 and its dependency closure, offline too.</summary>
[Collection(NuGetFeedCollection.Name)]
public sealed class NuGetLockTests(NuGetFeedFixture feed)
{
    private static readonly HubLoadOptions Trusted = new() { TrustRepo = TrustRepo.Trust };

    [Fact]
    public async Task A_nuget_source_loads_its_locked_version_after_a_newer_one_is_published_offline_too_and_other_bytes_are_refused()
    {
        // The feed has Hub.Json 12 only when the lock is written.
        var (copy, config) = feed.CopyFeed("hub.json.13.0.0.nupkg");
        var hub = feed.NewClient(config, out var hubDirectory);
        var hubLock = await hub.LockAsync("nuget:Hub.Json", "newtonsoft_version", options: new HubLockOptions { TrustRepo = TrustRepo.Trust });

        var entry = Assert.Single(hubLock.Repos);
        Assert.Equal(("nuget", "Hub.Json", "12.0.0"), (entry.Source.Kind, entry.Source.Id, entry.Source.Version));
        Assert.Equal(Sha512(Path.Combine(copy, Nupkg(copy, "hub.json.12.0.0"))), entry.Source.Sha512);
        var newtonsoft = Assert.Single(entry.Packages);
        Assert.Equal(("Newtonsoft.Json", "12.0.3"), (newtonsoft.Id, newtonsoft.Version));
        Assert.Equal(Sha512(Path.Combine(copy, Nupkg(copy, "newtonsoft.json.12.0.3"))), newtonsoft.Sha512);

        // Version 13 is published: nuget:Hub.Json moves to it, the lock stays on 12.
        File.Copy(Path.Combine(feed.FolderFeed, Nupkg(feed.FolderFeed, "hub.json.13.0.0")), Path.Combine(copy, "hub.json.13.0.0.nupkg"));
        Assert.Equal("13.0.0.0", await hub.LoadAsync<string>("nuget:Hub.Json", "newtonsoft_version", options: Trusted with { ForceReload = true }));
        var locked = Trusted with { Lock = hubLock };
        Assert.Equal("12.0.0.0", await hub.LoadAsync<string>("nuget:Hub.Json", "newtonsoft_version", options: locked));
        Assert.Equal("12.0.0.0", await feed.NewClient(config, out _).LoadAsync<string>("nuget:Hub.Json", "newtonsoft_version", options: locked)); // a cold hub
        var offline = new HubClient(new HubOptions { HubDirectory = hubDirectory, NuGetConfigFile = config, Offline = true });
        Assert.Equal("12.0.0.0", await offline.LoadAsync<string>("nuget:Hub.Json", "newtonsoft_version", options: locked));
        Assert.Equal(0, offline.BuildsStarted);

        // A lock naming other bytes for the package, or another dependency version, is refused in one line.
        var json = hubLock.ToJson();
        var otherHash = HubLock.Parse(json.Replace(entry.Source.Sha512!, Convert.ToBase64String(new byte[64]), StringComparison.Ordinal));
        var e1 = await Assert.ThrowsAsync<HubException>(() => hub.OpenAsync("nuget:Hub.Json", Trusted with { Lock = otherHash }));
        Assert.StartsWith("nuget:Hub.Json drifted from the lock: the package Hub.Json 12.0.0 has SHA-512 ", e1.Message);
        var otherDependency = HubLock.Parse(json.Replace("\"12.0.3\"", "\"12.0.2\"", StringComparison.Ordinal));
        var e2 = await Assert.ThrowsAsync<HubException>(() => hub.OpenAsync("nuget:Hub.Json", Trusted with { Lock = otherDependency }));
        Assert.Contains("its packages differ: Newtonsoft.Json is 12.0.3, the lock has 12.0.2", e2.Message);
        Assert.DoesNotContain('\n', e1.Message + e2.Message);
    }

    private static string Nupkg(string folder, string stem)
        => Path.GetFileName(Directory.EnumerateFiles(folder, "*.nupkg").Single(f => Path.GetFileName(f).Equals(stem + ".nupkg", StringComparison.OrdinalIgnoreCase)));

    private static string Sha512(string file) => Convert.ToBase64String(System.Security.Cryptography.SHA512.HashData(File.ReadAllBytes(file)));
}
