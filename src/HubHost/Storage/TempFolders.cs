namespace HubHost.Storage;

/// <summary>
/// The hub's temp folders: <c>.tmp-&lt;owner&gt;-&lt;32 hex&gt;</c> beside the final folder (a build, a mirror, a
/// checkout, a package), made and renamed into place by whoever holds the lock named after
/// <c>&lt;owner&gt;</c> (<see cref="HubLocks"/>). A temp entry may carry an extension (a checkout's <c>.tar</c>).
/// The cache inventory finds leftovers by <see cref="OwnerOf"/>, so the name is agreed here and nowhere else.
/// </summary>
internal static class TempFolders
{
    public const string Prefix = ".tmp-";

    /// <summary>A new temp path in <paramref name="parent"/> for the entry named <paramref name="owner"/>.</summary>
    public static string For(string parent, string owner) => Path.Combine(parent, $"{Prefix}{owner}-{Guid.NewGuid():N}");

    /// <summary>Whether a folder or file name is a temp entry (never a finished one).</summary>
    public static bool IsTemp(string name) => name.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The owner named in a temp entry's name (its extension ignored), or null when the name is not one of <see cref="For"/>'s.</summary>
    public static string? OwnerOf(string name)
    {
        if (!IsTemp(name)) return null;
        var dot = name.IndexOf('.', Prefix.Length);
        var stem = dot < 0 ? name : name[..dot];
        if (stem.Length < Prefix.Length + 34 || stem[^33] != '-' || stem.AsSpan(stem.Length - 32).ContainsAnyExcept("0123456789abcdef")) return null;
        return stem[Prefix.Length..^33];
    }
}

/// <summary>The names of the hub's cross-process locks, all in <c>&lt;hub&gt;/locks</c>: whoever takes or checks one names it here.</summary>
internal static class HubLocks
{
    /// <summary>Held while a build (or a package's load folder) of <paramref name="buildKey"/> is made or removed.</summary>
    public static string Build(string hubDirectory, string buildKey) => Path.Combine(HubDirectories.Locks(hubDirectory), "build-" + buildKey + ".lock");

    /// <summary>Held while a git mirror, its ref records or its checkouts change.</summary>
    public static string GitMirror(string hubDirectory, string mirrorName) => Path.Combine(HubDirectories.Locks(hubDirectory), "git-" + mirrorName + ".lock");

    /// <summary>Held while a package version is installed in, or removed from, the hub's package folder.</summary>
    public static string NuGetPackage(string hubDirectory, string lowerId, string normalizedVersion)
        => Path.Combine(HubDirectories.Locks(hubDirectory), $"nuget-{lowerId}-{normalizedVersion}.lock");

    /// <summary>Held while the trusted list changes.</summary>
    public static string TrustedList(string hubDirectory) => Path.Combine(HubDirectories.Locks(hubDirectory), "trusted_list.lock");

    /// <summary>Held while a cached weights file (the checkpoint cache) is downloaded, checked, moved or removed; named after its path.</summary>
    public static string Checkpoint(string hubDirectory, string path)
        => Path.Combine(HubDirectories.Locks(hubDirectory), "checkpoint-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(path))))[..32] + ".lock");

    /// <summary>The folder of the download notes and destination locks.</summary>
    public static string Downloads(string hubDirectory) => Path.Combine(HubDirectories.Locks(hubDirectory), "downloads");
}
