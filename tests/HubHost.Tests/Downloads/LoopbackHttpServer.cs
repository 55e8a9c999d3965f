using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace HubHost.Tests.Downloads;

/// <summary>When a <see cref="ServedFile"/> cuts the connection.</summary>
public enum CutMode
{
    Never,

    /// <summary>Only the first response of the file is cut.</summary>
    FirstRequest,

    /// <summary>Every response is cut after <see cref="ServedFile.CutAfterBytes"/> body bytes.</summary>
    Always,
}

/// <summary>A file the server serves, and how it misbehaves. Settable while the server runs.</summary>
public sealed class ServedFile
{
    public ServedFile(byte[] content) => Content = content;

    public byte[] Content { get; set; }

    /// <summary>Send <c>Accept-Ranges: bytes</c>.</summary>
    public bool AdvertiseRanges { get; set; } = true;

    /// <summary>Answer a Range request with 206; when false the whole file comes back with 200.</summary>
    public bool HonourRanges { get; set; } = true;

    /// <summary>Close the connection after this many body bytes of a response (see <see cref="Cut"/>).</summary>
    public long CutAfterBytes { get; set; }

    public CutMode Cut { get; set; } = CutMode.Never;

    /// <summary>Answer these statuses (in order, one per request) before serving the file.</summary>
    public ConcurrentQueue<HttpStatusCode> StatusesFirst { get; } = new();

    /// <summary>Answer every request with this status.</summary>
    public HttpStatusCode? AlwaysStatus { get; set; }

    /// <summary>Announce this Content-Length (larger than the content: a short body), then close.</summary>
    public long? AnnouncedLength { get; set; }

    /// <summary>Body bytes per write, and the pause after each write (a slow server).</summary>
    public int WriteSize { get; set; } = 64 * 1024;

    public TimeSpan PauseBetweenWrites { get; set; }

    /// <summary>Stop sending (without closing) after this many body bytes of the first response: a stalled server.</summary>
    public long? StallFirstResponseAfter { get; set; }

    public string? ETag { get; set; }

    /// <summary>Pause every response after this many body bytes until <see cref="Release"/> is called.</summary>
    public long? HoldAfterBytes { get; set; }

    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _holding = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal Task Released => _released.Task;

    /// <summary>Completes when a response has sent <see cref="HoldAfterBytes"/> bytes and pauses: its client is midway through the download.</summary>
    public Task Holding => _holding.Task;

    internal void MarkHolding() => _holding.TrySetResult();

    /// <summary>Lets held responses continue.</summary>
    public void Release() => _released.TrySetResult();

    /// <summary>Answer 302 with this Location (and <see cref="ExtraHeaders"/>) instead of serving.</summary>
    public string? RedirectTo { get; set; }

    public Dictionary<string, string> ExtraHeaders { get; } = new(StringComparer.OrdinalIgnoreCase);

    internal int Responses;
}

/// <summary>One request the server received.</summary>
public sealed record RecordedRequest(string Method, string Path, string? Range, string? IfRange, string? UserAgent, string? Authorization = null);

