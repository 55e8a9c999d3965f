using System.Reflection;
using HubHost.Entrypoints;
using HubHost.Sources;
using Microsoft.Extensions.Logging;

namespace HubHost.Loading;

/// <summary>
/// The load step of the pipeline: a built repo version into its own collectible <see cref="RepoLoadContext"/>,
/// its contract versions checked and its entrypoints found. A failure unloads the context and is one HubException.
/// </summary>
internal static class RepoLoader
{
    /// <param name="snapshot">The resolved version (its lease passes to the loaded repo).</param>
    /// <param name="buildDirectory">The build folder.</param>
    /// <param name="mainAssemblyPath">The built hubconf assembly.</param>
    /// <param name="services">What the repo reaches through <c>HubServices.For</c>: its files, the hub's checkpoint reading and downloads.</param>
    /// <param name="logger">The hub's logger.</param>
    /// <param name="forget">Called when the loaded version is released.</param>
    public static HubRepo Load(RepoSnapshot snapshot, string buildDirectory, string mainAssemblyPath, RepoServices services, ILogger logger, Action<HubRepo> forget)
    {
        var context = new RepoLoadContext($"{snapshot.DisplayName}@{snapshot.Version}", mainAssemblyPath, services);
        try
        {
            Assembly assembly;
            try
            {
                assembly = context.LoadFromAssemblyPath(mainAssemblyPath);
            }
            catch (Exception e) when (e is FileLoadException or BadImageFormatException or FileNotFoundException)
            {
                throw new HubException($"Could not load {Path.GetFileName(mainAssemblyPath)} of {snapshot.DisplayName}: {e.Message}", e);
            }
            ContractVersions.Check(snapshot.DisplayName, assembly, SharedAssemblies.ByName);
            var catalog = EntrypointCatalog.Create(snapshot.DisplayName, assembly, mainAssemblyPath);
            return new HubRepo(snapshot, buildDirectory, context, catalog, assembly.GetReferencedAssemblies().Any(r => r.Name == "TorchSharp"), logger, forget);
        }
        catch
        {
            context.Unload();
            throw;
        }
    }
}
