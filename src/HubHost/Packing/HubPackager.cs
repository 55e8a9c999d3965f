using HubHost.Entrypoints;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Text.RegularExpressions;
using HubHost.Building;
using HubHost.Storage;
using HubHost.Loading;
using HubHost.Sources;
using HubHost.Sources.NuGet;
using NuGet.Frameworks;
using NuGet.Packaging;
using NuGet.Packaging.Core;
using NuGet.Versioning;

namespace HubHost.Packing;

/// <summary>What <see cref="HubClient.PackAsync"/> (<c>hubhost pack</c>) wrote.</summary>
public sealed record PackResult
{
    internal PackResult(string Path, string Id, string Version, long Bytes, string Repo, string? Commit, IReadOnlyList<string> Entrypoints, IReadOnlyDictionary<string, string> Contracts, IReadOnlyList<string> Dependencies, IReadOnlyList<string> Files)
    {
        this.Path = Path;
        this.Id = Id;
        this.Version = Version;
        this.Bytes = Bytes;
        this.Repo = Repo;
        this.Commit = Commit;
        this.Entrypoints = Entrypoints;
        this.Contracts = Contracts;
        this.Dependencies = Dependencies;
        this.Files = Files;
    }

    /// <summary>The .nupkg.</summary>
    public string Path { get; init; }

    /// <summary>The package id.</summary>
    public string Id { get; init; }

    /// <summary>The package version (normalized).</summary>
    public string Version { get; init; }

    /// <summary>The .nupkg's size.</summary>
    public long Bytes { get; init; }

    /// <summary>The repo packed, as named.</summary>
    public string Repo { get; init; }

    /// <summary>The full commit of a git repo; null for a local folder.</summary>
    public string? Commit { get; init; }

    /// <summary>The entrypoints' names.</summary>
    public IReadOnlyList<string> Entrypoints { get; init; }

    /// <summary>The contract assemblies it was built against (name and version), which the loading host provides.</summary>
    public IReadOnlyDictionary<string, string> Contracts { get; init; }

    /// <summary>The package dependencies declared (id and range), never the packages the host provides.</summary>
    public IReadOnlyList<string> Dependencies { get; init; }

    /// <summary>The package's files besides the nuspec.</summary>
    public IReadOnlyList<string> Files { get; init; }
}

/// <summary>
/// <c>hubhost pack</c>: builds a repo as a load would (same build, same cache) and writes a NuGet package of the built
/// hub repo — lib/&lt;tfm&gt;/ with the repo's own assemblies (its hubconf assembly and projects it references, with
/// their XML docs and pdbs), hub/repo/ with the files the repo ships (weights, data), and hubhost.json (the
/// <see cref="HubPackageManifest"/>). The repo's NuGet dependencies are package dependencies at the versions the build
/// resolved (as minimum versions), not bundled; the packages the host provides (TorchSharp, HubHost.Contract) are not
/// dependencies at all.
/// </summary>
internal static partial class HubPackager
{
    /// <summary>Refuses an id or version given that NuGet would refuse (before anything is resolved or built).</summary>
    public static void CheckName(string? id, string? version)
    {
        if (id is not null) CheckId(id);
        ParseVersion(version);
    }

    /// <summary>The package id and version: as given, else derived from the source (checked before anything is built).</summary>
    public static (string Id, NuGetVersion Version) Name(RepoSource source, RepoSnapshot snapshot, string? id, string? version)
    {
        var packageId = id ?? DeriveId(source, snapshot);
        CheckId(packageId);
        return (packageId, ParseVersion(version) ?? DeriveVersion(source, snapshot));
    }

    private static void CheckId(string packageId)
    {
        if (packageId.Length > PackageIdValidator.MaxPackageIdLength)
            throw new HubException($"The package id '{packageId[..20]}…' is {packageId.Length} characters long; a NuGet package id has at most {PackageIdValidator.MaxPackageIdLength} characters. Give a shorter one with --id.");
        if (!PackageIdValidator.IsValidPackageId(packageId))
            throw new HubException($"'{packageId}' is not a valid NuGet package id (letters, digits, '.', '-', '_'). Give one with --id.");
    }

