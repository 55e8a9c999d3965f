using System.Diagnostics;

namespace HubHost.Storage;

/// <summary>
/// A lock between processes (and threads) on a lock file: a FileStream opened with FileShare.None, which on
/// Linux and macOS .NET backs with flock (a share lock on Windows), so the operating system releases it when
/// the holder dies. Waits are bounded. Used for builds, git mirrors, the trusted list and downloads.
/// A shared lock (read-only, FileShare.Read: flock LOCK_SH) admits other shared holders and excludes an
/// exclusive one: loads hold the content they use shared, cache removal takes it exclusively.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;
    private readonly bool _removeOnRelease;

    private FileLock(FileStream stream, string path, bool waited, bool removeOnRelease)
    {
        _stream = stream;
        Path = path;
        Waited = waited;
        _removeOnRelease = removeOnRelease;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>True when another holder had the lock first and this one waited for it.</summary>
    public bool Waited { get; }

    /// <summary>Takes the lock at <paramref name="path"/>, polling until <paramref name="timeout"/>.</summary>
    /// <param name="path">The lock file (created if missing).</param>
    /// <param name="what">What the holder does, for the timeout message ("building owner/name").</param>
    /// <param name="timeout">How long to wait for another holder.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <param name="pollInterval">Fixed time between tries; null for a back-off from 20 to 250 ms.</param>
    /// <param name="onWait">Called once when the lock is found held (e.g. to log that this call waits).</param>
    /// <param name="shared">Take a shared lock (many holders) instead of an exclusive one.</param>
    /// <param name="removeOnRelease">
    /// Delete the lock file on release (for lock files beside a user's own files). It is unlinked while still
    /// held; a rare third contender may then lock a fresh file at the same time, so use it only where that costs
    /// duplicated work, never corruption.
    /// </param>
    public static async Task<FileLock> AcquireAsync(string path, string what, TimeSpan timeout, CancellationToken cancellationToken,
        TimeSpan? pollInterval = null, Action? onWait = null, bool removeOnRelease = false, bool shared = false)
    {
        var folder = System.IO.Path.GetDirectoryName(path)!;
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HubException($"Cannot create the lock folder '{folder}' ({e.Message.TrimEnd('.')}). Check that the hub directory is a folder you can write to.", e);
        }
        var watch = Stopwatch.StartNew();
        var delay = pollInterval ?? TimeSpan.FromMilliseconds(20);
        var waited = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var stream = shared
                    ? new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.Read, 1, FileOptions.None)
                    : new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
                return new FileLock(stream, path, waited, removeOnRelease);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new HubException($"Cannot create the lock file '{path}': {e.Message} Check that the folder is writable.", e);
            }
            catch (IOException e) when (e.GetType() == typeof(IOException)) // held by someone else (not a missing folder or a full disk)
            {
                if (!waited) onWait?.Invoke();
                waited = true;
                if (watch.Elapsed >= timeout)
                    throw new HubException($"Gave up after {watch.Elapsed.TotalSeconds:0} s waiting for another process {what} (lock file {path}). " +
                                           "If no other hubhost process is running, try again; the lock is released when its holder exits.", e);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                if (pollInterval is null && delay < TimeSpan.FromMilliseconds(250)) delay *= 2;
            }
        }
    }

    /// <summary>Takes the lock if it is free right now; null when another holder has it.</summary>
    public static async Task<FileLock?> TryAcquireAsync(string path, CancellationToken cancellationToken, TimeSpan? wait = null)
    {
        try
        {
            return await AcquireAsync(path, "", wait ?? TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        }
        catch (HubException e) when (e.InnerException is IOException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        if (_removeOnRelease)
        {
            try { File.Delete(Path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        _stream.Dispose();
    }
}
