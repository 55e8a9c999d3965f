using System.Reflection;
using HubHost.Entrypoints;
namespace HubHost.Loading;

/// <summary>
/// The load step of the pipeline: a built repo version into its own collectible <see cref="RepoLoadContext"/>,
/// its contract versions checked and its entrypoints found. A failure unloads the context and is one HubException.
/// </summary>
internal static class RepoLoader
{
    /// <param name="displayName">The repo as the user named it.</param>
    /// <param name="version">The version's short name (the load context is <c>name@version</c>).</param>
    /// <param name="mainAssemblyPath">The built hubconf assembly.</param>
    /// <param name="services">What the repo reaches through <c>HubServices.For</c>: its files, the hub's checkpoint reading and downloads.</param>
    public static LoadedAssembly Load(string displayName, string version, string mainAssemblyPath, RepoServices services)
    {
        var context = new RepoLoadContext($"{displayName}@{version}", mainAssemblyPath, services);
        try
        {
            Assembly assembly;
            try
            {
                assembly = context.LoadFromAssemblyPath(mainAssemblyPath);
            }
            catch (Exception e) when (e is FileLoadException or BadImageFormatException or FileNotFoundException)
            {
                throw new HubException($"Could not load {Path.GetFileName(mainAssemblyPath)} of {displayName}: {e.Message}", e);
            }
            ContractVersions.Check(displayName, assembly, SharedAssemblies.ByName);
            var catalog = EntrypointCatalog.Create(displayName, assembly, mainAssemblyPath);
            return new LoadedAssembly(context, catalog, assembly.GetReferencedAssemblies().Any(r => r.Name == "TorchSharp"));
        }
        catch
        {
            context.Unload();
            throw;
        }
    }
}

/// <summary>A repo version's main assembly in its own load context.</summary>
/// <param name="Context">Its collectible load context.</param>
/// <param name="Catalog">Its entrypoints.</param>
/// <param name="UsesTorchSharp">Whether it references TorchSharp (libtorch is loaded before the first call into it).</param>
internal sealed record LoadedAssembly(RepoLoadContext Context, EntrypointCatalog Catalog, bool UsesTorchSharp);
