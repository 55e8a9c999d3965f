using HubHost.Locking;
using Microsoft.Extensions.Logging;

namespace HubHost.Reloading;

/// <summary>
/// Hot reload for long-running apps: holds a repo (with its ref), an entrypoint and its arguments, and the value
/// the entrypoint returned. <see cref="ReloadAsync"/> (or the optional polling interval) re-resolves the ref,
/// fetches, builds and loads the new version, calls the entrypoint and swaps the value atomically. If anything
/// fails the old value keeps serving and the error is reported through <see cref="Reloaded"/> and the hub's logger.
/// A version that failed (to build, load or answer) is remembered: polls report its error without rebuilding it
/// until the ref moves, and an explicit <see cref="ReloadAsync"/> tries it again.
/// </summary>
/// <remarks>
/// Each version lives in its own load context. The handle releases a replaced version (and disposes its value
/// when it is <see cref="IDisposable"/>) once the calls in flight on it finish: use <see cref="Acquire"/> or
/// <see cref="UseAsync{TResult}"/> for each call, which pin the version for the call's duration. A value read from
/// <see cref="Current"/> and kept beyond a reload keeps the old context alive and is disposed under you; don't keep it.
/// The handle owns the versions it loads: don't <see cref="HubRepo.Dispose"/> them elsewhere.
/// </remarks>
/// <typeparam name="T">What the entrypoint returns (a model, a tokenizer...), as the host sees it.</typeparam>
public sealed class ReloadableEntrypoint<T> : IDisposable
{
    private readonly HubClient _hub;
    private readonly string _entrypoint;
    private readonly object? _arguments;
    private readonly ReloadOptions _options;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private readonly CancellationTokenSource _disposed = new();
    private Generation? _current;
    private Task? _polling;

    /// <summary>The last version that failed to build, load or answer, with why: polls skip it until the ref moves.</summary>
    private (string ContentKey, Exception Error)? _failed;

    private ReloadableEntrypoint(HubClient hub, string repo, string entrypoint, object? arguments, ReloadOptions options, Generation first)
    {
        _hub = hub;
        Repo = repo;
        _entrypoint = entrypoint;
        _arguments = arguments;
        _options = options;
        _current = first;
    }

    /// <summary>Loads the repo (from the cache when it can), calls the entrypoint, and starts polling if <see cref="ReloadOptions.PollInterval"/> is set.</summary>
    /// <param name="hub">The hub that fetches, builds and loads.</param>
    /// <param name="repo">A local folder, <c>owner/name[:ref]</c>, a git URL with <c>#ref</c>, or <c>nuget:Id@range</c> (a reload takes the highest version in the range).</param>
    /// <param name="entrypoint">The entrypoint to call on each version.</param>
    /// <param name="arguments">Its arguments, as for <see cref="HubClient.LoadAsync(string, string, object?, HubLoadOptions?, CancellationToken)"/>.</param>
    /// <param name="options">Polling and trust; null for the defaults (reload on demand only).</param>
    /// <param name="cancellationToken">Stops the first load.</param>
    /// <exception cref="HubException">The first version could not be fetched, built, loaded or called.</exception>
    public static async Task<ReloadableEntrypoint<T>> CreateAsync(HubClient hub, string repo, string entrypoint, object? arguments = null,
        ReloadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(hub);
        ArgumentException.ThrowIfNullOrWhiteSpace(repo);
        ArgumentException.ThrowIfNullOrWhiteSpace(entrypoint);
        options ??= new ReloadOptions();
        if (options.PollInterval is { } poll && poll <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), poll, "PollInterval must be positive.");
        var loadedBefore = hub.Loaded.ToHashSet(ReferenceEqualityComparer.Instance);
        var opened = await hub.OpenAsync(repo, new HubLoadOptions { TrustRepo = options.TrustRepo, Lock = options.Lock }, cancellationToken).ConfigureAwait(false);
        T value;
        try
        {
            value = await CallAsync(opened, repo, entrypoint, arguments, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // The handle would have owned this version; with no handle, nobody releases it, unless another caller had it loaded.
            if (!loadedBefore.Contains(opened)) opened.Dispose();
            throw;
        }
        var handle = new ReloadableEntrypoint<T>(hub, repo, entrypoint, arguments, options, new Generation(opened, value));
        if (options.PollInterval is { } interval)
        {
            // The timer starts now, on the hub's clock (TimeProvider): the first poll is one interval after the first load.
            var timer = new PeriodicTimer(interval, hub.TimeProvider);
            handle._polling = Task.Run(() => handle.PollAsync(timer));
        }
        return handle;
    }