    /// <summary>Writes the package of a built version, whose entrypoints are <paramref name="entrypointInfos"/>.</summary>
    public static PackResult Write(RepoSource source, RepoSnapshot snapshot, RepoBuild build, IReadOnlyList<EntrypointInfo> entrypointInfos,
        string packageId, NuGetVersion packageVersion, string outputDirectory)
    {
        var entrypoints = entrypointInfos.Select(e => new HubPackageEntrypoint(e.Name, e.Signature, e.Summary)).ToList();

        var output = Path.GetDirectoryName(build.MainAssemblyPath)!;
        var deps = DepsJson.Read(Path.ChangeExtension(build.MainAssemblyPath, ".deps.json"), snapshot.DisplayName);
        var framework = deps.Framework.GetShortFolderName();
        var builder = new PackageBuilder
        {
            Id = packageId,
            Version = packageVersion,
            Description = $"The hub repo {snapshot.DisplayName} ({snapshot.Version}), built and packed by HubHost. Load it with nuget:{packageId}@{packageVersion.ToNormalizedString()}.",
            Tags = { "hubhost", "hub-repo" },
        };
        builder.Authors.Add("HubHost pack");
        var origin = source.Repository(snapshot);
        var commit = origin?.Commit;
        if (origin is { } git) builder.Repository = new RepositoryMetadata("git", git.Url, git.Ref ?? "", git.Commit);

        var dependencies = deps.PackageDependencies
            .Where(d => !SharedAssemblies.IsHostProvidedPackage(d.Id))
            .Select(d => new PackageDependency(d.Id, new VersionRange(NuGetVersion.Parse(d.Version))))
            .OrderBy(d => d.Id, StringComparer.OrdinalIgnoreCase).ToList();
        builder.DependencyGroups.Add(new PackageDependencyGroup(deps.Framework, dependencies));

        var files = new List<string>();
        void Add(string sourcePath, string target)
        {
            builder.Files.Add(new PhysicalPackageFile { SourcePath = sourcePath, TargetPath = target });
            files.Add(target);
        }
        foreach (var own in deps.OwnAssemblies)
        {
            var path = Path.Combine(output, own);
            if (!File.Exists(path)) continue;
            Add(path, $"lib/{framework}/{own}");
            foreach (var extra in new[] { ".xml", ".pdb" })
                if (File.Exists(Path.ChangeExtension(path, extra))) Add(Path.ChangeExtension(path, extra), $"lib/{framework}/{Path.ChangeExtension(own, extra)}");
        }
        foreach (var (relative, info) in FileTree.EnumerateContent(build.SourceDirectory))
            Add(info.FullName, $"{HubPackageManifest.RepoFolder}/{relative}");

        var manifest = new HubPackageManifest
        {
            Id = packageId,
            Version = packageVersion.ToNormalizedString(),
            Repo = snapshot.DisplayName,
            Source = origin?.Url ?? snapshot.Directory,
            Ref = origin?.Ref,
            Commit = commit,
            ContentKey = snapshot.ContentKey.ToString(),
            Assembly = Path.GetFileName(build.MainAssemblyPath),
            TargetFramework = framework,
            Contracts = BuildPackages.ContractReferences(build.MainAssemblyPath),
            Entrypoints = entrypoints,
            PackedBy = ContractPackages.PackageVersion(typeof(HubPackager).Assembly),
        };
        var manifestFile = Path.Combine(Path.GetTempPath(), $"hubhost-manifest-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllBytes(manifestFile, manifest.ToJson());
            Add(manifestFile, HubPackageManifest.FileName);
            Directory.CreateDirectory(outputDirectory);
            var target = Path.Combine(Path.GetFullPath(outputDirectory), $"{packageId}.{packageVersion.ToNormalizedString()}.nupkg");
            using (var memory = new MemoryStream())
            {
                builder.Save(memory);
                FixEntryTimes(memory);
                AtomicFile.WriteAllBytes(target, memory.ToArray());
            }
            return new PackResult(target, packageId, packageVersion.ToNormalizedString(), new FileInfo(target).Length, manifest.Repo, manifest.Commit,
                manifest.Entrypoints.Select(e => e.Name).ToList(), manifest.Contracts, dependencies.Select(d => $"{d.Id} {d.VersionRange.ToNormalizedString()}").ToList(), files);
        }
        finally
        {
            File.Delete(manifestFile);
        }
    }

