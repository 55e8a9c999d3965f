using Microsoft.Extensions.Logging;
using NuGet.Configuration;
using NuGet.Packaging;
using NuGet.Protocol;
using NuGet.Protocol.Core.Types;
using NuGet.Versioning;
using NuGetLogger = NuGet.Common.NullLogger;

namespace HubHost.Sources.NuGet;

/// <summary>
/// The NuGet feeds of the user's nuget.config (NuGet.Configuration: the config files found from the current folder
/// upward, the user's and the machine's, or the one file given in <see cref="HubOptions.NuGetConfigFile"/>). HTTP feeds
/// are read through NuGet.Protocol's FindPackageByIdResource (the v3 flat container), which reads dependencies from the
/// packages' nuspecs; credentials come from NuGet's usual places (packageSourceCredentials in nuget.config,
/// NuGetPackageSourceCredentials_* variables). Every request to a feed is bounded by <see cref="HubOptions.NuGetTimeout"/>
/// (a download as long as bytes keep coming), so a feed that accepts the connection and never answers fails instead
/// of hanging. Folder feeds are read by <see cref="FolderFeed"/>, which skips and names a corrupt .nupkg. A feed that
/// fails is skipped when another answers; when none does, one HubException names them.
/// </summary>
internal sealed class NuGetFeeds : IDisposable
{
    private readonly List<Feed> _feeds;
    private readonly SourceCacheContext _cache = new() { NoCache = true, DirectDownload = true };
    private readonly Dictionary<string, IReadOnlyList<NuGetVersion>> _versions = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<(string Root, string Id), (IReadOnlyDictionary<NuGetVersion, string> Packages, IReadOnlyList<UnreadablePackage> Unreadable)> _scans = [];
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    private NuGetFeeds(List<Feed> feeds, string configDescription, TimeSpan timeout, ILogger logger, TimeProvider time)
    {
        _time = time;
        _feeds = feeds;
        ConfigDescription = configDescription;
        _timeout = timeout;
        _logger = logger;
    }

    /// <summary>One configured feed: a folder, or an HTTP feed through NuGet.Protocol.</summary>
    private sealed record Feed(string Source, FolderFeed? Folder, SourceRepository? Http);

    /// <summary>Which nuget.config files were read, for messages.</summary>
    public string ConfigDescription { get; }

    public IReadOnlyList<string> SourceNames => _feeds.Select(f => f.Source).ToList();

    /// <summary>The package files of folder feeds that could not be read (skipped), for messages.</summary>
    public IReadOnlyList<UnreadablePackage> Unreadable => _scans.Values.SelectMany(s => s.Unreadable).ToList();

    /// <param name="configFile">The nuget.config to read (null: NuGet's usual files).</param>
    /// <param name="timeout">How long a feed may take to answer one request (<see cref="HubOptions.NuGetTimeout"/>).</param>
    /// <param name="logger">Where skipped package files are reported.</param>
    /// <param name="time">The clock of <paramref name="timeout"/> (the client's TimeProvider).</param>
    public static NuGetFeeds Load(string? configFile, TimeSpan timeout, ILogger logger, TimeProvider time)
    {
        ISettings settings;
        try
        {
            settings = configFile is null
                ? Settings.LoadDefaultSettings(Directory.GetCurrentDirectory())
                : Settings.LoadSpecificSettings(Path.GetDirectoryName(Path.GetFullPath(configFile))!, Path.GetFileName(configFile));
        }
        catch (Exception e) when (e is NuGetConfigurationException or IOException or UnauthorizedAccessException)
        {
            throw new HubException($"Could not read the NuGet configuration{(configFile is null ? "" : " " + configFile)}: {e.Message}", e);
        }
        var files = string.Join(", ", settings.GetConfigFilePaths());
        var sources = new PackageSourceProvider(settings).LoadPackageSources().Where(s => s.IsEnabled).ToList();
        if (sources.Count == 0)
            throw new HubException($"No NuGet feed is configured ({(files.Length == 0 ? "no nuget.config found" : files)}). " +
                                   "Add one with `dotnet nuget add source URL-OR-FOLDER --name NAME`.");
        var feeds = sources.Select(s => s.IsLocal ? new Feed(s.Source, new FolderFeed(s.Source), null) : new Feed(s.Source, null, Repository.Factory.GetCoreV3(s))).ToList();
        return new NuGetFeeds(feeds, files, timeout, logger, time);
    }

