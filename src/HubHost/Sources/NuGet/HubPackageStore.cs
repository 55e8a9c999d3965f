using System.IO.Compression;
using System.Security.Cryptography;
using HubHost.Storage;
using Microsoft.Extensions.Logging;
using NuGet.Packaging;
using NuGet.Versioning;

namespace HubHost.Sources.NuGet;

/// <summary>
/// The hub's package folder, <c>&lt;hub&gt;/nuget/packages</c>, in NuGet's v3 layout (<c>id/version/</c> with the
/// .nupkg, its <c>.nupkg.sha512</c> and the extracted files). A package is downloaded to a temp file, its SHA-512
/// checked, extracted into a temp folder and renamed into place, under a lock per package, so a half-written
/// package is never used. Extraction is capped (<see cref="PackageExtractionLimits"/>: a decompression bomb is refused
/// before it fills the disk). Every SHA-512 is also recorded in <c>&lt;hub&gt;/nuget/hashes</c> the first time the hub
/// accepts that id and version (NuGet's lock-file rule: a version's bytes never change): a feed that later serves
/// other bytes for it, or a folder feed whose published <c>.nupkg.sha512</c> disagrees, is refused. A package refused
/// on the way (not a zip, too big, a manifest its caller refuses) leaves neither files nor a record, so its publisher
/// can fix it under the same version.
/// </summary>
internal sealed class HubPackageStore(string hubDirectory, ILogger logger, PackageExtractionLimits? limits = null)
{
    private readonly PackageExtractionLimits _limits = limits ?? PackageExtractionLimits.Default;

    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(5);

    public string Root { get; } = HubDirectories.NuGetPackages(hubDirectory);

    private VersionFolderPathResolver Paths => new(Root);

    /// <summary>The extracted folder of an installed package (NuGet's marker: its .nupkg.sha512, written last), or null.</summary>
    public string? Installed(string id, NuGetVersion version)
    {
        // NuGet's lower-case v3 layout, spelt out: a warm load must not pay for loading NuGet.Packaging.
        var (lowerId, lowerVersion) = (id.ToLowerInvariant(), version.ToNormalizedString().ToLowerInvariant());
        var folder = Path.Combine(Root, lowerId, lowerVersion);
        return File.Exists(Path.Combine(folder, $"{lowerId}.{lowerVersion}.nupkg.sha512")) ? folder : null;
    }

    /// <summary>The versions of a package in the folder (offline resolution).</summary>
    public IReadOnlyList<NuGetVersion> InstalledVersions(string id)
    {
        var folder = Path.Combine(Root, id.ToLowerInvariant());
        if (!Directory.Exists(folder)) return [];
        return Directory.EnumerateDirectories(folder).Select(Path.GetFileName)
            .Select(n => NuGetVersion.TryParse(n, out var v) ? v : null).OfType<NuGetVersion>()
            .Where(v => Installed(id, v) is not null).Order().ToList();
    }

