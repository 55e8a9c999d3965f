using HubHost.Locking;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HubHost.Serve;

/// <summary>
/// The <c>hubhost serve</c> web app over a <see cref="HubClient"/>: pages and /api read the in-memory
/// <see cref="HubCatalog"/>; nothing is built for a request, no entrypoint is ever called.
/// </summary>
public sealed class ServeHost : IAsyncDisposable
{
    /// <summary>The header a refresh POST must carry: a cross-site page cannot send it without a CORS preflight, which this server never allows.</summary>
    internal const string RefreshHeader = "X-HubHost-Refresh";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never };

    private readonly WebApplication _app;
    private readonly ServeOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task _interval = Task.CompletedTask;

    private ServeHost(WebApplication app, HubCatalog catalog, ServeOptions options, ILogger logger)
    {
        _app = app;
        Catalog = catalog;
        _options = options;
        _logger = logger;
    }

    internal HubCatalog Catalog { get; }

    /// <summary>How many repos the catalog shows.</summary>
    public int RepoCount => Catalog.Repos.Count;

    /// <summary>How many refs the catalog shows, over all repos.</summary>
    public int RefCount => Catalog.Repos.Sum(r => r.RefCount);

    /// <summary>The addresses listened on (with the real port when 0 was asked), after <see cref="StartAsync"/>.</summary>
    public IReadOnlyList<string> Addresses { get; private set; } = [];

    /// <summary>
    /// Checks the options and builds the app. <paramref name="hub"/> must have no TrustPrompt. Bad options (a non-loopback
    /// address without <see cref="ServeOptions.AllowRemote"/>, a malformed URL or repo) are a HubException.
    /// </summary>
    public static ServeHost Create(HubClient hub, ServeOptions options, ILoggerFactory? loggerFactory = null)
    {
        if (options.Repos.Count == 0)
            throw new HubException("Nothing to serve: give repos on the command line (hubhost serve ./my-hub owner/name:main) or a catalog file (--catalog catalog.json).");
        if (options.RefreshInterval is { } interval && (interval < TimeSpan.Zero || interval > TimeSpan.FromMinutes(ServeOptions.MaxRefreshMinutes)))
            throw new HubException($"The refresh interval {interval} is out of range: give 0 (only on the Refresh button) to {ServeOptions.MaxRefreshMinutes} minutes (4 weeks).");
        foreach (var url in options.Urls) CheckUrl(url, options.AllowRemote);
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("HubHost.Serve");
        var catalog = new HubCatalog(hub, options.Repos, options.Parallelism, logger);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "HubHost.Serve", ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls([.. options.Urls]);
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        // The index of a big catalog is ~0.9 KB of HTML per card; compressed it is ~40x smaller on the wire.
        builder.Services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true; // nothing secret on these pages (BREACH needs a secret reflected next to attacker input)
            o.MimeTypes = ["text/html", "application/json", "text/javascript", "text/css"];
        });
        builder.Services.Configure<Microsoft.AspNetCore.ResponseCompression.BrotliCompressionProviderOptions>(o => o.Level = System.IO.Compression.CompressionLevel.Fastest);
        builder.Services.Configure<Microsoft.AspNetCore.ResponseCompression.GzipCompressionProviderOptions>(o => o.Level = System.IO.Compression.CompressionLevel.Fastest);
        var app = builder.Build();
        app.UseResponseCompression();
        var host = new ServeHost(app, catalog, options, logger);
        host.Map(app, new Pages(catalog, options.Title));
        return host;
    }

    /// <summary>An http(s) URL on a loopback host, or any host when <paramref name="allowRemote"/>.</summary>
    /// <exception cref="HubException">It is not, with what to give instead.</exception>
    internal static void CheckUrl(string url, bool allowRemote)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) && !Uri.TryCreate(url.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"), UriKind.Absolute, out uri))
            throw new HubException($"--urls '{url}' is not a URL. Give one like {ServeOptions.DefaultUrl}.");
        if (uri.Scheme == "https")
            throw new HubException($"--urls '{url}': hubhost serve speaks plain http:// (it has no certificate); listen on {ServeOptions.DefaultUrl} and put a reverse proxy that terminates TLS in front of it for https.");
        if (uri.Scheme != "http")
            throw new HubException($"--urls '{url}' must be http://, e.g. {ServeOptions.DefaultUrl}.");
        var host = uri.Host.Trim('[', ']');
        if (IPAddress.TryParse(host, out var mapped) && mapped.IsIPv4MappedToIPv6)
            throw new HubException($"--urls '{url}' is an IPv4 address written as IPv6, which cannot be listened on; write http://{mapped.MapToIPv4()}:{uri.Port}.");
        if (allowRemote) return;
        var loopback = host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
        if (!loopback || url.Contains("://*", StringComparison.Ordinal) || url.Contains("://+", StringComparison.Ordinal))
            throw new HubException($"Refusing to listen on {url}: it is not a loopback address, so anyone on the network could browse the catalog. " +
                                   $"Use {ServeOptions.DefaultUrl}, or pass --allow-remote to serve other machines on purpose.");
    }

    /// <summary>Starts listening and opens the repos in the background (the pages show each as it becomes ready).</summary>
    /// <exception cref="HubException">An address cannot be listened on (in use, not allowed).</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            throw new HubException($"Could not listen on {string.Join(", ", _options.Urls)}: {e.Message}", e);
        }
        Addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        _ = Catalog.RefreshAsync(force: false, cancellationToken: _stop.Token);
        if (_options.RefreshInterval is { } every && every > TimeSpan.Zero) _interval = RefreshEveryAsync(every, _stop.Token);
    }

    private async Task RefreshEveryAsync(TimeSpan every, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
                await Catalog.RefreshAsync(force: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            _logger.LogError(e, "The periodic refresh stopped");
        }
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled (Ctrl+C in the CLI).</summary>
    public async Task RunUntilCancelledAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Stops the server and the refresh loop, and releases the repos it opened.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            await _interval.ConfigureAwait(false);
            _stop.Dispose();
        }
    }

    /// <summary>Every page and API read answers HEAD as GET does (headers, no body), as HTTP asks of a server.</summary>
    private static readonly string[] GetAndHead = [HttpMethods.Get, HttpMethods.Head];

    private void Map(WebApplication app, Pages pages)
    {
        // Only the names this server was asked to listen under (no DNS rebinding of a loopback server), and headers
        // that keep a repo's strings inert even if one escaped: no inline script, no framing, no sniffing.
        app.Use(async (context, next) =>
        {
            if (!_options.AllowRemote && !IsLoopbackHost(context.Request.Host.Host))
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.Response.WriteAsync("This catalog answers only to a loopback host name (127.0.0.1, localhost, [::1]).").ConfigureAwait(false);
                return;
            }
            // Server-Timing: the time from the request to the response headers (the page's render), for browsers' dev tools and the benchmark.
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            context.Response.OnStarting(() =>
            {
                context.Response.Headers["Server-Timing"] = $"app;dur={System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}";
                return Task.CompletedTask;
            });
            var headers = context.Response.Headers;
            headers["Content-Security-Policy"] = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
            headers["X-Content-Type-Options"] = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers["X-Frame-Options"] = "DENY";
            headers.CacheControl = "no-cache";
            await next(context).ConfigureAwait(false);
        });

        app.MapMethods("/", GetAndHead, (HttpContext context) =>
        {
            // The index is big with many repos: its gzip is made once per catalog change, not per request.
            context.Response.Headers.Vary = "Accept-Encoding";
            if (!context.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase)) return HtmlResult(pages.Index());
            context.Response.Headers.ContentEncoding = "gzip";
            return Results.Bytes(pages.IndexGzip(), "text/html; charset=utf-8");
        });
        app.MapMethods("/repos/{id}/entrypoints/{name}", GetAndHead, (string id, string name, string? @ref) =>
        {
            var (repo, state, entry, error) = Lookup(id, @ref, name);
            return entry is null ? HtmlResult(pages.NotFound(error!), 404) : HtmlResult(pages.Entry(repo!, state!, entry)!);
        });
        app.MapMethods("/repos/{id}/compare", GetAndHead, (string id, string? a, string? b) =>
        {
            if (Catalog.Find(id) is not { } repo) return HtmlResult(pages.NotFound($"No repo {id} in this catalog."), 404);
            var (ra, rb, changes) = Compare(repo, a, b);
            return HtmlResult(pages.Compare(repo, ra, rb, changes), a is not null && (ra is null || rb is null) ? 404 : 200);
        });
        app.MapMethods("/repos/{id}/image", GetAndHead, (string id, string? @ref, string? entry) =>
        {
            var (repo, state, found, _) = Lookup(id, @ref, entry ?? "");
            if (found?.Meta.Image is not { } image || state?.SourceDirectory is not { } dir || RepoFiles.Resolve(dir, image) is not { } file)
                return Results.NotFound();
            return Results.File(file.Path, file.ContentType);
        });
        app.MapMethods("/repos/{id}/files/{**path}", GetAndHead, (string id, string path, string? @ref) =>
        {
            // A file the README links to, by the rule every repo file is sent by (RepoFiles): pictures as they are,
            // Markdown rendered like the README, text and source as text; anything else is not sent.
            if (Catalog.Find(id) is not { } repo || repo.FindRef(@ref) is not { SourceDirectory: { } dir } state)
                return HtmlResult(pages.NotFound($"No ref '{@ref}' of repo {id} with files to show."), 404);
            var kind = RepoFiles.KindOf(path);
            if (kind is null || RepoFiles.Find(dir, path) is not { } file)
                return HtmlResult(pages.NotFound($"{path} is not a file this catalog shows: it shows a repo's pictures, Markdown and text or source files, inside the repo and not through a symbolic link."), 404);
            return kind switch
            {
                RepoFileKind.Image => Results.File(file, RepoFiles.ImageType(file)),
                RepoFileKind.Text => Results.File(file, "text/plain; charset=utf-8"),
                _ => HtmlResult(pages.Document(repo, state, path,
                    Markdown.ReadFile(file) is { } text ? Markdown.RenderOrNote(text, Path.GetDirectoryName(path)?.Replace('\\', '/') ?? "", p => Urls.File(repo, state.Label, p)) : "")),
            };
        });
        app.MapMethods("/locks", GetAndHead, () => LoadLocks() is var (locks, error) && error is null ? HtmlResult(pages.Locks(locks)) : HtmlResult(pages.NotFound(error!), 404));
        app.MapMethods("/api/locks", GetAndHead, () => LoadLocks() is var (locks, error) && error is null ? Results.Json(Api.Locks(locks), Json) : Results.Json(Api.Error(error!), Json, statusCode: 404));
        app.MapMethods("/static/app.js", GetAndHead, () => Asset("app.js", "text/javascript; charset=utf-8"));
        app.MapMethods("/static/site.css", GetAndHead, () => Asset("site.css", "text/css; charset=utf-8"));

        app.MapMethods("/api/repos", GetAndHead, () => Results.Json(Api.Catalog(Catalog, _options.Title), Json));
        app.MapMethods("/api/repos/{id}", GetAndHead, (string id) => Catalog.Find(id) is { } repo ? Results.Json(Api.Repo(repo), Json) : Results.Json(Api.Error($"No repo {id} in this catalog."), Json, statusCode: 404));
        app.MapMethods("/api/repos/{id}/entrypoints/{name}", GetAndHead, (string id, string name, string? @ref) =>
        {
            var (repo, state, entry, error) = Lookup(id, @ref, name);
            return entry is null ? Results.Json(Api.Error(error!), Json, statusCode: 404) : Results.Json(Api.Entry(repo!, state!, entry), Json);
        });
        app.MapMethods("/api/repos/{id}/readme", GetAndHead, (string id, string? @ref) =>
        {
            if (Catalog.Find(id)?.FindRef(@ref) is not { } state) return Results.Json(Api.Error($"No ref '{@ref}' of repo {id}."), Json, statusCode: 404);
            return Results.Json(new { @ref = state.Label, html = state.ReadmeHtml }, Json);
        });
        app.MapMethods("/api/repos/{id}/compare", GetAndHead, (string id, string? a, string? b) =>
        {
            if (Catalog.Find(id) is not { } repo) return Results.Json(Api.Error($"No repo {id} in this catalog."), Json, statusCode: 404);
            if (a is null || b is null) return Results.Json(Api.Error("Give two refs: ?a=REF&b=REF."), Json, statusCode: 400);
            var (ra, rb, changes) = Compare(repo, a, b);
            return ra is null || rb is null || changes is null
                ? Results.Json(Api.Error($"{repo.Name} has no ref '{(ra is null ? a : b)}' in this catalog (refs: {string.Join(", ", repo.Refs.Select(r => r.Label))})."), Json, statusCode: 404)
                : Results.Json(Api.Compare(repo, ra, rb, changes), Json);
        });
        app.MapMethods("/api/status", GetAndHead, () => Results.Json(new
        {
            refreshing = Catalog.IsRefreshing,
            lastRefresh = Catalog.LastRefresh,
            generation = Catalog.Generation,
            refs = Catalog.Repos.SelectMany(r => r.Refs).GroupBy(r => Api.Status(r.Status)).ToDictionary(g => g.Key, g => g.Count()),
        }, Json));
        app.MapPost("/api/refresh", (HttpRequest request, string? repo) =>
        {
            if (!request.Headers.ContainsKey(RefreshHeader))
                return Results.Json(Api.Error($"A refresh needs the header {RefreshHeader}: 1."), Json, statusCode: 400);
            if (repo is not null && Catalog.Find(repo) is null) return Results.Json(Api.Error($"No repo {repo} in this catalog."), Json, statusCode: 404);
            _ = Catalog.RefreshAsync(force: true, repo, _stop.Token);
            return Results.Json(new { refreshing = true }, Json, statusCode: 202);
        });
    }

    /// <summary>The lock files to show, read now; an error when there are none or one cannot be read.</summary>
    private (IReadOnlyList<HubLock> Locks, string? Error) LoadLocks()
    {
        if (_options.Locks.Count == 0) return ([], "This catalog shows no lock files (hubhost serve --lock A.lock.json --lock B.lock.json).");
        try
        {
            return (_options.Locks.Select(HubLock.Load).ToList(), null);
        }
        catch (HubException e)
        {
            return ([], e.Message);
        }
    }

    private (CatalogRepo? Repo, RefState? State, CatalogEntrypoint? Entry, string? Error) Lookup(string id, string? refLabel, string name)
    {
        if (Catalog.Find(id) is not { } repo) return (null, null, null, $"No repo {id} in this catalog.");
        if (repo.FindRef(refLabel) is not { } state) return (repo, null, null, $"{repo.Name} has no ref '{refLabel}' in this catalog.");
        if (state.Find(name) is not { } entry)
            return (repo, state, null, state.Status == RefStatus.Ready ? $"{repo.Name} ({state.Label}) has no entrypoint '{name}'." : $"{repo.Name} ({state.Label}) is {Api.Status(state.Status)}.");
        return (repo, state, entry, null);
    }

    private static (RefState? A, RefState? B, IReadOnlyList<EntrypointChange>? Changes) Compare(CatalogRepo repo, string? a, string? b)
    {
        if (a is null || b is null) return (null, null, null);
        var ra = repo.Refs.FirstOrDefault(r => r.Label == a);
        var rb = repo.Refs.FirstOrDefault(r => r.Label == b);
        if (ra is null || rb is null) return (ra, rb, null);
        return (ra, rb, EntrypointDiff.Compare(ra.Entrypoints.Select(e => e.Info).ToList(), rb.Entrypoints.Select(e => e.Info).ToList()));
    }

    private static bool IsLoopbackHost(string host)
    {
        host = host.Trim('[', ']');
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    private static IResult HtmlResult(string html, int status = 200) => Results.Content(html, "text/html; charset=utf-8", System.Text.Encoding.UTF8, status);

    private static readonly Dictionary<string, byte[]> Assets = new(StringComparer.Ordinal);

    private static IResult Asset(string name, string contentType)
    {
        byte[] bytes;
        lock (Assets)
        {
            if (!Assets.TryGetValue(name, out bytes!))
            {
                using var stream = typeof(ServeHost).Assembly.GetManifestResourceStream("HubHost.Serve." + name)!;
                using var memory = new MemoryStream();
                stream.CopyTo(memory);
                Assets[name] = bytes = memory.ToArray();
            }
        }
        return Results.Bytes(bytes, contentType);
    }
}