    /// <summary>The zip format's first day: the time of every entry of a packed package.</summary>
    private static readonly DateTimeOffset ZipEpoch = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Dates every entry <see cref="ZipEpoch"/>, so the same content at the same version packs to the same bytes (the
    /// manifest holds no pack time, the files go in a fixed order, the OPC part names are fixed) and a CI job that packs
    /// and pushes again never trips a hub's replaced-package check. NuGet's PackageBuilder dates entries with the pack
    /// time, and its own <c>deterministic</c> switch is turned off inside it (NuGet/Home#8601).
    /// </summary>
    private static void FixEntryTimes(MemoryStream package)
    {
        using var zip = new System.IO.Compression.ZipArchive(package, System.IO.Compression.ZipArchiveMode.Update, leaveOpen: true);
        foreach (var entry in zip.Entries) entry.LastWriteTime = ZipEpoch;
    }

    private static NuGetVersion? ParseVersion(string? text)
    {
        if (text is null) return null;
        return NuGetVersion.TryParse(text, out var v) ? v
            : throw new HubException($"--version '{text}' is not a NuGet version (e.g. 1.2.0 or 1.2.0-beta.1).");
    }

    /// <summary>owner/name → owner.name; a git URL → its last two path segments; a folder → its name.</summary>
    internal static string DeriveId(RepoSource source, RepoSnapshot snapshot)
    {
        var id = InvalidIdCharacters().Replace(source.PackageIdHint(snapshot), "-").Trim('.', '-', '_');
        return id.Length == 0 ? "hub-repo" : id;
    }

    /// <summary>A tag that is a version (v1.2.0), else the project's literal Version, else 0.0.0-git.g&lt;sha&gt; / 0.0.0-local.h&lt;hash&gt; (prerelease: not a release).</summary>
    internal static NuGetVersion DeriveVersion(RepoSource source, RepoSnapshot snapshot)
    {
        if (source.ReleaseRef is { } reference && VersionTag().Match(reference) is { Success: true } tag
            && NuGetVersion.TryParse(tag.Groups[1].Value, out var tagged))
            return tagged;
        try
        {
            var declared = System.Xml.Linq.XDocument.Load(Path.Combine(snapshot.Directory, HubRepoLayout.ProjectFileName)).Descendants()
                .FirstOrDefault(e => e.Name.LocalName is "PackageVersion" or "Version")?.Value.Trim();
            if (declared is not null && !declared.Contains("$(", StringComparison.Ordinal) && NuGetVersion.TryParse(declared, out var v)) return v;
        }
        catch (System.Xml.XmlException)
        {
            // the build accepted the project; fall through to the content version
        }
        var hash = snapshot.ContentKey.Value;
        return NuGetVersion.Parse(snapshot.ContentKey.Kind == ContentKind.Git ? $"0.0.0-git.g{hash[..12]}" : $"0.0.0-local.h{hash[..12]}");
    }

    [GeneratedRegex(@"[^A-Za-z0-9._-]")]
    private static partial Regex InvalidIdCharacters();

    [GeneratedRegex(@"^(?:.*/)?v?(\d+(?:\.\d+){1,3}(?:-[0-9A-Za-z.-]+)?)$")]
    private static partial Regex VersionTag();
}

/// <summary>What pack needs from a build's deps.json: the framework, the repo's own assemblies, and its direct package dependencies.</summary>
internal sealed record DepsJson(NuGetFramework Framework, IReadOnlyList<string> OwnAssemblies, IReadOnlyList<(string Id, string Version)> PackageDependencies)
{
    public static DepsJson Read(string path, string repo)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            var targetName = root.GetProperty("runtimeTarget").GetProperty("name").GetString()!;
            var framework = NuGetFramework.Parse(targetName.Split('/')[0]);
            var libraries = root.GetProperty("libraries").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetProperty("type").GetString(), StringComparer.OrdinalIgnoreCase);
            var own = new List<string>();
            var dependencies = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var entry in root.GetProperty("targets").GetProperty(targetName).EnumerateObject())
            {
                if (libraries.GetValueOrDefault(entry.Name) != "project") continue;
                if (entry.Value.TryGetProperty("runtime", out var runtime))
                    own.AddRange(runtime.EnumerateObject().Select(f => Path.GetFileName(f.Name)));
                if (!entry.Value.TryGetProperty("dependencies", out var deps)) continue;
                foreach (var dep in deps.EnumerateObject())
                {
                    var key = $"{dep.Name}/{dep.Value.GetString()}";
                    if (libraries.GetValueOrDefault(key) == "package") dependencies[dep.Name] = dep.Value.GetString()!;
                }
            }
            return new DepsJson(framework, own.Distinct(StringComparer.OrdinalIgnoreCase).ToList(), dependencies.Select(d => (d.Key, d.Value)).ToList());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IOException)
        {
            throw new HubException($"The build of {repo} has no readable {Path.GetFileName(path)} ({e.Message}); pack needs it to know the repo's own assemblies and dependencies.", e);
        }
    }
}
