using HubHost.Building;
using HubHost.Sources;
using HubHost.Sources.Git;
using HubHost.Sources.NuGet;

namespace HubHost.Caching;

/// <summary>
/// What the hub directory holds and how to clean it (<c>hubhost cache ls|rm|prune</c>): git mirrors, the
/// ref-to-commit records, commit checkouts, and builds. Removal never touches something another process is
/// working on: each mirror is changed under its lock, temp folders only when their owner's lock is free.
/// </summary>
internal sealed class HubCache(string hubDirectory)
{
    private static readonly TimeSpan BusyWait = TimeSpan.FromSeconds(2);

    public string HubDirectory { get; } = hubDirectory;

    /// <summary>Everything cached: repos with their refs, and every build.</summary>
    public CacheListing List()
    {
        var builds = ReadBuilds();
        var repos = new List<CachedRepo>();
        foreach (var mirrorName in MirrorNames())
        {
            var mirror = Path.Combine(HubDirectories.GitMirrors(HubDirectory), mirrorName);
            var info = GitMirrorInfo.TryRead(mirror);
            var records = ReadRecords(mirrorName);
            var url = info?.Url ?? records.FirstOrDefault()?.Url ?? "(unknown)";
            var refs = records.Select(r => new CachedRef(r.Ref, r.Commit, r.ResolvedAt,
                Directory.Exists(Path.Combine(HubDirectories.GitCheckouts(HubDirectory), r.Commit)),
                builds.Where(b => b.ContentKey == "git-" + r.Commit).Select(b => b.Name).ToList())).OrderBy(r => r.Ref, StringComparer.Ordinal).ToList();
            repos.Add(new CachedRepo(info?.Name ?? url, url, mirrorName, Directory.Exists(mirror), SizeOf(mirror), refs));
        }
        var checkouts = Subfolders(HubDirectories.GitCheckouts(HubDirectory)).Where(n => !IsTemp(n))
            .Select(n => new CachedCheckout(n, SizeOf(Path.Combine(HubDirectories.GitCheckouts(HubDirectory), n)))).ToList();
        var temps = TempEntries().Select(t => t.Path).ToList();
        var total = SizeOf(HubDirectory);
        return new CacheListing(HubDirectory, repos, checkouts, builds, temps, total, ReadPackages(builds));
    }

    /// <summary>
    /// Removes a repo (all its refs, its mirror, and the checkouts and builds no other ref uses) or one ref
    /// (<c>REPO:REF</c>; its checkout and builds go when no other ref points to the same commit). For a local
    /// folder, removes its builds.
    /// </summary>
    public async Task<RemovalReport> RemoveAsync(string repo, CancellationToken cancellationToken)
    {
        var report = new RemovalReport();
        var source = RepoSource.Parse(repo);
        if (source is LocalDirectorySource local)
        {
            var full = Path.GetFullPath(local.Path);
            foreach (var build in ReadBuilds().Where(b => b.Repo == full)) RemoveBuild(build, report);
            if (report.Removed.Count == 0) throw new HubException($"Nothing is cached for the local repo {full}. `hubhost cache ls` shows what is.");
            return report;
        }

        if (source is NuGetRepoSource package) return await RemovePackageAsync(package, report, cancellationToken).ConfigureAwait(false);

        var remote = ((GitRepoSource)source).Remote;
        var lockPath = GitRepoCache.LockPath(HubDirectory, remote.MirrorName);
        using (await FileLock.AcquireAsync(lockPath, $"using {remote.RepoName}", TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false))
        {
            var refsFolder = Path.Combine(HubDirectories.GitRefs(HubDirectory), remote.MirrorName);
            var mirror = Path.Combine(HubDirectories.GitMirrors(HubDirectory), remote.MirrorName);
            var records = ReadRecords(remote.MirrorName);
            List<GitRefRecord> removed;
            if (remote.Ref is not null)
            {
                var path = Path.Combine(refsFolder, remote.RecordFileName);
                var record = GitRefRecord.TryRead(path);
                if (record is null)
                    throw new HubException($"{remote.RefLabel} of {remote.RepoName} is not cached. Cached refs: " +
                                           (records.Count == 0 ? "none" : string.Join(", ", records.Select(r => r.Ref))) + ".");
                File.Delete(path);
                report.Removed.Add($"ref {RefText(remote, record.Ref)} -> {record.Commit[..12]}");
                removed = [record];
            }
            else
            {
                if (!Directory.Exists(mirror) && records.Count == 0)
                    throw new HubException($"{remote.RepoName} is not cached. `hubhost cache ls` shows what is.");
                report.Bytes += SizeOf(mirror);
                Delete(mirror);
                Delete(refsFolder);
                report.Removed.Add($"mirror {remote.RepoName} ({remote.MirrorName})");
                report.Removed.AddRange(records.Select(r => $"ref {RefText(remote, r.Ref)} -> {r.Commit[..12]}"));
                removed = records;
            }
            var stillUsed = AllRecords().Select(r => r.Commit).ToHashSet(StringComparer.Ordinal);
            foreach (var commit in removed.Select(r => r.Commit).Distinct().Where(c => !stillUsed.Contains(c)))
            {
                RemoveCheckout(commit, report);
                foreach (var build in ReadBuilds().Where(b => b.ContentKey == "git-" + commit)) RemoveBuild(build, report);
            }
        }
        return report;
    }

