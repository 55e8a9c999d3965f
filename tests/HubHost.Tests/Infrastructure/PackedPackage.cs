using System.IO.Compression;
using System.Xml.Linq;

namespace HubHost.Tests.Infrastructure;

/// <summary>
/// A project of this repository packed with <c>dotnet pack --no-build</c> from the build these tests run on
/// (bin/&lt;Configuration&gt;/, so packing costs no build), and what its .nupkg holds.
/// </summary>
internal sealed class PackedPackage
{
    private PackedPackage(string folder, List<string> entries, XDocument nuspec)
    {
        Folder = folder;
        Entries = entries;
        Nuspec = nuspec;
    }

    /// <summary>The folder the pack wrote to (the .nupkg, and a .snupkg when the project makes one).</summary>
    public string Folder { get; }

    /// <summary>The paths inside the .nupkg.</summary>
    public IReadOnlyList<string> Entries { get; }

    /// <summary>The package's .nuspec.</summary>
    public XDocument Nuspec { get; }

    /// <summary>The declared dependencies: id → version range.</summary>
    public Dictionary<string, string> Dependencies
        => Nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").ToDictionary(e => (string)e.Attribute("id")!, e => (string)e.Attribute("version")!);

    /// <summary>The nuspec's one element named <paramref name="localName"/>.</summary>
    public XElement Element(string localName) => Nuspec.Descendants().Single(e => e.Name.LocalName == localName);

    /// <summary>Packs <c>src/&lt;project&gt;</c> into <paramref name="folder"/> and reads its package <c>&lt;project&gt;.&lt;version&gt;.nupkg</c>.</summary>
    public static async Task<PackedPackage> PackAsync(string project, string folder)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        await Dotnet.RunAsync(RepoPaths.Root, "pack", Path.Combine(RepoPaths.Root, "src", project), "-c", configuration, "--no-build", "-o", folder);
        var package = Directory.GetFiles(folder, project + ".*.nupkg")
            .Single(f => !f.EndsWith(".snupkg", StringComparison.Ordinal) && char.IsDigit(Path.GetFileName(f)[project.Length + 1]));
        using var zip = ZipFile.OpenRead(package);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        using var nuspecStream = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return new PackedPackage(folder, entries, XDocument.Load(nuspecStream));
    }
}
