using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace HubHost.Loading;

/// <summary>
/// Checks, before anything is loaded, that no assembly of a build references a contract assembly of a higher
/// version than the host has: that plugin would call members this host lacks, so it is refused loudly
/// rather than run against the wrong copy.
/// </summary>
internal static class ContractVersions
{
    public static void Check(string repo, string outputDirectory, IReadOnlyDictionary<string, Assembly> shared)
    {
        foreach (var file in Directory.EnumerateFiles(outputDirectory, "*.dll"))
        {
            if (shared.ContainsKey(Path.GetFileNameWithoutExtension(file))) continue; // the plugin's own copy of a contract is never loaded
            using var stream = File.OpenRead(file);
            using var pe = new PEReader(stream);
            if (!pe.HasMetadata) continue; // native library
            var reader = pe.GetMetadataReader();
            foreach (var handle in reader.AssemblyReferences)
            {
                var reference = reader.GetAssemblyReference(handle);
                var name = reader.GetString(reference.Name);
                if (shared.TryGetValue(name, out var host) && host.GetName().Version is { } hostVersion && reference.Version > hostVersion)
                    throw new HubException(SkewMessage($"{repo} ({Path.GetFileName(file)})", name, reference.Version, hostVersion));
            }
        }
    }

    public static string SkewMessage(string repo, string contract, Version wanted, Version host)
        => $"{repo} was built against {contract} {wanted}, but this host has {contract} {host}. " +
           $"Update the host to {contract} {wanted} or later, or build the repo against {contract} {host}.";
}