    /// <summary>
    /// <c>cache rm nuget:Id[@version]</c>: the package's versions in the hub's package folder (or that one), their
    /// load folders and what its ranges resolved to. Its dependencies stay (other packages may use them; the same
    /// bytes are reinstalled from the feed when needed), and so do the recorded hashes: a version's bytes never change.
    /// </summary>
    private async Task<RemovalReport> RemovePackageAsync(NuGetRepoSource package, RemovalReport report, CancellationToken cancellationToken)
    {
        if (package.Range is not null)
            throw new HubException($"cache rm takes nuget:{package.Id} (every version) or nuget:{package.Id}@VERSION, not a range.");
        var id = package.Id.ToLowerInvariant();
        var versions = package.Exact is { } exact ? [exact.ToNormalizedString().ToLowerInvariant()]
            : Subfolders(Path.Combine(HubDirectories.NuGetPackages(HubDirectory), id)).Where(n => !IsTemp(n)).ToList();
        foreach (var version in versions)
        {
            using (await FileLock.AcquireAsync(Path.Combine(HubDirectories.Locks(HubDirectory), $"nuget-{id}-{version}.lock"), $"removing {package.Id} {version}",
                       TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false))
            {
                var folder = Path.Combine(HubDirectories.NuGetPackages(HubDirectory), id, version);
                if (!Directory.Exists(folder)) continue;
                report.Bytes += SizeOf(folder);
                // Rename first: a half-deleted package must not look installed.
                var doomed = Path.Combine(HubDirectories.NuGetPackages(HubDirectory), $"{GitRepoCache.TempPrefix}rm-{Guid.NewGuid():N}");
                Directory.Move(folder, doomed);
                Delete(doomed);
                report.Removed.Add($"package {package.Id} {version}");
            }
        }
        foreach (var build in ReadBuilds().Where(b => b.ContentKey.StartsWith($"nuget-{id}@", StringComparison.Ordinal)
                                                      && (package.Exact is null || b.ContentKey == NuGetRepoSource.ContentKey(package.Id, package.Exact))))
            RemoveBuild(build, report);
        var resolved = Path.Combine(HubDirectories.NuGetResolved(HubDirectory), id);
        if (Directory.Exists(resolved))
        {
            foreach (var record in Directory.EnumerateFiles(resolved, "*.json"))
            {
                if (package.Exact is not null && CacheJson.ReadFlatObject(record)?.GetValueOrDefault("version")?.ToLowerInvariant() != versions[0]) continue;
                File.Delete(record);
                report.Removed.Add($"resolution {Path.GetFileNameWithoutExtension(record)} of nuget:{package.Id}");
            }
        }
        if (report.Removed.Count == 0)
            throw new HubException($"Nothing is cached for {package.Text}. `hubhost cache ls` shows what is.");
        return report;
    }

