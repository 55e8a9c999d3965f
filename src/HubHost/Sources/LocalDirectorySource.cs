using System.Collections.Concurrent;
using HubHost.Storage;
using System.Security.Cryptography;
using System.Text;

namespace HubHost.Sources;

/// <summary>
/// A hub repo in a local folder (torch.hub's source='local'). Its version is a SHA-256 over the relative
/// paths and contents of its files (bin/, obj/ and dot-folders left out), so any edit gives a new build.
/// Hashing is memoised on the files' sizes and modification times, so a repeat load costs one directory walk.
/// </summary>
internal sealed class LocalDirectorySource(string path) : RepoSource
{
    private static readonly ConcurrentDictionary<string, (string Stamp, string Hash)> HashMemo = new(StringComparer.Ordinal);

    /// <summary>Folders never part of a repo's content: build output and tool state.</summary>
    private static readonly HashSet<string> IgnoredFolders = new(StringComparer.OrdinalIgnoreCase) { "bin", "obj" };

    public string Path { get; } = HubDirectories.ExpandHome(path);

    public override string DisplayName => Path;

    public override string RepoName => System.IO.Path.GetFullPath(Path);

    public override string? Ref => null;

    /// <summary>Whether a repo string names a local folder: an absolute path, or one starting with <c>./</c>, <c>../</c> or <c>~/</c> (or <c>.</c>, <c>..</c>, <c>~</c>).</summary>
    public static bool LooksLikePath(string repo)
        => repo.StartsWith('/') || repo.StartsWith("./", StringComparison.Ordinal) || repo.StartsWith("../", StringComparison.Ordinal)
           || repo.StartsWith("~/", StringComparison.Ordinal) || repo is "." or ".." or "~";

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

    public override Task<RepoSnapshot> ResolveAsync(SourceContext context, HubLoadOptions options, CancellationToken cancellationToken)
    {
        var full = System.IO.Path.GetFullPath(Path);
        if (!Directory.Exists(full))
            throw new HubException($"The local repo '{Path}' does not exist. Give the path of a folder that contains hubconf.csproj.");
        if (!File.Exists(System.IO.Path.Combine(full, HubRepoLayout.ProjectFileName)))
            throw new HubException($"'{full}' is not a hub repo: it has no {HubRepoLayout.ProjectFileName} at its root. " +
                                   $"A hub repo is a folder with {HubRepoLayout.ProjectFileName} and a public static class {HubRepoLayout.ClassName}.");
        var files = EnumerateContent(full);
        var stamp = Stamp(files);
        if (options.ForceReload || !HashMemo.TryGetValue(full, out var memo) || memo.Stamp != stamp)
        {
            memo = (stamp, HashContent(full, files, cancellationToken));
            HashMemo[full] = memo;
        }
        return Task.FromResult(new RepoSnapshot(full, memo.Hash[..12], "local-" + memo.Hash, full));
    }

    /// <summary>The repo's files, relative paths sorted ordinally (so the hash does not depend on the file system's order).</summary>
    internal static List<(string Relative, FileInfo Info)> EnumerateContent(string root)
    {
        var result = new List<(string, FileInfo)>();
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(root));
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            foreach (var entry in dir.EnumerateFileSystemInfos())
            {
                if (entry.Name.StartsWith('.')) continue;
                if (entry is DirectoryInfo sub)
                {
                    if ((sub.Attributes & FileAttributes.ReparsePoint) != 0 || IgnoredFolders.Contains(sub.Name)) continue;
                    pending.Push(sub);
                }
                else if (entry is FileInfo file)
                {
                    result.Add((System.IO.Path.GetRelativePath(root, file.FullName).Replace('\\', '/'), file));
                }
            }
        }
        result.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return result;
    }

    private static string Stamp(List<(string Relative, FileInfo Info)> files)
    {
        var sb = new StringBuilder();
        foreach (var (rel, info) in files)
            sb.Append(rel).Append('|').Append(info.Length).Append('|').Append(info.LastWriteTimeUtc.Ticks).Append('\n');
        return sb.ToString();
    }

    private static string HashContent(string root, List<(string Relative, FileInfo Info)> files, CancellationToken cancellationToken)
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
