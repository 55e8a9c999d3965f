using System.Reflection;

namespace HubHost.Loading;

/// <summary>
/// Checks that a repo's assembly does not reference a contract assembly of a higher version than the host
/// has: that plugin would call members this host lacks, so it is refused loudly rather than run against the
/// wrong copy. Read from the loaded assembly's metadata before any of its code runs; a private dependency
/// with such a reference is refused by <see cref="RepoLoadContext"/> when it is resolved.
/// </summary>
internal static class ContractVersions
{
    public static void Check(string repo, Assembly assembly, IReadOnlyDictionary<string, Assembly> shared)
    {
        foreach (var reference in assembly.GetReferencedAssemblies())
        {
            if (reference.Name is { } name && shared.TryGetValue(name, out var host)
                && host.GetName().Version is { } hostVersion && reference.Version is { } wanted && wanted > hostVersion)
                throw new HubException(SkewMessage($"{repo} ({assembly.GetName().Name}.dll)", name, wanted, hostVersion));
        }
    }

    public static string SkewMessage(string repo, string contract, Version wanted, Version host)
        => $"{repo} was built against {contract} {wanted}, but this host has {contract} {host}. " +
           $"Update the host to {contract} {wanted} or later, or build the repo against {contract} {host}.";
}
