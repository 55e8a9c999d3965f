using System.Diagnostics;
using System.Runtime.InteropServices;
using HubHost.Storage;
using HubHost.Loading;
using HubHost.Building;
using Microsoft.Extensions.Logging;
using NuGet.Frameworks;
using NuGet.Packaging;
using NuGet.Packaging.Core;
using NuGet.Versioning;

namespace HubHost.Sources.NuGet;

/// <summary>
/// The build step of a <c>nuget:</c> repo, with no <c>dotnet build</c>: turns an installed hub package (see
/// <see cref="NuGetRepoSource"/>) into a loadable folder,
/// <c>&lt;hub&gt;/builds/nuget-&lt;id&gt;-&lt;version&gt;-&lt;rid&gt;</c> holds <c>out/</c> (the package's lib/ assemblies and
/// those of its dependency closure, picked for the host's framework with NuGet's FrameworkReducer, and the
/// runtimes/&lt;rid&gt;/ assets for the host's platform), <c>src/</c> (the files the repo ships) and build.json, like a
/// build. The closure is NuGet's: each dependency at the lowest version its range allows, the highest where two
/// ranges meet; the packages the host provides (TorchSharp and its backends, HubHost.Contract) are never taken
/// from a feed. The folder is written under a temp name and renamed into place.
/// </summary>
internal static class PackageLayout
{
    /// <summary>The host's target framework (net10.0 on .NET 10).</summary>
    public static NuGetFramework HostFramework => HostFrameworkLazy.Value;

    // Lazy: a warm load (TryOpen) must not pay for NuGet.Frameworks.
    private static readonly Lazy<NuGetFramework> HostFrameworkLazy = new(() => NuGetFramework.Parse($"net{Environment.Version.Major}.{Environment.Version.Minor}"));

    private static readonly string Rid = RuntimeInformation.RuntimeIdentifier;

    /// <summary>The RIDs whose runtimes/ assets fit this host, nearest first (linux-x64, linux, unix, any).</summary>
    internal static IReadOnlyList<string> RidChain { get; } = BuildRidChain(Rid);

    private static List<string> BuildRidChain(string rid)
    {
        var chain = new List<string>();
        for (var r = rid; r.Length > 0; r = r.Contains('-') ? r[..r.LastIndexOf('-')] : "")
            chain.Add(r);
        if (!OperatingSystem.IsWindows()) chain.Add("unix");
        chain.Add("any");
        return chain;
    }

    /// <summary>The folder name of a package version's layout.</summary>
    public static string Key(string id, NuGetVersion version) => $"nuget-{id.ToLowerInvariant()}-{version.ToNormalizedString().ToLowerInvariant()}-{Rid}";

    /// <summary>An existing layout, or null.</summary>
    public static RepoBuild? TryOpen(string hubDirectory, string id, NuGetVersion version)
    {
        var folder = Path.Combine(HubDirectories.Builds(hubDirectory), Key(id, version));
        var record = BuildRecord.TryRead(folder);
        if (record is null) return null;
        var assembly = Path.Combine(folder, "out", record.Assembly);
        return File.Exists(assembly) ? new RepoBuild(folder, assembly, record) : null;
    }

