using Microsoft.Extensions.Logging;

namespace HubHost.Serve;

/// <summary>
/// The repos the server shows and what is known of each ref. Pages read this in-memory state only; a ref is
/// opened (resolved, built when the hub has no build of it, loaded to read its entrypoints, then released) on
/// start and again only on <see cref="RefreshAsync"/> (the refresh button and the refresh interval). An untrusted
/// git repo is never opened: its refs show as not trusted. No entrypoint is ever called.
/// </summary>
internal sealed class HubCatalog
{
    private readonly HubClient _hub;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _parallel;
    private readonly Lock _gate = new();
    private Task _refreshing = Task.CompletedTask;
    private long _generation;

    public HubCatalog(HubClient hub, IEnumerable<string> repos, int parallelism, ILogger logger)
    {
        if (hub.Options.TrustPrompt is not null)
            throw new ArgumentException("The server's hub must never prompt: give it a HubClient without a TrustPrompt.", nameof(hub));
        _hub = hub;
        _logger = logger;
        _parallel = new SemaphoreSlim(Math.Max(1, parallelism));
        var sources = repos.Select(r => hub.DescribeSource(r)).ToList();
        Repos = sources
            .GroupBy(s => s.RepoName, StringComparer.Ordinal)
            .Select(g => new CatalogRepo(g.First(), g.DistinctBy(s => s.Ref ?? "").ToList()))
            .ToList();
        var duplicate = Repos.GroupBy(r => r.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new HubException($"Two repos of the catalog have the id {duplicate.Key}: {string.Join(", ", duplicate.Select(r => r.Name))}.");
    }

    public IReadOnlyList<CatalogRepo> Repos { get; }

    /// <summary>Changes on every state change (pages cache on it).</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public bool IsRefreshing => !_refreshing.IsCompleted;

    public DateTimeOffset? LastRefresh { get; private set; }

    public CatalogRepo? Find(string id) => Repos.FirstOrDefault(r => r.Id == id);

    /// <summary>
    /// Opens every ref (or one repo's): <paramref name="force"/> re-resolves git refs (fetching, building a moved ref).
    /// A refresh already running is joined, not repeated.
    /// </summary>
    public Task RefreshAsync(bool force, string? repoId = null, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_refreshing.IsCompleted) return _refreshing;
            var repos = repoId is null ? Repos : Repos.Where(r => r.Id == repoId).ToList();
            _refreshing = Task.Run(() => RefreshAllAsync(repos, force, cancellationToken), CancellationToken.None);
            return _refreshing;
        }
    }

    private async Task RefreshAllAsync(IReadOnlyList<CatalogRepo> repos, bool force, CancellationToken cancellationToken)
    {
        var work = repos.SelectMany(r => Enumerable.Range(0, r.RefCount).Select(i => OpenRefAsync(r, i, force, cancellationToken))).ToList();
        await Task.WhenAll(work).ConfigureAwait(false);
        LastRefresh = DateTimeOffset.UtcNow;
        Interlocked.Increment(ref _generation);
    }

    private async Task OpenRefAsync(CatalogRepo repo, int index, bool force, CancellationToken cancellationToken)
    {
        await _parallel.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var old = repo.Ref(index);
            repo.Set(index, await OpenAsync(repo, old, force, cancellationToken).ConfigureAwait(false));
            Interlocked.Increment(ref _generation);
        }
        finally
        {
            _parallel.Release();
        }
    }

    private async Task<RefState> OpenAsync(CatalogRepo repo, RefState old, bool force, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        HubSourceInfo source;
        try
        {
            source = _hub.DescribeSource(old.LoadText);
        }
        catch (HubException e)
        {
            return old with { Status = RefStatus.Failed, Error = e.Message, Entrypoints = [], ReadmeHtml = null, UpdatedAt = now };
        }
        if (!source.IsTrusted)
            return old with { Status = RefStatus.NotTrusted, Error = null, Version = null, Entrypoints = [], ReadmeHtml = null, UpdatedAt = now };
        try
        {
            // TrustRepo.Check with a hub that has no TrustPrompt: the hub itself refuses an untrusted repo, even one
            // removed from the trusted list since the check above.
            var options = new HubLoadOptions { ForceReload = force && !source.IsLocal, TrustRepo = TrustRepo.Check };
            var opened = await _hub.OpenAsync(old.LoadText, options, cancellationToken).ConfigureAwait(false);
            try
            {
                var entrypoints = opened.Entrypoints;
                var cards = opened.Cards;
                var readme = Markdown.RenderReadme(opened.SourceDirectory);
                return old with
                {
                    Status = RefStatus.Ready,
                    Version = opened.Version,
                    Error = cards.Error,
                    Entrypoints = entrypoints.Select(e => new CatalogEntrypoint(e, cards.For(e.Name))).ToList(),
                    ReadmeHtml = readme,
                    UpdatedAt = now,
                    SourceDirectory = opened.SourceDirectory,
                };
            }
            finally
            {
                // What the pages need is copied out; the load context is not kept.
                opened.Release();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning("Could not open {Repo}: {Error}", old.LoadText, e.Message);
            // A failed refresh keeps what the last good one showed, with the error.
            return old.Status == RefStatus.Ready
                ? old with { Error = "The last refresh failed: " + e.Message, UpdatedAt = now }
                : old with { Status = RefStatus.Failed, Error = e.Message, Entrypoints = [], ReadmeHtml = null, UpdatedAt = now };
        }
    }
}
