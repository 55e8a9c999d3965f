using HubHost.Locking;
using HubHost.Building;
using HubHost.Storage;
using HubHost.Sources.Git;
using Microsoft.Extensions.Logging;
using NuGet.Versioning;

namespace HubHost.Sources.NuGet;

/// <summary>
/// A prebuilt hub repo in a NuGet package (made by <c>hubhost pack</c>): <c>nuget:Id</c> (the highest stable
/// version), <c>nuget:Id@1.2.0</c> (exactly that version) or <c>nuget:Id@[1.0,2.0)</c> (the highest version in a NuGet
/// range; floating versions such as <c>1.*</c> too). Resolved against the feeds of the user's nuget.config and
/// installed into the hub's package folder; its dependency closure is installed and laid out by the build step,
/// which for a package is no <c>dotnet build</c> (Building/PackageLayout). A version or range seen before loads without the network; ForceReload (and hot
/// reload) asks the feeds again; offline (<see cref="HubOptions.Offline"/>) uses only the hub's package folder. Loading a package runs its code,
/// so it is trusted like a git repo (trust key <c>nuget:Id</c>).
/// </summary>
internal sealed partial class NuGetRepoSource : RepoSource
{
    public const string Prefix = "nuget:";

    private NuGetRepoSource(string text, string id, NuGetVersion? exact, VersionRange? range)
    {
        Text = text;
        Id = id;
        Exact = exact;
        Range = range;
    }

    public string Text { get; }

    public string Id { get; }

    /// <summary>The exact version asked for, or null.</summary>
    public NuGetVersion? Exact { get; }

    /// <summary>The range asked for, or null (with no <see cref="Exact"/>: the highest stable version).</summary>
    public VersionRange? Range { get; }

    public override string DisplayName => Text;

    public override string RepoName => TrustKey;

    public override string? Ref => Exact?.ToNormalizedString() ?? Range?.ToString();

    /// <summary>The trusted-list key: <c>nuget:Id</c> (NuGet ids ignore case).</summary>
    public string TrustKey => Prefix + Id;

    public static bool IsNuGet(string repo) => repo.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <c>nuget:Id[@version-or-range]</c>; malformed input is one HubException naming the forms.</summary>
    public static NuGetRepoSource FromString(string repo)
    {
        const string Forms = "Write nuget:Id (highest stable), nuget:Id@1.2.0 (that version) or nuget:Id@[1.0,2.0) (highest in a range).";
        var body = repo[Prefix.Length..].Trim();
        var at = body.IndexOf('@');
        var id = (at < 0 ? body : body[..at]).Trim();
        var spec = at < 0 ? null : body[(at + 1)..].Trim();
        if (id.Length > 100 || !ValidId().IsMatch(id))
            throw new HubException($"'{repo}' does not name a NuGet package: '{id}' is not a valid package id. {Forms}");
        if (spec is null) return new NuGetRepoSource(repo, id, null, null);
        if (spec.Length == 0) throw new HubException($"'{repo}' has an empty version after @. {Forms}");
        if (!spec.StartsWith('[') && !spec.StartsWith('(') && !spec.Contains('*') && NuGetVersion.TryParse(spec, out var exact))
            return new NuGetRepoSource(repo, id, exact, null);
        if (VersionRange.TryParse(spec, allowFloating: true, out var range))
            return new NuGetRepoSource(repo, id, null, range);
        throw new HubException($"'{spec}' in '{repo}' is neither a NuGet version nor a version range. {Forms}");
    }

    /// <summary>The same package at exactly <paramref name="version"/> (what a lock pins), still shown as the user wrote it.</summary>
    public NuGetRepoSource AtVersion(NuGetVersion version) => new(Text, Id, version, null);

    public override TrustIdentity Trust => new(TrustKey, Text, "load", "Loading a package runs its code.", TrustKey);

    public override CacheFootprint Footprint => new PackageFootprint(Id, Exact, Range is not null, Text);

    public override string Kind => "nuget";

    public override string? PackRefusal => $"{Text} is a package already; pack a folder (./my-hub) or a git repo (owner/name[:ref]).";

    /// <summary>The package at its locked version with its locked SHA-512 (apart, so a git or folder load never loads NuGet's assemblies).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public override async Task<RepoSnapshot> ResolveLockedAsync(SourceContext context, HubLoadOptions options, VersionLease lease, LockedSource locked, CancellationToken cancellationToken)
    {
        if (!Id.Equals(locked.Id, StringComparison.OrdinalIgnoreCase) || !NuGetVersion.TryParse(locked.Version, out var version))
            throw new SourceDriftException($"it names the package {Id}, the lock has {locked.Id} {locked.Version}");
        var snapshot = await AtVersion(version).ResolveAsync(context, options, lease, cancellationToken).ConfigureAwait(false);
        var folder = new HubPackageStore(context.HubDirectory, context.Logger).Installed(Id, version);
        var hash = folder is null ? null : PackageLayout.InstalledHash(folder);
        if (hash != locked.Sha512)
            throw new SourceDriftException($"the package {locked.Id} {locked.Version} has SHA-512 {Short(hash)}, the lock has {Short(locked.Sha512)}");
        return snapshot;
    }

