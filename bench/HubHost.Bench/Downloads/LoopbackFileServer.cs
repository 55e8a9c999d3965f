using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace HubHost.Bench.Downloads;

/// <summary>
/// A plain, cheap HTTP/1.1 file server on 127.0.0.1 for the download and check benchmarks: one file or a folder's, Content-Length,
/// Accept-Ranges and <c>Range: bytes=N-</c> (206), one request per connection. Blocking sockets on dedicated
/// threads and sendfile(2), as a real file server sends: serving 256 MB costs 0.03-0.04 s of CPU and no
/// thread-pool work, so the machine's two cores are left to the clients being measured. Reading the file into a
/// 1 MB buffer and sending that cost 0.10 s per transfer (the server's CPU the bench prints); with sendfile
/// the client's receive costs ~0.02 s more (it copies from page-cache pages no core has touched), less than the
/// server saves, and torch's time did not change (0.61 s against 0.64-0.67 s with the copying server, same
/// machine, interleaved runs). (Kestrel measured ~0.15 s of CPU per transfer here.)
/// </summary>
internal sealed partial class LoopbackFileServer : IDisposable
{
    private readonly Func<string, string?> _resolve;
    private readonly Socket _listener;
    private readonly Thread _acceptThread;
    private volatile bool _stopping;

    /// <summary>Serves the file <paramref name="path"/> at <paramref name="urlPath"/>.</summary>
    public LoopbackFileServer(string path, string urlPath)
        : this(p => p == urlPath ? path : null, urlPath)
    {
    }

    /// <summary>Serves each file of <paramref name="folder"/> at <paramref name="urlPrefix"/> + its name (<see cref="Url"/> is the prefix's).</summary>
    public static LoopbackFileServer ForFolder(string folder, string urlPrefix)
        => new(p => p.StartsWith(urlPrefix, StringComparison.Ordinal) && p[urlPrefix.Length..] is var name && name.Length > 0 && !name.Contains('/') && name != ".." && File.Exists(Path.Combine(folder, name))
            ? Path.Combine(folder, name) : null, urlPrefix);

    private LoopbackFileServer(Func<string, string?> resolve, string urlPath)
    {
        _resolve = resolve;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}{urlPath}";
        _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = "bench file server" };
        _acceptThread.Start();
    }

    public string Url { get; }

    private void AcceptLoop()
    {
        while (!_stopping)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (SocketException) when (_stopping)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            new Thread(() => Serve(client)) { IsBackground = true, Name = "bench file server connection" }.Start();
        }
    }

    private void Serve(Socket client)
    {
        using var _ = client;
        try
        {
            var head = ReadHead(client);
            if (head is null) return;
            var lines = head.Split("\r\n");
            var parts = lines[0].Split(' ');
            var path = parts.Length == 3 && parts[0] == "GET" ? _resolve(Uri.UnescapeDataString(parts[1].Split('?')[0])) : null;
            if (path is null)
            {
                client.Send(Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
                return;
            }
            var length = new FileInfo(path).Length;
            long start = 0;
            var range = lines.Skip(1).FirstOrDefault(l => l.StartsWith("Range:", StringComparison.OrdinalIgnoreCase));
            if (range is not null)
            {
                var spec = range["Range:".Length..].Trim();
                if (spec.StartsWith("bytes=", StringComparison.Ordinal) && spec.EndsWith('-')
                    && long.TryParse(spec["bytes=".Length..^1], out var from) && from < length)
                    start = from;
            }
            var header = start == 0
                ? $"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\n"
                : $"HTTP/1.1 206 Partial Content\r\nContent-Length: {length - start}\r\nContent-Range: bytes {start}-{length - 1}/{length}\r\n";
            header += "Content-Type: application/octet-stream\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n";
            client.Send(Encoding.ASCII.GetBytes(header));
            using (var file = File.OpenHandle(path))
            {
                var offset = start;
                while (offset < length)
                {
                    var sent = SendFile((int)client.SafeHandle.DangerousGetHandle(), (int)file.DangerousGetHandle(), ref offset, (nint)Math.Min(length - offset, 1L << 30));
                    if (sent < 0 && Marshal.GetLastPInvokeError() == 4) continue; // EINTR
                    if (sent < 0) throw new IOException($"sendfile failed: errno {Marshal.GetLastPInvokeError()}");
                    if (sent == 0) throw new IOException($"'{path}' ended at byte {offset} of {length}");
                }
            }
            client.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // the client went away
        }
        catch (IOException)
        {
        }
    }

    [LibraryImport("libc", EntryPoint = "sendfile", SetLastError = true)]
    private static partial nint SendFile(int socket, int file, ref long offset, nint count);

    private static string? ReadHead(Socket client)
    {
        var buffer = new byte[8192];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = client.Receive(buffer, filled, buffer.Length - filled, SocketFlags.None);
            if (read == 0) return null;
            filled += read;
            var text = Encoding.ASCII.GetString(buffer, 0, filled);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0) return text[..end];
        }
        return null;
    }

    public void Dispose()
    {
        _stopping = true;
        _listener.Dispose();
        _acceptThread.Join(TimeSpan.FromSeconds(5));
    }
}
