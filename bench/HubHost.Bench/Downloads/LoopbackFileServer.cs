using System.Net;
using System.Net.Sockets;
using System.Text;

namespace HubHost.Bench.Downloads;

/// <summary>
/// A plain, cheap HTTP/1.1 file server on 127.0.0.1 for the download benchmark: one file, Content-Length,
/// Accept-Ranges and <c>Range: bytes=N-</c> (206), one request per connection. Blocking sockets on dedicated
/// threads, 1 MB sends: serving 256 MB costs ~0.05 s of CPU and no thread-pool work, so the machine's two
/// cores are left to the clients being measured. (Kestrel measured ~0.15 s of CPU per transfer here;
/// sendfile(2) less on the server but made every client's receive dearer.)
/// </summary>
internal sealed class LoopbackFileServer : IDisposable
{
    private readonly string _path;
    private readonly long _length;
    private readonly Socket _listener;
    private readonly Thread _acceptThread;
    private volatile bool _stopping;

    public LoopbackFileServer(string path, string urlPath)
    {
        _path = path;
        _length = new FileInfo(path).Length;
        UrlPath = urlPath;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}{urlPath}";
        _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = "bench file server" };
        _acceptThread.Start();
    }

    public string Url { get; }


    private string UrlPath { get; }

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
            if (parts.Length != 3 || parts[0] != "GET" || parts[1].Split('?')[0] != UrlPath)
            {
                client.Send(Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
                return;
            }
            long start = 0;
            var range = lines.Skip(1).FirstOrDefault(l => l.StartsWith("Range:", StringComparison.OrdinalIgnoreCase));
            if (range is not null)
            {
                var spec = range["Range:".Length..].Trim();
                if (spec.StartsWith("bytes=", StringComparison.Ordinal) && spec.EndsWith('-')
                    && long.TryParse(spec["bytes=".Length..^1], out var from) && from < _length)
                    start = from;
            }
            var header = start == 0
                ? $"HTTP/1.1 200 OK\r\nContent-Length: {_length}\r\n"
                : $"HTTP/1.1 206 Partial Content\r\nContent-Length: {_length - start}\r\nContent-Range: bytes {start}-{_length - 1}/{_length}\r\n";
            header += "Content-Type: application/octet-stream\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n";
            client.Send(Encoding.ASCII.GetBytes(header));
            using (var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 0))
            {
                file.Position = start;
                var buffer = new byte[1 << 20];
                int read;
                while ((read = file.Read(buffer)) > 0) client.Send(buffer.AsSpan(0, read));
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
