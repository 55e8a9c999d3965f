using Microsoft.Extensions.Logging;

namespace HubHost.Storage;

/// <summary>Removing, measuring and listing files and folders: the one delete helper, and the one walk of a repo's content.</summary>
internal static class FileTree
{
    /// <summary>Removes a file or a folder with everything below it; one that is gone already is fine, other failures throw.</summary>
    public static void Delete(string path)
    {
        try
        {
            if (File.Exists(path)) File.Delete(path);
            else if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // gone already
        }
    }

    /// <summary>
    /// <see cref="Delete"/> for clean-up that must not hide the error being handled (a temp folder after a failed
    /// build): a failure is logged as a warning naming <paramref name="what"/>, and false returned.
    /// </summary>
    public static bool TryDelete(string path, ILogger logger, string what)
    {
        try
        {
            Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Could not remove {What} {Path}: {Message}", what, path, e.Message);
            return false;
        }
    }

    /// <summary>Bytes of the files below a folder, or of a file (0 when missing); links are not followed.</summary>
    public static long SizeOf(string path)
    {
        if (File.Exists(path)) return new FileInfo(path).Length;
        if (!Directory.Exists(path)) return 0;
        long total = 0;
        foreach (var file in new DirectoryInfo(path).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            total += file.Length;
        return total;
    }

    /// <summary>Folders never part of a repo's content: build output and tool state.</summary>
    private static readonly HashSet<string> IgnoredFolders = new(StringComparer.OrdinalIgnoreCase) { "bin", "obj" };

    /// <summary>A repo's content: its files (bin/, obj/ and dot entries left out, links not followed), relative paths sorted ordinally (so the hash does not depend on the file system's order).</summary>
    public static List<ContentFile> EnumerateContent(string root)
    {
        var result = new List<ContentFile>();
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
                    result.Add(new ContentFile(Path.GetRelativePath(root, file.FullName).Replace('\\', '/'), file));
                }
            }
        }
        result.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        return result;
    }
}

/// <summary>
/// One file of a repo's content: its path relative to the repo, with '/' separators, and the file. A class, not a value tuple:
/// lists and sorts of a reference type run CoreLib's precompiled code, where a value tuple's are JIT-compiled in every process.
/// </summary>
internal sealed record ContentFile(string Relative, FileInfo Info);
