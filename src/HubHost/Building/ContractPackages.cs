using System.IO.Compression;
using System.Reflection;
using System.Security;
using System.Text;
using HubHost.Storage;

namespace HubHost.Building;

/// <summary>
/// The hub's own contract assembly (HubHost.Contract), and the local NuGet feed through which a plugin build
/// restores it: the hub writes the package from the very assembly this host runs, so a plugin always compiles
/// against the host's version, offline, with a normal PackageReference. TorchSharp, the other shared assembly,
/// comes from NuGet like any package (compile-only, see SharedPackages.targets).
/// </summary>
internal static class ContractPackages
{
    /// <summary>The assemblies the hub writes as packages.</summary>
    public static IReadOnlyList<Assembly> Assemblies { get; } = [typeof(HubHost.Contract.IHubServices).Assembly];

    /// <summary>
    /// What a repo compiles against, as part of every build key: each contract assembly's version and public
    /// surface (its exported types and their public members), and the host's TorchSharp version. Not the
    /// contract's bits: a Debug `dotnet run` and a published Release CLI share builds.
    /// </summary>
    public static string Fingerprint { get; } = string.Concat(Assemblies.Select(ApiHash)) + "t" + PackageVersion(typeof(TorchSharp.torch).Assembly).Replace(".", "", StringComparison.Ordinal);

    /// <summary>The name of the assembly metadata that records a contract assembly's surface hash.</summary>
    internal const string ApiHashMetadata = "HubHost.ContractApi";

    /// <summary>
    /// A contract assembly's version and public surface as a short hash, recorded in the assembly itself (its project's
    /// <c>HubHost.ContractApi</c> metadata) and checked against its surface by BuildCacheTests: reading the surface by
    /// reflection and hashing it cost ~12 ms of every process's first load (and loaded OpenSSL for SHA-256).
    /// </summary>
    internal static string ApiHash(Assembly assembly)
        => assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == ApiHashMetadata)?.Value
           ?? throw new InvalidOperationException($"{assembly.GetName().Name} records no {ApiHashMetadata} metadata (its project sets it; BuildCacheTests says the value).");

    /// <summary>
    /// The user's NuGet packages folder (NUGET_PACKAGES, else ~/.nuget/packages) when it exists: a read-only
    /// fallback for repo restores, so packages the host already restored (TorchSharp, ~14 MB) are not
    /// downloaded again into each hub directory.
    /// </summary>
    public static string? UserPackagesFolder()
    {
        var folder = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(folder)) folder = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Directory.Exists(folder) ? Path.GetFullPath(folder) : null;
    }

    private static readonly DateTimeOffset FixedEntryTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Writes each contract package into the hub's feed folder unless the same bytes are there, and when a
    /// package changed under an unchanged version, drops the stale copy from the plugin restore folder
    /// (NuGet never re-extracts a version it already holds).
    /// </summary>
    public static async Task EnsureFeedAsync(string hubDirectory, CancellationToken cancellationToken)
    {
        var feed = HubDirectories.ContractFeed(hubDirectory);
        Directory.CreateDirectory(feed);
        using var gate = await FileLock.AcquireAsync(Path.Combine(feed, ".lock"), "writing the contract package feed", TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
        foreach (var assembly in Assemblies)
        {
            var id = assembly.GetName().Name!;
            var version = PackageVersion(assembly);
            var bytes = CreatePackage(assembly, id, version);
            var path = Path.Combine(feed, $"{id.ToLowerInvariant()}.{version}.nupkg");
            if (File.Exists(path) && (await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false)).AsSpan().SequenceEqual(bytes))
                continue;
            AtomicFile.WriteAllBytes(path, bytes);
            var stale = Path.Combine(HubDirectories.PluginPackages(hubDirectory), id.ToLowerInvariant(), version);
            if (Directory.Exists(stale)) Directory.Delete(stale, recursive: true);
        }
    }

    /// <summary>
    /// NuGet's packages.lock.json with every contract package's content hash set to this host's package: the contract is the
    /// host's (its version is locked and checked apart), and its bytes differ between a Debug and a Release host, which a locked
    /// restore would otherwise refuse (NU1403).
    /// </summary>
    public static string WithHostContractHashes(string hubDirectory, string nugetLock)
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(nugetLock);
        if (root?["dependencies"] is not System.Text.Json.Nodes.JsonObject frameworks) return nugetLock;
        foreach (var assembly in Assemblies)
        {
            var id = assembly.GetName().Name!;
            var package = Path.Combine(HubDirectories.ContractFeed(hubDirectory), $"{id.ToLowerInvariant()}.{PackageVersion(assembly)}.nupkg");
            if (!File.Exists(package)) continue;
            var hash = Convert.ToBase64String(System.Security.Cryptography.SHA512.HashData(File.ReadAllBytes(package)));
            foreach (var (_, framework) in frameworks)
            {
                if (framework is not System.Text.Json.Nodes.JsonObject entries) continue;
                foreach (var (name, entry) in entries)
                    if (name.Equals(id, StringComparison.OrdinalIgnoreCase) && entry is System.Text.Json.Nodes.JsonObject e) e["contentHash"] = hash;
            }
        }
        return root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The package version: the assembly's informational version without build metadata.</summary>
    public static string PackageVersion(Assembly assembly)
    {
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                            ?? assembly.GetName().Version!.ToString(3);
        var plus = informational.IndexOf('+');
        return plus < 0 ? informational : informational[..plus];
    }

    private static byte[] CreatePackage(Assembly assembly, string id, string version)
    {
        var dll = assembly.Location;
        if (string.IsNullOrEmpty(dll) || !File.Exists(dll))
            throw new HubException($"The contract assembly {id} was not loaded from a file, so the hub cannot hand it to plugin builds. Run the host from a normal build output (not single-file).");
        var dependencies = assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Where(a => a.Key == "HubHost.PackageDependency" && a.Value is not null)
            .Select(a => a.Value!.Split('/', 2))
            .Select(p => $"        <dependency id=\"{SecurityElement.Escape(p[0])}\" version=\"{SecurityElement.Escape(p[1])}\" exclude=\"Runtime,Native,Build,Analyzers,ContentFiles\" />");
        var nuspec = $"""
            <?xml version="1.0" encoding="utf-8"?>
            <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
              <metadata>
                <id>{id}</id>
                <version>{version}</version>
                <authors>HubHost</authors>
                <description>{id} as shared by this HubHost host with the hub repos it builds.</description>
                <dependencies>
                  <group targetFramework="net10.0">
            {string.Join("\n", dependencies)}
                  </group>
                </dependencies>
              </metadata>
            </package>
            """;
        const string contentTypes = """
            <?xml version="1.0" encoding="utf-8"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="nuspec" ContentType="application/octet" /><Default Extension="dll" ContentType="application/octet" /><Default Extension="xml" ContentType="application/octet" /></Types>
            """;
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            AddEntry(zip, "[Content_Types].xml", Encoding.UTF8.GetBytes(contentTypes));
            AddEntry(zip, id + ".nuspec", Encoding.UTF8.GetBytes(nuspec));
            AddEntry(zip, $"lib/net10.0/{id}.dll", File.ReadAllBytes(dll));
            var docs = Path.ChangeExtension(dll, ".xml");
            if (File.Exists(docs)) AddEntry(zip, $"lib/net10.0/{id}.xml", File.ReadAllBytes(docs));
        }
        return memory.ToArray();
    }

    private static void AddEntry(ZipArchive zip, string name, byte[] content)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        entry.LastWriteTime = FixedEntryTime;
        using var stream = entry.Open();
        stream.Write(content);
    }
}
