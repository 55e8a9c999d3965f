using System.Diagnostics;

namespace HubHost.Caching;

/// <summary>
/// A lock between processes (and threads) on a lock file: a FileStream opened with FileShare.None, which on
/// Linux and macOS .NET backs with flock, so the kernel releases it when the holder dies. Waits are bounded.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;

    private FileLock(FileStream stream) => _stream = stream;

    /// <summary>Takes the lock at <paramref name="path"/>, polling until <paramref name="timeout"/>.</summary>
    /// <param name="path">The lock file (created if missing, never deleted: deleting a lock file races).</param>
    /// <param name="what">What the lock guards, for the timeout message.</param>
    /// <param name="timeout">How long to wait for another holder.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    public static async Task<FileLock> AcquireAsync(string path, string what, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var watch = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            try
            {
                return new FileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None));
            }
            catch (IOException) when (watch.Elapsed < timeout)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                if (delay < TimeSpan.FromMilliseconds(250)) delay *= 2;
            }
            catch (IOException e)
            {
                throw new HubException($"Timed out after {timeout.TotalSeconds:0} s waiting for another process {what} (lock file {path}). " +
                                       "If no other hubhost process is running, try again; the lock is released when its holder exits.", e);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