    public static async Task<RepoBuild> EnsureAsync(string hubDirectory, NuGetPackageRef package, ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        var (id, version) = (package.Id, package.Version);
        if (TryOpen(hubDirectory, id, version) is { } ready) return ready;
        var displayName = $"{NuGetRepoSource.Prefix}{id}@{version.ToNormalizedString()}";
        var store = new HubPackageStore(hubDirectory, logger);
        using var feeds = new LazyFeeds(package, logger, time);
        var key = Key(id, version);
        var builds = HubDirectories.Builds(hubDirectory);
        using var gate = await FileLock.AcquireAsync(HubLocks.Build(hubDirectory, key), $"laying out {displayName}",
            TimeSpan.FromMinutes(10), cancellationToken).ConfigureAwait(false);
        if (TryOpen(hubDirectory, id, version) is { } meanwhile) return meanwhile;

        var watch = Stopwatch.StartNew();
        // The source installed the package itself when it resolved it; only its dependencies may still be missing.
        var root = store.Installed(id, version)
                   ?? throw new HubException($"{displayName} is no longer in the hub's package folder {store.Root}; load it again.");
        var manifest = HubPackageManifest.Read(root, id, version);
        CheckContracts(displayName, manifest);

        var closure = await ResolveClosureAsync(store, feeds, id, version, root, cancellationToken).ConfigureAwait(false);

        var final = Path.Combine(builds, key);
        var temp = TempFolders.For(builds, key);
        try
        {
            var output = Path.Combine(temp, "out");
            Directory.CreateDirectory(output);
            // Dependencies first, the package's own assemblies last: its files win a name clash.
            foreach (var (depId, depVersion, folder) in closure)
                CopyAssets(folder, output, depId, depVersion, logger);
            // HubPackageManifest.Read refused names that leave lib/<tfm>/; a link inside the package could still point out of it.
            var libFolder = Path.Combine(root, "lib", manifest.TargetFramework);
            var assembly = Path.Combine(libFolder, manifest.Assembly);
            if (!File.Exists(assembly) || !FileNames.IsInside(root, assembly))
                throw new HubException($"{displayName} is damaged: its manifest names lib/{manifest.TargetFramework}/{manifest.Assembly}, which the package does not have. Pack it again.");
            foreach (var file in Directory.EnumerateFiles(libFolder))
                File.Copy(file, Path.Combine(output, Path.GetFileName(file)), overwrite: true);
            CopyRepoFiles(Path.Combine(root, HubPackageManifest.RepoFolder), Path.Combine(temp, "src"));

            // What the layout is made of (a lock records and checks it): each dependency's version and SHA-512.
            BuildPackages.WriteLayoutRecord(temp, closure.Select(c => new RestoredPackage(c.Id, c.Version.ToNormalizedString(), InstalledHash(c.Folder))));
            var record = new BuildRecord(displayName, version.ToNormalizedString(), ContentKey.Package(id, version.ToNormalizedString()).ToString(), ContractPackages.Fingerprint,
                manifest.Assembly, DateTimeOffset.UtcNow, Math.Round(watch.Elapsed.TotalSeconds, 2));
            record.Write(temp);
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true); // no build.json: not finished
            Directory.Move(temp, final);
            logger.LogInformation("Laid out {Repo} with {Count} dependencies in {Seconds:0.00} s (no build)", displayName, closure.Count, watch.Elapsed.TotalSeconds);
        }
        finally
        {
            FileTree.TryDelete(temp, logger, "the temp folder");
        }
        return TryOpen(hubDirectory, id, version) ?? throw new HubException($"The layout of {displayName} vanished from {final} right after it was written.");
    }

    /// <summary>The SHA-512 (base64) of an installed package, from the <c>.nupkg.sha512</c> the hub wrote when it checked it.</summary>
    public static string InstalledHash(string packageFolder)
        => Directory.EnumerateFiles(packageFolder, "*.nupkg.sha512").Select(f => File.ReadAllText(f).Trim()).FirstOrDefault() ?? "";

    /// <summary>Refuses, before anything else is downloaded, a package built against a higher contract version than the host has.</summary>
    public static void CheckContracts(string displayName, HubPackageManifest manifest)
    {
        foreach (var (name, text) in manifest.Contracts)
        {
            if (SharedAssemblies.ByName.TryGetValue(name, out var host) && host.GetName().Version is { } hostVersion
                && Version.TryParse(text, out var wanted) && wanted > hostVersion)
                throw new HubException(ContractVersions.SkewMessage($"{displayName} ({manifest.Assembly})", name, wanted, hostVersion));
        }
    }

    /// <summary>The dependency closure of an installed package (without the packages the host provides), each installed.</summary>
    private static async Task<List<(string Id, NuGetVersion Version, string Folder)>> ResolveClosureAsync(HubPackageStore store, LazyFeeds feeds,
        string id, NuGetVersion version, string rootFolder, CancellationToken cancellationToken)
    {
        var chosen = new Dictionary<string, (NuGetVersion Version, string Folder)>(StringComparer.OrdinalIgnoreCase);
        var pending = new Queue<(string Parent, PackageDependency Dependency)>();
        void Enqueue(string parent, string folder)
        {
            foreach (var dependency in Dependencies(folder)) pending.Enqueue((parent, dependency));
        }
        Enqueue($"{id} {version}", rootFolder);
        while (pending.TryDequeue(out var item))
        {
            var (parent, dependency) = item;
            if (SharedAssemblies.IsHostProvidedPackage(dependency.Id) || dependency.Id.Equals(id, StringComparison.OrdinalIgnoreCase)) continue;
            var best = await ChooseAsync(store, feeds, dependency, cancellationToken).ConfigureAwait(false)
                       ?? throw new HubException($"{parent} depends on {dependency.Id} {dependency.VersionRange.PrettyPrint()}, which " +
                                                 (feeds.Offline ? $"is not in the hub's package folder ({Sources.Git.GitCli.OfflineNote})." : $"no NuGet feed has ({string.Join(", ", feeds.Get()!.SourceNames)})."));
            if (chosen.TryGetValue(dependency.Id, out var current) && current.Version >= best) continue;
            var folder = store.Installed(dependency.Id, best) ?? await store.EnsureInstalledAsync(feeds.Get(), dependency.Id, best, cancellationToken).ConfigureAwait(false)
                         ?? throw new HubException($"{dependency.Id} {best} (a dependency of {parent}) could not be downloaded from the feeds.");
            chosen[dependency.Id] = (best, folder);
            Enqueue($"{dependency.Id} {best}", folder);
        }
        return chosen.Select(c => (c.Key, c.Value.Version, c.Value.Folder)).OrderBy(c => c.Key, StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>
    /// NuGet's rule for a dependency: the lowest version its range allows. When that is the range's own minimum and is
    /// installed already, it is taken without asking a feed (it is exactly what the feed would give).
    /// </summary>
    private static async Task<NuGetVersion?> ChooseAsync(HubPackageStore store, LazyFeeds feeds, PackageDependency dependency, CancellationToken cancellationToken)
    {
        var range = dependency.VersionRange;
        if (range.HasLowerBound && range.IsMinInclusive && !range.IsFloating && store.Installed(dependency.Id, range.MinVersion!) is not null)
            return range.MinVersion;
        var versions = feeds.Get() is { } online ? await online.VersionsAsync(dependency.Id, cancellationToken).ConfigureAwait(false) : store.InstalledVersions(dependency.Id);
        return range.FindBestMatch(versions);
    }

    private static IEnumerable<PackageDependency> Dependencies(string packageFolder)
    {
        var groups = new PackageFolderReader(packageFolder).GetPackageDependencies().ToList();
        var nearest = NuGetFrameworkUtility.GetNearest(groups, HostFramework, g => g.TargetFramework);
        return nearest?.Packages ?? [];
    }

    /// <summary>Copies a dependency's runtime assets for this host: lib/&lt;nearest tfm&gt;, overridden by runtimes/&lt;rid&gt;/lib, and runtimes/&lt;rid&gt;/native.</summary>
    private static void CopyAssets(string packageFolder, string output, string id, NuGetVersion version, ILogger logger)
    {
        var reader = new PackageFolderReader(packageFolder);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        void Take(IEnumerable<string> items)
        {
            foreach (var item in items)
            {
                var name = Path.GetFileName(item);
                if (name == "_._" || !(name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))) continue;
                files[name] = item;
            }
        }
        var reducer = new FrameworkReducer();
        var lib = reader.GetLibItems().ToList();
        var libFramework = reducer.GetNearest(HostFramework, lib.Select(g => g.TargetFramework));
        if (libFramework is not null) Take(lib.Where(g => g.TargetFramework.Equals(libFramework)).SelectMany(g => g.Items));

        var runtimeFiles = reader.GetFiles("runtimes").Select(f => f.Replace('\\', '/')).ToList();
        foreach (var rid in RidChain.Reverse())
        {
            // runtimes/<rid>/lib/<tfm>/x.dll overrides lib/ for this platform (nearer RIDs later, so they win).
            var ridLib = runtimeFiles.Where(f => f.StartsWith($"runtimes/{rid}/lib/", StringComparison.OrdinalIgnoreCase) && f.Split('/').Length >= 5)
                .GroupBy(f => NuGetFramework.ParseFolder(f.Split('/')[3])).ToList();
            var nearest = reducer.GetNearest(HostFramework, ridLib.Select(g => g.Key));
            if (nearest is not null) Take(ridLib.First(g => g.Key.Equals(nearest)));
        }
        var native = RidChain.Select(rid => runtimeFiles.Where(f => f.StartsWith($"runtimes/{rid}/native/", StringComparison.OrdinalIgnoreCase)).ToList())
            .FirstOrDefault(list => list.Count > 0) ?? [];
        foreach (var item in native) files[Path.GetFileName(item)] = item;

        foreach (var (name, item) in files)
        {
            var target = Path.Combine(output, name);
            if (File.Exists(target)) logger.LogDebug("{File} of {Id} {Version} replaces a file of the same name from another package", name, id, version);
            File.Copy(Path.Combine(packageFolder, item), target, overwrite: true);
        }
    }

    private static void CopyRepoFiles(string from, string to)
    {
        Directory.CreateDirectory(to);
        if (!Directory.Exists(from)) return;
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>The feeds, read from nuget.config only when a dependency is not installed yet; none when offline.</summary>
    private sealed class LazyFeeds(NuGetPackageRef package, ILogger logger, TimeProvider time) : IDisposable
    {
        private NuGetFeeds? _feeds;

        public bool Offline => package.Offline;

        public NuGetFeeds? Get() => package.Offline ? null : _feeds ??= NuGetFeeds.Load(package.ConfigFile, package.Timeout, logger, time);

        public void Dispose() => _feeds?.Dispose();
    }
}
