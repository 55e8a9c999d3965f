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
internal sealed class HubCache(string hubDirectory, string gitBaseUrl)
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
        var source = RepoSource.Parse(repo, gitBaseUrl);
        if (source is LocalDirectorySource local)
        {
            var full = Path.GetFullPath(local.Path);
            var localBuilds = ReadBuilds().Where(b => b.Repo == full).ToList();
            foreach (var contentKey in localBuilds.Select(b => b.ContentKey).Distinct())
                await RemoveContentAsync(contentKey, localBuilds.Where(b => b.ContentKey == contentKey), null, report, null, cancellationToken).ConfigureAwait(false);
            if (report.Removed.Count == 0 && report.Skipped.Count == 0) throw new HubException($"Nothing is cached for the local repo {full}. `hubhost cache ls` shows what is.");
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
                await RemoveContentAsync("git-" + commit, ReadBuilds().Where(b => b.ContentKey == "git-" + commit), commit, report, null, cancellationToken).ConfigureAwait(false);
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
            await RemoveBuildAsync(build, report, null, cancellationToken).ConfigureAwait(false);
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
            var heldNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var name in MirrorNames().Concat(Subfolders(HubDirectories.GitRefs(HubDirectory))).Distinct())
            {
                var gate = await TryLockAsync(GitRepoCache.LockPath(HubDirectory, name), cancellationToken).ConfigureAwait(false);
                if (gate is null)
                {
                    busy.Add(name);
                }
                else
                {
                    held.Add(gate);
                    heldNames.Add(name);
                }
            }
            if (busy.Count > 0)
            {
                report.Skipped.Add($"git mirrors in use by another process ({string.Join(", ", busy)}): left alone");
            }

            var records = AllRecords().ToList();
            var referenced = records.Select(r => r.Commit).ToHashSet(StringComparer.Ordinal);
            // Only mirrors whose lock this prune holds: one that appeared since is being cloned by its owner.
            foreach (var name in MirrorNames().Where(heldNames.Contains))
            {
                if (ReadRecords(name).Count > 0) continue;
                var mirror = Path.Combine(HubDirectories.GitMirrors(HubDirectory), name);
                report.Bytes += SizeOf(mirror);
                Delete(mirror);
                report.Removed.Add($"mirror {name} (no ref points to it)");
            }

            // Checkouts and builds of commits no ref points to, each under its content lease: a load that is about
            // to record a ref to one of them holds that lease first, so what is removed here no load is using.
            var builds = ReadBuilds();
            var commits = Subfolders(HubDirectories.GitCheckouts(HubDirectory)).Where(n => !IsTemp(n))
                .Concat(builds.Where(b => b.ContentKey.StartsWith("git-", StringComparison.Ordinal)).Select(b => b.ContentKey[4..]))
                .Where(c => !referenced.Contains(c)).Distinct().ToList();
            foreach (var commit in commits)
            {
                await RemoveContentAsync("git-" + commit, builds.Where(b => b.ContentKey == "git-" + commit), commit, report, "no ref points to its commit",
                    cancellationToken, stillWanted: () => AllRecords().Any(r => r.Commit == commit)).ConfigureAwait(false);
            }
            foreach (var build in builds.Where(b => b.ContentKey.StartsWith("local-", StringComparison.Ordinal)))
            {
                var why = await StaleLocalBuildAsync(build, cancellationToken).ConfigureAwait(false);
                if (why is not null) await RemoveContentAsync(build.ContentKey, [build], null, report, why, cancellationToken).ConfigureAwait(false);
            }

            foreach (var (path, lockFile) in TempEntries())
            {
                FileLock? owner = null;
                if (lockFile is not null && !held.Any(h => h.Path == lockFile))
                {
                    owner = await FileLock.TryAcquireAsync(lockFile, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// Removes a content key's checkout (for a commit) and builds, if no load holds its <see cref="ContentLease"/>
    /// (else reports them skipped) and <paramref name="stillWanted"/>, checked under the lease, is false.
    /// </summary>
    private async Task RemoveContentAsync(string contentKey, IEnumerable<CachedBuild> builds, string? commit, RemovalReport report, string? why,
        CancellationToken cancellationToken, Func<bool>? stillWanted = null)
    {
        using var lease = await ContentLease.TryTakeForRemovalAsync(HubDirectory, contentKey, cancellationToken).ConfigureAwait(false);
        var label = commit is not null ? $"checkout and builds of {commit[..12]}" : $"builds of {contentKey}";
        if (lease is null)
        {
            report.Skipped.Add($"{label} (in use by a running load; `hubhost cache prune` removes them once unused)");
            return;
        }
        if (stillWanted?.Invoke() == true) return;
        if (commit is not null) RemoveCheckout(commit, report);
        foreach (var build in builds) await RemoveBuildAsync(build, report, why, cancellationToken).ConfigureAwait(false);
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
        var mirrors = HubDirectories.GitMirrors(HubDirectory);
        if (Directory.Exists(mirrors))
        {
            // .tmp-<mirror>-<32 hex guid>: a clone in progress holds the lock of <mirror>.
            foreach (var name in Subfolders(mirrors).Where(IsTemp))
                yield return (Path.Combine(mirrors, name), name.Length > 38 ? GitRepoCache.LockPath(HubDirectory, name[5..^33]) : null);
        }
        var checkouts = HubDirectories.GitCheckouts(HubDirectory);
        if (Directory.Exists(checkouts))
        {
            // .tmp-<commit>-<guid>[.tar]: an extraction in progress holds the commit's content lease.
            foreach (var entry in Directory.EnumerateFileSystemEntries(checkouts).Where(e => IsTemp(Path.GetFileName(e))))
            {
                var name = Path.GetFileName(entry);
                var commit = name.Length >= 45 ? name[5..45] : "";
                yield return (entry, GitRemote.LooksLikeSha(commit) ? ContentLease.PathFor(HubDirectory, "git-" + commit) : null);
            }
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

    /// <summary>
    /// Removes a build under its build lock (skipped while a builder holds it): renamed to a temp folder first, so
    /// a half-deleted build never looks like a build, and the temp name is the one a builder of that key would use,
    /// so a concurrent prune leaves it to us.
    /// </summary>
    private async Task RemoveBuildAsync(CachedBuild build, RemovalReport report, string? why, CancellationToken cancellationToken)
    {
        var builds = HubDirectories.Builds(HubDirectory);
        var path = Path.Combine(builds, build.Name);
        using var gate = await FileLock.TryAcquireAsync(Path.Combine(HubDirectories.Locks(HubDirectory), "build-" + build.Name + ".lock"), cancellationToken).ConfigureAwait(false);
        if (gate is null)
        {
            report.Skipped.Add($"build {build.Name} (being built)");
            return;
        }
        var doomed = Path.Combine(builds, $"{GitRepoCache.TempPrefix}{build.Name}-{Guid.NewGuid():N}");
        try
        {
            Directory.Move(path, doomed);
        }
        catch (DirectoryNotFoundException)
        {
            return;
        }
        report.Bytes += build.Bytes;
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
        try
        {
            if (File.Exists(path)) File.Delete(path);
            else if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // gone already
        }
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
