namespace HubHost.Loading;

/// <summary>
/// The build and load of one repo version, shared by every caller that asks for it while it runs. Each caller
/// waits with its own cancellation token: a caller that cancels stops only its own wait, and the shared work is
/// cancelled once no caller waits any more (then the next caller starts it again).
/// </summary>
internal sealed class SharedLoad<T>
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly Lazy<Task<T>> _work;
    private int _waiters;

    /// <summary>
    /// The work starts on the first waiter's thread and runs there until its first wait for I/O (a cached version: to the end).
    /// Not through <c>Task.Run</c>: that hop made every async step of a load suspend, and each suspended step costs its
    /// state machine's JIT-compiled box in a fresh process (~40 methods, ~6 ms of a `hubhost load`). A waiter's cancellation
    /// takes effect once the work first waits (a build, a fetch); the steps before it are bounded (hashing, reading records).
    /// </summary>
    public SharedLoad(Func<CancellationToken, Task<T>> work)
        => _work = new Lazy<Task<T>>(() => work(_cancel.Token));

    /// <summary>The shared work (started by the first wait).</summary>
    public Task<T> Work => _work.Value;

    /// <summary>Whether the work finished and gave its result.</summary>
    public bool Succeeded => _work.IsValueCreated && _work.Value.IsCompletedSuccessfully;

    /// <summary>Whether the work was cancelled because every caller stopped waiting (not by a failure of its own).</summary>
    public bool Abandoned => _cancel.IsCancellationRequested;

    /// <summary>Waits for the shared work; <paramref name="cancellationToken"/> ends this caller's wait only.</summary>
    public async Task<T> WaitAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiters);
        var leftEarly = false;
        try
        {
            return await Work.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            leftEarly = true;
            throw;
        }
        finally
        {
            if (Interlocked.Decrement(ref _waiters) == 0 && leftEarly && !Work.IsCompleted) _cancel.Cancel();
        }
    }
}