/// <summary>
/// A small real HTTP/1.1 server on 127.0.0.1 (a free port), for tests: serves byte arrays by path, and can serve
/// slowly, cut connections after N bytes, honour or ignore Range, answer error statuses, stall or announce
/// more than it sends. One request per connection (<c>Connection: close</c>). Records every request and the
/// body bytes it sent. Stopped (and its connections closed) by Dispose.
/// </summary>
public sealed class LoopbackHttpServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, ServedFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, long> _bytesSent = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _completeBodies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, bool> _connections = new();
    private readonly Task _acceptLoop;

    public LoopbackHttpServer()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start(backlog: 64);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    /// <summary>The URL of <paramref name="path"/> (starting with '/') on this server.</summary>
    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    /// <summary>The same server under another host name (localhost): another origin, as a CDN is to the site that redirects to it.</summary>
    public string OtherHostUrl(string path) => $"http://localhost:{Port}{path}";

    public ServedFile Serve(string path, byte[] content)
    {
        var file = new ServedFile(content);
        _files[path] = file;
        return file;
    }

    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    /// <summary>When set, every request without exactly this Authorization header gets 401 with a Basic challenge (a private feed).</summary>
    public string? RequiredAuthorization { get; set; }

    public IReadOnlyList<RecordedRequest> RequestsFor(string path) => _requests.Where(r => r.Path == path).ToArray();

    /// <summary>Body bytes sent (handed to the socket) for <paramref name="path"/> over all responses.</summary>
    public long BytesSent(string path) => _bytesSent.GetValueOrDefault(path);

    /// <summary>Responses for <paramref name="path"/> that sent the whole file from byte 0 to the end.</summary>
    public int CompleteBodies(string path) => _completeBodies.GetValueOrDefault(path);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                return;
            }
            var task = Task.Run(() => HandleAsync(socket));
            _connections[task] = true;
            _ = task.ContinueWith(t => _connections.TryRemove(t, out _), TaskScheduler.Default);
        }
    }

    private async Task HandleAsync(Socket socket)
    {
        using var _ = socket;
        socket.NoDelay = true;
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            var head = await ReadHeadAsync(stream);
            if (head is null) return;
            var lines = head.Split("\r\n");
            var parts = lines[0].Split(' ');
            if (parts.Length != 3)
            {
                await WriteStatusAsync(stream, HttpStatusCode.BadRequest);
                return;
            }
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in lines.Skip(1))
            {
                var colon = line.IndexOf(':');
                if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
            var target = parts[1];
            var query = target.IndexOf('?');
            var path = query >= 0 ? target[..query] : target;
            _requests.Enqueue(new RecordedRequest(parts[0], path, headers.GetValueOrDefault("Range"), headers.GetValueOrDefault("If-Range"), headers.GetValueOrDefault("User-Agent"), headers.GetValueOrDefault("Authorization")));

            if (RequiredAuthorization is { } required && headers.GetValueOrDefault("Authorization") != required)
            {
                await WriteStatusAsync(stream, HttpStatusCode.Unauthorized, new Dictionary<string, string> { ["WWW-Authenticate"] = "Basic realm=\"feed\"" });
                return;
            }
            if (!_files.TryGetValue(path, out var file))
            {
                await WriteStatusAsync(stream, HttpStatusCode.NotFound);
                return;
            }
            var responseIndex = Interlocked.Increment(ref file.Responses);
            if (file.AlwaysStatus is { } always)
            {
                await WriteStatusAsync(stream, always, file.ExtraHeaders);
                return;
            }
            if (file.RedirectTo is { } location)
            {
                await WriteStatusAsync(stream, HttpStatusCode.Redirect, new Dictionary<string, string>(file.ExtraHeaders, StringComparer.OrdinalIgnoreCase) { ["Location"] = location });
                return;
            }
            if (file.StatusesFirst.TryDequeue(out var first))
            {
                await WriteStatusAsync(stream, first, file.ExtraHeaders);
                return;
            }
            await ServeFileAsync(stream, socket, file, path, headers, responseIndex, parts[0] == "HEAD");
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or the server is stopping.
        }
    }

    private async Task ServeFileAsync(NetworkStream stream, Socket socket, ServedFile file, string path,
        Dictionary<string, string> headers, int responseIndex, bool headOnly)
    {
        var content = file.Content;
        long start = 0;
        var partial = false;
        if (file.HonourRanges && headers.TryGetValue("Range", out var range) && range.StartsWith("bytes=", StringComparison.Ordinal)
            && (!headers.TryGetValue("If-Range", out var ifRange) || ifRange == file.ETag))
        {
            var spec = range["bytes=".Length..].Split('-');
            if (long.TryParse(spec[0], out var from) && spec.Length == 2 && spec[1].Length == 0)
            {
                if (from >= content.Length)
                {
                    await WriteStatusAsync(stream, HttpStatusCode.RequestedRangeNotSatisfiable,
                        new Dictionary<string, string> { ["Content-Range"] = $"bytes */{content.Length}" });
                    return;
                }
                start = from;
                partial = true;
            }
        }
        var bodyLength = content.Length - start;
        var head = new StringBuilder();
        head.Append(partial ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n");
        head.Append("Content-Type: application/octet-stream\r\n");
        head.Append($"Content-Length: {(partial ? bodyLength : file.AnnouncedLength ?? bodyLength)}\r\n");
        if (partial) head.Append($"Content-Range: bytes {start}-{content.Length - 1}/{content.Length}\r\n");
        if (file.AdvertiseRanges) head.Append("Accept-Ranges: bytes\r\n");
        if (file.ETag is not null) head.Append($"ETag: {file.ETag}\r\n");
        foreach (var (name, value) in file.ExtraHeaders) head.Append($"{name}: {value}\r\n");
        head.Append("Connection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), _stop.Token);
        if (headOnly) return;

        var limit = bodyLength;
        var cut = file.Cut == CutMode.Always || (file.Cut == CutMode.FirstRequest && responseIndex == 1);
        if (cut) limit = Math.Min(limit, file.CutAfterBytes);
        long? stallAt = responseIndex == 1 ? file.StallFirstResponseAfter : null;

        long sent = 0;
        while (sent < limit)
        {
            if (stallAt is { } stall && sent >= stall)
            {
                await Task.Delay(Timeout.Infinite, _stop.Token);
            }
            if (file.HoldAfterBytes is { } hold && sent >= hold && !file.Released.IsCompleted)
            {
                await stream.FlushAsync(_stop.Token);
                file.MarkHolding();
                await file.Released.WaitAsync(_stop.Token);
            }
            var size = (int)Math.Min(file.WriteSize, limit - sent);
            if (file.HoldAfterBytes is { } h && sent < h && !file.Released.IsCompleted) size = (int)Math.Min(size, h - sent);
            if (stallAt is { } s && sent < s) size = (int)Math.Min(size, s - sent);
            // Counted before the write: the client may finish reading before this task runs again.
            _bytesSent.AddOrUpdate(path, size, (_, v) => v + size);
            if (start == 0 && sent + size == content.Length) _completeBodies.AddOrUpdate(path, 1, (_, v) => v + 1);
            await stream.WriteAsync(content.AsMemory((int)(start + sent), size), _stop.Token);
            sent += size;
            if (file.PauseBetweenWrites > TimeSpan.Zero) await Task.Delay(file.PauseBetweenWrites, _stop.Token);
        }
        await stream.FlushAsync(_stop.Token);
        // A cut or a short body: the client sees the connection end early (FIN after the bytes sent).
        socket.Shutdown(SocketShutdown.Both);
    }

    private async Task WriteStatusAsync(NetworkStream stream, HttpStatusCode status, IReadOnlyDictionary<string, string>? extra = null)
    {
        var body = Encoding.UTF8.GetBytes($"{(int)status} {status}\n");
        var head = new StringBuilder($"HTTP/1.1 {(int)status} {ReasonOf(status)}\r\n");
        head.Append($"Content-Length: {body.Length}\r\nContent-Type: text/plain\r\n");
        foreach (var (name, value) in extra ?? new Dictionary<string, string>()) head.Append($"{name}: {value}\r\n");
        head.Append("Connection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), _stop.Token);
        await stream.WriteAsync(body, _stop.Token);
    }

    private static string ReasonOf(HttpStatusCode status) => status switch
    {
        HttpStatusCode.NotFound => "Not Found",
        HttpStatusCode.InternalServerError => "Internal Server Error",
        HttpStatusCode.ServiceUnavailable => "Service Unavailable",
        HttpStatusCode.BadGateway => "Bad Gateway",
        HttpStatusCode.GatewayTimeout => "Gateway Timeout",
        HttpStatusCode.TooManyRequests => "Too Many Requests",
        HttpStatusCode.Forbidden => "Forbidden",
        HttpStatusCode.Unauthorized => "Unauthorized",
        HttpStatusCode.RequestedRangeNotSatisfiable => "Range Not Satisfiable",
        _ => status.ToString(),
    };

    private async Task<string?> ReadHeadAsync(NetworkStream stream)
    {
        var buffer = new byte[16 * 1024];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(filled), _stop.Token);
            if (read == 0) return null;
            filled += read;
            var text = Encoding.ASCII.GetString(buffer, 0, filled);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0) return text[..end];
        }
        return null;
    }

    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stop.Cancel();
        _listener.Stop();
        try { _acceptLoop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        try { Task.WaitAll(_connections.Keys.ToArray(), TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
