using System.Collections.Concurrent;
using System.Net;

namespace HubHost.Tests.Sources.Git;

/// <summary>
/// A private git repo over dumb HTTP on 127.0.0.1: serves a folder of bare repos as static files (git falls
/// back to the dumb protocol), and answers 401 unless the request carries the expected Authorization header.
/// </summary>
public sealed class GitHttpServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _root;
    private readonly string _expectedAuthorization;
    private readonly Task _loop;

    public GitHttpServer(string root, string token)
    {
        _root = root;
        _expectedAuthorization = "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("x-access-token:" + token));
        Port = GitTestRepo.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public string BaseUrl => $"http://127.0.0.1:{Port}/";

    /// <summary>Requests that carried the right token / that were refused.</summary>
    public int Authorized => _authorized;

    public int Refused => _refused;

    /// <summary>Every request URL seen (to check the token never travels in a URL).</summary>
    public ConcurrentQueue<string> RequestUrls { get; } = new();

    private int _authorized;
    private int _refused;

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            try
            {
                Handle(context);
            }
            catch (Exception e) when (e is HttpListenerException or IOException)
            {
                // client went away
            }
        }
    }

    private void Handle(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        RequestUrls.Enqueue(request.RawUrl ?? "");
        if (request.Headers["Authorization"] != _expectedAuthorization)
        {
            Interlocked.Increment(ref _refused);
            response.StatusCode = 401;
            response.AddHeader("WWW-Authenticate", "Basic realm=\"test\"");
            response.Close();
            return;
        }
        Interlocked.Increment(ref _authorized);
        var path = Uri.UnescapeDataString(request.Url!.AbsolutePath).TrimStart('/');
        var full = Path.GetFullPath(Path.Combine(_root, path));
        if (!full.StartsWith(_root, StringComparison.Ordinal) || !File.Exists(full))
        {
            response.StatusCode = 404;
            response.Close();
            return;
        }
        var bytes = File.ReadAllBytes(full);
        response.ContentType = "application/octet-stream"; // not a smart-protocol type: git uses the dumb protocol
        response.ContentLength64 = bytes.Length;
        response.OutputStream.Write(bytes);
        response.Close();
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