    private static string Short(string? hash) => hash is null ? "(not installed)" : hash.Length > 16 ? hash[..16] + "…" : hash;

    public override LockedSource DescribeLocked(RepoSnapshot snapshot, SourceContext context) => new("nuget")
    {
        Id = Id,
        Ref = Ref,
        Version = snapshot.Version,
        Sha512 = new HubPackageStore(context.HubDirectory, context.Logger).Installed(Id, NuGetVersion.Parse(snapshot.Version)) is { } folder
            ? PackageLayout.InstalledHash(folder)
            : throw new HubException($"{Text} {snapshot.Version} is not in the hub's package folder any more; lock it again."),
    };

    public override async Task<RepoSnapshot> ResolveAsync(SourceContext hub, HubLoadOptions options, VersionLease lease, CancellationToken cancellationToken)
    {
        var offline = hub.Settings.Offline;
        if (offline && options.ForceReload)
            throw new HubException($"Cannot force-reload {Text}: {GitCli.OfflineNote}, and that needs the feeds. " +
                                   "Turn offline mode off, or load without --force-reload to use the cached version.");
        var store = new HubPackageStore(hub.HubDirectory, hub.Logger);
        NuGetFeeds? feeds = null;
        try
        {
            NuGetFeeds? Feeds() => offline ? null : feeds ??= NuGetFeeds.Load(hub.Settings.NuGetConfigFile, hub.Settings.NuGetTimeout, hub.Logger, hub.Time);
            // Warm: the version named (or last resolved) is installed — no feed is asked, and NuGet.Protocol is not even loaded.
            var version = (options.ForceReload ? null : Exact ?? RecordedVersion(hub.HubDirectory)) is { } known && store.Installed(Id, known) is not null
                ? known
                : await ChooseVersionAsync(hub, store, offline ? null : Feeds, options.ForceReload, cancellationToken).ConfigureAwait(false);
            // Resolving fetches, as for git: the package itself is installed (its hash checked) now; its dependencies when it is laid out.
            var folder = store.Installed(Id, version)
                         ?? await store.EnsureInstalledAsync(Feeds(), Id, version, cancellationToken,
                             accept: extracted => HubPackageManifest.Read(extracted, Id, version)).ConfigureAwait(false)
                         ?? throw await NotFoundAsync(Feeds(), version, cancellationToken).ConfigureAwait(false);
            // Named nuget:Id with the version beside it, so its load context is nuget:Id@version, as a git repo's is name@commit.
            return new PackageSnapshot(Prefix + Id, version.ToNormalizedString(), ContentKey.Package(Id, version.ToNormalizedString()), Path.Combine(folder, HubPackageManifest.RepoFolder),
                new NuGetPackageRef(Id, version, hub.Settings.NuGetConfigFile, offline, hub.Settings.NuGetTimeout));
        }
        finally
        {
            feeds?.Dispose();
        }
    }

    private NuGetVersion? RecordedVersion(string hubDirectory)
        => JsonRecords.ReadFlatObject(ResolutionPath(hubDirectory)) is { } recorded && recorded.TryGetValue("version", out var text) && NuGetVersion.TryParse(text, out var v) ? v : null;

    private async Task<HubException> NotFoundAsync(NuGetFeeds? feeds, NuGetVersion version, CancellationToken cancellationToken)
    {
        if (feeds is null)
            return new HubException($"{Id} {version} is not in the hub's package folder, and {GitCli.OfflineNote}, so it will not download it. " +
                                    $"Load {Prefix}{Id}@{version} once with offline mode off to cache it.");
        var versions = await feeds.VersionsAsync(Id, cancellationToken).ConfigureAwait(false);
        return versions.Count == 0
            ? new HubException($"No NuGet feed has a package {Id} (feeds: {string.Join(", ", feeds.SourceNames)}). Check the id, or push it with `dotnet nuget push`.{Skipped(feeds)}")
            : new HubException($"{Id} has no version {version} on the feeds; it has {string.Join(", ", versions.TakeLast(10))}.{Skipped(feeds)}");
    }

    /// <summary>The unreadable package files a folder feed had for this id, for a message (empty when none).</summary>
    private static string Skipped(NuGetFeeds feeds)
        => feeds.Unreadable is { Count: > 0 } bad ? $" Skipped: {string.Join("; ", bad)}." : "";

