using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace HubHost.Downloads;

/// <summary>
/// An exclusive lock on one destination file, held through a lock file beside it (<c>.{name}.lock</c>) opened
/// with <see cref="FileShare.None"/>: .NET takes an advisory flock on Unix and a share lock on Windows, both
/// released by the operating system if the process dies, so a crashed download never blocks the next one.
/// The lock file is removed on release.
/// </summary>
internal sealed class DestinationLock : IDisposable
{
    private readonly FileStream _stream;

    private DestinationLock(FileStream stream, string path, bool waited)
    {
        _stream = stream;
        LockPath = path;
        Waited = waited;
    }

    public string LockPath { get; }

    /// <summary>True when another holder had the lock first and this one waited for it.</summary>
    public bool Waited { get; }

    public static string PathFor(string destination)
    {
        var directory = Path.GetDirectoryName(destination)!;
        return Path.Combine(directory, "." + TempNames.Shorten(Path.GetFileName(destination)) + ".lock");
    }

    public static async Task<DestinationLock> AcquireAsync(string destination, DownloadSettings settings, ILogger logger, CancellationToken cancellationToken)
    {
        var path = PathFor(destination);
        var clock = Stopwatch.StartNew();
        var waited = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1);
                return new DestinationLock(stream, path, waited);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new HubException($"Cannot create the lock file '{path}': {e.Message} Check that the directory is writable.", e);
            }
            catch (IOException e) when (e.GetType() == typeof(IOException))
            {
                // Held by another download of the same destination (this process or another one).
                if (!waited)
                    logger.LogInformation("Waiting for another download of {Destination} to finish (lock file {LockPath})", destination, path);
                waited = true;
                if (clock.Elapsed >= settings.LockTimeout)
                    throw new HubException(
                        $"Gave up after {clock.Elapsed.TotalSeconds:0} s waiting for another download of '{destination}' to finish " +
                        $"(lock file '{path}' is held). If no other download of that file is running, try again.", e);
                await Task.Delay(settings.LockPollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public void Dispose()
    {
        // Unlinked while still held, so a waiter never locks a file that is about to disappear under it.
        try { File.Delete(LockPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _stream.Dispose();
    }
}
