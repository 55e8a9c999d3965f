using HubHost.Building;
using HubHost.Downloads;
using HubHost.Sources;
using HubHost.Sources.Git;
using HubHost.Sources.NuGet;
using HubHost.Storage;

namespace HubHost.Cache;

/// <summary>
/// What the hub directory holds and how to clean it (<c>hubhost cache ls|rm|prune</c>): git mirrors, the
/// ref-to-commit records, commit checkouts, and builds. Removal never touches something another process is
/// working on: each mirror is changed under its lock, temp folders only when their owner's lock is free.
/// </summary>
internal sealed class HubCache(string hubDirectory, Func<string, CacheFootprint> footprintOf)
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
                builds.Where(b => b.ContentKey == ContentKey.Git(r.Commit).ToString()).Select(b => b.Name).ToList())).OrderBy(r => r.Ref, StringComparer.Ordinal).ToList();
            repos.Add(new CachedRepo(info?.Name ?? url, url, mirrorName, Directory.Exists(mirror), FileTree.SizeOf(mirror), refs));
        }
        var checkouts = Subfolders(HubDirectories.GitCheckouts(HubDirectory)).Where(n => !TempFolders.IsTemp(n))
            .Select(n => new CachedCheckout(n, FileTree.SizeOf(Path.Combine(HubDirectories.GitCheckouts(HubDirectory), n)))).ToList();
        var temps = TempEntries().Select(t => t.Path).ToList();
        // The hub directory's entries are measured once: the total is their sum, and the parts (what the total
        // counts; the restore folder of repo builds usually dominates it) are some of them. Links are not followed.
        var sizes = Directory.Exists(HubDirectory)
            ? new DirectoryInfo(HubDirectory).EnumerateFileSystemInfos().Where(e => !e.Attributes.HasFlag(FileAttributes.ReparsePoint))
                .ToDictionary(e => e.FullName, e => FileTree.SizeOf(e.FullName), StringComparer.Ordinal)
            : [];
        var total = sizes.Values.Sum();
        var parts = new (string Name, string Path)[]
        {
            ("builds", HubDirectories.Builds(HubDirectory)),
            ("repo package restores (packages/)", HubDirectories.PluginPackages(HubDirectory)),
            ("git", HubDirectories.Git(HubDirectory)),
            ("nuget: packages", HubDirectories.NuGet(HubDirectory)),
            ("checkpoints", HubDirectories.Checkpoints(HubDirectory)),
            ("TorchScript probe records", HubDirectories.TorchScript(HubDirectory)),
        }.Select(p => new CachePart(p.Name, p.Path, sizes.GetValueOrDefault(p.Path))).Where(p => p.Bytes > 0).ToList();
        var weights = CheckpointCache.List(HubDirectory).Select(w => new CachedWeights(w.Url, w.Path, w.Sha256, w.Bytes, w.Commit, w.VerifiedAt, w.Legacy)).ToList();
        return new CacheListing(HubDirectory, repos, checkouts, builds, temps, total, ReadPackages(builds), parts) { Weights = weights };
    }

    /// <summary>
    /// Removes a repo (all its refs, its mirror, and the checkouts and builds no other ref uses) or one ref
    /// (<c>REPO:REF</c>; its checkout and builds go when no other ref points to the same commit). For a local
    /// folder, removes its builds.
    /// </summary>
    /// <param name="repo">What to remove.</param>
    /// <param name="execute">False: only plan — decide exactly as a removal would (taking the same locks, skipping what is in use) and report what would go.</param>
    /// <param name="cancellationToken">Cancels waiting for a lock.</param>
    public async Task<RemovalReport> RemoveAsync(string repo, bool execute, CancellationToken cancellationToken)
    {
        var report = new RemovalReport { Execute = execute };
        if (WeightsSource.LooksLikeUrl(repo.Trim()))
        {
            var weights = WeightsSource.Parse(repo);
            var (removed, bytes) = await CheckpointCache.RemoveAsync(HubDirectory, weights, execute, cancellationToken).ConfigureAwait(false);
            if (removed.Count == 0) throw new HubException($"No weights from {weights.Shown} are cached. `hubhost cache ls` shows what is.");
            report.Removed.AddRange(removed);
            report.Bytes += bytes;
            return report;
        }
        var footprint = footprintOf(repo);
        if (footprint is FolderFootprint local)
        {
            var full = local.Folder;
            var localBuilds = ReadBuilds().Where(b => b.Repo == full).ToList();
            foreach (var contentKey in localBuilds.Select(b => b.ContentKey).Distinct())
                await RemoveContentAsync(contentKey, localBuilds.Where(b => b.ContentKey == contentKey), null, report, null, cancellationToken).ConfigureAwait(false);
            if (report.Removed.Count == 0 && report.Skipped.Count == 0) throw new HubException($"Nothing is cached for the local repo {full}. `hubhost cache ls` shows what is.");
            return report;
        }

        if (footprint is PackageFootprint package) return await RemovePackageAsync(package, report, cancellationToken).ConfigureAwait(false);

        var remote = ((GitFootprint)footprint).Remote;
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
                if (execute) File.Delete(path);
                report.Removed.Add($"ref {RefText(remote, record.Ref)} -> {record.Commit[..12]}");
                removed = [record];
            }
            else
            {
                if (!Directory.Exists(mirror) && records.Count == 0)
                    throw new HubException($"{remote.RepoName} is not cached. `hubhost cache ls` shows what is.");
                report.Bytes += FileTree.SizeOf(mirror);
                if (execute)
                {
                    FileTree.Delete(mirror);
                    FileTree.Delete(refsFolder);
                }
                report.Removed.Add($"mirror {remote.RepoName} ({remote.MirrorName})");
                report.Removed.AddRange(records.Select(r => $"ref {RefText(remote, r.Ref)} -> {r.Commit[..12]}"));
                removed = records;
            }
            // The refs of other mirrors, and this one's that stay (a plan has not removed the others yet).
            var stillUsed = AllRecords().Except(removed).Select(r => r.Commit).ToHashSet(StringComparer.Ordinal);
            foreach (var commit in removed.Select(r => r.Commit).Distinct().Where(c => !stillUsed.Contains(c)))
                await RemoveContentAsync(ContentKey.Git(commit).ToString(), ReadBuilds().Where(b => b.ContentKey == ContentKey.Git(commit).ToString()), commit, report, null, cancellationToken).ConfigureAwait(false);
        }
        return report;
    }

    /// <summary>
    /// <c>cache rm nuget:Id[@version]</c>: the package's versions in the hub's package folder (or that one), their
    /// load folders and what its ranges resolved to. Its dependencies stay (other packages may use them; the same
    /// bytes are reinstalled from the feed when needed), and so do the recorded hashes: a version's bytes never change.
    /// </summary>
    private async Task<RemovalReport> RemovePackageAsync(PackageFootprint package, RemovalReport report, CancellationToken cancellationToken)
    {
        if (package.IsRange)
            throw new HubException($"cache rm takes nuget:{package.Id} (every version) or nuget:{package.Id}@VERSION, not a range.");
        var id = package.Id.ToLowerInvariant();
        var versions = package.Version is { } exact ? [exact.ToNormalizedString().ToLowerInvariant()]
            : Subfolders(Path.Combine(HubDirectories.NuGetPackages(HubDirectory), id)).Where(n => !TempFolders.IsTemp(n)).ToList();
        foreach (var version in versions)
        {
            using (await FileLock.AcquireAsync(HubLocks.NuGetPackage(HubDirectory, id, version), $"removing {package.Id} {version}",
                       TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false))
            {
                var folder = Path.Combine(HubDirectories.NuGetPackages(HubDirectory), id, version);
                if (!Directory.Exists(folder)) continue;
                report.Bytes += FileTree.SizeOf(folder);
                if (report.Execute)
                {
                    // Rename first: a half-deleted package must not look installed.
                    var doomed = TempFolders.For(HubDirectories.NuGetPackages(HubDirectory), "rm");
                    Directory.Move(folder, doomed);
                    FileTree.Delete(doomed);
                }
                report.Removed.Add($"package {package.Id} {version}");
            }
        }
        foreach (var build in ReadBuilds().Where(b => ContentKey.Parse(b.ContentKey) is { Kind: ContentKind.Package } key && key.Value.StartsWith(id + "@", StringComparison.Ordinal)
                                                      && (package.Version is null || key == ContentKey.Package(package.Id, package.Version.ToNormalizedString()))))
            await RemoveBuildAsync(build, report, null, cancellationToken).ConfigureAwait(false);
        var resolved = Path.Combine(HubDirectories.NuGetResolved(HubDirectory), id);
        if (Directory.Exists(resolved))
        {
            foreach (var record in Directory.EnumerateFiles(resolved, "*.json"))
            {
                if (package.Version is not null && JsonRecords.ReadFlatObject(record)?.GetValueOrDefault("version")?.ToLowerInvariant() != versions[0]) continue;
                if (report.Execute) File.Delete(record);
                report.Removed.Add($"resolution {Path.GetFileNameWithoutExtension(record)} of nuget:{package.Id}");
            }
        }
        if (report.Removed.Count == 0)
            throw new HubException($"Nothing is cached for {package.Text}. `hubhost cache ls` shows what is.");
        return report;
    }

    /// <summary>
    /// Removes what nothing points to: builds of commits no ref records, builds of local folders that are gone
    /// or have changed since (and the content hashes recorded for gone folders), checkouts no ref records, mirrors without
    /// refs, and temp folders left by killed processes (only when the lock of whoever would own them is free).
    /// </summary>
    /// <param name="execute">False: only plan (see <see cref="RemoveAsync"/>).</param>
    /// <param name="cancellationToken">Cancels waiting for a lock.</param>
    public async Task<RemovalReport> PruneAsync(bool execute, CancellationToken cancellationToken)
    {
        var report = new RemovalReport { Execute = execute };
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
                report.Bytes += FileTree.SizeOf(mirror);
                if (execute) FileTree.Delete(mirror);
                report.Removed.Add($"mirror {name} (no ref points to it)");
            }

            // Checkouts and builds of commits no ref points to, each under its content lease: a load that is about
            // to record a ref to one of them holds that lease first, so what is removed here no load is using.
            var builds = ReadBuilds();
            var commits = Subfolders(HubDirectories.GitCheckouts(HubDirectory)).Where(n => !TempFolders.IsTemp(n))
                .Concat(builds.Select(b => ContentKey.Parse(b.ContentKey)?.Commit).OfType<string>())
                .Where(c => !referenced.Contains(c)).Distinct().ToList();
            foreach (var commit in commits)
            {
                var key = ContentKey.Git(commit).ToString();
                await RemoveContentAsync(key, builds.Where(b => b.ContentKey == key), commit, report, "no ref points to its commit",
                    cancellationToken, stillWanted: () => AllRecords().Any(r => r.Commit == commit)).ConfigureAwait(false);
            }
            foreach (var build in builds.Where(b => ContentKey.Parse(b.ContentKey)?.Kind == ContentKind.Local))
            {
                var why = StaleLocalBuild(build, cancellationToken);
                if (why is not null) await RemoveContentAsync(build.ContentKey, [build], null, report, why, cancellationToken).ConfigureAwait(false);
            }
            foreach (var (record, folder) in LocalDirectorySource.RecordsOfGoneFolders(HubDirectory))
            {
                report.Bytes += new FileInfo(record).Length;
                if (execute) File.Delete(record);
                report.Removed.Add($"content hash of {folder} (the folder no longer exists)");
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
                    report.Bytes += FileTree.SizeOf(path);
                    if (execute) FileTree.Delete(path);
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

    private static string? StaleLocalBuild(CachedBuild build, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(build.Repo)) return "its folder no longer exists";
        try
        {
            var snapshot = new LocalDirectorySource(build.Repo).Resolve(rehash: false, cancellationToken);
            return snapshot.ContentKey.ToString() == build.ContentKey ? null : "its folder has changed since";
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

    /// <summary>
    /// Temp folders and files left behind, each with the lock its owner holds while it exists (null: a mirror lock,
    /// already held, or a file only a killed write leaves). The names are <see cref="TempFolders"/>' and
    /// <see cref="AtomicFile"/>'s; the locks <see cref="HubLocks"/>'.
    /// </summary>
    private IEnumerable<(string Path, string? Lock)> TempEntries()
    {
        // builds/.tmp-<key>-<guid>: the builder (or layout) of <key> holds its build lock.
        var builds = HubDirectories.Builds(HubDirectory);
        foreach (var name in Subfolders(builds).Where(TempFolders.IsTemp))
            yield return (Path.Combine(builds, name), TempFolders.OwnerOf(name) is { } key ? HubLocks.Build(HubDirectory, key) : null);
        // git/mirrors/.tmp-<mirror>-<guid>: a clone in progress holds the mirror's lock.
        var mirrors = HubDirectories.GitMirrors(HubDirectory);
        foreach (var name in Subfolders(mirrors).Where(TempFolders.IsTemp))
            yield return (Path.Combine(mirrors, name), TempFolders.OwnerOf(name) is { } mirror ? HubLocks.GitMirror(HubDirectory, mirror) : null);
        // git/checkouts/.tmp-<commit>-<guid>[.tar]: an extraction in progress holds the commit's content lease.
        var checkouts = HubDirectories.GitCheckouts(HubDirectory);
        if (Directory.Exists(checkouts))
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(checkouts).Where(e => TempFolders.IsTemp(Path.GetFileName(e))))
            {
                var commit = TempFolders.OwnerOf(Path.GetFileName(entry));
                yield return (entry, commit is not null && GitRemote.LooksLikeSha(commit) ? ContentLease.PathFor(HubDirectory, ContentKey.Git(commit).ToString()) : null);
            }
        }
        // git/refs/<mirror>/<record>.json.<guid>.tmp: only a write killed between its two steps leaves one.
        var refs = HubDirectories.GitRefs(HubDirectory);
        if (Directory.Exists(refs))
        {
            foreach (var file in Directory.EnumerateFiles(refs, "*.tmp", SearchOption.AllDirectories))
                if (AtomicFile.IsTempFile(Path.GetFileName(file)) && File.GetLastWriteTimeUtc(file) < DateTime.UtcNow.AddMinutes(-1)) yield return (file, null);
        }
    }

    private void RemoveCheckout(string commit, RemovalReport report)
    {
        var path = Path.Combine(HubDirectories.GitCheckouts(HubDirectory), commit);
        if (!Directory.Exists(path)) return;
        report.Bytes += FileTree.SizeOf(path);
        if (report.Execute) FileTree.Delete(path);
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
        using var gate = await FileLock.TryAcquireAsync(HubLocks.Build(HubDirectory, build.Name), cancellationToken).ConfigureAwait(false);
        if (gate is null)
        {
            report.Skipped.Add($"build {build.Name} (being built)");
            return;
        }
        if (!report.Execute)
        {
            if (!Directory.Exists(path)) return;
        }
        else
        {
            var doomed = TempFolders.For(builds, build.Name);
            try
            {
                Directory.Move(path, doomed);
            }
            catch (DirectoryNotFoundException)
            {
                return;
            }
            FileTree.Delete(doomed);
        }
        report.Bytes += build.Bytes;
        report.Removed.Add($"build {build.Name} ({build.Repo} {build.Version}){(why is null ? "" : ": " + why)}");
    }

    private List<CachedBuild> ReadBuilds()
    {
        var root = HubDirectories.Builds(HubDirectory);
        var result = new List<CachedBuild>();
        foreach (var name in Subfolders(root).Where(n => !TempFolders.IsTemp(n)))
        {
            var folder = Path.Combine(root, name);
            var record = BuildRecord.TryRead(folder);
            result.Add(record is null
                ? new CachedBuild(name, "(unfinished)", "", "", FileTree.SizeOf(folder), null)
                : new CachedBuild(name, record.Repo, record.Version, record.ContentKey, FileTree.SizeOf(folder), record.BuiltAt));
        }
        return result;
    }

    /// <summary>The packages in the hub's package folder: hub packages (with a manifest) and their dependencies, with the load folders made from them.</summary>
    private List<CachedPackage> ReadPackages(List<CachedBuild> builds)
    {
        var root = HubDirectories.NuGetPackages(HubDirectory);
        var result = new List<CachedPackage>();
        foreach (var id in Subfolders(root).Where(n => !TempFolders.IsTemp(n)))
        {
            foreach (var version in Subfolders(Path.Combine(root, id)))
            {
                var folder = Path.Combine(root, id, version);
                var isHub = File.Exists(Path.Combine(folder, HubPackageManifest.FileName));
                var layouts = builds.Where(b => b.ContentKey == ContentKey.Package(id, version).ToString()).Select(b => b.Name).ToList();
                result.Add(new CachedPackage(id, version, isHub, FileTree.SizeOf(folder), layouts));
            }
        }
        return result;
    }

    private IEnumerable<string> MirrorNames() => Subfolders(HubDirectories.GitMirrors(HubDirectory)).Where(n => !TempFolders.IsTemp(n));

    private List<GitRefRecord> ReadRecords(string mirrorName)
    {
        var folder = Path.Combine(HubDirectories.GitRefs(HubDirectory), mirrorName);
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.json").Select(GitRefRecord.TryRead).OfType<GitRefRecord>().ToList()
            : [];
    }

    private IEnumerable<GitRefRecord> AllRecords() => Subfolders(HubDirectories.GitRefs(HubDirectory)).SelectMany(ReadRecords);

    private static IEnumerable<string> Subfolders(string folder)
        => Directory.Exists(folder) ? Directory.EnumerateDirectories(folder).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal) : [];

}

/// <summary>What <c>cache rm</c> or <c>cache prune</c> removed (or, planning, would remove), and what it left because it was in use.</summary>
internal sealed class RemovalReport
{
    /// <summary>Whether it removes; false: it plans, deciding the same way and removing nothing.</summary>
    public bool Execute { get; init; } = true;

    public List<string> Removed { get; } = [];

    public List<string> Skipped { get; } = [];

    public long Bytes { get; set; }

    public CacheRemoval ToResult() => new(Removed.ToList(), Skipped.ToList(), Bytes);
}
