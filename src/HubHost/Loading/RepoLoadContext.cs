using System.Reflection;
using System.Runtime.Loader;

namespace HubHost.Loading;

/// <summary>
/// The collectible load context of one repo version. The host's contract assemblies (HubHost.Nn) resolve
/// to the host's own copy by simple name, so results cast to host types; everything else the repo built
/// (its hubconf assembly and NuGet dependencies, managed and native) resolves privately through its deps.json,
/// so same-named assemblies and different versions of one package live side by side.
/// </summary>
internal sealed class RepoLoadContext : AssemblyLoadContext
{
    private readonly AssemblyDependencyResolver _resolver;
    private readonly IReadOnlyDictionary<string, Assembly> _shared;

    public RepoLoadContext(string name, string mainAssemblyPath, IReadOnlyDictionary<string, Assembly> shared)
        : base(name, isCollectible: true)
    {
        _resolver = new AssemblyDependencyResolver(mainAssemblyPath);
        _shared = shared;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is { } simple && _shared.TryGetValue(simple, out var host))
        {
            var hostVersion = host.GetName().Version;
            if (assemblyName.Version is { } wanted && hostVersion is not null && wanted > hostVersion)
                throw new FileLoadException(ContractVersions.SkewMessage(Name ?? "the repo", simple, wanted, hostVersion));
            return host;
        }
        var path = _resolver.ResolveAssemblyToPath(assemblyName);
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }
}
