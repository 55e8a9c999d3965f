using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using HubHost.Storage;
using Microsoft.Extensions.Logging;

namespace HubHost.Downloads;

/// <summary>What a caller requires of a cached file (a lock's record of it): its full SHA-256 and, for <c>hf://</c>, the commit.</summary>
/// <param name="Sha256">The file's SHA-256 (lower-case hex).</param>
/// <param name="Commit">For an <c>hf://</c> file, the commit it was fetched at: fetched at that commit again when not cached.</param>
/// <param name="Drifted">The one-line error for a file whose SHA-256 (and commit, when known) differs.</param>
internal sealed record ExpectedFile(string Sha256, string? Commit, Func<string, string?, HubException> Drifted);

/// <summary>A weights file in the cache, verified: where it is, its full SHA-256 and size, and for <c>hf://</c> the commit it came from.</summary>
internal sealed record CachedFile(string Path, string Sha256, long Size, string? Commit, bool Downloaded);

/// <summary>One file of <see cref="CheckpointCache.List"/>.</summary>
internal sealed record CheckpointEntry(string Path, string? Url, string? Sha256, long Bytes, string? Commit, DateTimeOffset? VerifiedAt, bool Legacy);

/// <summary>
/// The checkpoint cache (torch.hub's <c>&lt;hub&gt;/checkpoints</c>), keyed by the URL rather than by its last path segment,
/// so two URLs ending in <c>model.pth</c> are two files (pytorch/hub#47): <c>checkpoints/&lt;20 hex of SHA-256(URL)&gt;/&lt;name&gt;</c>.
/// An explicit file name keeps torch's meaning (<c>file_name</c>: the caller names the cached file, <c>checkpoints/&lt;name&gt;</c>).
/// Beside each file, <c>.&lt;name&gt;.hubhost.json</c> records the URL it came from (redacted), its full SHA-256 computed as it
/// arrived, its size and modification time, and the <c>hf://</c> commit; a later use re-checks the file cheaply against that
/// record (size and time) and the record's hash against a lock or a hash prefix, and re-hashes it all when asked to verify or
/// when the file changed since. Files cached by earlier versions under their last segment stay usable: one whose name carries
/// torch's hash prefix (or that a lock's full hash names) is moved under its URL once its SHA-256 is checked; any other stays
/// where it is, still used by calls that name it explicitly, and the URL is downloaded again once.
/// Each entry changes under a lock in the hub's locks folder, so processes sharing the cache never see half an entry.
/// </summary>
internal sealed class CheckpointCache(string hubDirectory, FileDownloader downloader, HuggingFaceResolver huggingFace, ILogger logger)
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(30);

    public const string RecordSuffix = ".hubhost.json";

    /// <summary>Hex digits of the URL's SHA-256 in a cache folder's name.</summary>
    public const int KeyLength = 20;

    /// <summary>The default root, <c>&lt;hub&gt;/checkpoints</c>, or the given model directory.</summary>
    public string Root(string? modelDirectory) => Path.GetFullPath(modelDirectory ?? HubDirectories.Checkpoints(hubDirectory));

    /// <summary>Where <paramref name="source"/> is cached: under its URL's key, or under <paramref name="fileName"/> when one is given.</summary>
    public string PathFor(WeightsSource source, string? modelDirectory, string? fileName)
        => fileName is not null
            ? Path.Combine(Root(modelDirectory), CheckpointFiles.CheckFileName(fileName))
            : Path.Combine(Root(modelDirectory), source.Digest[..KeyLength], source.FileName);

    /// <summary>
    /// The verified cached file of <paramref name="source"/>, downloaded first if needed.
    /// </summary>
    /// <param name="source">The URL.</param>
    /// <param name="modelDirectory">The cache root; null for <c>&lt;hub&gt;/checkpoints</c>.</param>
    /// <param name="fileName">torch's <c>file_name</c>: the cached file's name; null to key the file by its URL.</param>
    /// <param name="checkHash">Check torch's hash prefix in the file name (for <c>hf://</c> without one: the hub's LFS SHA-256).</param>
    /// <param name="expected">A lock's record of the file: its full SHA-256 must match.</param>
    /// <param name="verify">Re-hash a cached file in full rather than trusting its record.</param>
    /// <param name="progress">Download progress.</param>
    /// <param name="cancellationToken">Cancels a download or a hash; nothing half-written stays.</param>
    public async Task<CachedFile> GetAsync(WeightsSource source, string? modelDirectory, string? fileName, bool checkHash, ExpectedFile? expected,
        bool verify, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        // An hf:// file locked at a commit: when the revision's cached file is not the locked one (the branch moved on and a load
        // without the lock cached the new file), the locked commit's file is used instead (cached under the commit, fetched at it).
        if (fileName is null && source.Hf is { IsPinned: false } hf && expected?.Commit is { } lockedCommit
            && Current(PathFor(source, modelDirectory, null))?.Sha256 != expected.Sha256)
            source = WeightsSource.Of(hf with { Revision = lockedCommit });
        var path = PathFor(source, modelDirectory, fileName);
        var name = Path.GetFileName(path);
        var hashPrefix = CheckpointFiles.HashPrefixOf(name);
        if (checkHash && hashPrefix is null && source.Hf is null)
            throw new HubException(
                $"Cannot check the hash of '{name}': the name has no hash part like 'resnet18-f37072fd.pth' " +
                "(a '-', then the start of the file's SHA-256 in lower-case hex, then '.'). Give such a file name or turn the hash check off.");
        var prefix = checkHash ? hashPrefix : null;

        // Warm: the record says the file is as verified (same size and time): no hashing, no lock, no request.
        if (!verify && Current(path) is { } warm)
        {
            logger.LogCachedCheckpoint(path);
            return Checked(source, path, warm, prefix, expected, downloaded: false);
        }

        using var gate = await FileLock.AcquireAsync(HubLocks.Checkpoint(hubDirectory, path), $"caching '{path}'", LockTimeout, cancellationToken,
            onWait: () => logger.LogInformation("Waiting for another process caching {Path}", path)).ConfigureAwait(false);
        if (File.Exists(path))
        {
            if (!verify && Current(path) is { } meanwhile) return Checked(source, path, meanwhile, prefix, expected, downloaded: false);
            var previous = ReadRecord(path);
            var (sha256, size) = await CheckpointFiles.Sha256Async(path, cancellationToken).ConfigureAwait(false);
            if (previous is not null && sha256 != previous.Sha256)
            {
                // Not the bytes that arrived from the URL (damaged or changed on disk since): fetch them again.
                logger.LogWarning("{Path} no longer has the SHA-256 recorded when it was cached ({Recorded}, now {Actual}); downloading it again", path, previous.Sha256, sha256);
                Remove(path);
            }
            else
            {
                // The same bytes with another time (copied, touched), or a file with no record (cached by an earlier version under the
                // name a call gives): recorded as it is now, for the URL it was cached for (an explicitly named file may have come from
                // another URL, as in torch).
                var record = new CachedFileRecord(previous?.Url ?? source.Shown, previous?.UrlDigest ?? source.Digest, name, sha256, size,
                    Ticks(path), DateTimeOffset.UtcNow, previous?.Commit);
                WriteRecord(path, record);
                return Checked(source, path, record, prefix, expected, downloaded: false);
            }
        }
        if (fileName is null && await TryAdoptLegacyAsync(source, modelDirectory, path, prefix, expected, cancellationToken).ConfigureAwait(false) is { } adopted)
            return Checked(source, path, adopted, prefix, expected, downloaded: false);
        try
        {
            return await DownloadAsync(source, path, prefix, checkHash, expected, progress, cancellationToken).ConfigureAwait(false);
        }
        catch when (fileName is null)
        {
            // Nothing was cached: leave no empty folder for the URL behind (a killed download's partial file stays, to resume).
            var folder = Path.GetDirectoryName(path)!;
            if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) FileTree.TryDelete(folder, logger, "the empty cache folder");
            throw;
        }
    }

    private async Task<CachedFile> DownloadAsync(WeightsSource source, string path, string? prefix, bool checkHash, ExpectedFile? expected,
        IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        Uri url;
        string? commit = null;
        var wanted = expected?.Sha256 ?? prefix;
        if (source.Hf is { } hf)
        {
            if ((expected?.Commit ?? (hf.IsPinned ? hf.Revision : null)) is { } pinned && (expected is not null || prefix is not null))
            {
                // A lock (or the URL) names the commit, and a hash to check is known: nothing to ask the hub.
                commit = pinned;
                url = huggingFace.PinnedUrl(hf, pinned);
            }
            else
            {
                var resolved = await huggingFace.ResolveAsync(expected?.Commit is { } locked ? hf with { Revision = locked } : hf, cancellationToken).ConfigureAwait(false);
                commit = resolved.Commit;
                url = resolved.Url;
                if (resolved.Sha256 is { } lfs)
                {
                    if (expected is not null && lfs != expected.Sha256) throw expected.Drifted(lfs, commit);
                    if (prefix is not null && !lfs.StartsWith(prefix, StringComparison.Ordinal))
                        throw new HubException($"{source.Shown} is at commit {commit[..12]} a file whose SHA-256 {lfs} does not start with '{prefix}', the hash part of its name. Check the URL.");
                    wanted ??= lfs;
                }
                else if (checkHash && wanted is null)
                {
                    throw new HubException($"Cannot check the hash of {source.Shown}: the hub gives no SHA-256 for it (it is not an LFS file) and its name has no hash part. " +
                                           "Load it with the hash check off (checkHash: false).");
                }
            }
        }
        else
        {
            url = source.Http!;
        }
        logger.LogDownloadingCheckpoint(source.Shown, path);
        var result = await downloader.DownloadAsync(url, path, wanted, progress, ExistingFile.Replace, cancellationToken,
            expected is null ? null : actual => expected.Drifted(actual, commit)).ConfigureAwait(false);
        var record = new CachedFileRecord(source.Shown, source.Digest, Path.GetFileName(path), result.Sha256!, result.Length, Ticks(path), DateTimeOffset.UtcNow, commit);
        WriteRecord(path, record);
        return new CachedFile(path, record.Sha256, record.Size, commit, Downloaded: true);
    }

    /// <summary>
    /// A file an earlier version cached under the URL's last segment (<c>checkpoints/&lt;name&gt;</c>), moved under the URL's key
    /// when it is provably this URL's file: its record names this URL, or its SHA-256 starts with the hash part of its name (torch's
    /// convention) or equals the lock's. Anything else is left where it is (it may be another URL's file of the same name).
    /// </summary>
    private async Task<CachedFileRecord?> TryAdoptLegacyAsync(WeightsSource source, string? modelDirectory, string path, string? prefix,
        ExpectedFile? expected, CancellationToken cancellationToken)
    {
        var legacy = Path.Combine(Root(modelDirectory), source.FileName);
        if (!File.Exists(legacy)) return null;
        using var gate = await FileLock.AcquireAsync(HubLocks.Checkpoint(hubDirectory, legacy), $"caching '{legacy}'", LockTimeout, cancellationToken).ConfigureAwait(false);
        if (!File.Exists(legacy)) return null;
        var previous = ReadRecord(legacy);
        var (sha256, size) = await CheckpointFiles.Sha256Async(legacy, cancellationToken).ConfigureAwait(false);
        var namePrefix = CheckpointFiles.HashPrefixOf(source.FileName);
        var proven = previous?.UrlDigest == source.Digest
                     || (namePrefix is not null && sha256.StartsWith(namePrefix, StringComparison.Ordinal))
                     || sha256 == expected?.Sha256;
        if (!proven || (prefix is not null && !sha256.StartsWith(prefix, StringComparison.Ordinal))) return null;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Move(legacy, path, overwrite: false);
        FileTree.Delete(RecordPath(legacy));
        var record = new CachedFileRecord(source.Shown, source.Digest, Path.GetFileName(path), sha256, size, Ticks(path), DateTimeOffset.UtcNow, previous?.Commit);
        WriteRecord(path, record);
        logger.LogInformation("Moved {Legacy}, cached by an earlier version under its file name, to {Path} (keyed by its URL; SHA-256 checked)", legacy, path);
        return record;
    }

    /// <summary>The record's hash checked against the lock and the name's hash prefix.</summary>
    private static CachedFile Checked(WeightsSource source, string path, CachedFileRecord record, string? prefix, ExpectedFile? expected, bool downloaded)
    {
        if (expected is not null && record.Sha256 != expected.Sha256) throw expected.Drifted(record.Sha256, record.Commit);
        if (prefix is not null && !record.Sha256.StartsWith(prefix, StringComparison.Ordinal))
            throw new HubException($"The cached file '{path}' (from {record.Url}) has SHA-256 {record.Sha256}, which does not start with '{prefix}', the hash part of its name. " +
                                   $"Remove it (`hubhost cache rm {source.Shown}`) and load again.");
        return new CachedFile(path, record.Sha256, record.Size, record.Commit, downloaded);
    }

    /// <summary>The record of a file that is still as it was when verified (same size and modification time), or null.</summary>
    private static CachedFileRecord? Current(string path)
    {
        if (ReadRecord(path) is not { } record) return null;
        var info = new FileInfo(path);
        return info.Exists && info.Length == record.Size && Ticks(info) == record.ModifiedTicks ? record : null;
    }

    public static string RecordPath(string path) => Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + RecordSuffix);

    private static CachedFileRecord? ReadRecord(string path)
    {
        if (JsonRecords.ReadFlatObject(RecordPath(path)) is not { } v) return null;
        if (JsonRecords.Text(v, nameof(CachedFileRecord.Sha256)) is not { Length: 64 } sha || JsonRecords.Text(v, nameof(CachedFileRecord.Url)) is not { } url
            || JsonRecords.Text(v, nameof(CachedFileRecord.UrlDigest)) is not { } digest || JsonRecords.Text(v, nameof(CachedFileRecord.ModifiedTicks)) is not { } ticks
            || !long.TryParse(JsonRecords.Text(v, nameof(CachedFileRecord.Size)), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            return null;
        return new CachedFileRecord(url, digest, JsonRecords.Text(v, nameof(CachedFileRecord.FileName)) ?? Path.GetFileName(path), sha, size, ticks,
            JsonRecords.Date(v, nameof(CachedFileRecord.VerifiedAt)) ?? DateTimeOffset.MinValue, JsonRecords.Text(v, nameof(CachedFileRecord.Commit)));
    }

    private static void WriteRecord(string path, CachedFileRecord record)
        => AtomicFile.WriteAllBytes(RecordPath(path), JsonSerializer.SerializeToUtf8Bytes(record, CheckpointJson.Default.CachedFileRecord));

    private static string Ticks(string path) => Ticks(new FileInfo(path));

    private static string Ticks(FileInfo info) => info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture);

    private static void Remove(string path)
    {
        FileTree.Delete(path);
        FileTree.Delete(RecordPath(path));
    }

    /// <summary>
    /// Removes every cached copy of <paramref name="source"/> (<c>cache rm URL</c>) in the default root: its URL's folder and any
    /// explicitly named file whose record says it came from that URL. Returns what was removed and the bytes freed.
    /// </summary>
    public static async Task<(List<string> Removed, long Bytes)> RemoveAsync(string hubDirectory, WeightsSource source, bool execute, CancellationToken cancellationToken)
    {
        var removed = new List<string>();
        long bytes = 0;
        var root = HubDirectories.Checkpoints(hubDirectory);
        var folder = Path.Combine(root, source.Digest[..KeyLength]);
        var targets = new List<string>();
        if (Directory.Exists(folder)) targets.AddRange(Directory.EnumerateFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')));
        if (Directory.Exists(root))
            targets.AddRange(Directory.EnumerateFiles(root).Where(f => !Path.GetFileName(f).StartsWith('.') && ReadRecord(f)?.UrlDigest == source.Digest));
        foreach (var file in targets)
        {
            // The entry's lock: no download or check of it runs meanwhile (downloads of it wait, then find it gone).
            using var gate = await FileLock.AcquireAsync(HubLocks.Checkpoint(hubDirectory, file), $"caching '{file}'", LockTimeout, cancellationToken).ConfigureAwait(false);
            if (!File.Exists(file)) continue;
            bytes += new FileInfo(file).Length;
            removed.Add($"weights {source.Shown} ({file})");
            if (!execute) continue; // a plan: what would go
            Remove(file);
            var parent = Path.GetDirectoryName(file)!;
            if (parent == folder && !Directory.EnumerateFiles(folder).Any(f => !Path.GetFileName(f).StartsWith('.'))) FileTree.Delete(folder);
        }
        return (removed, bytes);
    }

    /// <summary>Every file in the default root: URL-keyed entries with their records, and files of earlier versions (flat, maybe without a record).</summary>
    public static IReadOnlyList<CheckpointEntry> List(string hubDirectory)
    {
        var root = HubDirectories.Checkpoints(hubDirectory);
        var entries = new List<CheckpointEntry>();
        if (!Directory.Exists(root)) return entries;
        void Add(string file, bool keyed)
        {
            var record = ReadRecord(file);
            var info = new FileInfo(file);
            // A keyed folder also holds what a single-file legacy zip extracted to: listed with no record of its own.
            entries.Add(new CheckpointEntry(file, record?.Url, record?.Sha256, info.Length, record?.Commit, record?.VerifiedAt,
                Legacy: !keyed && record is null));
        }
        foreach (var file in Directory.EnumerateFiles(root).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal))
            Add(file, keyed: false);
        foreach (var folder in Directory.EnumerateDirectories(root).Where(IsKeyFolder).Order(StringComparer.Ordinal))
            foreach (var file in Directory.EnumerateFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal))
                Add(file, keyed: true);
        return entries;
    }

    private static bool IsKeyFolder(string folder)
        => Path.GetFileName(folder) is { Length: KeyLength } name && name.All(char.IsAsciiHexDigitLower);
}

/// <summary>The record beside a cached weights file (<c>.&lt;name&gt;.hubhost.json</c>).</summary>
/// <param name="Url">The URL it came from, as shown (no user info or query).</param>
/// <param name="UrlDigest">SHA-256 of the whole URL (<see cref="WeightsSource.Digest"/>).</param>
/// <param name="FileName">The cached file's name.</param>
/// <param name="Sha256">Its full SHA-256, computed as it arrived (or when first checked).</param>
/// <param name="Size">Its size when verified.</param>
/// <param name="ModifiedTicks">Its modification time (UTC ticks) when verified: a file changed since is hashed again.</param>
/// <param name="VerifiedAt">When its hash was computed.</param>
/// <param name="Commit">For an <c>hf://</c> file, the commit it was fetched at.</param>
internal sealed record CachedFileRecord(string Url, string UrlDigest, string FileName, string Sha256, long Size, string ModifiedTicks, DateTimeOffset VerifiedAt, string? Commit);

/// <summary>The generated serializer of the cache records (read back with <see cref="JsonRecords"/>).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CachedFileRecord))]
internal sealed partial class CheckpointJson : JsonSerializerContext;
