using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using HubHost.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace HubHost.Downloads;

/// <summary>What to do when the destination exists once the lock is held.</summary>
internal enum ExistingFile
{
    /// <summary>Download again, unless another process finished the same destination while this one waited (download_url_to_file).</summary>
    Replace,

    /// <summary>Use it as it is (the checkpoint cache).</summary>
    Use,
}

/// <summary>
/// Downloads one URL to one file: streamed, SHA-256 computed as bytes arrive, written to a unique temp file
/// beside the destination and moved into place only when complete and verified. Dropped connections resume
/// with a Range request when the server supports it and restart from zero when it does not; transient
/// failures retry with exponential back-off within <see cref="DownloadSettings"/>; concurrent downloads of one
/// destination are serialised by a <see cref="FileLock"/> on a lock file beside the destination.
/// </summary>
/// <param name="http">The shared client (<see cref="HubHttp.Client"/>).</param>
/// <param name="settings">Retries, timeouts and buffers.</param>
/// <param name="logger">Where retries and resumes are logged.</param>
/// <param name="completed">Notes of finished downloads, for a download that waited on another of the same destination.</param>
/// <param name="authorize">The Authorization header for a request URL, or null for none (the Hugging Face token, for its hub's host only).</param>
/// <param name="timeProvider">The clock of the stall check, the read timeout and the back-off (the system's when null).</param>
internal sealed class FileDownloader(HttpClient http, DownloadSettings settings, ILogger logger, CompletedDownloads completed,
    Func<Uri, AuthenticationHeaderValue?>? authorize = null, TimeProvider? timeProvider = null)
{
    private TimeProvider Time { get; } = timeProvider ?? TimeProvider.System;

    /// <param name="url">The http(s) URL.</param>
    /// <param name="destination">The file to write.</param>
    /// <param name="hashPrefix">Hex the SHA-256 must start with (all 64 digits: the full hash), or null.</param>
    /// <param name="progress">Progress reports.</param>
    /// <param name="existing">What to do with a destination that exists once the lock is held.</param>
    /// <param name="cancellationToken">Cancels; nothing is left behind.</param>
    /// <param name="mismatch">The error for bytes whose SHA-256 (the argument) does not have <paramref name="hashPrefix"/>; null for the usual one.</param>
    public async Task<DownloadResult> DownloadAsync(
        Uri url, string destination, string? hashPrefix, IProgress<DownloadProgress>? progress, ExistingFile existing,
        CancellationToken cancellationToken, Func<string, HubException>? mismatch = null)
    {
        if (!UrlText.IsHttp(url)) throw new HubException($"'{UrlText.Redact(url)}' is not an http or https URL.");
        hashPrefix = NormaliseHashPrefix(hashPrefix);
        destination = Path.GetFullPath(destination);
        if (Directory.Exists(destination))
            throw new HubException($"The destination '{destination}' is a directory; give a file path.");
        var directory = Path.GetDirectoryName(destination)!;
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HubException($"Cannot create the directory '{directory}' for the download: {e.Message}", e);
        }

        var before = File.Exists(destination) ? File.GetLastWriteTimeUtc(destination) : (DateTime?)null;
        var lockPath = Path.Combine(directory, "." + TempNames.Shorten(Path.GetFileName(destination)) + ".lock");
        using var gate = await FileLock.AcquireAsync(lockPath, $"downloading '{destination}'", settings.LockTimeout, cancellationToken,
            pollInterval: settings.LockPollInterval,
            onWait: () => logger.LogInformation("Waiting for another download of {Destination} to finish (lock file {LockPath})", destination, lockPath),
            removeOnRelease: true).ConfigureAwait(false);
        var leftover = TakeOverPartials(url, destination);
        if (File.Exists(destination))
        {
            if (existing == ExistingFile.Use)
                return new DownloadResult(destination, null, new FileInfo(destination).Length, Downloaded: false);
            if (gate.Waited && File.GetLastWriteTimeUtc(destination) != before)
            {
                // Another download finished this destination while this one waited. Its file is used when it
                // has the hash asked for, or, without a hash, when that download fetched this same URL.
                var reused = hashPrefix is not null
                    ? await TryReuseAsync(destination, hashPrefix, cancellationToken).ConfigureAwait(false)
                    : completed.Find(url, destination);
                if (reused is not null)
                {
                    logger.LogInformation("Using {Destination}, downloaded from the same URL by another download while this one waited", destination);
                    return reused;
                }
            }
        }
        var result = await TransferAsync(url, destination, hashPrefix, progress, leftover, mismatch, cancellationToken).ConfigureAwait(false);
        completed.Record(url, result);
        return result;
    }

    /// <summary>
    /// Partial downloads of <paramref name="destination"/> left by processes that died (we hold its lock, so no
    /// live download owns one): the longest one with a <see cref="ResumeRecord"/> for this URL is kept to resume
    /// from, every other one is removed with its record.
    /// </summary>
    private (string Path, long Length, ResumeRecord Record)? TakeOverPartials(Uri url, string destination)
    {
        (string Path, long Length, ResumeRecord Record)? best = null;
        foreach (var stale in TempNames.StalePartialsOf(destination))
        {
            long length;
            try
            {
                length = new FileInfo(stale).Length;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            if (length > 0 && ResumeRecord.TryRead(stale, url) is { } record && (record.Total is null || length <= record.Total)
                && (best is null || length > best.Value.Length))
            {
                if (best is { } previous) Remove(previous.Path);
                best = (stale, length, record);
                continue;
            }
            Remove(stale);
        }
        foreach (var orphan in TempNames.StaleResumeRecordsOf(destination))
            if (!File.Exists(orphan[..^ResumeRecordSuffixLength])) Remove(orphan);
        return best;

        void Remove(string path)
        {
            try
            {
                File.Delete(path);
                ResumeRecord.Delete(path);
                logger.LogDebug("Removed {Partial}, left by an interrupted download", path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogDebug("Could not remove {Partial}: {Message}", path, e.Message);
            }
        }
    }

    private static readonly int ResumeRecordSuffixLength = ResumeRecord.PathFor("").Length;

    /// <summary>Lower-case hex, or null for "no check"; anything else is refused.</summary>
    public static string? NormaliseHashPrefix(string? hashPrefix)
    {
        if (string.IsNullOrWhiteSpace(hashPrefix)) return null;
        var prefix = hashPrefix.Trim().ToLowerInvariant();
        if (prefix.Length > 64 || !prefix.All(char.IsAsciiHexDigit))
            throw new HubException($"The hash prefix '{hashPrefix}' is not the start of a SHA-256 hex digest: give up to 64 hex digits, such as 'f37072fd'.");
        return prefix;
    }

    private async Task<DownloadResult?> TryReuseAsync(string destination, string hashPrefix, CancellationToken cancellationToken)
    {
        var (digest, length) = await CheckpointFiles.Sha256Async(destination, cancellationToken).ConfigureAwait(false);
        if (!digest.StartsWith(hashPrefix, StringComparison.Ordinal))
        {
            logger.LogInformation("{Destination} was downloaded by another download but its SHA-256 {Digest} does not start with {Prefix}; downloading again", destination, digest, hashPrefix);
            return null;
        }
        logger.LogInformation("Using {Destination}, downloaded by another download while this one waited", destination);
        return new DownloadResult(destination, digest, length, Downloaded: false);
    }

    private async Task<DownloadResult> TransferAsync(
        Uri url, string destination, string? hashPrefix, IProgress<DownloadProgress>? progress,
        (string Path, long Length, ResumeRecord Record)? leftover, Func<string, HubException>? mismatch, CancellationToken cancellationToken)
    {
        var shown = UrlText.Redact(url);
        var temp = leftover?.Path ?? TempNames.PartialFor(destination);
        SafeFileHandle? handle = null;
        try
        {
            try
            {
                // Created like any other file (0666 less the umask), so the file moved into place is an ordinary one.
                handle = File.OpenHandle(temp, leftover is null ? FileMode.CreateNew : FileMode.Open, leftover is null ? FileAccess.Write : FileAccess.ReadWrite, FileShare.None);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new HubException($"Cannot write the download to '{temp}': {e.Message} Check that the directory is writable.", e);
            }

            using var transfer = new PartialDownload(handle, temp, progress, settings, Time);
            if (leftover is { } kept)
            {
                // A killed process got this far: continue with Range, If-Range its validator (a changed file restarts).
                transfer.Resume(kept.Length);
                transfer.Validator = kept.Record.Validator;
                transfer.Total = kept.Record.Total;
                transfer.RangeSupported = true;
                logger.LogInformation("Download of {Url}: resuming at byte {Offset} from a partial download left by an earlier run", shown, kept.Length);
            }
            await RunAttemptsAsync(url, shown, transfer, cancellationToken).ConfigureAwait(false);

            var digest = transfer.FinishHash();
            if (hashPrefix is not null && !digest.StartsWith(hashPrefix, StringComparison.Ordinal))
                throw mismatch?.Invoke(digest) ?? new HubException(
                    $"The file downloaded from {shown} does not have the expected hash: its SHA-256 should start with '{hashPrefix}' " +
                    $"but is '{digest}'. Nothing was saved to '{destination}'; check the URL and the hash prefix.");
            transfer.Complete();
            transfer.File.Dispose();
            try
            {
                File.Move(temp, destination, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new HubException($"Cannot move the download into place at '{destination}': {e.Message}", e);
            }
            logger.LogDebug("Downloaded {Url} to {Destination}: {Length} bytes, SHA-256 {Digest}", shown, destination, transfer.Received, digest);
            return new DownloadResult(destination, digest, transfer.Received, Downloaded: true);
        }
        finally
        {
            handle?.Dispose();
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            ResumeRecord.Delete(temp);
        }
    }

    private async Task RunAttemptsAsync(Uri url, string shown, PartialDownload transfer, CancellationToken cancellationToken)
    {
        var requests = 0;
        var failures = 0;
        long highWater = 0;
        var progressAt = Time.GetTimestamp();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            requests++;
            try
            {
                await AttemptAsync(url, shown, transfer, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (TransientDownloadException e) when (!e.Retry)
            {
                throw new HubException(
                    $"Download of {shown} failed: {e.Reason}. The server or the network is too slow; try again later. " +
                    "HUBHOST_DOWNLOAD_MIN_SPEED (bytes per second; 0 turns the check off) " +
                    "and HUBHOST_DOWNLOAD_STALL_TIME (seconds) set the limit.", e);
            }
            catch (TransientDownloadException e)
            {
                if (transfer.Received > highWater)
                {
                    highWater = transfer.Received;
                    failures = 0;
                    progressAt = Time.GetTimestamp();
                }
                failures++;
                var delay = e.RetryAfter is { } retryAfter
                    ? TimeSpan.FromTicks(Math.Min(retryAfter.Ticks, settings.MaxBackoff.Ticks))
                    : Backoff(failures);
                if (failures >= settings.MaxAttempts || requests >= settings.MaxRequests || Time.GetElapsedTime(progressAt) + delay > settings.RetryWindow)
                    throw new HubException(
                        $"Download of {shown} failed after {requests} attempt{(requests == 1 ? "" : "s")}: {e.Reason}. " +
                        "Check the URL and your network, and try again later.", e.InnerException ?? e);
                logger.LogWarning("Download of {Url}: {Reason}; retrying in {Delay:0.0} s ({Received} bytes kept)", shown, e.Reason, delay.TotalSeconds, transfer.RangeSupported ? transfer.Received : 0);
                await Task.Delay(delay, Time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var factor = Math.Pow(2, Math.Min(failures - 1, 20)) * (0.8 + 0.4 * Random.Shared.NextDouble());
        return TimeSpan.FromTicks((long)Math.Min(settings.InitialBackoff.Ticks * factor, settings.MaxBackoff.Ticks));
    }

    private async Task AttemptAsync(Uri url, string shown, PartialDownload transfer, CancellationToken cancellationToken)
    {
        var resume = transfer.Received > 0 && transfer.RangeSupported;
        if (transfer.Received > 0 && !resume)
        {
            logger.LogInformation("Download of {Url}: the server cannot resume, restarting from the beginning", shown);
            transfer.Restart();
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = authorize?.Invoke(url);
        if (resume)
        {
            request.Headers.Range = new RangeHeaderValue(transfer.Received, null);
            if (transfer.Validator is { } validator) request.Headers.IfRange = validator;
        }

        using var deadline = new CancellationTokenSource(settings.ReadTimeout, Time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TransientDownloadException($"no answer within {settings.ReadTimeout.TotalSeconds:0} s", inner: e);
        }
        catch (HttpRequestException e) when (IsTransient(e))
        {
            throw new TransientDownloadException(Describe(e), inner: e);
        }
        catch (HttpRequestException e)
        {
            throw new HubException($"Download of {shown} failed: {Describe(e)}. Check the URL.", e);
        }

        // From here on the per-read timeout of PartialDownload.ReceiveAsync applies.
        deadline.CancelAfter(Timeout.InfiniteTimeSpan);
        using (response)
        {
            if (resume && response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                // The file is shorter than what was kept: it changed. Start over with a plain request.
                transfer.RangeSupported = false;
                throw new TransientDownloadException("the server refused to resume (the file may have changed)");
            }
            CheckStatus(response, shown);
            if (response.StatusCode == HttpStatusCode.PartialContent)
            {
                var range = response.Content.Headers.ContentRange;
                var start = resume ? transfer.Received : 0;
                if (range is not { HasRange: true, From: { } from } || from != start
                    || (range.Length is { } length && transfer.Total is { } known && length != known))
                {
                    // An answer for some other part, or the file changed size: start over with a plain request.
                    transfer.RangeSupported = false;
                    throw new TransientDownloadException($"the server answered a resume request with an unusable range ({range})");
                }
                transfer.RangeSupported = true;
                transfer.Total = range.Length ?? transfer.Total;
            }
            else
            {
                if (transfer.Received > 0)
                {
                    logger.LogInformation("Download of {Url}: the server sent the whole file again, restarting from the beginning", shown);
                    transfer.Restart();
                }
                transfer.Total = response.Content.Headers.ContentLength;
                if (transfer.Total is { } announced) transfer.Preallocate(announced);
                transfer.RangeSupported = response.Headers.AcceptRanges.Contains("bytes", StringComparer.OrdinalIgnoreCase);
                transfer.Validator = ValidatorOf(response);
                // For a process that resumes after this one is killed: only with a validator, so it can tell a changed file.
                if (transfer.RangeSupported && transfer.Validator is { } validator) ResumeRecord.Write(transfer.Path, url, validator, transfer.Total);
                else ResumeRecord.Delete(transfer.Path);
            }

            transfer.ReportProgress(force: true);
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
                await transfer.ReceiveAsync(body, cancellationToken).ConfigureAwait(false);

            if (transfer.Total is { } total && transfer.Received != total)
                throw transfer.Received < total
                    ? new TransientDownloadException($"the server sent {transfer.Received} of {total} bytes")
                    : new HubException($"Download of {shown} failed: the server sent {transfer.Received} bytes but announced {total}.");
        }
    }

    private void CheckStatus(HttpResponseMessage response, string shown)
    {
        if (response.IsSuccessStatusCode) return;
        var code = (int)response.StatusCode;
        var status = $"HTTP {code}{(string.IsNullOrEmpty(response.ReasonPhrase) ? "" : $" ({response.ReasonPhrase})")}";
        if (code is 408 or 429 || (code >= 500 && code != 501 && code != 505))
            throw new TransientDownloadException($"the server answered {status}", RetryAfterOf(response));
        if (code is >= 300 and < 400 && response.Headers.Location is { } location)
        {
            // The handler follows redirects itself and hands back the redirect it will not follow.
            var from = response.RequestMessage?.RequestUri;
            var target = location.IsAbsoluteUri ? location : from is not null ? new Uri(from, location) : location;
            var where = target.IsAbsoluteUri ? UrlText.Redact(target) : target.OriginalString;
            var loop = from is not null && target.IsAbsoluteUri && UrlText.Redact(from) == where ? " back to itself (a redirect loop)" : "";
            throw new HubException(
                $"Download of {shown} failed: too many redirects (more than {HubHttp.MaxRedirects}): the last answer, {status} from " +
                $"{(from is null ? "the server" : UrlText.Redact(from))}, pointed{loop} to {where}. Check the URL; the server may be misconfigured.");
        }
        var advice = code switch
        {
            404 or 410 => "Check the URL.",
            401 or 403 => "The server refused access; check the URL and whether it needs credentials.",
            _ => "Check the URL.",
        };
        throw new HubException($"Download of {shown} failed: the server answered {status}. {advice}");
    }

    private TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        var retry = response.Headers.RetryAfter;
        if (retry?.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (retry?.Date is { } date)
        {
            var wait = date - Time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    /// <summary>A strong ETag, else Last-Modified: sent as If-Range so a changed file is never stitched onto an old one.</summary>
    private static RangeConditionHeaderValue? ValidatorOf(HttpResponseMessage response)
    {
        if (response.Headers.ETag is { IsWeak: false } etag) return new RangeConditionHeaderValue(etag);
        if (response.Content.Headers.LastModified is { } modified) return new RangeConditionHeaderValue(modified);
        return null;
    }

    private static bool IsTransient(HttpRequestException e) => e.HttpRequestError switch
    {
        HttpRequestError.NameResolutionError => false,
        HttpRequestError.SecureConnectionError => false,
        HttpRequestError.ConfigurationLimitExceeded => false,
        HttpRequestError.UserAuthenticationError => false,
        HttpRequestError.ProxyTunnelError => true,
        _ => true,
    };

    internal static string Describe(Exception e)
    {
        if (e is HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError })
            return "the host name could not be resolved";
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "the connection was refused",
                    SocketError.ConnectionReset => "the connection was reset",
                    SocketError.ConnectionAborted => "the connection was aborted",
                    SocketError.TimedOut => "the connection timed out",
                    SocketError.HostUnreachable or SocketError.NetworkUnreachable => "the host is unreachable",
                    _ => $"network error ({socket.SocketErrorCode})",
                };
        }
        if (e is HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded }) return "the connection closed before the file was complete";
        var message = e.Message.TrimEnd('.');
        return message.Length > 0 && char.IsUpper(message[0]) && (message.Length == 1 || !char.IsUpper(message[1]))
            ? char.ToLowerInvariant(message[0]) + message[1..]
            : message;
    }
}
