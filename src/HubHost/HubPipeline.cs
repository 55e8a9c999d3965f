using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using HubHost.Building;
using HubHost.Downloads;
using HubHost.Loading;
using HubHost.Locking;
using HubHost.Sources;
using HubHost.Sources.Git;
using HubHost.Sources.NuGet;
using HubHost.Storage;
using HubHost.Trust;
using Microsoft.Extensions.Logging;

namespace HubHost;

/// <summary>
/// The hub's pipeline, top-down as torch.hub's <c>load</c> reads: parse → trust → resolve → make loadable → load → (invoke).
/// Each step is one call with a narrow input and output. What differs by source is the source's and its snapshot's business
/// (how to resolve, under a lock too; how to become loadable; what a lock records), so nothing here asks which kind of source
/// it has. The version's content lease is owned in one place: the <see cref="ResolvedRepo"/> that resolve returns holds it,
/// and load hands it to the <see cref="HubRepo"/> (released with it) — or it is let go when the caller disposes the
/// <see cref="ResolvedRepo"/> without loading. <see cref="HubClient"/> delegates to this class.
/// </summary>
internal sealed class HubPipeline(HubClient hub)
{
    /// <summary>Loaded versions by the folder name of their loadable form; a version is loaded once and shared until released.</summary>
    private readonly ConcurrentDictionary<string, SharedLoad<HubRepo>> _loaded = new(StringComparer.Ordinal);

    /// <summary>The weights rule of each loaded version (kept beside it, so the load step stays unaware of locks).</summary>
    private readonly ConditionalWeakTable<HubRepo, RepoWeights> _weights = new();

    private RepoBuilder? _builder;

    private RepoBuilder Builder => LazyInitializer.EnsureInitialized(ref _builder, () => new RepoBuilder(hub.HubDirectory, hub.Settings, hub.Logger, hub.TimeProvider));

