using System.Reflection;
using System.Runtime.Loader;
using HubHost.Contract;
using HubHost.Native;
using TorchSharp;

namespace HubHost.Loading;

/// <summary>
/// The collectible load context of one repo version. The shared contract assemblies (TorchSharp and
/// HubHost.Contract, see <see cref="SharedAssemblies"/>) resolve to the host's own copy by simple name, so
/// results cast to host types, and TorchSharp's native library resolves to the one the host loaded;
/// everything else the repo built (its hubconf assembly and NuGet dependencies, managed and native) resolves
/// privately through its deps.json, so same-named assemblies and different versions of one package live side
/// by side. The context is also the repo's <see cref="IHubServices"/>: its folder and its hub's downloads.
/// </summary>
internal sealed class RepoLoadContext : AssemblyLoadContext, IHubServices
{
    private readonly AssemblyDependencyResolver _resolver;
    private readonly IHubServices _services;

    public RepoLoadContext(string name, string mainAssemblyPath, IHubServices services)
        : base(name, isCollectible: true)
    {
        _resolver = new AssemblyDependencyResolver(mainAssemblyPath);
        _services = services;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is { } simple && SharedAssemblies.ByName.TryGetValue(simple, out var host))
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
        // A repo dependency that calls LibTorchSharp itself (TorchVision does) gets the host's copy, never a
        // second one from the repo's folder.
        if (TorchNative.IsLibTorchSharp(unmanagedDllName))
        {
            TorchNative.EnsureLoaded();
            return TorchNative.LibTorchSharpHandle;
        }
        var path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }

    public string RepoDirectory => _services.RepoDirectory;

    public Dictionary<string, torch.Tensor> LoadStateDict(string path) => _services.LoadStateDict(path);

    public Dictionary<string, torch.Tensor> LoadStateDictFromUrl(string url, string? fileName = null, bool checkHash = true, bool progress = true)
        => _services.LoadStateDictFromUrl(url, fileName, checkHash, progress);

    public torch.jit.ScriptModule<T, TResult> LoadScript<T, TResult>(string path) => _services.LoadScript<T, TResult>(path);

    public torch.jit.ScriptModule<TResult> LoadScript<TResult>(string path) => _services.LoadScript<TResult>(path);

    public torch.jit.ScriptModule<T, TResult> LoadScriptFromUrl<T, TResult>(string url, string? fileName = null, bool checkHash = true, bool progress = true)
        => _services.LoadScriptFromUrl<T, TResult>(url, fileName, checkHash, progress);

    public torch.jit.ScriptModule<TResult> LoadScriptFromUrl<TResult>(string url, string? fileName = null, bool checkHash = true, bool progress = true)
        => _services.LoadScriptFromUrl<TResult>(url, fileName, checkHash, progress);
}
