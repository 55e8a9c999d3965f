using HubHost.Locking;
using System.Collections.Concurrent;
using HubHost.Storage;
using System.Security.Cryptography;
using System.Text;

namespace HubHost.Sources;

/// <summary>
/// A hub repo in a local folder (torch.hub's source='local'). Its version is a SHA-256 over the relative
/// paths and contents of its files (bin/, obj/ and dot-folders left out), so any edit gives a new build.
/// Hashing is memoised on the files' sizes and modification times, in the process and in the hub directory
/// (<see cref="HubDirectories.LocalHashes"/>), so a repeat load, in this process or a new one, costs one directory walk
/// (a new `hubhost load` hashed the folder again and started OpenSSL for it: ~8 ms of a 130 ms process).
/// </summary>
internal sealed class LocalDirectorySource(string path) : RepoSource
{
    private static readonly ConcurrentDictionary<string, HashedContent> HashMemo = new(StringComparer.Ordinal);

    /// <summary>A folder's content hash and the sizes and times of its files when it was hashed (a class: see <see cref="ContentFile"/>).</summary>
    private sealed record HashedContent(string Stamp, string Hash);

    public string Path { get; } = HubDirectories.ExpandHome(path);

    public override string DisplayName => Path;

    public override string RepoName => System.IO.Path.GetFullPath(Path);

    public override string? Ref => null;

    /// <summary>
    /// For a git source written <c>owner/name[:ref]</c>: a note when a folder of that name (or its owner part)
    /// exists in the current directory, showing the <c>./</c> form that loads the folder; else null.
    /// </summary>
    public static string? LookalikeNote(string text)
    {
        if (text.Contains("://", StringComparison.Ordinal)) return null;
        var colon = text.IndexOf(':');
        var path = colon < 0 ? text : text[..colon];
        if (Directory.Exists(path))
            return $"Note: '{path}' is also a folder here, but owner/name always means a git repo; to load the folder, write ./{path}.";
        var slash = path.IndexOf('/');
        if (slash > 0 && Directory.Exists(path[..slash]))
            return $"Note: './{path[..slash]}' is a folder here, but owner/name always means a git repo; for a local folder, write ./{path}.";
        return null;
    }

    /// <summary>Local folders are always trusted: the user pointed at files on their own machine.</summary>
    public override TrustIdentity? Trust => null;

    public override CacheFootprint Footprint => new FolderFootprint(System.IO.Path.GetFullPath(Path));

    public override string Kind => "local";

    /// <summary>The folder only while its content is the locked content.</summary>
    public override async Task<RepoSnapshot> ResolveLockedAsync(SourceContext context, HubLoadOptions options, VersionLease lease, LockedSource locked, CancellationToken cancellationToken)
    {
        var current = await ResolveAsync(context, options, lease, cancellationToken).ConfigureAwait(false);
        if (current.ContentKey.ToString() != locked.ContentKey)
            throw new SourceDriftException($"its files changed (content {current.ContentKey}, the lock has {locked.ContentKey})");
        return current;
    }

    public override LockedSource DescribeLocked(RepoSnapshot snapshot, SourceContext context)
        => new("local") { Path = RepoName, ContentKey = snapshot.ContentKey.ToString() };

    public override Task<RepoSnapshot> ResolveAsync(SourceContext context, HubLoadOptions options, VersionLease lease, CancellationToken cancellationToken)
        => Task.FromResult(Resolve(options.ForceReload, cancellationToken, context.HubDirectory));

    /// <summary>
    /// The folder's current version (hashing its files unless their sizes and times are as last hashed, in this process or,
    /// with <paramref name="hubDirectory"/>, as recorded there).
    /// </summary>
    public RepoSnapshot Resolve(bool rehash, CancellationToken cancellationToken, string? hubDirectory = null)
    {
        var full = System.IO.Path.GetFullPath(Path);
        if (!Directory.Exists(full))
            throw new HubException($"The local repo '{Path}' does not exist. Give the path of a folder that contains hubconf.csproj.");
        if (!File.Exists(System.IO.Path.Combine(full, HubRepoLayout.ProjectFileName)))
            throw new HubException($"'{full}' is not a hub repo: it has no {HubRepoLayout.ProjectFileName} at its root. " +
                                   $"A hub repo is a folder with {HubRepoLayout.ProjectFileName} and a public static class {HubRepoLayout.ClassName}.");
        var files = FileTree.EnumerateContent(full);
        var stamp = Stamp(files);
        if (rehash || !HashMemo.TryGetValue(full, out var memo) || memo.Stamp != stamp)
        {
            var record = hubDirectory is null ? null : System.IO.Path.Combine(HubDirectories.LocalHashes(hubDirectory), RecordName(full));
            var recorded = rehash || record is null ? null : RecordedHash(record, full, stamp);
            memo = new HashedContent(stamp, recorded ?? HashContent(full, files, cancellationToken));
            HashMemo[full] = memo;
            if (recorded is null && record is not null)
            {
                try
                {
                    Directory.CreateDirectory(System.IO.Path.GetDirectoryName(record)!);
                    AtomicFile.WriteAllLines(record, [full, memo.Hash, stamp]);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The record only spares the next process the hashing; the version above stands without it.
                }
            }
        }
        return new SourceSnapshot(full, memo.Hash[..12], ContentKey.Local(memo.Hash), full);
    }

    /// <summary>The record's file name: a 64-bit hash of the folder's path (the record names the path too, and is used only for that path).</summary>
    private static string RecordName(string full)
        => System.IO.Hashing.XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(full)).ToString("x16", System.Globalization.CultureInfo.InvariantCulture) + ".txt";

    /// <summary>The hash records (in <paramref name="hubDirectory"/>) of local folders that no longer exist, with the folder each names.</summary>
    public static IEnumerable<(string Record, string Folder)> RecordsOfGoneFolders(string hubDirectory)
    {
        var folder = HubDirectories.LocalHashes(hubDirectory);
        if (!Directory.Exists(folder)) yield break;
        foreach (var record in Directory.EnumerateFiles(folder, "*.txt"))
        {
            string? named;
            try
            {
                named = File.ReadLines(record).FirstOrDefault();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // removed meanwhile, or not readable: not this prune's to judge
            }
            if (named is null || !Directory.Exists(named)) yield return (record, named ?? "(an empty record)");
        }
    }

    /// <summary>The hash a record holds for <paramref name="full"/> when its files still have the recorded sizes and times; else null.</summary>
    private static string? RecordedHash(string record, string full, string stamp)
    {
        string text;
        try
        {
            text = File.ReadAllText(record);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // no record (or none readable): hash the files
        }
        var lines = text.Split('\n', 3);
        return lines.Length == 3 && lines[0] == full && lines[2].TrimEnd('\n') == stamp.TrimEnd('\n') && lines[1].Length == 64 && lines[1].All(char.IsAsciiHexDigitLower) ? lines[1] : null;
    }

    private static string Stamp(List<ContentFile> files)
    {
        var sb = new StringBuilder();
        foreach (var (rel, info) in files)
            sb.Append(rel).Append('|').Append(info.Length).Append('|').Append(info.LastWriteTimeUtc.Ticks).Append('\n');
        return sb.ToString();
    }

    private static string HashContent(string root, List<ContentFile> files, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (rel, info) in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            hash.AppendData(Encoding.UTF8.GetBytes(rel + "\n" + info.Length + "\n"));
            hash.AppendData(File.ReadAllBytes(info.FullName));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