    /// <summary>The repo as given (with its ref).</summary>
    public string Repo { get; }

    /// <summary>
    /// The current value. Read it for each use and don't keep it across reloads (see the remarks); prefer
    /// <see cref="Acquire"/> or <see cref="UseAsync{TResult}"/>, which keep the version loaded while you use it.
    /// </summary>
    public T Current => Live().Value;

    /// <summary>The version serving now (commit or content hash prefix).</summary>
    public string Version => Live().Repo.Version;

    /// <summary>The loaded repo version serving now (for tests).</summary>
    internal HubRepo CurrentRepo => Live().Repo;

    /// <summary>Raised after each reload attempt: the old and new version, whether it changed, or the error.</summary>
    public event EventHandler<ReloadedEventArgs>? Reloaded;

    /// <summary>Pins the current version until the lease is disposed: a reload meanwhile swaps in the new one, and this one is released only after.</summary>
    public ReloadLease<T> Acquire()
    {
        lock (_gate)
        {
            var generation = _current ?? throw new ObjectDisposedException(nameof(ReloadableEntrypoint<T>));
            generation.Leases++;
            return new ReloadLease<T>(this, generation, generation.Value, generation.Repo.Version);
        }
    }

    /// <summary>Runs <paramref name="work"/> on the current value, keeping its version loaded until the work finishes.</summary>
    public async Task<TResult> UseAsync<TResult>(Func<T, CancellationToken, Task<TResult>> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var lease = Acquire();
        return await work(lease.Value, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Re-resolves the ref (fetching), builds and loads the new version, calls the entrypoint and swaps. Never
    /// throws for a failed reload: the old version keeps serving and the outcome says why (it is also raised as
    /// <see cref="Reloaded"/>). Concurrent calls run one after another. This always tries again a version that
    /// failed before; polling does not (it reports the remembered error until the ref moves).
    /// </summary>
    public Task<ReloadedEventArgs> ReloadAsync(CancellationToken cancellationToken = default) => ReloadOnceAsync(retryFailed: true, cancellationToken);

    private async Task<ReloadedEventArgs> ReloadOnceAsync(bool retryFailed, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        var token = linked.Token;
        await _reloadGate.WaitAsync(token).ConfigureAwait(false);
        ReloadedEventArgs outcome;
        bool remembered;
        try
        {
            (outcome, remembered) = await ReloadCoreAsync(retryFailed, token).ConfigureAwait(false);
        }
        finally
        {
            _reloadGate.Release();
        }
        if (remembered)
            _hub.Logger.LogDebug("{Repo} still names a version that failed before; {Version} keeps serving until the ref moves", Repo, outcome.OldVersion);
        else if (outcome.Error is not null)
            _hub.Logger.LogWarning("Reloading {Repo} failed; {Version} keeps serving: {Message}", Repo, outcome.OldVersion, outcome.Error.Message);
        else if (outcome.Changed)
            _hub.Logger.LogInformation("Reloaded {Repo}: {Old} -> {New}", Repo, outcome.OldVersion, outcome.NewVersion);
        try
        {
            Reloaded?.Invoke(this, outcome);
        }
        catch (Exception e)
        {
            _hub.Logger.LogWarning(e, "A Reloaded handler of {Repo} threw", Repo);
        }
        return outcome;
    }

    /// <summary>One reload; Remembered: the ref still names the version that failed before, which was not tried again.</summary>
    private async Task<(ReloadedEventArgs Outcome, bool Remembered)> ReloadCoreAsync(bool retryFailed, CancellationToken token)
    {
        var old = Live();
        var oldVersion = old.Repo.Version;
        ResolvedRepo resolved;
        try
        {
            resolved = await _hub.Pipeline.ResolveAsync(_hub.Pipeline.Parse(Repo), new HubLoadOptions { ForceReload = true, TrustRepo = _options.TrustRepo, Lock = _options.Lock }, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
        {
            return (new ReloadedEventArgs(oldVersion, oldVersion, false, e), false);
        }
        HubRepo opened;
        using (resolved)
        {
            var contentKey = resolved.Snapshot.ContentKey.ToString();
            if (contentKey == old.Repo.ContentKey)
                return (new ReloadedEventArgs(oldVersion, oldVersion, false, null), false);
            if (!retryFailed && _failed is { } failed && failed.ContentKey == contentKey)
                return (new ReloadedEventArgs(oldVersion, oldVersion, false, failed.Error), true);
            try
            {
                opened = await _hub.Pipeline.LoadAsync(resolved, token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
            {
                _failed = (contentKey, e);
                return (new ReloadedEventArgs(oldVersion, oldVersion, false, e), false);
            }
        }
        if (ReferenceEquals(opened, old.Repo) || opened.ContentKey == old.Repo.ContentKey)
            return (new ReloadedEventArgs(oldVersion, oldVersion, false, null), false);

        T value;
        try
        {
            value = await CallAsync(opened, Repo, _entrypoint, _arguments, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
        {
            opened.Dispose();
            _failed = (opened.ContentKey, e);
            return (new ReloadedEventArgs(oldVersion, oldVersion, false, e), false);
        }
        _failed = null;

        Generation? retired;
        lock (_gate)
        {
            if (_current is null)
            {
                retired = null; // disposed meanwhile
            }
            else
            {
                retired = _current;
                _current = new Generation(opened, value);
            }
        }
        if (retired is null)
        {
            Free(new Generation(opened, value));
            throw new ObjectDisposedException(nameof(ReloadableEntrypoint<T>));
        }
        Retire(retired);
        return (new ReloadedEventArgs(oldVersion, opened.Version, true, null), false);
    }

    private async Task PollAsync(PeriodicTimer timer)
    {
        using var _ = timer;
        try
        {
            while (await timer.WaitForNextTickAsync(_disposed.Token).ConfigureAwait(false))
                await ReloadOnceAsync(retryFailed: false, _disposed.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
            // disposed
        }
        catch (ObjectDisposedException)
        {
            // disposed
        }
    }

    private static async Task<T> CallAsync(HubRepo repo, string name, string entrypoint, object? arguments, CancellationToken cancellationToken)
    {
        var result = await repo.InvokeAsync(entrypoint, arguments, cancellationToken).ConfigureAwait(false);
        return result switch
        {
            T typed => typed,
            null when default(T) is null => default!,
            _ => throw new HubException($"The entrypoint {entrypoint} of {name} ({repo.Version}) returned {(result is null ? "null" : result.GetType().FullName)}, not {typeof(T).FullName}."),
        };
    }

    private Generation Live() => Volatile.Read(ref _current) ?? throw new ObjectDisposedException(nameof(ReloadableEntrypoint<T>));

    /// <summary>Marks a replaced version; frees it now if no lease holds it, else when the last lease ends.</summary>
    private void Retire(Generation generation)
    {
        bool free;
        lock (_gate)
        {
            generation.Retired = true;
            free = generation.Leases == 0 && !generation.Freed;
            if (free) generation.Freed = true;
        }
        if (free) Free(generation);
    }

    internal void EndLease(Generation generation)
    {
        bool free;
        lock (_gate)
        {
            generation.Leases--;
            free = generation.Retired && generation.Leases == 0 && !generation.Freed;
            if (free) generation.Freed = true;
        }
        if (free) Free(generation);
    }

    private void Free(Generation generation)
    {
        var value = generation.Value;
        generation.Value = default!;
        try
        {
            (value as IDisposable)?.Dispose();
        }
        catch (Exception e)
        {
            _hub.Logger.LogWarning(e, "Disposing the old value of {Repo} ({Version}) threw", Repo, generation.Repo.Version);
        }
        generation.Repo.Dispose();
    }

    /// <summary>Stops polling and releases the current version once the leases on it end.</summary>
    public void Dispose()
    {
        Generation? last;
        lock (_gate)
        {
            last = _current;
            _current = null;
        }
        if (last is null) return;
        _disposed.Cancel();
        try
        {
            _polling?.Wait(TimeSpan.FromSeconds(30));
        }
        catch (AggregateException)
        {
            // the poller reports its own errors
        }
        Retire(last);
        _disposed.Dispose();
    }

    /// <summary>One loaded version and its value.</summary>
    internal sealed class Generation(HubRepo repo, T value)
    {
        public HubRepo Repo { get; } = repo;

        public T Value { get; set; } = value;

        public int Leases { get; set; }

        public bool Retired { get; set; }

        public bool Freed { get; set; }
    }
}

/// <summary>A version of a <see cref="ReloadableEntrypoint{T}"/> pinned for one use; dispose it when done.</summary>
/// <typeparam name="T">The entrypoint's value type.</typeparam>
public sealed class ReloadLease<T> : IDisposable
{
    private ReloadableEntrypoint<T>? _owner;
    private ReloadableEntrypoint<T>.Generation? _generation;

    internal ReloadLease(ReloadableEntrypoint<T> owner, ReloadableEntrypoint<T>.Generation generation, T value, string version)
    {
        _owner = owner;
        _generation = generation;
        Value = value;
        Version = version;
    }

    /// <summary>The value of the pinned version.</summary>
    public T Value { get; private set; }

    /// <summary>The pinned version.</summary>
    public string Version { get; }

    /// <summary>Ends the lease; a replaced version is released when its last lease ends.</summary>
    public void Dispose()
    {
        var owner = Interlocked.Exchange(ref _owner, null);
        if (owner is null) return;
        Value = default!;
        owner.EndLease(_generation!);
        _generation = null;
    }
}

/// <summary>How a <see cref="ReloadableEntrypoint{T}"/> reloads.</summary>
public sealed record ReloadOptions
{
    /// <summary>Reload on this interval as well as on demand (null: on demand only). Each poll fetches, so keep it to minutes for remote repos.</summary>
    public TimeSpan? PollInterval { get; init; }

    /// <summary>Trust for the repo (checked on each reload, like any load).</summary>
    public TrustRepo TrustRepo { get; init; } = TrustRepo.Check;

    /// <summary>
    /// Load exactly what this lock records (<see cref="HubLoadOptions.Lock"/>): the locked version, packages and weights. A reload
    /// under a lock finds the same locked version and keeps it; a lock that does not list the repo, or any drift, fails the first load.
    /// </summary>
    public HubLock? Lock { get; init; }
}

/// <summary>The outcome of one reload (also raised as <see cref="ReloadableEntrypoint{T}.Reloaded"/>).</summary>
public sealed class ReloadedEventArgs : EventArgs
{
    /// <summary>Creates the outcome of one reload.</summary>
    /// <param name="oldVersion">The version serving before.</param>
    /// <param name="newVersion">The version serving after (the old one when nothing changed or the reload failed).</param>
    /// <param name="changed">Whether a new version was swapped in.</param>
    /// <param name="error">Why the reload failed, or null.</param>
    public ReloadedEventArgs(string oldVersion, string newVersion, bool changed, Exception? error)
    {
        OldVersion = oldVersion;
        NewVersion = newVersion;
        Changed = changed;
        Error = error;
    }

    /// <summary>The version serving before.</summary>
    public string OldVersion { get; }

    /// <summary>The version serving after (the old one when nothing changed or the reload failed).</summary>
    public string NewVersion { get; }

    /// <summary>Whether a new version was swapped in.</summary>
    public bool Changed { get; }

    /// <summary>Why the reload failed (fetch, build, load or the entrypoint), or null.</summary>
    public Exception? Error { get; }
}