    /// <summary>Every version of a package on any feed (empty: no feed has it). Throws when no feed could be asked.</summary>
    public async Task<IReadOnlyList<NuGetVersion>> VersionsAsync(string id, CancellationToken cancellationToken)
    {
        if (_versions.TryGetValue(id, out var known)) return known;
        var all = new SortedSet<NuGetVersion>();
        var failures = new List<string>();
        foreach (var feed in _feeds)
        {
            try
            {
                if (feed.Folder is not null)
                {
                    all.UnionWith(Scan(feed.Folder, id).Packages.Keys);
                    continue;
                }
                var versions = await AskAsync(feed, async token =>
                {
                    var resource = await feed.Http!.GetResourceAsync<FindPackageByIdResource>(token).ConfigureAwait(false)
                                   ?? throw new FatalProtocolException($"{feed.Source} is not a NuGet feed (no v3 PackageBaseAddress, not a folder).");
                    return await resource.GetAllVersionsAsync(id, _cache, NuGetLogger.Instance, token).ConfigureAwait(false);
                }, cancellationToken).ConfigureAwait(false);
                all.UnionWith(versions);
            }
            catch (Exception e) when (IsFeedFailure(e, cancellationToken))
            {
                failures.Add($"{feed.Source}: {Innermost(e)}");
            }
        }
        if (failures.Count == _feeds.Count)
            throw new HubException($"No NuGet feed answered for {id}: {string.Join("; ", failures)}. " +
                                   "Check that the feed is up and reachable (or set HUBHOST_OFFLINE=1 to use only packages already in the hub).");
        return _versions[id] = all.ToList();
    }

    /// <summary>
    /// Downloads one package's .nupkg into <paramref name="destination"/>; the feed it came from, or null when no feed has
    /// it. When the only copies a folder feed has of it are unreadable files, one HubException names them.
    /// </summary>
    public async Task<string?> DownloadAsync(string id, NuGetVersion version, Stream destination, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        var unreadable = new List<UnreadablePackage>();
        foreach (var feed in _feeds)
        {
            try
            {
                if (feed.Folder is not null)
                {
                    var scan = Scan(feed.Folder, id);
                    if (scan.Packages.TryGetValue(version, out var file))
                    {
                        destination.SetLength(0);
                        await using var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
                        await source.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
                        return feed.Source;
                    }
                    unreadable.AddRange(scan.Unreadable.Where(u => u.Version == version));
                    continue;
                }
                if (await DownloadHttpAsync(feed, id, version, destination, cancellationToken).ConfigureAwait(false)) return feed.Source;
            }
            catch (Exception e) when (IsFeedFailure(e, cancellationToken))
            {
                failures.Add($"{feed.Source}: {Innermost(e)}");
            }
        }
        if (failures.Count > 0)
            throw new HubException($"Could not download {id} {version}: {string.Join("; ", failures)}.");
        if (unreadable.Count > 0)
            throw new HubException($"No NuGet feed has a readable {id} {version}: {string.Join("; ", unreadable)}. " +
                                   "Push the package again (`dotnet nuget push`), or remove the damaged file from the feed.");
        return null;
    }

    /// <summary>A folder feed's files of one id, read once per feed and id; unreadable ones logged once.</summary>
    private (IReadOnlyDictionary<NuGetVersion, string> Packages, IReadOnlyList<UnreadablePackage> Unreadable) Scan(FolderFeed folder, string id)
    {
        var key = (folder.Root, id.ToLowerInvariant());
        if (_scans.TryGetValue(key, out var known)) return known;
        var scan = folder.Scan(id);
        foreach (var bad in scan.Unreadable)
            _logger.LogWarning("Skipping {File} in the feed {Feed}: not a readable .nupkg ({Problem})", bad.File, folder.Root, bad.Problem);
        return _scans[key] = scan;
    }

