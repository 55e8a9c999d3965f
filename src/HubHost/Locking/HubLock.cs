using HubHost.Storage;

namespace HubHost.Locking;

/// <summary>
/// A lock file (<c>hubhost.lock.json</c>, made by <c>hubhost lock</c> or <see cref="HubClient.LockAsync"/>): for each repo an
/// app uses, exactly what a load used — the source's commit (or package version and SHA-512, or folder content), the contract
/// versions it was built against, the NuGet packages its build restored with their SHA-512, the entrypoint calls that were
/// recorded, and every weights file those calls fetched through the repo's services with its full SHA-256 and size. Loading
/// with a lock (<see cref="HubLoadOptions.Lock"/>, <c>--locked FILE</c>) uses exactly those and refuses any difference with
/// one line naming what drifted. The JSON format is versioned (<see cref="CurrentFormat"/>) and described in README.md.
/// Immutable; <see cref="HubClient.LockAsync"/> returns a new lock.
/// </summary>
public sealed class HubLock
{
    /// <summary>The format this version writes and reads; a file with a higher <c>format</c> is refused (written by a newer hubhost).</summary>
    public const int CurrentFormat = 1;

    /// <summary>The lock file name tools look for by default.</summary>
    public const string DefaultFileName = "hubhost.lock.json";

    internal HubLock(LockedHost host, IEnumerable<LockedRepo> repos, string? filePath = null)
    {
        Host = host;
        Repos = repos.OrderBy(r => r.Repo, StringComparer.Ordinal).ToList();
        FilePath = filePath;
    }

    /// <summary>The host that wrote the lock: HubHost, contract and TorchSharp versions, runtime.</summary>
    public LockedHost Host { get; }

    /// <summary>The locked repos, ordered by <see cref="LockedRepo.Repo"/>.</summary>
    public IReadOnlyList<LockedRepo> Repos { get; }

    /// <summary>The file it was read from or saved to (absolute); null for a lock only in memory.</summary>
    public string? FilePath { get; }

    /// <summary>The entry of a repo as it was written when locked (<c>owner/name:ref</c>, <c>./folder</c>, <c>nuget:Id</c>), or null.</summary>
    public LockedRepo? Find(string repo) => LockFileFormat.Find(this, repo);

    /// <summary>Reads a lock file.</summary>
    /// <exception cref="HubException">The file is missing, not JSON, not a lock, or of a newer format; the message says which.</exception>
    public static HubLock Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(HubDirectories.ExpandHome(path));
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HubException(File.Exists(full) || Directory.Exists(full)
                ? $"Cannot read the lock file '{full}': {e.Message}"
                : $"The lock file '{full}' does not exist. Write it with `hubhost lock REPO [ENTRY] -o {path}`.", e);
        }
        return LockFileFormat.Read(bytes, full);
    }

    /// <summary>Reads a lock from its JSON text.</summary>
    /// <exception cref="HubException">Not a lock, or of a newer format.</exception>
    public static HubLock Parse(string json) => LockFileFormat.Read(System.Text.Encoding.UTF8.GetBytes(json ?? ""), null);

    /// <summary>The lock as JSON (indented, stable order: the same lock always gives the same text, so it diffs well in review).</summary>
    public string ToJson() => LockFileFormat.Write(this);

    /// <summary>Writes the lock to <paramref name="path"/> atomically (a reader sees the old file or the new one) and returns it as read from there.</summary>
    public HubLock Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(HubDirectories.ExpandHome(path));
        try
        {
            AtomicFile.WriteAllBytes(full, System.Text.Encoding.UTF8.GetBytes(ToJson()));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HubException($"Cannot write the lock file '{full}': {e.Message}", e);
        }
        return new HubLock(Host, Repos, full);
    }

    /// <summary>What changed from <paramref name="before"/> to <paramref name="after"/> (two releases' locks): repos, commits and versions, packages, weights.</summary>
    public static LockComparison Compare(HubLock before, HubLock after) => LockDiff.Compare(before, after);
}