    /// <summary>Parse, trust, resolve, make loadable, load: a repo version, loaded once and shared until released.</summary>
    public async Task<HubRepo> OpenAsync(string repo, HubLoadOptions? options, CancellationToken cancellationToken)
    {
        var source = Parse(repo);
        using var resolved = await ResolveAsync(source, options ?? HubLoadOptions.Default, cancellationToken).ConfigureAwait(false);
        return await LoadAsync(resolved, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>1. Parse what the user typed into a source (no I/O): a local folder, a git repo, or a package.</summary>
    public RepoSource Parse(string repo) => Parse(repo, hub.Settings.GitBaseUrl);

    /// <summary>
    /// Parses what a user typed, explicitly (torch.hub's source='local' vs 'github'): a local folder is a path
    /// that starts with <c>/</c>, <c>./</c>, <c>../</c> or <c>~</c>; anything else is a git source
    /// (<c>owner/name[:ref]</c>, or a git URL with <c>#ref</c>) — even when a folder of that name exists here, so a
    /// folder planted as <c>./owner/name</c> is never built in place of the git repo the user named. A prebuilt hub
    /// package is <c>nuget:Id[@version-or-range]</c>.
    /// </summary>
    /// <param name="repo">What the user typed.</param>
    /// <param name="gitBaseUrl">Where <c>owner/name</c> points: a client's checked <see cref="HubOptions.GitBaseUrl"/>.</param>
    public static RepoSource Parse(string repo, string gitBaseUrl)
    {
        if (string.IsNullOrWhiteSpace(repo))
            throw new HubException("The repo is empty. Give a local folder (./my-hub) or a git repo (owner/name[:ref]).");
        repo = repo.Trim();
        if (HubRepoLayout.LooksLikePath(repo))
            return new LocalDirectorySource(repo);
        if (NuGetRepoSource.IsNuGet(repo))
            return NuGetRepoSource.FromString(repo);
        return GitRepoSource.FromString(repo, gitBaseUrl);
    }

    /// <summary>
    /// 2. Trust (before anything is fetched or built), then 3. resolve to the version the source names now (fetching) — under a
    /// lock, exactly the locked version. The result holds the version's content lease; dispose it unless it was loaded.
    /// </summary>
    /// <param name="source">The parsed source.</param>
    /// <param name="options">Force reload, trust, validation, lock.</param>
    /// <param name="cancellationToken">Cancels a fetch.</param>
    /// <param name="repoFile">What a git commit must have at its root (<c>hubconf.py</c> for <c>hubhost import</c>).</param>
    public async Task<ResolvedRepo> ResolveAsync(RepoSource source, HubLoadOptions options, CancellationToken cancellationToken, string repoFile = HubRepoLayout.ProjectFileName)
    {
        // A repo the lock does not list is refused before anyone is asked to trust it.
        var locked = options.Lock is { } hubLock ? LockEntry(hubLock, source) : null;
        hub.EnsureWritableHubDirectory();
        var trust = source.Trust;
        var record = trust is not null && TrustCheck.EnsureTrusted(hub.TrustedList, hub.TrustPrompt, trust, options.TrustRepo);
        var context = SourceContext(repoFile);
        var lease = new VersionLease(hub.HubDirectory);
        try
        {
            var snapshot = locked is null
                ? await source.ResolveAsync(context, options, lease, cancellationToken).ConfigureAwait(false)
                : await ResolveLockedAsync(source, context, options, lease, options.Lock!, locked, cancellationToken).ConfigureAwait(false);
            // A git source held its commit before writing the checkout; a folder's or a package's content is held from here on.
            await lease.HoldAsync(snapshot.ContentKey, snapshot.DisplayName, cancellationToken).ConfigureAwait(false);
            if (record) await TrustCheck.RecordAsync(hub.TrustedList, trust!.Key, hub.Logger, cancellationToken).ConfigureAwait(false);
            return new ResolvedRepo(source, snapshot, lease, options, locked);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>
    /// 4. Make loadable (build it, or lay out its package) and 5. load it into its own load context: once per version, the work
    /// shared by concurrent calls; the lease passes to the loaded version. Under a lock the version is made loadable with the
    /// locked packages first (a build of its own when they differ is another version), and its weights are bound to the lock.
    /// </summary>
    public async Task<HubRepo> LoadAsync(ResolvedRepo resolved, CancellationToken cancellationToken)
    {
        var build = resolved.Locked is null ? null : await MakeLoadableAsync(resolved, cancellationToken).ConfigureAwait(false);
        var key = build is null ? resolved.Snapshot.LoadableKey : Path.GetFileName(build.Directory);
        var repo = await SharedAsync(key, token => LoadCoreAsync(resolved, build, token), cancellationToken).ConfigureAwait(false);
        // Loaded by another call, the version holds that call's lease (and this one's is let go with its ResolvedRepo) — unless
        // that call gave up while the work went on: then this call's lease keeps the version's files.
        repo.AdoptLease(resolved.Lease);
        if (resolved.Locked is { } entry) WeightsOf(repo)?.Attach(resolved.Options.Lock!, entry, resolved.Options.Verify);
        else if (resolved.Options.Verify) WeightsOf(repo)?.RequestVerify();
        return repo;
    }

    /// <summary>4. Make loadable: the version's build (or package layout), made once; under a lock, one with exactly the locked packages.</summary>
    public async Task<RepoBuild> MakeLoadableAsync(ResolvedRepo resolved, CancellationToken cancellationToken)
    {
        var snapshot = resolved.Snapshot;
        if (resolved.Locked is not { } entry) return await snapshot.MakeLoadableAsync(LoadableContext, null, cancellationToken).ConfigureAwait(false);
        var hubLock = resolved.Options.Lock!;
        var checkedBuilds = new Dictionary<string, string?>(StringComparer.Ordinal);
        string? Difference(RepoBuild build)
        {
            if (checkedBuilds.TryGetValue(build.Directory, out var known)) return known;
            return checkedBuilds[build.Directory] = BuildPackages.Read(build) is { } made
                ? LockDrift.BuiltAgainstDifference(entry.BuiltAgainst, made.Contracts) ?? LockDrift.PackageDifference(entry.Packages, made.Packages)
                : "its build does not record its packages (made by an earlier hubhost)";
        }
        var pins = entry.NuGetLock is { } nugetLock
            ? new PinnedRestore(nugetLock, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(nugetLock)))[..8], b => Difference(b) is null)
            : null;
        RepoBuild made;
        try
        {
            made = await snapshot.MakeLoadableAsync(LoadableContext, pins, cancellationToken).ConfigureAwait(false);
        }
        catch (LockedRestoreException e)
        {
            throw LockDrift.Drifted(hubLock, entry.Repo, e.Message.TrimEnd('.'));
        }
        if (Difference(made) is { } what) throw LockDrift.Drifted(hubLock, entry.Repo, what);
        return made;
    }

    /// <summary>The shared work of <paramref name="key"/>: joined while it runs, started again when every earlier caller gave up.</summary>
    private async Task<HubRepo> SharedAsync(string key, Func<CancellationToken, Task<HubRepo>> work, CancellationToken cancellationToken)
    {
        while (true)
        {
            var shared = _loaded.GetOrAdd(key, _ => new SharedLoad<HubRepo>(work));
            HubRepo loaded;
            try
            {
                loaded = await shared.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && shared.Abandoned)
            {
                // Every earlier caller gave up and the work stopped just as this one joined: start it again.
                _loaded.TryRemove(new KeyValuePair<string, SharedLoad<HubRepo>>(key, shared));
                continue;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                if (shared.Abandoned) _loaded.TryRemove(new KeyValuePair<string, SharedLoad<HubRepo>>(key, shared));
                throw;
            }
            catch
            {
                _loaded.TryRemove(new KeyValuePair<string, SharedLoad<HubRepo>>(key, shared));
                throw;
            }
            if (!loaded.IsReleased) return loaded;
            _loaded.TryRemove(new KeyValuePair<string, SharedLoad<HubRepo>>(key, shared));
        }
    }

    /// <summary>Makes the version loadable unless a locked build is given, then 5. loads it.</summary>
    private async Task<HubRepo> LoadCoreAsync(ResolvedRepo resolved, RepoBuild? build, CancellationToken cancellationToken)
    {
        build ??= await MakeLoadableAsync(resolved, cancellationToken).ConfigureAwait(false);
        var snapshot = resolved.Snapshot;
        // Everything the repo fetches through its services (state dicts, TorchScript archives) goes through this version's weights
        // rule: checked against a lock it was opened under, recorded while a lock is written, and seen by `hubhost check` while it watches.
        var weights = new RepoWeights();
        var services = new RepoServices(build.SourceDirectory, hub.ScriptProbe, (url, fileName, checkHash, progress) => FetchForRepoAsync(url, fileName, checkHash, progress, weights));
        var loaded = RepoLoader.Load(snapshot.DisplayName, snapshot.Version, build.MainAssemblyPath, services);
        var repo = new HubRepo(snapshot, build, loaded, resolved.Lease.Transfer(), hub.Logger, Forget);
        _weights.AddOrUpdate(repo, weights);
        return repo;
    }

    /// <summary>A weights file a loaded repo asks for (its services are synchronous, as torch.hub's are): the cached file's path.</summary>
    private async Task<string> FetchForRepoAsync(string url, string? fileName, bool checkHash, bool progress, RepoWeights weights)
    {
        var file = await DownloadWatch.RunAsync(url, fileName, checkHash,
            () => hub.FetchWeightsAsync(url, null, fileName, checkHash, weights, progress ? new LoggedProgress(url, hub.Logger) : null, CancellationToken.None)).ConfigureAwait(false);
        return await CheckpointFiles.ResolveLegacyZipAsync(file.Path, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>The weights rule of a version this client loaded.</summary>
    public RepoWeights? WeightsOf(HubRepo repo) => _weights.TryGetValue(repo, out var weights) ? weights : null;

    /// <summary>The versions currently loaded.</summary>
    public IReadOnlyList<HubRepo> Loaded
        => _loaded.Values.Where(l => l.Succeeded).Select(l => l.Work.Result).Where(r => !r.IsReleased).ToList();

    /// <summary>Whether the version <paramref name="resolved"/> names is loaded now.</summary>
    public bool IsLoaded(ResolvedRepo resolved) => Loaded.Any(r => r.BuildKey == resolved.Snapshot.LoadableKey);

    /// <summary>How many <c>dotnet build</c>s this client started (tests prove a package load builds nothing).</summary>
    public int BuildsStarted => _builder?.BuildsStarted ?? 0;

    private void Forget(HubRepo repo)
    {
        foreach (var (key, shared) in _loaded)
        {
            if (shared.Succeeded && ReferenceEquals(shared.Work.Result, repo))
                _loaded.TryRemove(new KeyValuePair<string, SharedLoad<HubRepo>>(key, shared));
        }
    }

    /// <summary>What sources see of the hub.</summary>
    public SourceContext SourceContext(string repoFile = HubRepoLayout.ProjectFileName) => new(hub.HubDirectory, hub.Settings, hub.Logger, hub.TimeProvider, repoFile);

    private LoadableContext LoadableContext => new(hub.HubDirectory, Builder, hub.Logger, hub.TimeProvider);

    /// <summary>The resolve step under a lock: the source gives exactly the locked version, or the lock names what drifted.</summary>
    private static async Task<RepoSnapshot> ResolveLockedAsync(RepoSource source, SourceContext context, HubLoadOptions options, VersionLease lease,
        HubLock hubLock, LockedRepo entry, CancellationToken cancellationToken)
    {
        if (source.Kind != entry.Source.Kind)
            throw LockDrift.Drifted(hubLock, entry.Repo, $"it is a {source.Kind} source now, the lock has a {entry.Source.Kind} source");
        try
        {
            return await source.ResolveLockedAsync(context, options, lease, entry.Source, cancellationToken).ConfigureAwait(false);
        }
        catch (SourceDriftException e)
        {
            throw LockDrift.Drifted(hubLock, entry.Repo, e.Message);
        }
    }

    /// <summary>The lock's entry for a source, or one line saying the lock does not list it.</summary>
    private static LockedRepo LockEntry(HubLock hubLock, RepoSource source)
        => hubLock.Find(source.DisplayName) ?? throw LockDrift.NotLocked(hubLock, source.DisplayName);
}

/// <summary>
/// A resolved version and the content lease that keeps its files (and builds) from <c>cache rm</c>/<c>cache prune</c>: the one
/// owner of that lease until <see cref="HubPipeline.LoadAsync"/> hands it to the loaded version. Dispose it when done.
/// </summary>
internal sealed class ResolvedRepo(RepoSource source, RepoSnapshot snapshot, VersionLease lease, HubLoadOptions options, LockedRepo? locked) : IDisposable
{
    public RepoSource Source { get; } = source;

    public RepoSnapshot Snapshot { get; } = snapshot;

    /// <summary>The content lease (empty once a load took it).</summary>
    public VersionLease Lease { get; } = lease;

    /// <summary>The options it was resolved with.</summary>
    public HubLoadOptions Options { get; } = options;

    /// <summary>The lock's entry when it was resolved under a lock.</summary>
    public LockedRepo? Locked { get; } = locked;

    public void Dispose() => Lease.Dispose();
}
