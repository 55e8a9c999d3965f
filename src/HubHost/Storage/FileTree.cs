using Microsoft.Extensions.Logging;

namespace HubHost.Storage;

/// <summary>Removing and measuring files and folders in the hub directory: the one delete helper.</summary>
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
}