    /// <summary>
    /// Requests to an HTTP feed (the service index, a version list), bounded as a whole by the timeout. A feed that does
    /// not answer in time is a TimeoutException saying so.
    /// </summary>
    private async Task<T> AskAsync<T>(Feed feed, Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(_timeout, _time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return await work(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && (timeout.IsCancellationRequested || IsTimeout(e)))
        {
            throw NoAnswer(e);
        }
    }

    /// <summary>
    /// Downloads a .nupkg from the feed's v3 flat container with NuGet's HTTP source (its credentials and proxy), with
    /// NuGet's own per-request timeouts set to ours: the response must start within the timeout and no read of the body
    /// may wait longer, so a big package downloads as long as bytes keep coming. False when the feed has no such package.
    /// </summary>
    private async Task<bool> DownloadHttpAsync(Feed feed, string id, NuGetVersion version, Stream destination, CancellationToken cancellationToken)
    {
        var (http, packageBase) = await AskAsync(feed, async token =>
        {
            var index = await feed.Http!.GetResourceAsync<ServiceIndexResourceV3>(token).ConfigureAwait(false);
            var baseUri = index?.GetServiceEntryUri(ServiceTypes.PackageBaseAddress)
                          ?? throw new FatalProtocolException($"{feed.Source} is not a NuGet feed (no v3 PackageBaseAddress, not a folder).");
            var source = await feed.Http.GetResourceAsync<HttpSourceResource>(token).ConfigureAwait(false)
                         ?? throw new FatalProtocolException($"{feed.Source} has no HTTP source.");
            return (source.HttpSource, baseUri);
        }, cancellationToken).ConfigureAwait(false);
        var (lowerId, lowerVersion) = (id.ToLowerInvariant(), version.ToNormalizedString().ToLowerInvariant());
        var url = $"{packageBase.AbsoluteUri.TrimEnd('/')}/{lowerId}/{lowerVersion}/{lowerId}.{lowerVersion}.nupkg";
        var request = new HttpSourceRequest(url, NuGetLogger.Instance) { IgnoreNotFounds = true, RequestTimeout = _timeout, DownloadTimeout = _timeout, MaxTries = 1 };
        try
        {
            return await http.ProcessStreamAsync(request, async body =>
            {
                if (body is null) return false;
                destination.SetLength(0);
                await body.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
                return true;
            }, NuGetLogger.Instance, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsTimeout(e))
        {
            throw NoAnswer(e);
        }
    }

    private TimeoutException NoAnswer(Exception e) => new($"no answer within {_timeout.TotalSeconds:0.#} s (HUBHOST_NUGET_TIMEOUT, HubOptions.NuGetTimeout)", e);

    private static bool IsTimeout(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is TimeoutException) return true;
        return false;
    }

    /// <summary>
    /// For a folder feed: the SHA-512 the feed published beside the package (<c>.nupkg.sha512</c>, written by
    /// <c>dotnet nuget push</c> and <c>nuget add</c>), or null.
    /// </summary>
    public static string? PublishedHash(string source, string id, NuGetVersion version)
    {
        if (source.Contains("://", StringComparison.Ordinal) || !Directory.Exists(source)) return null;
        var resolver = new VersionFolderPathResolver(source);
        var path = resolver.GetHashPath(id, version);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    private static bool IsFeedFailure(Exception e, CancellationToken cancellationToken)
        => e is NuGetProtocolException or HttpRequestException or IOException or InvalidDataException or UnauthorizedAccessException or TaskCanceledException or TimeoutException
           && !cancellationToken.IsCancellationRequested;

    /// <summary>The innermost message (NuGet wraps the cause), except for a timeout, whose own message says what happened.</summary>
    private static string Innermost(Exception e)
    {
        while (e is not TimeoutException && e.InnerException is not null) e = e.InnerException;
        return e.Message.TrimEnd('.');
    }

    public void Dispose() => _cache.Dispose();
}
