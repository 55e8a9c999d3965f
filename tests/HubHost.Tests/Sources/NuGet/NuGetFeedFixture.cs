using System.Diagnostics;
using System.IO.Compression;
using HubHost.Packing;
using HubHost.Tests.Downloads;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Sources.NuGet;

/// <summary>
/// Built once per test run: the sample repos packed with the real <c>hubhost pack</c> code (hello as Hub.Hello 1.0.0,
/// json-v12 and json-v13 as two versions of Hub.Json, vision as Hub.Vision 1.0.0), pushed with <c>dotnet nuget push</c>
/// into a folder feed together with their dependencies' .nupkg files (Newtonsoft.Json 12 and 13, TorchVision and its
/// SkiaSharp packages, copied from the restores that built the samples) — and never TorchSharp, libtorch or
/// HubHost.Contract, which the host must provide. The same packages are served as a static NuGet v3 feed (service
/// index + flat container) over HTTP on 127.0.0.1.
/// </summary>
public sealed class NuGetFeedFixture : IDisposable
{
    private readonly TempDirectory _root = new("hubhost-nuget");

    public NuGetFeedFixture()
    {
        PackHub = new HubClient(new HubOptions { HubDirectory = _root.Combine("pack-hub") });
        Directory.CreateDirectory(Packed);
        var packs = new (string Sample, string Id, string Version)[]
        {
            ("hello", "Hub.Hello", "1.0.0"), ("json-v12", "Hub.Json", "12.0.0"), ("json-v13", "Hub.Json", "13.0.0"), ("vision", "Hub.Vision", "1.0.0"),
        };
        foreach (var (sample, id, version) in packs)
            Results[$"{id}@{version}"] = PackHub.PackAsync(RepoPaths.Sample(sample), Packed, id, version).GetAwaiter().GetResult();

        Directory.CreateDirectory(Dependencies);
        foreach (var (id, version) in DependencyPackages)
            File.Copy(FindNupkg(id, version), Path.Combine(Dependencies, $"{id.ToLowerInvariant()}.{version}.nupkg"));

        Directory.CreateDirectory(FolderFeed);
        Push(Path.Combine(Packed, "*.nupkg"), FolderFeed);
        Push(Path.Combine(Dependencies, "*.nupkg"), FolderFeed);
        FolderConfig = WriteConfig("folder", FolderFeed);

        Http = new LoopbackHttpServer();
        ServeV3(Http, FolderFeed);
        HttpConfig = WriteConfig("http", Http.Url("/v3/index.json"));
        DownConfig = WriteConfig("down", $"http://127.0.0.1:{ClosedPort()}/v3/index.json");
    }

    /// <summary>The packages a hub package's closure needs from the feed (the host provides TorchSharp and HubHost.Contract).</summary>
    public static readonly (string Id, string Version)[] DependencyPackages =
    [
        ("Newtonsoft.Json", "12.0.3"), ("Newtonsoft.Json", "13.0.3"), ("TorchVision", "0.107.0"), ("SkiaSharp", "2.88.6"),
        ("SkiaSharp.NativeAssets.Linux.NoDependencies", "2.88.6"), ("SkiaSharp.NativeAssets.Win32", "2.88.6"), ("SkiaSharp.NativeAssets.macOS", "2.88.6"),
    ];

    /// <summary>The hub the samples were built and packed in.</summary>
    public HubClient PackHub { get; }

    internal Dictionary<string, PackResult> Results { get; } = new(StringComparer.Ordinal);

    public string Packed => _root.Combine("packed");

    public string Dependencies => _root.Combine("dependencies");

    /// <summary>A folder feed filled by <c>dotnet nuget push --source DIR</c>.</summary>
    public string FolderFeed => _root.Combine("feed");

    public LoopbackHttpServer Http { get; }

    /// <summary>nuget.config files (each with &lt;clear/&gt;: only that feed): the folder feed, the HTTP v3 feed, and an HTTP feed nobody listens on.</summary>
    public string FolderConfig { get; }

    public string HttpConfig { get; }

    public string DownConfig { get; }

    public string Root => _root.Path;

    /// <summary>A fresh hub directory and a client over it that reads <paramref name="config"/>.</summary>
    public HubClient NewClient(string config, out string hubDirectory)
    {
        hubDirectory = _root.Combine("hubs", Guid.NewGuid().ToString("N")[..8], "hub");
        return new HubClient(new HubOptions { HubDirectory = hubDirectory, NuGetConfigFile = config });
    }

