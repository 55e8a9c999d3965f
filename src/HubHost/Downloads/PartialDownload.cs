using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace HubHost.Downloads;

/// <summary>
/// One download's state across attempts: the temp file, the running hash, the bytes kept so far. Receiving and
/// writing on one thread overlap with hashing on another (see <see cref="ReceiveAsync"/>).
/// </summary>
internal sealed class PartialDownload(SafeFileHandle file, string path, IProgress<DownloadProgress>? progress, DownloadSettings settings, TimeProvider time) : IDisposable
{
    private SafeFileHandle _file = file;

    private IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly Stopwatch _sinceReport = Stopwatch.StartNew();
    private long _written; // the file's length so far, which may exceed Received after a restart

    /// <summary>The temp file.</summary>
    public string Path => path;

    /// <summary>The temp file's handle (owned: disposed with this).</summary>
    public SafeFileHandle File => _file;

    /// <summary>
    /// Reserves the file's blocks for <paramref name="length"/> bytes before the first byte is written (fallocate,
    /// keeping the size at 0, so the file still holds exactly the bytes received): writing into reserved blocks
    /// measured 0.06-0.08 s for 256 MB, against 0.06-0.6 s for a file grown write by write on this machine.
    /// Only for an empty file: the handle is reopened, which reserves space only when a file is created.
    /// </summary>
    public void Preallocate(long length)
    {
        if (_written != 0 || Received != 0 || length <= 0) return;
        try
        {
            var reserved = System.IO.File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, FileOptions.None, preallocationSize: length);
            _file.Dispose();
            _file = reserved;
        }
        catch (IOException)
        {
            // Not enough space to reserve it all (.NET then removes the file it could not reserve): write as the bytes
            // come into a new empty file, and let the writes say what is wrong.
            if (!System.IO.File.Exists(path))
            {
                var plain = System.IO.File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
                _file.Dispose();
                _file = plain;
            }
        }
    }

    public long Received { get; private set; }

    public long? Total { get; set; }

    public bool RangeSupported { get; set; }

    public RangeConditionHeaderValue? Validator { get; set; }

    /// <summary>Goes back to byte 0; the file is emptied, so what it holds is always a prefix of the body (a later process may resume from it).</summary>
    public void Restart()
    {
        RandomAccess.SetLength(_file, 0);
        _written = 0;
        Received = 0;
        _hash.Dispose();
        _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        ReportProgress(force: true);
    }

    /// <summary>Continues from the first <paramref name="length"/> bytes already in the file (left by a killed process): they are hashed now.</summary>
    public void Resume(long length)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            for (long offset = 0; offset < length;)
            {
                var read = RandomAccess.Read(_file, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - offset)), offset);
                if (read == 0) throw new IOException($"'{path}' ended at {offset} of {length} bytes while it was being read back.");
                _hash.AppendData(buffer.AsSpan(0, read));
                offset += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        Received = _written = length;
    }

    public string FinishHash() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    /// <summary>Trims anything left from an earlier, longer attempt.</summary>
    public void Complete()
    {
        if (_written != Received) RandomAccess.SetLength(_file, Received);
        ReportProgress(force: true);
    }

    public void ReportProgress(bool force)
    {
        if (progress is null || (!force && _sinceReport.Elapsed < settings.ProgressInterval)) return;
        _sinceReport.Restart();
        progress.Report(new DownloadProgress(Received, Total));
    }

    /// <summary>
    /// Reads the body to its end (or a failure) on a dedicated thread with blocking reads, writing each filled
    /// buffer to the file at once, and hands it to a second dedicated thread that hashes it, in order, and only then
    /// counts it in <see cref="Received"/> and frees the buffer: the hash covers exactly the bytes written, and
    /// receiving and writing overlap with hashing. SHA-256 is the slowest stage (it runs at about 1.1 GB/s on one
    /// core), so the hashing thread is the critical path: the receiving thread lowers its own priority (see
    /// <see cref="ThreadNice"/>) so that on a busy machine it is the one that waits. Writing on the receiving thread
    /// rather than on a third one measured 3-5% faster (one hand-off less per buffer; the buffer is still in the
    /// cache when written); 512 KB buffers or eight of them changed nothing measurable, 2 MB ones (beyond a core's
    /// 2 MB L2 cache) were 15-25% slower. A timer aborts a read that waits longer than <see cref="DownloadSettings.ReadTimeout"/>;
    /// cancellation aborts it too.
    /// </summary>
    public Task ReceiveAsync(Stream body, CancellationToken cancellationToken)
    {
        // The caller's continuation must not run on the receiving thread, whose priority stays lowered (an
        // unprivileged thread cannot raise it back): the thread ends here and the caller goes on in the pool.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                Receive(body, cancellationToken);
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        { IsBackground = true, Name = "HubHost download" }.Start();
        return done.Task;
    }

    private void Receive(Stream body, CancellationToken cancellationToken)
    {
        const int depth = 4; // one being received and written, one hashed, two spare
        var chunkSize = settings.ChunkSize;
        var buffers = new byte[depth][];
        for (var i = 0; i < depth; i++) buffers[i] = ArrayPool<byte>.Shared.Rent(chunkSize);
        using var free = new BlockingCollection<byte[]>(depth);
        using var written = new BlockingCollection<(byte[] Buffer, int Length)>(depth);
        foreach (var buffer in buffers) free.Add(buffer);
        using var hasherFailed = new CancellationTokenSource();
        var hasher = Task.Factory.StartNew(() => HashAll(written, free, hasherFailed), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default); // its own thread
        ThreadNice.LowerCurrentThread(ThreadNice.ReceiveIncrement); // after starting the hasher, which would inherit it

        long readingSince = 0; // when the current read started; 0 while not reading (waiting for a buffer)
        var timedOut = 0;
        long bytesRead = 0; // this attempt's, for the stall check
        // Milliseconds on the hub's clock (never 0: 0 means "not reading").
        long Now() => 1 + (long)(time.GetTimestamp() * 1000.0 / time.TimestampFrequency);
        var windowStart = Now();
        long windowBytes = 0;
        long stalledWith = -1; // bytes of the window that failed the stall check
        var stallMs = (long)settings.StallTime.TotalMilliseconds;
        var abortGate = new object();
        var aborted = false;
        void Abort()
        {
            lock (abortGate)
            {
                if (aborted) return;
                aborted = true;
            }
            try { body.Dispose(); } catch (Exception) { /* a blocked read fails, which is the point */ }
        }
        var shortest = settings.MinimumSpeed > 0 && settings.StallTime < settings.ReadTimeout ? settings.StallTime : settings.ReadTimeout;
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond * 10, shortest.Ticks / 4));
        using var watchdog = time.CreateTimer(_ =>
        {
            var now = Now();
            var since = Volatile.Read(ref readingSince);
            if (since != 0 && now - since > settings.ReadTimeout.TotalMilliseconds)
            {
                Volatile.Write(ref timedOut, 1);
                Abort();
            }
            // The stall check: the average speed over each StallTime window (only this timer touches the window).
            if (settings.MinimumSpeed > 0 && now - windowStart >= stallMs)
            {
                var total = Volatile.Read(ref bytesRead);
                var got = total - windowBytes;
                if (got < settings.MinimumSpeed * (now - windowStart) / 1000)
                {
                    Volatile.Write(ref stalledWith, got);
                    Abort();
                }
                windowStart = now;
                windowBytes = total;
            }
        }, null, period, period);
        using var onCancel = cancellationToken.Register(Abort);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, hasherFailed.Token);

        Exception? readError = null;
        var offset = Received; // where the next buffer goes in the file: the hasher catches up with it at the end
        try
        {
            var ended = false;
            while (!ended)
            {
                var current = free.Take(stop.Token);
                var filled = 0;
                try
                {
                    while (filled < chunkSize)
                    {
                        Volatile.Write(ref readingSince, Now());
                        var read = body.Read(current, filled, chunkSize - filled);
                        if (read == 0)
                        {
                            ended = true;
                            break;
                        }
                        filled += read;
                        Volatile.Write(ref bytesRead, bytesRead + read);
                    }
                }
                catch (Exception e) when (e is IOException or HttpRequestException or ObjectDisposedException && !cancellationToken.IsCancellationRequested)
                {
                    // Bytes read before the failure are good: keep them, a resume starts right after them.
                    readError = e;
                    ended = true;
                }
                Volatile.Write(ref readingSince, 0);
                if (filled > 0)
                {
                    Write(current, filled, offset);
                    offset += filled;
                }
                written.Add((current, filled), stop.Token);
            }
        }
        catch (OperationCanceledException) when (hasherFailed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The hasher failed: its exception is thrown below.
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            readError = null; // reported as cancellation below
        }
        finally
        {
            written.CompleteAdding();
            try { hasher.Wait(); } catch (AggregateException) { /* rethrown below */ }
            foreach (var buffer in buffers) ArrayPool<byte>.Shared.Return(buffer);
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (hasher.IsFaulted) ExceptionDispatchInfo.Throw(hasher.Exception!.InnerException!);
        if (Volatile.Read(ref stalledWith) is >= 0 and var slow)
        {
            var window = settings.StallTime.TotalSeconds;
            throw new TransientDownloadException(
                $"it stalled: {slow} bytes arrived in {window:0.#} s, below the minimum of {settings.MinimumSpeed} bytes/s " +
                $"({Received}{(Total is { } all ? $" of {all}" : "")} bytes received)", inner: readError, retry: false);
        }
        if (readError is not null)
        {
            var reason = Volatile.Read(ref timedOut) == 1 ? $"no data for {settings.ReadTimeout.TotalSeconds:0.#} s" : FileDownloader.Describe(readError);
            throw new TransientDownloadException(
                Total is { } total ? $"{reason} ({Received} of {total} bytes received)" : $"{reason} ({Received} bytes received)",
                inner: readError);
        }
    }

    /// <summary>Writes one buffer at its place in the file (from the receiving thread, before the buffer is hashed).</summary>
    private void Write(byte[] buffer, int length, long offset)
    {
        try
        {
            RandomAccess.Write(_file, buffer.AsSpan(0, length), offset);
        }
        catch (IOException e)
        {
            _written = Math.Max(_written, offset + length); // part of it may be in the file: Complete never runs, the file is removed
            throw new HubException($"Cannot write the download to '{path}': {e.Message}. Check the free space there, or choose another destination.", e);
        }
    }

    /// <summary>Hashes the written buffers in order; only a hashed buffer counts as received.</summary>
    private void HashAll(BlockingCollection<(byte[] Buffer, int Length)> written, BlockingCollection<byte[]> free, CancellationTokenSource failed)
    {
        try
        {
            foreach (var (buffer, length) in written.GetConsumingEnumerable())
            {
                if (length > 0)
                {
                    _hash.AppendData(buffer.AsSpan(0, length));
                    Received += length;
                    _written = Math.Max(_written, Received);
                    ReportProgress(force: false);
                }
                free.Add(buffer);
            }
        }
        catch (Exception)
        {
            failed.Cancel();
            throw;
        }
    }

    public void Dispose()
    {
        _hash.Dispose();
        _file.Dispose();
    }
}
