using HubHost.Downloads;

namespace HubHost.Locking;

/// <summary>
/// The weights rule of one loaded repo version, consulted on every fetch through its services (state dicts and TorchScript
/// archives alike): with no lock, none; once the version was opened under a lock, every URL must be one the lock lists and its
/// file must have the locked SHA-256 (and <c>hf://</c> commit), or the fetch is refused with one line. A version opened under a
/// lock keeps that rule for as long as it is loaded (its models may fetch weights later, outside the call that loaded them).
/// </summary>
internal sealed class RepoWeights
{
    private sealed record Attached(HubLock Lock, LockedRepo Entry);

    private volatile Attached? _attached;

    private volatile bool _verify;

    /// <summary>From now on, fetches follow <paramref name="entry"/> of <paramref name="hubLock"/>; <paramref name="verify"/>: re-hash cached files in full.</summary>
    public void Attach(HubLock hubLock, LockedRepo entry, bool verify)
    {
        _attached = new Attached(hubLock, entry);
        if (verify) _verify = true;
    }

    /// <summary>From now on, re-hash cached files in full (<c>--verify</c>).</summary>
    public void RequestVerify() => _verify = true;

    /// <summary>Whether cached files are re-hashed in full rather than checked against their record.</summary>
    public bool Verify => _verify;

    /// <summary>
    /// What the lock requires of <paramref name="source"/>'s file; null without a lock, or while a lock is being written (it records
    /// what is fetched now). Refused when the lock does not list the URL.
    /// </summary>
    public ExpectedFile? Expect(WeightsSource source)
    {
        if (WeightsRecorder.Current is not null || _attached is not { } attached) return null;
        var locked = attached.Entry.Weights.FirstOrDefault(w => w.Url == source.Shown)
                     ?? throw LockDrift.UnlistedWeights(attached.Lock, attached.Entry.Repo, source.Shown);
        return new ExpectedFile(locked.Sha256, locked.Commit, (sha256, commit) => LockDrift.Weights(attached.Lock, attached.Entry.Repo, locked, sha256, commit));
    }
}

/// <summary>
/// Collects what is fetched while a lock is written (<see cref="HubClient.LockAsync"/>): every weights file the recorded calls
/// fetch through the repo's services, in this async flow only (other loads running meanwhile are not recorded).
/// </summary>
internal sealed class WeightsRecorder
{
    private static readonly AsyncLocal<WeightsRecorder?> CurrentSlot = new();

    private readonly Dictionary<string, LockedWeights> _weights = new(StringComparer.Ordinal);

    /// <summary>The recorder of this async flow, or null.</summary>
    public static WeightsRecorder? Current => CurrentSlot.Value;

    /// <summary>Makes <paramref name="recorder"/> current until the returned scope is disposed.</summary>
    public static IDisposable Begin(WeightsRecorder recorder)
    {
        var previous = CurrentSlot.Value;
        CurrentSlot.Value = recorder;
        return new Scope(() => CurrentSlot.Value = previous);
    }

    /// <summary>Records one fetched file (once per URL; fetching a URL again with other bytes in one run is refused).</summary>
    public void Add(WeightsSource source, string? fileName, CachedFile file)
    {
        lock (_weights)
        {
            if (_weights.TryGetValue(source.Shown, out var seen) && seen.Sha256 != file.Sha256)
                throw new HubException($"{source.Shown} was fetched twice while locking, with two different files (SHA-256 {seen.Sha256} and {file.Sha256}): it changes under the same URL. Lock it again once it is stable.");
            _weights[source.Shown] = new LockedWeights(source.Shown, file.Sha256, file.Size) { FileName = fileName, Commit = file.Commit };
        }
    }

    /// <summary>What was recorded, by URL.</summary>
    public IReadOnlyList<LockedWeights> Weights
    {
        get
        {
            lock (_weights) return _weights.Values.OrderBy(w => w.Url, StringComparer.Ordinal).ToList();
        }
    }

    private sealed class Scope(Action end) : IDisposable
    {
        private Action? _end = end;

        public void Dispose() => Interlocked.Exchange(ref _end, null)?.Invoke();
    }
}
