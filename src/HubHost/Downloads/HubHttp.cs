using System.Net;
using System.Reflection;

namespace HubHost.Downloads;

/// <summary>The one HttpClient all downloads share (connection pooling; DNS changes picked up every few minutes).</summary>
internal static class HubHttp
{
    /// <summary>Redirects followed before a download fails with "too many redirects".</summary>
    public const int MaxRedirects = 10;

    public static HttpClient Client { get; } = Create(followRedirects: true);

    /// <summary>The same without following redirects: for asking where a file is (the Hugging Face hub's resolve answer) without fetching it.</summary>
    public static HttpClient NoRedirectClient { get; } = Create(followRedirects: false);

    private static HttpClient Create(bool followRedirects)
    {
        var handler = new SocketsHttpHandler
        {
            // The bytes on the wire are the file: the hash is over them, never over a decoded body.
            AutomaticDecompression = DecompressionMethods.None,
            AllowAutoRedirect = followRedirects,
            MaxAutomaticRedirections = MaxRedirects,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            // An abandoned body (a stall, a timeout, a cancel) closes its connection at once: draining it to reuse the
            // connection would wait up to ResponseDrainTimeout (2 s) on a server that trickles.
            MaxResponseDrainSize = 0,
        };
        var client = new HttpClient(handler, disposeHandler: true)
        {
            // Timeouts are per read (DownloadSettings.ReadTimeout): a large file may take as long as it takes.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        var version = typeof(HubHttp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
        var plus = version.IndexOf('+');
        client.DefaultRequestHeaders.UserAgent.ParseAdd($"hubhost/{(plus >= 0 ? version[..plus] : version)}");
        return client;
    }
}
