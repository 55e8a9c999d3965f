using NuGet.Configuration;
using NuGet.Packaging;
using NuGet.Protocol;
using NuGet.Protocol.Core.Types;
using NuGet.Versioning;
using NuGetLogger = NuGet.Common.NullLogger;

namespace HubHost.Sources.NuGet;

/// <summary>
/// The NuGet feeds of the user's nuget.config (NuGet.Configuration: the config files found from the current folder
/// upward, the user's and the machine's, or the one file given in <see cref="HubOptions.NuGetConfigFile"/>), read
/// through NuGet.Protocol's FindPackageByIdResource — the v3 flat container or a folder — which reads dependencies
/// from the packages' nuspecs. Credentials come from NuGet's usual places (packageSourceCredentials in nuget.config,
/// NuGetPackageSourceCredentials_* variables). A feed that fails is skipped when another answers; when none does, one
/// HubException names them.
/// </summary>
internal sealed class NuGetFeeds : IDisposable
{
    private readonly List<SourceRepository> _repositories;
    private readonly SourceCacheContext _cache = new() { NoCache = true, DirectDownload = true };
    private readonly Dictionary<string, IReadOnlyList<NuGetVersion>> _versions = new(StringComparer.OrdinalIgnoreCase);

    private NuGetFeeds(List<SourceRepository> repositories, string configDescription)
    {
        _repositories = repositories;
        ConfigDescription = configDescription;
    }

    /// <summary>Which nuget.config files were read, for messages.</summary>
    public string ConfigDescription { get; }

    public IReadOnlyList<string> SourceNames => _repositories.Select(r => r.PackageSource.Source).ToList();

    public static NuGetFeeds Load(string? configFile)
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
        return new NuGetFeeds(sources.Select(s => Repository.Factory.GetCoreV3(s)).ToList(), files);
    }

    /// <summary>Every version of a package on any feed (empty: no feed has it). Throws when no feed could be asked.</summary>
    public async Task<IReadOnlyList<NuGetVersion>> VersionsAsync(string id, CancellationToken cancellationToken)
    {
        if (_versions.TryGetValue(id, out var known)) return known;
        var all = new SortedSet<NuGetVersion>();
        var failures = new List<string>();
        foreach (var repository in _repositories)
        {
            try
            {
                var resource = await repository.GetResourceAsync<FindPackageByIdResource>(cancellationToken).ConfigureAwait(false)
                               ?? throw new FatalProtocolException($"{repository.PackageSource.Source} is not a NuGet feed (no v3 PackageBaseAddress, not a folder).");
                foreach (var v in await resource.GetAllVersionsAsync(id, _cache, NuGetLogger.Instance, cancellationToken).ConfigureAwait(false))
                    all.Add(v);
            }
            catch (Exception e) when (IsFeedFailure(e, cancellationToken))
            {
                failures.Add($"{repository.PackageSource.Source}: {Innermost(e)}");
            }
        }
        if (failures.Count == _repositories.Count)
            throw new HubException($"No NuGet feed answered for {id}: {string.Join("; ", failures)}. " +
                                   "Check that the feed is up and reachable (or set HUBHOST_OFFLINE=1 to use only packages already in the hub).");
        return _versions[id] = all.ToList();
    }

    /// <summary>Downloads one package's .nupkg into <paramref name="destination"/>; the feed it came from, or null when no feed has it.</summary>
    public async Task<string?> DownloadAsync(string id, NuGetVersion version, Stream destination, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        foreach (var repository in _repositories)
        {
            try
            {
                var resource = await repository.GetResourceAsync<FindPackageByIdResource>(cancellationToken).ConfigureAwait(false)
                               ?? throw new FatalProtocolException($"{repository.PackageSource.Source} is not a NuGet feed (no v3 PackageBaseAddress, not a folder).");
                if (!await resource.DoesPackageExistAsync(id, version, _cache, NuGetLogger.Instance, cancellationToken).ConfigureAwait(false)) continue;
                destination.SetLength(0);
                if (await resource.CopyNupkgToStreamAsync(id, version, destination, _cache, NuGetLogger.Instance, cancellationToken).ConfigureAwait(false))
                    return repository.PackageSource.Source;
            }
            catch (Exception e) when (IsFeedFailure(e, cancellationToken))
            {
                failures.Add($"{repository.PackageSource.Source}: {Innermost(e)}");
            }
        }
        if (failures.Count > 0)
            throw new HubException($"Could not download {id} {version}: {string.Join("; ", failures)}.");
        return null;
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
        => e is NuGetProtocolException or HttpRequestException or IOException or InvalidDataException or UnauthorizedAccessException or TaskCanceledException
           && !cancellationToken.IsCancellationRequested;

    private static string Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e.Message.TrimEnd('.');
    }

    public void Dispose() => _cache.Dispose();
}
