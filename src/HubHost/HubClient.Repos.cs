using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using HubHost.Building;
using HubHost.Locking;
using HubHost.Downloads;
using HubHost.Storage;
using HubHost.Loading;
using HubHost.Sources;
using HubHost.Trust;

namespace HubHost;

public sealed partial class HubClient
{
    /// <summary>Loaded repo versions by build key; a version is loaded once and shared until released.</summary>
    private readonly ConcurrentDictionary<string, SharedLoad> _loaded = new(StringComparer.Ordinal);

    private RepoBuilder? _builder;

    private RepoBuilder Builder => LazyInitializer.EnsureInitialized(ref _builder, () => new RepoBuilder(HubDirectory, Settings, Logger));

    /// <summary>
    /// Resolves, builds (once per version) and loads a repo: a local folder, a git repo
    /// (<c>owner/name[:ref]</c>, a git URL with <c>#ref</c>), or a prebuilt hub package from a NuGet feed
    /// (<c>nuget:Id[@version-or-range]</c>, made by <c>hubhost pack</c>; loaded with no build). Repeat calls return the
    /// same loaded version.
    /// </summary>
    /// <remarks>With <see cref="HubLoadOptions.Lock"/>, exactly the locked version, packages and weights (see there).</remarks>
    public async Task<HubRepo> OpenAsync(string repo, HubLoadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var source = ParseSource(repo);
        var snapshot = await ResolveAsync(source, options, cancellationToken).ConfigureAwait(false);
        if (options?.Lock is { } hubLock) return await OpenLockedAsync(snapshot, hubLock, LockEntry(hubLock, source), options, cancellationToken).ConfigureAwait(false);
        var opened = await OpenAsync(snapshot, cancellationToken).ConfigureAwait(false);
        if (options?.Verify == true) WeightsOf(opened)?.RequestVerify();
        return opened;
    }

    /// <summary>
    /// Parses a repo string and checks the trusted list, without fetching, building or asking anyone: for tools that
    /// show repos (such as <c>hubhost serve</c>) and must never build one that is not trusted.
    /// </summary>
    /// <exception cref="HubException">The string is not a local folder path or a git source.</exception>
    public HubSourceInfo DescribeSource(string repo)
    {
        var source = ParseSource(repo);
        var trust = source.Trust;
        return new HubSourceInfo(repo.Trim(), trust is null, source.RepoName, source.Ref, trust is null || TrustedList.Contains(trust.Key)) { TrustKey = trust?.Key };
    }

    /// <summary>Parses a repo string against this client's <see cref="HubOptions.GitBaseUrl"/>.</summary>
    internal RepoSource ParseSource(string repo) => RepoSource.Parse(repo, Settings.GitBaseUrl);

    /// <summary>
    /// Resolves a repo to the version it names now, without building it: the first steps of the pipeline —
    /// parse, trust (before anything is fetched or built), resolve (fetching), and remembering the trust given.
    /// </summary>
    internal Task<RepoSnapshot> ResolveAsync(string repo, HubLoadOptions? options, CancellationToken cancellationToken)
        => ResolveAsync(ParseSource(repo), options, cancellationToken);