    /// <summary>
    /// Removes what nothing points to: builds of commits no ref records, builds of local folders that are gone
    /// or have changed since, checkouts no ref records, mirrors without refs, and temp folders left by killed
    /// processes (only when the lock of whoever would own them is free).
    /// </summary>
    public async Task<RemovalReport> PruneAsync(CancellationToken cancellationToken)
    {
        var report = new RemovalReport();
        // Hold every mirror's lock while deciding what is unreferenced: a process that is resolving writes its
        // record and checkout under that lock, so nothing it is about to use is taken for garbage.
        var held = new List<FileLock>();
        try
        {
            var busy = new List<string>();
            foreach (var name in MirrorNames().Concat(Subfolders(HubDirectories.GitRefs(HubDirectory))).Distinct())
            {
                var gate = await TryLockAsync(GitRepoCache.LockPath(HubDirectory, name), cancellationToken).ConfigureAwait(false);
                if (gate is null) busy.Add(name);
                else held.Add(gate);
            }
            if (busy.Count > 0)
            {
                report.Skipped.Add($"git mirrors in use by another process ({string.Join(", ", busy)}): their checkouts and mirrors were left alone");
            }

            var records = AllRecords().ToList();
            var referenced = records.Select(r => r.Commit).ToHashSet(StringComparer.Ordinal);
            foreach (var name in MirrorNames().Where(n => !busy.Contains(n)))
            {
                if (ReadRecords(name).Count > 0) continue;
                var mirror = Path.Combine(HubDirectories.GitMirrors(HubDirectory), name);
                report.Bytes += SizeOf(mirror);
                Delete(mirror);
                report.Removed.Add($"mirror {name} (no ref points to it)");
            }
            if (busy.Count == 0)
            {
                foreach (var commit in Subfolders(HubDirectories.GitCheckouts(HubDirectory)).Where(n => !IsTemp(n) && !referenced.Contains(n)))
                    RemoveCheckout(commit, report);
            }

            foreach (var build in ReadBuilds())
            {
                if (build.ContentKey.StartsWith("git-", StringComparison.Ordinal))
                {
                    // A busy mirror may be about to point a ref at this commit: leave git builds alone then.
                    if (busy.Count == 0 && !referenced.Contains(build.ContentKey[4..])) RemoveBuild(build, report, "no ref points to its commit");
                }
                else if (build.ContentKey.StartsWith("local-", StringComparison.Ordinal))
                {
                    var why = await StaleLocalBuildAsync(build, cancellationToken).ConfigureAwait(false);
                    if (why is not null) RemoveBuild(build, report, why);
                }
            }

            foreach (var (path, lockFile) in TempEntries())
            {
                if (lockFile is null && busy.Count > 0) continue; // owned by a mirror lock we could not take
                FileLock? owner = null;
                if (lockFile is not null)
                {
                    owner = await TryLockAsync(lockFile, cancellationToken).ConfigureAwait(false);
                    if (owner is null)
                    {
                        report.Skipped.Add($"{path} (in use)");
                        continue;
                    }
                }
                using (owner)
                {
                    report.Bytes += SizeOf(path);
                    Delete(path);
                    report.Removed.Add($"temp {path}");
                }
            }
        }
        finally
        {
            foreach (var gate in held) gate.Dispose();
        }
        return report;
    }

    /// <summary>A ref of a repo the way the user writes it: owner/name:REF or URL#REF.</summary>
    private static string RefText(GitRemote remote, string reference) => remote.IsOwnerForm ? $"{remote.RepoName}:{reference}" : $"{remote.Url}#{reference}";