    /// <summary>
    /// Installs a package from the feeds unless it is there; returns its extracted folder, or null when no feed has it.
    /// <paramref name="accept"/>, when given, sees the extracted folder before it is published and throws to refuse it.
    /// </summary>
    public async Task<string?> EnsureInstalledAsync(NuGetFeeds? feeds, string id, NuGetVersion version, CancellationToken cancellationToken, Action<string>? accept = null)
    {
        if (Installed(id, version) is { } ready) return ready;
        if (feeds is null) return null;
        Directory.CreateDirectory(Root);
        using var gate = await FileLock.AcquireAsync(HubLocks.NuGetPackage(hubDirectory, id.ToLowerInvariant(), version.ToNormalizedString()),
            $"installing {id} {version}", LockTimeout, cancellationToken).ConfigureAwait(false);
        if (Installed(id, version) is { } meanwhile) return meanwhile;

        var final = Paths.GetInstallPath(id, version);
        var temp = TempFolders.For(Root, $"{id.ToLowerInvariant()}-{version.ToNormalizedString()}");
        Directory.CreateDirectory(temp);
        try
        {
            var nupkgName = Path.GetFileName(Paths.GetPackageFilePath(id, version));
            var nupkg = Path.Combine(temp, nupkgName);
            string? source;
            await using (var stream = new FileStream(nupkg, FileMode.CreateNew, FileAccess.ReadWrite))
            {
                source = await feeds.DownloadAsync(id, version, stream, cancellationToken).ConfigureAwait(false);
                if (source is null) return null;
            }
            var hash = Sha512(nupkg);
            if (NuGetFeeds.PublishedHash(source, id, version) is { } published && published != hash)
                throw new HubException($"The hash of {id} {version} from {source} does not match the SHA-512 the feed published beside it " +
                                       $"({Short(hash)} downloaded, {Short(published)} published): the package file was changed or damaged. Republish it, or remove it from the feed.");
            var record = await CheckKnownHashAsync(id, version, hash, source, cancellationToken).ConfigureAwait(false);
            Extract(nupkg, temp, id, version);
            accept?.Invoke(temp);
            // The .sha512 file is NuGet's marker of a finished install: written last.
            File.WriteAllText(Path.Combine(temp, Path.GetFileName(Paths.GetHashPath(id, version))), hash);
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true); // no .sha512: not a finished install
            Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            Directory.Move(temp, final);
            // Accepted: from now on these are the bytes of this version.
            if (record is not null) AtomicFile.WriteAllBytes(record, System.Text.Encoding.ASCII.GetBytes(hash));
            logger.LogInformation("Installed {Id} {Version} from {Source}", id, version, source);
            return final;
        }
        finally
        {
            FileTree.TryDelete(temp, logger, "the temp package folder");
        }
    }

    /// <summary>
    /// Refuses other bytes than the ones this hub accepted before for this version. Returns the record to write once the
    /// package is accepted (null when it is recorded already).
    /// </summary>
    private async Task<string?> CheckKnownHashAsync(string id, NuGetVersion version, string hash, string source, CancellationToken cancellationToken)
    {
        var record = Path.Combine(HubDirectories.NuGetHashes(hubDirectory), id.ToLowerInvariant(), version.ToNormalizedString().ToLowerInvariant() + ".sha512");
        if (File.Exists(record))
        {
            var known = (await File.ReadAllTextAsync(record, cancellationToken).ConfigureAwait(false)).Trim();
            if (known != hash)
                throw new HubException($"Hash mismatch for {id} {version} from {source}: this hub installed it before with SHA-512 {Short(known)}, " +
                                       $"the feed now serves {Short(hash)}. A published version must never change; someone replaced the package. " +
                                       $"If you trust the new bytes, delete {record} and load again.");
            return null;
        }
        return record;
    }

    /// <summary>
    /// Extracts a .nupkg into <paramref name="folder"/> (NuGet's layout: no OPC parts, the nuspec as &lt;id&gt;.nuspec),
    /// refusing an entry outside the folder and a package that expands past <see cref="PackageExtractionLimits"/>: the
    /// sizes the zip declares are checked before anything is written, and the bytes written are counted as they are.
    /// </summary>
    internal void Extract(string nupkg, string folder, string id, NuGetVersion version)
    {
        var packageBytes = new FileInfo(nupkg).Length;
        var allowed = _limits.AllowedFor(packageBytes);
        HubException Bomb() => new($"The package {id} {version} expands to more than {PackageExtractionLimits.Size(allowed)}: refused as a decompression bomb " +
                                   $"({_limits.Describe(packageBytes)}). Nothing was installed; ask its publisher to check the package.");
        try
        {
            using var archive = ZipFile.OpenRead(nupkg);
            if (archive.Entries.Sum(e => e.Length) > allowed) throw Bomb();
            // The install folder holds the .nupkg itself and NuGet's marker files beside the package's own: none may come from the package.
            var ownFiles = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { Path.GetFileName(nupkg), Path.GetFileName(nupkg) + ".sha512", Path.GetFileName(nupkg) + ".metadata", ".nupkg.metadata" };
            long written = 0;
            var buffer = new byte[81920];
            foreach (var entry in archive.Entries)
            {
                var name = Uri.UnescapeDataString(entry.FullName).Replace('\\', '/');
                if (name.EndsWith('/') || name == "[Content_Types].xml" || name.StartsWith("_rels/", StringComparison.Ordinal) || name.StartsWith("package/", StringComparison.Ordinal))
                    continue;
                var target = Path.GetFullPath(Path.Combine(folder, name));
                if (!target.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                    throw new HubException($"The package {id} {version} has an entry outside its folder ({entry.FullName}); refusing it.");
                if (!name.Contains('/') && ownFiles.Contains(name))
                    throw new HubException($"The package {id} {version} has an entry named like the package file itself or NuGet's marker beside it ({entry.FullName}); refusing it. Ask its publisher to pack it again.");
                // NuGet's convention: the nuspec is stored lower-case as <id>.nuspec.
                if (!name.Contains('/') && name.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase))
                    target = Path.Combine(folder, id.ToLowerInvariant() + ".nuspec");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                using var input = entry.Open();
                using var output = new FileStream(target, FileMode.Create, FileAccess.Write);
                for (int read; (read = input.Read(buffer)) > 0;)
                {
                    written += read;
                    if (written > allowed) throw Bomb();
                    output.Write(buffer, 0, read);
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw new HubException($"The package {id} {version} is not a valid .nupkg (zip): {e.Message}", e);
        }
    }

    /// <summary>NuGet's package hash: SHA-512 of the .nupkg, base64.</summary>
    public static string Sha512(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToBase64String(SHA512.HashData(stream));
    }

    private static string Short(string hash) => hash.Length > 16 ? hash[..16] + "…" : hash;
}