    /// <summary>A private copy of the folder feed (for tests that change what the feed holds) and its nuget.config.</summary>
    public (string Feed, string Config) CopyFeed(params string[] leaveOut)
    {
        var name = Guid.NewGuid().ToString("N")[..8];
        var feed = _root.Combine("feeds", name);
        Directory.CreateDirectory(feed);
        foreach (var file in Directory.EnumerateFiles(FolderFeed, "*.nupkg"))
            if (!leaveOut.Any(l => Path.GetFileName(file).Equals(l, StringComparison.OrdinalIgnoreCase)))
                File.Copy(file, Path.Combine(feed, Path.GetFileName(file)));
        return (feed, WriteConfig(name, feed));
    }

    public string WriteConfig(string name, string source) => NuGetConfig.Write(_root.Combine("configs", name), name, source);

    /// <summary><c>dotnet nuget push PATTERN --source FEED</c>, the real client.</summary>
    public static void Push(string pattern, string feed)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "nuget", "push", pattern, "--source", feed }) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"dotnet nuget push {pattern} failed: {output.Result}\n{error}");
    }

    /// <summary>
    /// Serves every .nupkg of a folder as a static NuGet v3 feed: a service index naming only a PackageBaseAddress,
    /// and the flat container (<c>{id}/index.json</c>, <c>{id}/{v}/{id}.{v}.nupkg</c>, <c>{id}/{v}/{id}.nuspec</c>).
    /// </summary>
    public static void ServeV3(LoopbackHttpServer server, string folder)
    {
        server.Serve("/v3/index.json", System.Text.Encoding.UTF8.GetBytes(
            $$"""{"version":"3.0.0","resources":[{"@id":"{{server.Url("/v3/flat/")}}","@type":"PackageBaseAddress/3.0.0"}]}"""));
        var versions = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(folder, "*.nupkg"))
        {
            var bytes = File.ReadAllBytes(file);
            using var reader = new global::NuGet.Packaging.PackageArchiveReader(new MemoryStream(bytes));
            var identity = reader.GetIdentity();
            var id = identity.Id.ToLowerInvariant();
            var version = identity.Version.ToNormalizedString().ToLowerInvariant();
            server.Serve($"/v3/flat/{id}/{version}/{id}.{version}.nupkg", bytes);
            using (var nuspec = reader.GetNuspec())
            using (var copy = new MemoryStream())
            {
                nuspec.CopyTo(copy);
                server.Serve($"/v3/flat/{id}/{version}/{id}.nuspec", copy.ToArray());
            }
            (versions.TryGetValue(id, out var list) ? list : versions[id] = []).Add(version);
        }
        foreach (var (id, list) in versions)
            server.Serve($"/v3/flat/{id}/index.json", System.Text.Encoding.UTF8.GetBytes($$"""{"versions":[{{string.Join(",", list.Select(v => $"\"{v}\""))}}]}"""));
    }

    /// <summary>A .nupkg from the restores on this machine: the pack hub's plugin packages folder, else the user's global packages folder.</summary>
    private string FindNupkg(string id, string version)
    {
        var global = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(global)) global = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var root in new[] { Path.Combine(PackHub.HubDirectory, "packages"), global })
        {
            var path = Path.Combine(root, id.ToLowerInvariant(), version, $"{id.ToLowerInvariant()}.{version}.nupkg");
            if (File.Exists(path)) return path;
        }
        throw new InvalidOperationException($"{id} {version}.nupkg is in no packages folder on this machine; restore the solution (dotnet restore HubHost.sln) first.");
    }

    private static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>A copy of a .nupkg with one more file in it: same id and version, other bytes.</summary>
    public static void WriteAlteredCopy(string nupkg, string target, string extraEntry, string content)
    {
        File.Copy(nupkg, target, overwrite: true);
        using var zip = ZipFile.Open(target, ZipArchiveMode.Update);
        using var writer = new StreamWriter(zip.CreateEntry(extraEntry).Open());
        writer.Write(content);
    }

    public void Dispose()
    {
        foreach (var repo in PackHub.Loaded) repo.Dispose();
        Http.Dispose();
        _root.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class NuGetFeedCollection : ICollectionFixture<NuGetFeedFixture>
{
    public const string Name = "nuget feed";
}