    private async Task<NuGetVersion> ChooseVersionAsync(SourceContext hub, HubPackageStore store, Func<NuGetFeeds?>? feeds, bool forceReload, CancellationToken cancellationToken)
    {
        if (Exact is not null) return Exact;
        var recordPath = ResolutionPath(hub.HubDirectory);
        // Offline, a recorded version stands even when it is not installed (the error then says so).
        if (!forceReload && feeds is null && RecordedVersion(hub.HubDirectory) is { } known) return known;
        IReadOnlyList<NuGetVersion> versions;
        string where;
        var skipped = "";
        if (feeds is null)
        {
            versions = store.InstalledVersions(Id);
            where = $"the hub's package folder ({GitCli.OfflineNote}, so no feed was asked)";
        }
        else
        {
            var feedSet = feeds()!;
            versions = await feedSet.VersionsAsync(Id, cancellationToken).ConfigureAwait(false);
            where = "the NuGet feeds (" + string.Join(", ", feedSet.SourceNames) + ")";
            skipped = Skipped(feedSet);
        }
        if (versions.Count == 0)
            throw new HubException(feeds is null
                ? $"{Id} is not in the hub's package folder, and {GitCli.OfflineNote}, so it will not download it. Load {Text} once with offline mode off to cache it."
                : $"No NuGet feed has a package {Id} ({where}). Check the id, or push the package with `dotnet nuget push`.{skipped}");
        var chosen = Pick(versions)
                     ?? throw new HubException(Range is null
                         ? $"{Id} has no stable version on {where}, only {string.Join(", ", versions.TakeLast(10))}. Name one: {Prefix}{Id}@{versions[^1]}."
                         : $"{Id} has no version in {Range.PrettyPrint()} on {where}; it has {string.Join(", ", versions.TakeLast(10))}.{skipped}");
        var resolution = new NuGetResolution(Id, Range?.ToNormalizedString() ?? "", chosen.ToNormalizedString(), DateTimeOffset.UtcNow);
        AtomicFile.WriteAllBytes(recordPath, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(resolution, HubPackageJson.Default.NuGetResolution));
        hub.Logger.LogDebug("{Repo} resolved to {Version}", Text, chosen);
        return chosen;
    }

    /// <summary>The highest stable version (no range), or the highest in the range (prereleases only when the range names one).</summary>
    private NuGetVersion? Pick(IReadOnlyList<NuGetVersion> versions)
    {
        if (Range is null) return versions.Where(v => !v.IsPrerelease).Max();
        if (Range.IsFloating) return Range.FindBestMatch(versions);
        var prerelease = Range.MinVersion?.IsPrerelease == true || Range.MaxVersion?.IsPrerelease == true;
        return versions.Where(v => Range.Satisfies(v) && (prerelease || !v.IsPrerelease)).Max();
    }

    /// <summary>NuGet's package id rule (NuGet.Packaging's PackageIdValidator, without loading that assembly on every load).</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^\w+([_.-]\w+)*$")]
    private static partial System.Text.RegularExpressions.Regex ValidId();

    /// <summary>The record of what this id and range last resolved to.</summary>
    private string ResolutionPath(string hubDirectory)
    {
        var range = Range?.ToNormalizedString() ?? "latest";
        var safe = string.Concat(range.Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' ? c : '_'));
        return Path.Combine(HubDirectories.NuGetResolved(hubDirectory), Id.ToLowerInvariant(), safe + ".json");
    }
}

/// <summary>A resolved <c>nuget:</c> version, installed in the hub's package folder: what the build step lays out.</summary>
/// <param name="Id">The package id.</param>
/// <param name="Version">The version.</param>
/// <param name="ConfigFile">The nuget.config to read feeds from (null: NuGet's usual files), for dependencies not installed yet.</param>
/// <param name="Offline"><see cref="HubOptions.Offline"/>: dependencies come only from the hub's package folder.</param>
/// <param name="Timeout"><see cref="HubOptions.NuGetTimeout"/>: how long a feed may take to answer one request.</param>
internal sealed record NuGetPackageRef(string Id, NuGetVersion Version, string? ConfigFile, bool Offline, TimeSpan Timeout);

/// <summary>A resolved <c>nuget:</c> version: laid out from its package (no build), in a folder named by <see cref="PackageLayout.Key"/>.</summary>
internal sealed record PackageSnapshot(string DisplayName, string Version, ContentKey ContentKey, string Directory, NuGetPackageRef Package)
    : RepoSnapshot(DisplayName, Version, ContentKey, Directory)
{
    public override string LoadableKey => PackageLayout.Key(Package.Id, Package.Version);

    public override Task<RepoBuild> MakeLoadableAsync(LoadableContext context, PinnedRestore? pins, CancellationToken cancellationToken)
        => PackageLayout.EnsureAsync(context.HubDirectory, Package, context.Logger, context.Time, cancellationToken);
}

/// <summary>A package in the cache: its installed versions (or the one named), their layouts and what its ranges resolved to.</summary>
/// <param name="Id">The package id.</param>
/// <param name="Version">The version named, or null for every version.</param>
/// <param name="IsRange">Whether a range was named (which <c>cache rm</c> refuses).</param>
/// <param name="Text">The source as the user wrote it.</param>
internal sealed record PackageFootprint(string Id, NuGetVersion? Version, bool IsRange, string Text) : CacheFootprint;