/// <summary>The host a lock was written on.</summary>
public sealed record LockedHost
{
    internal LockedHost(string HubHost, string? Contract, string? TorchSharp, string Runtime)
    {
        this.HubHost = HubHost;
        this.Contract = Contract;
        this.TorchSharp = TorchSharp;
        this.Runtime = Runtime;
    }

    /// <summary>The HubHost version.</summary>
    public string HubHost { get; init; }

    /// <summary>Its HubHost.Contract version.</summary>
    public string? Contract { get; init; }

    /// <summary>Its TorchSharp version.</summary>
    public string? TorchSharp { get; init; }

    /// <summary>Its runtime identifier (builds are made for it).</summary>
    public string Runtime { get; init; }
}

/// <summary>One locked repo.</summary>
public sealed record LockedRepo
{
    internal LockedRepo(string Repo, LockedSource Source, IReadOnlyDictionary<string, string> BuiltAgainst, IReadOnlyList<LockedPackage> Packages, IReadOnlyList<LockedCall> Calls, IReadOnlyList<LockedWeights> Weights)
    {
        this.Repo = Repo;
        this.Source = Source;
        this.BuiltAgainst = BuiltAgainst;
        this.Packages = Packages;
        this.Calls = Calls;
        this.Weights = Weights;
    }

    /// <summary>The repo as written when locked (what a load names to find this entry).</summary>
    public string Repo { get; init; }

    /// <summary>Exactly which version of it.</summary>
    public LockedSource Source { get; init; }

    /// <summary>The shared contract assemblies (HubHost.Contract, TorchSharp) its assembly was compiled against, with their versions.</summary>
    public IReadOnlyDictionary<string, string> BuiltAgainst { get; init; }

    /// <summary>The NuGet packages its build restored (or its package's dependency closure), without the ones the host provides.</summary>
    public IReadOnlyList<LockedPackage> Packages { get; init; }

    /// <summary>The entrypoint calls recorded (what <c>hubhost lock --update</c> makes again).</summary>
    public IReadOnlyList<LockedCall> Calls { get; init; }

    /// <summary>Every weights file those calls fetched through the repo's services.</summary>
    public IReadOnlyList<LockedWeights> Weights { get; init; }

    /// <summary>NuGet's own packages.lock.json of the build's restore (a locked build restores with it in locked mode); null when unknown.</summary>
    internal string? NuGetLock { get; init; }
}

/// <summary>Which version of a repo: a git commit, a package version with its SHA-512, or a folder's content hash.</summary>
public sealed record LockedSource
{
    internal LockedSource(string Kind)
    {
        this.Kind = Kind;
    }

    /// <summary><c>git</c>, <c>nuget</c> or <c>local</c>.</summary>
    public string Kind { get; init; }

    /// <summary>git: the URL fetched from.</summary>
    public string? Url { get; init; }

    /// <summary>git: the ref asked for when locked (null: the default branch); nuget: the version or range asked for.</summary>
    public string? Ref { get; init; }

    /// <summary>git: the full commit SHA.</summary>
    public string? Commit { get; init; }

    /// <summary>nuget: the package id.</summary>
    public string? Id { get; init; }

    /// <summary>nuget: the exact version.</summary>
    public string? Version { get; init; }

    /// <summary>nuget: the package's SHA-512 (base64, NuGet's content hash).</summary>
    public string? Sha512 { get; init; }

    /// <summary>local: the folder.</summary>
    public string? Path { get; init; }

    /// <summary>local: the hash of its content (the hub's content key).</summary>
    public string? ContentKey { get; init; }

    /// <summary>The version in a few words: <c>commit 0f3c…</c>, <c>1.2.0</c>, <c>content local-…</c>.</summary>
    public string Describe() => Kind switch
    {
        "git" => $"commit {Commit}",
        "nuget" => $"{Id} {Version}",
        _ => $"content {ContentKey}",
    };
}

