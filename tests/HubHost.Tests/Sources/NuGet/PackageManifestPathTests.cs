using System.IO.Compression;
using HubHost.Building;
using HubHost.Sources.NuGet;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Sources.NuGet;

/// <summary>
/// Issue 21, item 1: a hub package's <c>hubhost.json</c> is data from the package's author. Its <c>assembly</c> and
/// <c>targetFramework</c> become paths, and before this fix a manifest naming <c>/tmp/x/foreign.dll</c> (or
/// <c>../../…/foreign.dll</c>) loaded and ran that DLL — past the package's SHA-512 check, with the package's own DLL
/// junk — and a <c>targetFramework</c> of <c>../../…</c> copied an outside folder into the layout. Every path from a
/// manifest now stays inside the package, and the loaded assembly is the package's own.
/// </summary>
[Collection(NuGetFeedCollection.Name)]
public sealed class PackageManifestPathTests(NuGetFeedFixture feed)
{
    private static readonly HubLoadOptions Trusted = new() { TrustRepo = TrustRepo.Trust };

    [Theory]
    [InlineData("absolute")]
    [InlineData("relative")]
    public async Task A_manifest_assembly_outside_the_package_is_refused_and_nothing_is_loaded(string form)
    {
        using var outside = new TempDirectory("hubhost-foreign");
        var foreign = outside.Combine("foreign.dll");
        File.WriteAllBytes(foreign, HelloAssembly()); // a working hub assembly, with `greet`
        var (privateFeed, config) = feed.CopyFeed();
        var hub = feed.NewClient(config, out var hubDirectory);
        var named = form == "absolute" ? foreign : Climb(foreign);
        Assert.StartsWith(form == "absolute" ? "/" : "../", named);
        Rewrite(Path.Combine(privateFeed, "Hub.Json.12.0.0.nupkg"), m => m with { Assembly = named }, junkAssembly: true);

        var e = await Assert.ThrowsAsync<HubException>(() => hub.LoadAsync("nuget:Hub.Json@12.0.0", "greet", new { name = "attacker" }, Trusted));
        Assert.Contains($"The package Hub.Json 12.0.0 is refused: its assembly '{named}' is not the file name of a .dll", e.Message);
        Assert.Empty(hub.Loaded);
        Assert.False(Directory.Exists(Path.Combine(hubDirectory, "builds")) && Directory.EnumerateDirectories(Path.Combine(hubDirectory, "builds"), "nuget-hub.json-*").Any(),
            "no layout was written");
    }

    [Fact]
    public async Task A_manifest_target_framework_outside_the_package_is_refused_and_the_outside_folder_is_not_copied()
    {
        using var outside = new TempDirectory("hubhost-foreign");
        File.WriteAllBytes(outside.Combine("hubconf.dll"), HelloAssembly());
        File.WriteAllText(outside.Combine("secret.txt"), "not the package's");
        var (privateFeed, config) = feed.CopyFeed();
        var hub = feed.NewClient(config, out var hubDirectory);
        var named = Climb(outside.Path);
        Rewrite(Path.Combine(privateFeed, "Hub.Json.12.0.0.nupkg"), m => m with { TargetFramework = named }, junkAssembly: false);

        var e = await Assert.ThrowsAsync<HubException>(() => hub.OpenAsync("nuget:Hub.Json@12.0.0", Trusted));
        Assert.Contains($"its targetFramework '{named}' is not a target framework folder name", e.Message);
        Assert.Empty(Directory.EnumerateFiles(hubDirectory, "secret.txt", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_build_record_naming_a_path_is_not_taken_for_a_finished_layout()
    {
        // A layout written by an older hub from such a manifest (or edited on disk) must not be loaded as it is.
        using var outside = new TempDirectory("hubhost-foreign");
        var foreign = outside.Combine("foreign.dll");
        File.WriteAllBytes(foreign, HelloAssembly());
        var (_, config) = feed.CopyFeed();
        var hub = feed.NewClient(config, out var hubDirectory);
        (await hub.OpenAsync("nuget:Hub.Json@12.0.0", Trusted)).Dispose();
        var layout = Directory.EnumerateDirectories(Path.Combine(hubDirectory, "builds"), "nuget-hub.json-12.0.0-*").Single();
        var record = BuildRecord.TryRead(layout)!;
        (record with { Assembly = foreign }).Write(layout);
        Assert.Null(BuildRecord.TryRead(layout));

        var fresh = new HubClient(new HubOptions { HubDirectory = hubDirectory, NuGetConfigFile = config });
        var repo = await fresh.OpenAsync("nuget:Hub.Json@12.0.0", Trusted);
        Assert.Equal("12.0.0.0", await repo.InvokeAsync("newtonsoft_version"));
        Assert.DoesNotContain(repo.Entrypoints, e => e.Name == "greet");
        repo.Dispose();
    }

    [Theory]
    [InlineData("hubconf.dll", "net10.0", true)]
    [InlineData("My.Models.dll", "netstandard2.0", true)]
    [InlineData("hubconf.exe", "net10.0", false)]
    [InlineData("sub/hubconf.dll", "net10.0", false)]
    [InlineData("..\\hubconf.dll", "net10.0", false)]
    [InlineData("..", "net10.0", false)]
    [InlineData("hubconf.dll", "..", false)]
    [InlineData("hubconf.dll", "net10.0/../..", false)]
    [InlineData("hubconf.dll", "not-a-framework", false)]
    [InlineData("hubconf.dll", "", false)]
    public void Manifest_paths_are_one_dll_name_and_one_framework_folder(string assembly, string framework, bool accepted)
    {
        var manifest = new HubPackageManifest
        {
            Id = "x", Version = "1.0.0", Repo = "./x", Source = "/x", ContentKey = "local-0", Assembly = assembly, TargetFramework = framework,
            Contracts = [], Entrypoints = [],
        };
        Assert.Equal(accepted, manifest.PathProblem() is null);
    }

    /// <summary>An absolute path written as a relative one, as an attacker would: enough "../" to reach / from any folder, then the path.</summary>
    private static string Climb(string absolutePath) => string.Concat(Enumerable.Repeat("../", 40)) + absolutePath.TrimStart('/');

    /// <summary>hello's built hubconf.dll, from its package: real hub code that must never run in another package's name.</summary>
    private byte[] HelloAssembly()
    {
        using var zip = ZipFile.OpenRead(feed.Results["Hub.Hello@1.0.0"].Path);
        using var stream = zip.GetEntry("lib/net10.0/hubconf.dll")!.Open();
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    /// <summary>Replaces the package's hubhost.json with <paramref name="change"/> of it, and with <paramref name="junkAssembly"/> its own DLL with junk.</summary>
    internal static void Rewrite(string package, Func<HubPackageManifest, HubPackageManifest> change, bool junkAssembly)
    {
        using var zip = ZipFile.Open(package, ZipArchiveMode.Update);
        var entry = zip.GetEntry(HubPackageManifest.FileName)!;
        HubPackageManifest manifest;
        using (var stream = entry.Open())
        using (var memory = new MemoryStream())
        {
            stream.CopyTo(memory);
            manifest = HubPackageManifest.TryParse(memory.ToArray())!;
        }
        entry.Delete();
        using (var stream = zip.CreateEntry(HubPackageManifest.FileName).Open())
            stream.Write(change(manifest).ToJson());
        if (!junkAssembly) return;
        zip.GetEntry("lib/net10.0/hubconf.dll")!.Delete();
        using (var stream = zip.CreateEntry("lib/net10.0/hubconf.dll").Open())
            stream.Write("not an assembly"u8);
    }
}
