namespace HubHost.Storage;

/// <summary>
/// Names and paths that come from outside the hub (a URL, a package manifest, a build record) and become paths in it:
/// the one place that decides whether such a name is a single file name and whether a path stays inside a folder.
/// </summary>
internal static class FileNames
{
    /// <summary>Whether <paramref name="name"/> is one file name: not empty, ".", "..", rooted or a drive path, and without separators or invalid characters.</summary>
    public static bool IsPlainFileName(string? name)
        => !string.IsNullOrWhiteSpace(name)
           && name is not ("." or "..")
           && name.IndexOfAny(['/', '\\', '\0']) < 0
           && name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0
           && !(name.Length >= 2 && name[1] == ':');

    /// <summary>
    /// Whether <paramref name="path"/> is <paramref name="folder"/> or below it once both are made absolute and ".."
    /// segments resolved, and no part of it below <paramref name="folder"/> is a symbolic link (which could point anywhere).
    /// </summary>
    public static bool IsInside(string folder, string path)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (full != root && !full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)) return false;
        for (var part = full; part.Length > root.Length; part = Path.GetDirectoryName(part)!)
        {
            FileSystemInfo info = Directory.Exists(part) ? new DirectoryInfo(part) : new FileInfo(part);
            if (info.Exists && info.LinkTarget is not null) return false;
        }
        return true;
    }
}
