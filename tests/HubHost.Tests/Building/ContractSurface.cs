using System.Reflection;
using System.Text;

namespace HubHost.Tests.Building;

/// <summary>
/// A contract assembly's version and public surface (exported types and their public members) as a short SHA-256: what the
/// assembly's <c>HubHost.ContractApi</c> metadata must record (the hub reads the recorded value instead of reflecting).
/// </summary>
internal static class ContractSurface
{
    public static string Hash(Assembly assembly)
    {
        var surface = new StringBuilder();
        surface.Append(assembly.GetName().Name).Append(' ').Append(assembly.GetName().Version).Append('\n');
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            surface.Append(type.FullName).Append('\n');
            var members = type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Select(m => m.MemberType + " " + m).Order(StringComparer.Ordinal);
            foreach (var member in members) surface.Append("  ").Append(member).Append('\n');
        }
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(surface.ToString())))[..8];
    }
}
