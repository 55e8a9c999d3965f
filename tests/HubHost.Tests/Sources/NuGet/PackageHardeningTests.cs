using System.IO.Compression;
using HubHost.Sources.NuGet;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Sources.NuGet;

/// <summary>
/// Issue 21, items 2, 4, 6 and 7: packages as an attacker or a careless publisher makes them. A decompression bomb is
/// refused before it fills the disk and leaves nothing behind; a refused package leaves no SHA-512 record, so the
/// corrected package at that version loads; one corrupt .nupkg in a folder feed is skipped and named while the other
/// versions load; the same content packed twice at one version is the same bytes.
/// </summary>
[Collection(NuGetFeedCollection.Name)]
public sealed class PackageHardeningTests(NuGetFeedFixture feed)
{
    private static readonly HubLoadOptions Trusted = new() { TrustRepo = TrustRepo.Trust };

    [Fact]
    public async Task A_decompression_bomb_is_refused_naming_the_package_and_the_limits_and_nothing_is_left_on_disk()
    {
        var (privateFeed, config) = feed.CopyFeed();
        var package = Path.Combine(privateFeed, "Hub.Json.12.0.0.nupkg");
        // 400 MiB of zeros: about 0.4 MiB deflated, a ratio past 1000 (real packages stay under 10).
        AddZeros(package, "hub/repo/bomb.bin", 400L << 20);
        Assert.True(new FileInfo(package).Length < 4 << 20);
        var hub = feed.NewClient(config, out var hubDirectory);

        var e = await Assert.ThrowsAsync<HubException>(() => hub.OpenAsync("nuget:Hub.Json@12.0.0", Trusted));
        Assert.Contains("The package Hub.Json 12.0.0 expands to more than", e.Message);
        Assert.Contains("decompression bomb", e.Message);
        Assert.Contains(FormatSize(PackageExtractionLimits.Default.MaxBytes), e.Message);
        Assert.Contains($"{PackageExtractionLimits.Default.MaxRatio} times", e.Message);
        var packages = Path.Combine(hubDirectory, "nuget", "packages");
        Assert.Empty(Directory.Exists(packages) ? Directory.EnumerateFiles(packages, "*", SearchOption.AllDirectories) : []);
        Assert.Empty(hub.Loaded);
    }

