using System.Reflection;
using HubHost.Contract;
using TorchSharp;

namespace HubHost.Loading;

/// <summary>
/// The sharing policy, as data: the assemblies every repo shares with the host by simple name (the model
/// contract TorchSharp and the hub contract HubHost.Contract). A repo compiles against them but never carries
/// its own copy; one built against a higher version than the host's is refused.
/// </summary>
internal static class SharedAssemblies
{
    /// <summary>The shared assemblies, by simple name (ignoring case, as the loader does).</summary>
    public static IReadOnlyDictionary<string, Assembly> ByName { get; } =
        new[] { typeof(torch).Assembly, typeof(IHubServices).Assembly }.ToDictionary(a => a.GetName().Name!, StringComparer.OrdinalIgnoreCase);

    /// <summary>The NuGet package ids a repo build must treat as compile-only, because the host provides them.</summary>
    public static IReadOnlyList<string> PackageIds { get; } = ["TorchSharp", "HubHost.Contract"];

    /// <summary>
    /// Whether the host provides a package, so a repo's package never brings its own copy: the shared packages, and
    /// TorchSharp's backends (TorchSharp-cpu, TorchSharp-cuda-*) and libtorch natives (libtorch-*), which the host
    /// loaded already (the same rules as Building/SharedPackages.targets).
    /// </summary>
    public static bool IsHostProvidedPackage(string id)
        => PackageIds.Contains(id, StringComparer.OrdinalIgnoreCase)
           || id.Equals("TorchSharp-cpu", StringComparison.OrdinalIgnoreCase)
           || id.StartsWith("TorchSharp-cuda", StringComparison.OrdinalIgnoreCase)
           || id.StartsWith("libtorch-", StringComparison.OrdinalIgnoreCase);
}