    private async Task<string?> StaleLocalBuildAsync(CachedBuild build, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(build.Repo)) return "its folder no longer exists";
        try
        {
            var source = new LocalDirectorySource(build.Repo);
            var snapshot = await source.ResolveAsync(null!, HubLoadOptions.Default, cancellationToken).ConfigureAwait(false);
            return snapshot.ContentKey == build.ContentKey ? null : "its folder has changed since";
        }
        catch (HubException)
        {
            return "its folder is no longer a hub repo";
        }
    }

    private static async Task<FileLock?> TryLockAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await FileLock.AcquireAsync(path, "pruning", BusyWait, cancellationToken).ConfigureAwait(false);
        }
        catch (HubException)
        {
            return null;
        }
    }

    /// <summary>Temp folders and files left behind, each with the lock its owner holds while it exists (null: a mirror lock, already held).</summary>
    private IEnumerable<(string Path, string? Lock)> TempEntries()
    {
        var builds = HubDirectories.Builds(HubDirectory);
        foreach (var name in Subfolders(builds).Where(IsTemp))
        {
            // .tmp-<key>-<32 hex guid>: the builder holds build-<key>.lock while it writes it.
            var key = name.Length > 38 ? name[5..^33] : name;
            yield return (Path.Combine(builds, name), Path.Combine(HubDirectories.Locks(HubDirectory), "build-" + key + ".lock"));
        }
        foreach (var root in new[] { HubDirectories.GitMirrors(HubDirectory), HubDirectories.GitCheckouts(HubDirectory) })
        {
            if (!Directory.Exists(root)) continue;
            foreach (var entry in Directory.EnumerateFileSystemEntries(root).Where(e => IsTemp(Path.GetFileName(e))))
                yield return (entry, null);
        }
        var refs = HubDirectories.GitRefs(HubDirectory);
        if (Directory.Exists(refs))
        {
            foreach (var file in Directory.EnumerateFiles(refs, "*.tmp-*", SearchOption.AllDirectories))
                if (File.GetLastWriteTimeUtc(file) < DateTime.UtcNow.AddMinutes(-1)) yield return (file, null);
        }
    }

    private void RemoveCheckout(string commit, RemovalReport report)
    {
        var path = Path.Combine(HubDirectories.GitCheckouts(HubDirectory), commit);
        if (!Directory.Exists(path)) return;
        report.Bytes += SizeOf(path);
        Delete(path);
        report.Removed.Add($"checkout {commit[..12]}");
    }

    private void RemoveBuild(CachedBuild build, RemovalReport report, string? why = null)
    {
        var path = Path.Combine(HubDirectories.Builds(HubDirectory), build.Name);
        report.Bytes += build.Bytes;
        // Rename first: a half-deleted build must not look like a build (build.json goes with the rename).
        var doomed = Path.Combine(HubDirectories.Builds(HubDirectory), $"{GitRepoCache.TempPrefix}rm-{Guid.NewGuid():N}");
        try
        {
            Directory.Move(path, doomed);
        }
        catch (DirectoryNotFoundException)
        {
            return;
        }
        Delete(doomed);
        report.Removed.Add($"build {build.Name} ({build.Repo} {build.Version}){(why is null ? "" : ": " + why)}");
    }

    private List<CachedBuild> ReadBuilds()
    {
        var root = HubDirectories.Builds(HubDirectory);
        var result = new List<CachedBuild>();
        foreach (var name in Subfolders(root).Where(n => !IsTemp(n)))
        {
            var folder = Path.Combine(root, name);
            var record = BuildRecord.TryRead(folder);
            result.Add(record is null
                ? new CachedBuild(name, "(unfinished)", "", "", SizeOf(folder), null)
                : new CachedBuild(name, record.Repo, record.Version, record.ContentKey, SizeOf(folder), record.BuiltAt));
        }
        return result;
    }

    /// <summary>The packages in the hub's package folder: hub packages (with a manifest) and their dependencies, with the load folders made from them.</summary>
    private List<CachedPackage> ReadPackages(List<CachedBuild> builds)
    {
        var root = HubDirectories.NuGetPackages(HubDirectory);
        var result = new List<CachedPackage>();
        foreach (var id in Subfolders(root).Where(n => !IsTemp(n)))
        {
            foreach (var version in Subfolders(Path.Combine(root, id)))
            {
                var folder = Path.Combine(root, id, version);
                var isHub = File.Exists(Path.Combine(folder, HubPackageManifest.FileName));
                var layouts = builds.Where(b => b.ContentKey == $"nuget-{id}@{version}").Select(b => b.Name).ToList();
                result.Add(new CachedPackage(id, version, isHub, SizeOf(folder), layouts));
            }
        }
        return result;
    }

    private IEnumerable<string> MirrorNames() => Subfolders(HubDirectories.GitMirrors(HubDirectory)).Where(n => !IsTemp(n));

    private List<GitRefRecord> ReadRecords(string mirrorName)
    {
        var folder = Path.Combine(HubDirectories.GitRefs(HubDirectory), mirrorName);
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.json").Select(GitRefRecord.TryRead).OfType<GitRefRecord>().ToList()
            : [];
    }

    private IEnumerable<GitRefRecord> AllRecords() => Subfolders(HubDirectories.GitRefs(HubDirectory)).SelectMany(ReadRecords);

    private static bool IsTemp(string name) => name.StartsWith(GitRepoCache.TempPrefix, StringComparison.Ordinal);

    private static IEnumerable<string> Subfolders(string folder)
        => Directory.Exists(folder) ? Directory.EnumerateDirectories(folder).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal) : [];

    private static void Delete(string path)
    {
        if (File.Exists(path)) File.Delete(path);
        else if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
    }

    /// <summary>Bytes of the files below a folder (0 when missing).</summary>
    public static long SizeOf(string path)
    {
        if (File.Exists(path)) return new FileInfo(path).Length;
        if (!Directory.Exists(path)) return 0;
        long total = 0;
        foreach (var file in new DirectoryInfo(path).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            total += file.Length;
        return total;
    }
}