    /// <summary>The same for a source already parsed; <paramref name="repoFile"/> is what a git commit must have at its root.</summary>
    internal async Task<RepoSnapshot> ResolveAsync(RepoSource source, HubLoadOptions? options, CancellationToken cancellationToken, string repoFile = HubRepoLayout.ProjectFileName)
    {
        options ??= HubLoadOptions.Default;
        // A repo the lock does not list is refused before anyone is asked to trust it.
        var locked = options.Lock is { } hubLock ? LockEntry(hubLock, source) : null;
        EnsureWritableHubDirectory();
        var trust = source.Trust;
        var record = trust is not null && TrustCheck.EnsureTrusted(TrustedList, Settings.TrustPrompt, trust, options.TrustRepo);
        var context = SourceContext with { RepoFile = repoFile };
        var snapshot = locked is null
            ? await source.ResolveAsync(context, options, cancellationToken).ConfigureAwait(false)
            : await LockedSources.ResolveAsync(source, context, options, options.Lock!, locked, cancellationToken).ConfigureAwait(false);
        try
        {
            if (record) await TrustCheck.RecordAsync(TrustedList, trust!.Key, Logger, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            snapshot.Lease?.Dispose();
            throw;
        }
        return snapshot;
    }

    /// <summary>What sources see of this client.</summary>
    private SourceContext SourceContext => new(HubDirectory, Settings, Logger);

    /// <summary>This client's trusted list (torch.hub's trusted_list file in the hub directory).</summary>
    internal TrustedList TrustedList => new(HubDirectory, [.. Settings.TrustedOwners]);

    /// <summary>Builds (once per version) and loads a resolved version; repeat calls return the same loaded version.</summary>
    internal Task<HubRepo> OpenAsync(RepoSnapshot snapshot, CancellationToken cancellationToken) => OpenAsync(snapshot, null, cancellationToken);

    /// <summary>Loads a resolved version from <paramref name="build"/> (a locked build), or builds it first when null.</summary>
    private async Task<HubRepo> OpenAsync(RepoSnapshot snapshot, RepoBuild? build, CancellationToken cancellationToken)
    {
        // The lease keeps this version's checkout and builds from `cache rm`/`cache prune` while it is loaded; a
        // git snapshot comes with it (taken before its files were written), a local folder's builds take it here.
        var lease = snapshot.Lease ?? await ContentLease.UseAsync(HubDirectory, snapshot.ContentKey, snapshot.DisplayName, cancellationToken).ConfigureAwait(false);
        snapshot = snapshot with { Lease = lease };
        // One load per build folder: a locked build of its own (other packages) is another version.
        var key = build is not null ? Path.GetFileName(build.Directory)
            : snapshot.Package is { } package ? PackageLayout.Key(package.Id, package.Version) : RepoBuilder.BuildKey(snapshot);
        try
        {
            while (true)
            {
                var shared = _loaded.GetOrAdd(key, _ => new SharedLoad(token => LoadAsync(snapshot, build, token)));
                HubRepo loaded;
                try
                {
                    loaded = await shared.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && shared.Abandoned)
                {
                    // Every earlier caller gave up and the work stopped just as this one joined: start it again.
                    _loaded.TryRemove(new KeyValuePair<string, SharedLoad>(key, shared));
                    continue;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    if (shared.Abandoned) _loaded.TryRemove(new KeyValuePair<string, SharedLoad>(key, shared));
                    throw;
                }
                catch
                {
                    _loaded.TryRemove(new KeyValuePair<string, SharedLoad>(key, shared));
                    throw;
                }
                if (!loaded.IsReleased)
                {
                    // Loaded by another call: that version holds its own lease.
                    if (!loaded.Holds(lease)) lease.Dispose();
                    return loaded;
                }
                _loaded.TryRemove(new KeyValuePair<string, SharedLoad>(key, shared));
            }
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    private async Task<HubRepo> LoadAsync(RepoSnapshot snapshot, RepoBuild? build, CancellationToken cancellationToken)
    {
        build ??= await BuildAsync(snapshot, cancellationToken).ConfigureAwait(false);
        // Everything the repo fetches through its services (state dicts, TorchScript archives) goes through this version's
        // weights rule: checked against a lock it was opened under, recorded while a lock is written, and seen by
        // `hubhost check` while it watches.
        var weights = new RepoWeights();
        var services = new RepoServices(build.SourceDirectory, ScriptProbe, (url, fileName, checkHash, _) =>
        {
            var file = DownloadWatch.Run(url, fileName, checkHash,
                () => FetchWeightsAsync(url, null, fileName, checkHash, weights, null, CancellationToken.None).GetAwaiter().GetResult());
            return CheckpointFiles.ResolveLegacyZipAsync(file.Path, CancellationToken.None).GetAwaiter().GetResult();
        });
        var repo = RepoLoader.Load(snapshot, build.Directory, build.MainAssemblyPath, services, Logger, Forget);
        _weights.AddOrUpdate(repo, weights);
        return repo;
    }

    /// <summary>The weights rule of each loaded version (kept beside it, so the load step stays unaware of locks).</summary>
    private readonly ConditionalWeakTable<HubRepo, RepoWeights> _weights = new();

    /// <summary>The weights rule of a version this client loaded.</summary>
    private RepoWeights? WeightsOf(HubRepo repo) => _weights.TryGetValue(repo, out var weights) ? weights : null;

    /// <summary>Builds a resolved version (once per version) without loading it; a package is laid out, never built.</summary>
    internal Task<RepoBuild> BuildAsync(RepoSnapshot snapshot, CancellationToken cancellationToken)
        => snapshot.Package is { } package
            ? PackageLayout.EnsureAsync(HubDirectory, package, Logger, cancellationToken)
            : Builder.EnsureBuiltAsync(snapshot, cancellationToken);

    /// <summary>How many <c>dotnet build</c>s this client started (tests prove a package load builds nothing).</summary>
    internal int BuildsStarted => _builder?.BuildsStarted ?? 0;

    /// <summary>The entrypoints of a repo (torch.hub.list).</summary>
    public async Task<IReadOnlyList<EntrypointInfo>> ListAsync(string repo, HubLoadOptions? options = null, CancellationToken cancellationToken = default)
        => (await OpenAsync(repo, options, cancellationToken).ConfigureAwait(false)).Entrypoints;

    /// <summary>The help of an entrypoint: signature and doc comment (torch.hub.help).</summary>
    public async Task<string> HelpAsync(string repo, string entrypoint, HubLoadOptions? options = null, CancellationToken cancellationToken = default)
        => (await OpenAsync(repo, options, cancellationToken).ConfigureAwait(false)).Help(entrypoint);

    /// <summary>
    /// Loads a repo and calls an entrypoint (torch.hub.load). <paramref name="arguments"/>: null,
    /// <c>new { pretrained = true }</c>, a dictionary, an <c>object[]</c> of positional values, or <see cref="HubArguments"/>.
    /// </summary>
    public async Task<object?> LoadAsync(string repo, string entrypoint, object? arguments = null, HubLoadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var loaded = await OpenAsync(repo, options, cancellationToken).ConfigureAwait(false);
        return await loaded.InvokeAsync(entrypoint, arguments, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Like <see cref="LoadAsync(string, string, object?, HubLoadOptions?, CancellationToken)"/>, returning the result as <typeparamref name="T"/>.</summary>
    public async Task<T> LoadAsync<T>(string repo, string entrypoint, object? arguments = null, HubLoadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = await LoadAsync(repo, entrypoint, arguments, options, cancellationToken).ConfigureAwait(false);
        return result switch
        {
            T typed => typed,
            null when default(T) is null => default!,
            _ => throw new HubException($"The entrypoint {entrypoint} of {repo} returned {(result is null ? "null" : result.GetType().FullName)}, not {typeof(T).FullName}."
                                        + (result is not null && result.GetType().FullName == typeof(T).FullName
                                            ? " The names match but the types differ: the repo carries its own copy of that assembly instead of sharing the host's."
                                            : "")),
        };
    }

    /// <summary>Unloads a repo version (same as <see cref="HubRepo.Release"/>).</summary>
    public void Release(HubRepo repo) => repo.Release();

    /// <summary>The repo versions currently loaded.</summary>
    public IReadOnlyList<HubRepo> Loaded
        => _loaded.Values.Where(l => l.Succeeded).Select(l => l.Work.Result).Where(r => !r.IsReleased).ToList();

    internal void Forget(HubRepo repo)
    {
        foreach (var (key, shared) in _loaded)
        {
            if (shared.Succeeded && ReferenceEquals(shared.Work.Result, repo))
                _loaded.TryRemove(new KeyValuePair<string, SharedLoad>(key, shared));
        }
    }
}
