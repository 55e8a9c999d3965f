namespace HubHost.Storage;

/// <summary>
/// Checks that a folder the hub writes to (the hub directory, a pack's output folder) is one, or can be made, and is
/// writable: before the work that writes there starts, so a typo costs one clear error instead of a build.
/// </summary>
internal static class WritableFolder
{
    /// <summary>
    /// Refuses a folder that is a file, lies under a file, cannot be created or (with <paramref name="write"/>) written;
    /// creates it when <paramref name="write"/>. Messages start with <paramref name="what"/> and end with <paramref name="advice"/>.
    /// </summary>
    public static void Ensure(string folder, string what, string advice, bool write = true)
    {
        if (File.Exists(folder))
            throw new HubException($"{what} '{folder}' is a file, not a folder. {advice}");
        if (!Directory.Exists(folder))
        {
            for (var parent = Path.GetDirectoryName(folder); !string.IsNullOrEmpty(parent); parent = Path.GetDirectoryName(parent))
            {
                if (File.Exists(parent))
                    throw new HubException($"{what} '{folder}' cannot be created: '{parent}' is a file. {advice}");
                if (Directory.Exists(parent)) break;
            }
            if (!write) return;
            try
            {
                Directory.CreateDirectory(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new HubException($"{what} '{folder}' cannot be created ({e.Message.TrimEnd('.')}). {advice}", e);
            }
        }
        if (!write) return;
        try
        {
            using (new FileStream(Path.Combine(folder, $".write-test-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HubException($"{what} '{folder}' is not writable ({e.Message.TrimEnd('.')}). {advice}", e);
        }
    }
}
