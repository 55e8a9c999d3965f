namespace HubHost.Storage;

/// <summary>The user's HubHost cache folder: the platform's per-user cache (<c>$XDG_CACHE_HOME</c>, else <c>~/.cache</c>), then <c>hubhost</c>.</summary>
internal static class UserCache
{
    public static string Root()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg)) return Path.GetFullPath(Path.Combine(xdg, "hubhost"));
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "hubhost");
    }

    /// <summary>Native libraries adapted for this system (<see cref="Native.TorchNative"/>), shared by every hub directory of the user.</summary>
    public static string Native() => Path.Combine(Root(), "native");
}