/// <summary>A NuGet package a locked build restored.</summary>
public sealed record LockedPackage
{
    internal LockedPackage(string Id, string Version, string Sha512)
    {
        this.Id = Id;
        this.Version = Version;
        this.Sha512 = Sha512;
    }

    /// <summary>The package id.</summary>
    public string Id { get; init; }

    /// <summary>The version.</summary>
    public string Version { get; init; }

    /// <summary>Its content hash (SHA-512 of the .nupkg, base64).</summary>
    public string Sha512 { get; init; }
}

/// <summary>An entrypoint call recorded in a lock: its name and named arguments as text (converted as <c>--arg name=value</c> is).</summary>
public sealed record LockedCall
{
    internal LockedCall(string Entrypoint, IReadOnlyDictionary<string, string> Arguments)
    {
        this.Entrypoint = Entrypoint;
        this.Arguments = Arguments;
    }

    /// <summary>The entrypoint.</summary>
    public string Entrypoint { get; init; }

    /// <summary>Its named arguments.</summary>
    public IReadOnlyDictionary<string, string> Arguments { get; init; }

    /// <summary>Weights loaded into the call's result by the app (<c>hubhost run --weights</c>); null when none.</summary>
    public string? Weights { get; init; }

    /// <summary>The call as the command line writes it: <c>resnet18 --arg pretrained=true [--weights URL]</c>.</summary>
    public override string ToString()
        => string.Join(" ", Arguments.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"--arg {a.Key}={a.Value}").Prepend(Entrypoint)
            .Concat(Weights is null ? [] : [$"--weights {Weights}"]));
}

/// <summary>A weights file fetched through a repo's services.</summary>
public sealed record LockedWeights
{
    internal LockedWeights(string Url, string Sha256, long Size)
    {
        this.Url = Url;
        this.Sha256 = Sha256;
        this.Size = Size;
    }

    /// <summary>The URL asked for (no user info or query: they may hold a secret), or <c>hf://owner/repo@revision/path</c>.</summary>
    public string Url { get; init; }

    /// <summary>The file's full SHA-256 (lower-case hex).</summary>
    public string Sha256 { get; init; }

    /// <summary>Its size in bytes.</summary>
    public long Size { get; init; }

    /// <summary>The cache file name the repo gave (torch's <c>file_name</c>); null when the file is cached by its URL.</summary>
    public string? FileName { get; init; }

    /// <summary>For <c>hf://</c>: the commit the revision pointed to (the file is fetched at that commit under the lock).</summary>
    public string? Commit { get; init; }
}

/// <summary>What changed between two locks (<see cref="HubLock.Compare"/>).</summary>
public sealed record LockComparison
{
    internal LockComparison(IReadOnlyList<LockChange> Changes)
    {
        this.Changes = Changes;
    }

    /// <summary>Every difference, repo by repo; empty when the locks pin the same things.</summary>
    public IReadOnlyList<LockChange> Changes { get; init; }

    /// <summary>Whether the two locks pin exactly the same.</summary>
    public bool Same => Changes.Count == 0;
}

/// <summary>One difference between two locks.</summary>
public sealed record LockChange
{
    internal LockChange(string Repo, string Aspect, string Item, string? Before, string? After)
    {
        this.Repo = Repo;
        this.Aspect = Aspect;
        this.Item = Item;
        this.Before = Before;
        this.After = After;
    }

    /// <summary>The repo it concerns.</summary>
    public string Repo { get; init; }

    /// <summary>What kind of thing changed: <c>repo</c> (added or removed), <c>source</c>, <c>built-against</c>, <c>package</c>, <c>weights</c>, <c>call</c>.</summary>
    public string Aspect { get; init; }

    /// <summary>Which one (a package id, a URL, an entrypoint, the source kind).</summary>
    public string Item { get; init; }

    /// <summary>Its value in the first lock; null when added.</summary>
    public string? Before { get; init; }

    /// <summary>Its value in the second lock; null when removed.</summary>
    public string? After { get; init; }
}
