using System.Xml;
using NuGet.Packaging;
using NuGet.Packaging.Core;
using NuGet.Versioning;

namespace HubHost.Sources.NuGet;

/// <summary>
/// A folder feed (a share or folder that <c>dotnet nuget push --source DIR</c> fills), read file by file so that one
/// unreadable .nupkg costs only itself. NuGet.Protocol's local resource opens every <c>id.*.nupkg</c> of a flat folder to
/// learn its version and fails the whole id on the first corrupt one (every version of it, cold loads and hot-reload
/// ranges alike, reported as a feed that does not answer); here a corrupt file is skipped and named. Both of NuGet's
/// folder layouts are read: flat (<c>id.version.nupkg</c>, the version read from the nuspec) and hierarchical
/// (<c>id/version/id.version.nupkg</c>, what <c>nuget add</c> writes, the version from the folder name).
/// </summary>
internal sealed class FolderFeed(string root)
{
    public string Root { get; } = root;

    /// <summary>The package files of <paramref name="id"/> by version, and the candidate files that could not be read.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public (IReadOnlyDictionary<NuGetVersion, string> Packages, IReadOnlyList<UnreadablePackage> Unreadable) Scan(string id)
    {
        if (!Directory.Exists(Root)) throw new DirectoryNotFoundException($"the folder {Root} does not exist");
        var packages = new Dictionary<NuGetVersion, string>();
        var unreadable = new List<UnreadablePackage>();
        var lower = id.ToLowerInvariant();
        var hierarchical = Path.Combine(Root, lower);
        if (Directory.Exists(hierarchical))
        {
            foreach (var folder in Directory.EnumerateDirectories(hierarchical))
            {
                if (!NuGetVersion.TryParse(Path.GetFileName(folder), out var version)) continue;
                var file = Path.Combine(folder, $"{lower}.{version.ToNormalizedString().ToLowerInvariant()}.nupkg");
                if (File.Exists(file)) packages.TryAdd(version, file);
            }
        }
        foreach (var file in Directory.EnumerateFiles(Root, "*.nupkg").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file);
            if (!name.StartsWith(id + ".", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".symbols.nupkg", StringComparison.OrdinalIgnoreCase)) continue;
            try
            {
                using var reader = new PackageArchiveReader(file);
                var identity = reader.GetIdentity();
                if (identity.Id.Equals(id, StringComparison.OrdinalIgnoreCase)) packages.TryAdd(identity.Version, file);
            }
            catch (Exception e) when (e is InvalidDataException or PackagingException or XmlException or IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                // Only the file name says which version it meant to be (Hub.Json.13.0.0.nupkg), when it says one.
                var rest = name[(id.Length + 1)..^".nupkg".Length];
                unreadable.Add(new UnreadablePackage(file, NuGetVersion.TryParse(rest, out var meant) ? meant : null, Innermost(e)));
            }
        }
        return (packages, unreadable);
    }

    private static string Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e.Message.TrimEnd('.');
    }
}

/// <summary>A .nupkg in a folder feed that could not be read, the version its name claims (if it names one), and why.</summary>
internal sealed record UnreadablePackage(string File, NuGetVersion? Version, string Problem)
{
    public override string ToString() => $"{File} is not a readable .nupkg ({Problem})";
}
