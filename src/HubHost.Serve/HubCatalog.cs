using Microsoft.Extensions.Logging;

namespace HubHost.Serve;

/// <summary>
/// The repos the server shows and what is known of each ref. Pages read this in-memory state only; a ref is
/// opened (resolved, built when the hub has no build of it, loaded to read its entrypoints, then released) on
/// start and again only on <see cref="RefreshAsync"/> (the refresh button and the refresh interval). An untrusted
/// git repo is never opened: its refs show as not trusted. No entrypoint is ever called. Each ref is opened on its
/// own: a ref still being opened (a feed or remote that hangs, until its timeout) is joined by a refresh, never waited
/// for by the others.
/// </summary>
internal sealed class HubCatalog
{
    private readonly HubClient _hub;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _parallel;
    private readonly Lock _gate = new();
    private readonly Dictionary<(CatalogRepo Repo, int Index), Task> _opening = [];
    private long _generation;

    public HubCatalog(HubClient hub, IEnumerable<string> repos, int parallelism, ILogger logger)
    {
        if (hub.TrustPrompt is not null)
            throw new ArgumentException("The server's hub must never prompt: give it a HubClient without a trust prompt.", nameof(hub));
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

    /// <summary>Changes whenever what a page shows of a ref changes (its status, version, error or README): pages cache on it, and open pages reload on it.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>Whether a ref is being opened.</summary>
    public bool IsRefreshing
    {
        get
        {
            lock (_gate) return _opening.Values.Any(t => !t.IsCompleted);
        }
    }

    public DateTimeOffset? LastRefresh { get; private set; }

    public CatalogRepo? Find(string id) => Repos.FirstOrDefault(r => r.Id == id);

    /// <summary>
    /// Opens every ref (or one repo's): <paramref name="force"/> re-resolves git refs (fetching, building a moved ref).
    /// A ref still being opened is joined, not opened twice; the others start now, whatever that one waits on.
    /// The task ends when every ref asked for has been opened.
    /// </summary>
    public Task RefreshAsync(bool force, string? repoId = null, CancellationToken cancellationToken = default)
    {
        var work = new List<Task>();
        lock (_gate)
        {
            foreach (var repo in repoId is null ? Repos : Repos.Where(r => r.Id == repoId))
            {
                for (var index = 0; index < repo.RefCount; index++)
                {
                    if (!_opening.TryGetValue((repo, index), out var running) || running.IsCompleted)
                    {
                        var (r, i) = (repo, index);
                        running = _opening[(repo, index)] = Task.Run(() => OpenRefAsync(r, i, force, cancellationToken), CancellationToken.None);
                    }
                    work.Add(running);
                }
            }
        }
        return FinishAsync(work);
    }

    private async Task FinishAsync(List<Task> work)
    {
        await Task.WhenAll(work).ConfigureAwait(false);
        LastRefresh = DateTimeOffset.UtcNow;
    }

    private async Task OpenRefAsync(CatalogRepo repo, int index, bool force, CancellationToken cancellationToken)
    {
        await _parallel.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var old = repo.Ref(index);
            var opened = await OpenAsync(repo, old, force, cancellationToken).ConfigureAwait(false);
            repo.Set(index, opened);
            // Open pages reload on a new generation: only when what they show changed.
            if (!opened.ShowsTheSameAs(old)) Interlocked.Increment(ref _generation);
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
                var readme = Markdown.RenderReadme(opened.SourceDirectory, path => Urls.File(repo, old.Label, path));
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
                opened.Dispose();
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
