using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using HubHost.Loading;

namespace HubHost.Building;

/// <summary>One NuGet package a build's assemblies came from.</summary>
/// <param name="Id">The package id.</param>
/// <param name="Version">The version restored (normalised).</param>
/// <param name="Sha512">NuGet's content hash: SHA-512 of the .nupkg, base64 (as in .nupkg.sha512 and packages.lock.json).</param>
internal sealed record RestoredPackage(string Id, string Version, string Sha512);

/// <summary>
/// What a finished build was made of: the NuGet packages its assemblies came from (the packages the host provides left out:
/// they are the host's, not the repo's), the shared contract assembly versions its main assembly references, and NuGet's own
/// <c>packages.lock.json</c> of its restore when the build kept one (repo builds made by this version).
/// </summary>
internal sealed record BuildPackages(IReadOnlyList<RestoredPackage> Packages, IReadOnlyDictionary<string, string> Contracts, string? NuGetLock)
{
    /// <summary>NuGet's lock file of a repo build's restore, kept in the build folder (beside build.json).</summary>
    public const string NuGetLockFile = "packages.lock.json";

    /// <summary>The packages of a <c>nuget:</c> layout (its dependency closure), written by <see cref="Sources.NuGet.PackageLayout"/>.</summary>
    public const string LayoutRecordFile = "packages.json";

    /// <summary>
    /// Reads a build's packages: a repo build's from NuGet's packages.lock.json it kept (or, for a build made before, the deps.json
    /// the SDK wrote beside its main assembly), a package layout's from its record. Null when the build predates the record.
    /// </summary>
    public static BuildPackages? Read(RepoBuild build)
    {
        var contracts = ContractReferences(build.MainAssemblyPath);
        var layoutRecord = Path.Combine(build.Directory, LayoutRecordFile);
        if (File.Exists(layoutRecord))
        {
            var packages = JsonSerializer.Deserialize(File.ReadAllBytes(layoutRecord), BuildPackagesJson.Default.ListRestoredPackage) ?? [];
            return new BuildPackages(Sorted(packages), contracts, null);
        }
        // NuGet's own record of the restore when the build kept it (every package restored, with its content hash); else, for a
        // build made before, the deps.json the SDK wrote (the packages with assets the repo runs with).
        var nugetLockPath = Path.Combine(build.Directory, NuGetLockFile);
        var nugetLock = File.Exists(nugetLockPath) ? File.ReadAllText(nugetLockPath) : null;
        var list = nugetLock is not null ? FromNuGetLock(nugetLock) : FromDepsJson(Path.ChangeExtension(build.MainAssemblyPath, ".deps.json"));
        return list is null ? null : new BuildPackages(Sorted(list), contracts, nugetLock);
    }

    /// <summary>The packages of a packages.lock.json (every target framework and runtime), project references and host packages left out.</summary>
    private static List<RestoredPackage> FromNuGetLock(string nugetLock)
    {
        var list = new Dictionary<string, RestoredPackage>(StringComparer.OrdinalIgnoreCase);
        using var document = JsonDocument.Parse(nugetLock);
        if (!document.RootElement.TryGetProperty("dependencies", out var targets) || targets.ValueKind != JsonValueKind.Object) return [];
        foreach (var target in targets.EnumerateObject())
        {
            if (target.Value.ValueKind != JsonValueKind.Object) continue;
            foreach (var package in target.Value.EnumerateObject())
            {
                if (SharedAssemblies.IsHostProvidedPackage(package.Name)) continue;
                if (!package.Value.TryGetProperty("resolved", out var resolved) || !package.Value.TryGetProperty("contentHash", out var hash)) continue; // a project
                list.TryAdd(package.Name, new RestoredPackage(package.Name, resolved.GetString() ?? "", hash.GetString() ?? ""));
            }
        }
        return list.Values.ToList();
    }

    /// <summary>The packages a deps.json names (each library of type package, with its SHA-512), host packages left out; null without one.</summary>
    private static List<RestoredPackage>? FromDepsJson(string depsJson)
    {
        if (!File.Exists(depsJson)) return null;
        var list = new List<RestoredPackage>();
        using var document = JsonDocument.Parse(File.ReadAllBytes(depsJson));
        if (!document.RootElement.TryGetProperty("libraries", out var libraries) || libraries.ValueKind != JsonValueKind.Object) return list;
        foreach (var library in libraries.EnumerateObject())
        {
            if (!library.Value.TryGetProperty("type", out var type) || type.GetString() != "package") continue;
            var slash = library.Name.IndexOf('/');
            if (slash <= 0) continue;
            var id = library.Name[..slash];
            if (SharedAssemblies.IsHostProvidedPackage(id)) continue;
            var sha512 = library.Value.TryGetProperty("sha512", out var hash) ? hash.GetString() ?? "" : "";
            list.Add(new RestoredPackage(id, library.Name[(slash + 1)..], sha512.StartsWith("sha512-", StringComparison.Ordinal) ? sha512[7..] : sha512));
        }
        return list;
    }

    /// <summary>Writes a package layout's record (its dependency closure).</summary>
    public static void WriteLayoutRecord(string layoutDirectory, IEnumerable<RestoredPackage> packages)
        => File.WriteAllBytes(Path.Combine(layoutDirectory, LayoutRecordFile), JsonSerializer.SerializeToUtf8Bytes(Sorted(packages), BuildPackagesJson.Default.ListRestoredPackage));

    private static List<RestoredPackage> Sorted(IEnumerable<RestoredPackage> packages)
        => packages.OrderBy(p => p.Id, StringComparer.OrdinalIgnoreCase).ThenBy(p => p.Version, StringComparer.Ordinal).ToList();

    /// <summary>The shared contract assemblies (TorchSharp, HubHost.Contract) an assembly references, with the versions it was compiled against.</summary>
    public static Dictionary<string, string> ContractReferences(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var handle in metadata.AssemblyReferences)
        {
            var reference = metadata.GetAssemblyReference(handle);
            var name = metadata.GetString(reference.Name);
            if (SharedAssemblies.ByName.TryGetValue(name, out var host)) result[host.GetName().Name!] = reference.Version.ToString();
        }
        return result;
    }
}

/// <summary>The generated serializer of a layout's package record.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(List<RestoredPackage>))]
internal sealed partial class BuildPackagesJson : JsonSerializerContext;