    [Fact]
    public void The_total_cap_holds_for_packages_that_compress_poorly_before_anything_past_it_is_written()
    {
        using var folder = new TempDirectory();
        var hubDirectory = folder.Combine("hub");
        var limits = new PackageExtractionLimits(MaxBytes: 3 << 20, RatioFloorBytes: 1 << 20, MaxRatio: 100);
        var store = new HubPackageStore(hubDirectory, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, limits);
        var nupkg = folder.Combine("random.nupkg");
        using (var zip = ZipFile.Open(nupkg, ZipArchiveMode.Create))
        {
            var random = new Random(21);
            for (var i = 0; i < 4; i++)
            {
                var bytes = new byte[1 << 20];
                random.NextBytes(bytes);
                using var stream = zip.CreateEntry($"lib/part{i}.bin", CompressionLevel.NoCompression).Open();
                stream.Write(bytes);
            }
        }
        var target = folder.Combine("out");
        Directory.CreateDirectory(target);
        var e = Assert.Throws<HubException>(() => store.Extract(nupkg, target, "Random", global::NuGet.Versioning.NuGetVersion.Parse("1.0.0")));
        Assert.Contains("The package Random 1.0.0 expands to more than 3 MiB", e.Message);
        Assert.True(Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) <= 3 << 20);
    }

    [Fact]
    public async Task A_refused_package_leaves_no_hash_record_so_the_corrected_package_at_that_version_loads()
    {
        var (privateFeed, config) = feed.CopyFeed();
        var package = Path.Combine(privateFeed, "Hub.Json.12.0.0.nupkg");
        var good = File.ReadAllBytes(package);
        PackageManifestPathTests.Rewrite(package, m => m with { Assembly = "../../../x.dll" }, junkAssembly: false);
        var hub = feed.NewClient(config, out var hubDirectory);
        var e = await Assert.ThrowsAsync<HubException>(() => hub.OpenAsync("nuget:Hub.Json@12.0.0", Trusted));
        Assert.Contains("is refused", e.Message);
        Assert.False(File.Exists(Path.Combine(hubDirectory, "nuget", "hashes", "hub.json", "12.0.0.sha512")), "no hash was recorded for the refused package");

        // A broken zip, too, is refused without a record.
        File.WriteAllBytes(package, good[..(good.Length / 2)]);
        var broken = await Assert.ThrowsAsync<HubException>(() => hub.OpenAsync("nuget:Hub.Json@12.0.0", Trusted));
        Assert.DoesNotContain("someone replaced", broken.Message);
        Assert.False(File.Exists(Path.Combine(hubDirectory, "nuget", "hashes", "hub.json", "12.0.0.sha512")));

        // The publisher fixes the package under the same version: it loads, and now its hash is recorded.
        File.WriteAllBytes(package, good);
        var repo = await hub.OpenAsync("nuget:Hub.Json@12.0.0", Trusted);
        Assert.Equal("12.0.0.0", await repo.InvokeAsync("newtonsoft_version"));
        repo.Dispose();
        Assert.Equal(HubPackageStore.Sha512(package), File.ReadAllText(Path.Combine(hubDirectory, "nuget", "hashes", "hub.json", "12.0.0.sha512")));
    }

    [Fact]
    public async Task One_corrupt_nupkg_in_a_folder_feed_is_skipped_and_named_and_the_other_versions_load()
    {
        var (privateFeed, config) = feed.CopyFeed();
        var corrupt = Path.Combine(privateFeed, "Hub.Json.13.0.0.nupkg");
        File.WriteAllBytes(corrupt, "this is not a zip"u8.ToArray());

        var hub = feed.NewClient(config, out _);
        var exact = await hub.OpenAsync("nuget:Hub.Json@12.0.0", Trusted);
        Assert.Equal("12.0.0.0", await exact.InvokeAsync("newtonsoft_version"));
        exact.Dispose();

        var range = await feed.NewClient(config, out _).OpenAsync("nuget:Hub.Json@[12.0,14.0)", Trusted);
        Assert.Equal("12.0.0", range.Version);
        range.Dispose();

        // The version whose file is corrupt: the error names the file, not the feed.
        using var home = new TempDirectory();
        var env = new Dictionary<string, string?> { ["HUBHOST_HOME"] = home.Path, ["HUBHOST_NO_BUILD"] = "1" };
        var result = await CliRunner.RunAsync(["list", "nuget:Hub.Json@13.0.0", "--trust-repo"], env, workingDirectory: Path.GetDirectoryName(config)!);
        Assert.Equal(1, result.ExitCode);
        var line = OneErrorLine(result.Stderr);
        Assert.Contains(corrupt, line);
        Assert.DoesNotContain("No NuGet feed answered", line);
        Assert.DoesNotContain("unexpected", line);
    }

    [Fact]
    public async Task Packing_the_same_content_at_the_same_version_gives_the_same_bytes()
    {
        using var output = new TempDirectory();
        var again = await feed.PackHub.PackAsync(RepoPaths.Sample("hello"), output.Path, "Hub.Hello", "1.0.0");
        Assert.Equal(File.ReadAllBytes(feed.Results["Hub.Hello@1.0.0"].Path), File.ReadAllBytes(again.Path));
        using var zip = ZipFile.OpenRead(again.Path);
        Assert.All(zip.Entries, e => Assert.Equal(zip.Entries[0].LastWriteTime, e.LastWriteTime));
        using var manifest = new StreamReader(zip.GetEntry(HubPackageManifest.FileName)!.Open());
        Assert.DoesNotContain("packedAt", manifest.ReadToEnd());

        // A CI runner with a fresh hub builds the repo again, in another folder: still the same bytes.
        using var freshHome = new TempDirectory();
        var fresh = await new HubClient(new HubOptions { HubDirectory = freshHome.Combine("hub") }).PackAsync(RepoPaths.Sample("hello"), freshHome.Combine("out"), "Hub.Hello", "1.0.0");
        Assert.Equal(File.ReadAllBytes(feed.Results["Hub.Hello@1.0.0"].Path), File.ReadAllBytes(fresh.Path));
    }

    [Theory]
    [InlineData("hub.json.12.0.0.nupkg")]
    [InlineData("hub.json.12.0.0.nupkg.sha512")]
    public async Task An_entry_named_like_the_package_file_is_one_clear_error(string entryName)
    {
        var (privateFeed, config) = feed.CopyFeed();
        NuGetFeedFixture.WriteAlteredCopy(feed.Results["Hub.Json@12.0.0"].Path, Path.Combine(privateFeed, "Hub.Json.12.0.0.nupkg"), entryName, "planted");
        var hub = feed.NewClient(config, out var hubDirectory);
        var e = await Assert.ThrowsAsync<HubException>(() => hub.OpenAsync("nuget:Hub.Json@12.0.0", Trusted));
        Assert.Contains($"has an entry named like the package file itself or NuGet's marker beside it ({entryName})", e.Message);
        Assert.False(Directory.Exists(Path.Combine(hubDirectory, "nuget", "packages", "hub.json", "12.0.0")));
    }

    internal static string FormatSize(long bytes) => PackageExtractionLimits.Size(bytes);

    private static void AddZeros(string nupkg, string entryName, long bytes)
    {
        using var zip = ZipFile.Open(nupkg, ZipArchiveMode.Update);
        using var stream = zip.CreateEntry(entryName, CompressionLevel.Optimal).Open();
        var zeros = new byte[1 << 20];
        for (long written = 0; written < bytes; written += zeros.Length) stream.Write(zeros);
    }

    private static string OneErrorLine(string stderr)
    {
        var lines = stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1, stderr);
        return lines[0];
    }
}
