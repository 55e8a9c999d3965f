namespace HubHost.Storage;

/// <summary>Where the hub keeps things, all below one hub directory.</summary>
internal static class HubDirectories
{
    /// <summary>
    /// The hub directory when <see cref="HubOptions.HubDirectory"/> is null: the platform's per-user cache folder
    /// (<c>$XDG_CACHE_HOME</c>, else <c>~/.cache</c>), then <c>hubhost/hub</c>. (<c>HUBHOST_HOME</c> is read by
    /// <see cref="HubOptions.FromEnvironment()"/>, not here.)
    /// </summary>
    public static string Default() => Path.Combine(UserCache.Root(), "hub");

    /// <summary>Finished builds, one folder per content key: <c>&lt;hub&gt;/builds</c>.</summary>
    public static string Builds(string hubDirectory) => Path.Combine(hubDirectory, "builds");

    /// <summary>The local NuGet feed holding the host's contract packages: <c>&lt;hub&gt;/contracts</c>.</summary>
    public static string ContractFeed(string hubDirectory) => Path.Combine(hubDirectory, "contracts");

    /// <summary>The NuGet packages folder of plugin restores: <c>&lt;hub&gt;/packages</c>.</summary>
    public static string PluginPackages(string hubDirectory) => Path.Combine(hubDirectory, "packages");

    /// <summary>NuGet state of <c>nuget:</c> sources: <c>&lt;hub&gt;/nuget</c> (packages, hashes, resolutions).</summary>
    public static string NuGet(string hubDirectory) => Path.Combine(hubDirectory, "nuget");

    /// <summary>The hub's package folder for <c>nuget:</c> sources (NuGet's v3 layout): <c>&lt;hub&gt;/nuget/packages</c>.</summary>
    public static string NuGetPackages(string hubDirectory) => Path.Combine(hubDirectory, "nuget", "packages");

    /// <summary>The SHA-512 of every package version the hub installed, kept across cache removals: <c>&lt;hub&gt;/nuget/hashes</c>.</summary>
    public static string NuGetHashes(string hubDirectory) => Path.Combine(hubDirectory, "nuget", "hashes");

    /// <summary>What each <c>nuget:Id@range</c> resolved to: <c>&lt;hub&gt;/nuget/resolved</c>.</summary>
    public static string NuGetResolved(string hubDirectory) => Path.Combine(hubDirectory, "nuget", "resolved");

    /// <summary>Lock files of builds and fetches: <c>&lt;hub&gt;/locks</c>.</summary>
    public static string Locks(string hubDirectory) => Path.Combine(hubDirectory, "locks");

    /// <summary>The content hash of each local-folder repo with the sizes and times it was hashed at, so a new process need not hash it again.</summary>
    public static string LocalHashes(string hubDirectory) => Path.Combine(hubDirectory, "local");

    /// <summary>Downloaded weights: <c>&lt;hub&gt;/checkpoints</c> (torch.hub's convention).</summary>
    public static string Checkpoints(string hubDirectory) => Path.Combine(hubDirectory, "checkpoints");

    /// <summary>
    /// Records of TorchScript archives libtorch loaded in a child process, one per archive's SHA-256:
    /// <c>&lt;hub&gt;/torchscript/probed</c> (TorchScript/ScriptProbe).
    /// </summary>
    public static string ScriptProbes(string hubDirectory) => Path.Combine(TorchScript(hubDirectory), "probed");

    /// <summary>TorchScript state: <c>&lt;hub&gt;/torchscript</c> (the probe records).</summary>
    public static string TorchScript(string hubDirectory) => Path.Combine(hubDirectory, "torchscript");

    /// <summary>Git state: <c>&lt;hub&gt;/git</c> (mirrors, ref records, checkouts).</summary>
    public static string Git(string hubDirectory) => Path.Combine(hubDirectory, "git");

    /// <summary>One bare git mirror per repo URL: <c>&lt;hub&gt;/git/mirrors</c>.</summary>
    public static string GitMirrors(string hubDirectory) => Path.Combine(hubDirectory, "git", "mirrors");

    /// <summary>Ref-to-commit records, one folder per mirror: <c>&lt;hub&gt;/git/refs</c>.</summary>
    public static string GitRefs(string hubDirectory) => Path.Combine(hubDirectory, "git", "refs");

    /// <summary>Clean file trees of commits, one folder per commit: <c>&lt;hub&gt;/git/checkouts</c>.</summary>
    public static string GitCheckouts(string hubDirectory) => Path.Combine(hubDirectory, "git", "checkouts");

    /// <summary>The trusted repos, one per line (torch.hub's trusted_list): <c>&lt;hub&gt;/trusted_list</c>.</summary>
    public static string TrustedList(string hubDirectory) => Path.Combine(hubDirectory, "trusted_list");

    /// <summary>
    /// Checks that the hub directory can be used, with one clear HubException otherwise: it must be a folder (or
    /// creatable as one: no file in its place or above it) and, for <paramref name="write"/>, be created and writable.
    /// Reading (cache ls, trust ls) works on a folder that is not writable, or not there yet.
    /// </summary>
    public static void EnsureUsable(string hubDirectory, bool write)
        => WritableFolder.Ensure(hubDirectory, "The hub directory", "Give --hub-dir (or HUBHOST_HOME, HubOptions.HubDirectory) a folder you can write to.", write);

    /// <summary>A path a user typed with <c>~/</c> (or <c>~</c>) as <c>$HOME/…</c>, as Python's os.path.expanduser does; other paths unchanged.</summary>
    public static string ExpandHome(string path)
        => path == "~" || path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path[2..] : "")
            : path;
}