/// <summary>The result of <c>hubhost cache ls</c>.</summary>
internal sealed record CacheListing(string HubDirectory, IReadOnlyList<CachedRepo> Repos, IReadOnlyList<CachedCheckout> Checkouts, IReadOnlyList<CachedBuild> Builds, IReadOnlyList<string> TempFolders, long TotalBytes, IReadOnlyList<CachedPackage> Packages);

/// <summary>A package in the hub's package folder (<c>nuget:</c> sources): a hub package or a dependency, and the load folders made from it.</summary>
internal sealed record CachedPackage(string Id, string Version, bool HubPackage, long Bytes, IReadOnlyList<string> Layouts);

/// <summary>A git repo in the cache: its mirror and the refs fetched from it.</summary>
internal sealed record CachedRepo(string Name, string Url, string Mirror, bool HasMirror, long MirrorBytes, IReadOnlyList<CachedRef> Refs);

/// <summary>A ref and the commit it resolved to, with whether its files are checked out and its builds.</summary>
internal sealed record CachedRef(string Ref, string Commit, DateTimeOffset ResolvedAt, bool CheckedOut, IReadOnlyList<string> Builds);

/// <summary>The files of one commit.</summary>
internal sealed record CachedCheckout(string Commit, long Bytes);

/// <summary>A build folder.</summary>
internal sealed record CachedBuild(string Name, string Repo, string Version, string ContentKey, long Bytes, DateTimeOffset? BuiltAt);

/// <summary>What <c>cache rm</c> or <c>cache prune</c> removed, and what it left because it was in use.</summary>
internal sealed class RemovalReport
{
    public List<string> Removed { get; } = [];

    public List<string> Skipped { get; } = [];

    public long Bytes { get; set; }
}
