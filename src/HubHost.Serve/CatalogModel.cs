using HubHost.Entrypoints;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace HubHost.Serve;

/// <summary>The state of one ref of a catalog repo.</summary>
internal enum RefStatus
{
    /// <summary>Not opened yet (being resolved, built when not cached, or waiting its turn).</summary>
    Loading,

    /// <summary>Opened: its entrypoints are known.</summary>
    Ready,

    /// <summary>A git repo not in the trusted list: never fetched or built by the server.</summary>
    NotTrusted,

    /// <summary>Could not be opened (the error says why).</summary>
    Failed,
}

/// <summary>One entrypoint as the catalog shows it.</summary>
internal sealed record CatalogEntrypoint(EntrypointInfo Info, EntrypointCard Meta);

/// <summary>One ref of a repo at one point in time (replaced as a whole when it changes).</summary>
internal sealed record RefState(
    string Label,
    string LoadText,
    RefStatus Status,
    string? Version,
    string? Error,
    IReadOnlyList<CatalogEntrypoint> Entrypoints,
    string? ReadmeHtml,
    DateTimeOffset? UpdatedAt,
    string? SourceDirectory = null)
{
    /// <summary>The ref as a user loads it, for one-liners and the API's <c>load</c>: <see cref="LoadText"/>, with a local folder shown as <see cref="CatalogRepo.Name"/> says.</summary>
    public string Shown { get; init; } = LoadText;

    public CatalogEntrypoint? Find(string name) => Entrypoints.FirstOrDefault(e => e.Info.Name == name);

    /// <summary>Whether a page shows this state as it shows <paramref name="other"/>: the same status, version (which fixes the entrypoints), error and README.</summary>
    public bool ShowsTheSameAs(RefState other)
        => Status == other.Status && Version == other.Version && Error == other.Error && ReadmeHtml == other.ReadmeHtml
           && Entrypoints.Count == other.Entrypoints.Count;
}

/// <summary>A repo of the catalog with its refs.</summary>
internal sealed partial class CatalogRepo
{
    private readonly RefState[] _refs;

    public CatalogRepo(HubSourceInfo first, IReadOnlyList<HubSourceInfo> refs)
    {
        Name = Shown(first);
        IsLocal = first.IsLocal;
        TrustCommand = first.TrustCommand;
        Id = MakeId(first.RepoName);
        _refs = refs.Select(r => new RefState(LabelOf(r), r.Text, RefStatus.Loading, null, null, [], null, null) { Shown = r.IsLocal ? Name : r.Text }).ToArray();
    }

    public string Id { get; }

    /// <summary>
    /// The repo without a ref, as the catalog was given it: owner/name, a git URL, nuget:Id, or a folder as written
    /// (<c>./vision</c>); never an absolute path of the server's machine (<see cref="Shown(HubSourceInfo)"/>).
    /// </summary>
    public string Name { get; }

    public bool IsLocal { get; }

    public string? TrustCommand { get; }

    public IReadOnlyList<RefState> Refs => Enumerable.Range(0, _refs.Length).Select(Ref).ToList();

    public int RefCount => _refs.Length;

    public RefState Ref(int index) => Volatile.Read(ref _refs[index]);

    public void Set(int index, RefState state) => Volatile.Write(ref _refs[index], state);

    /// <summary>The ref named <paramref name="label"/>, or the first when null or empty.</summary>
    public RefState? FindRef(string? label)
        => string.IsNullOrEmpty(label) ? Ref(0) : Refs.FirstOrDefault(r => r.Label == label);

    /// <summary>
    /// How a repo is shown: a folder given as a relative path (<c>./vision</c>, <c>../x</c>, <c>~/x</c>) as given; one given
    /// as an absolute path relative to the server's current folder (<c>./vision</c>) or home (<c>~/vision</c>) when it is
    /// below one, else as <c>./</c> and its folder name; any other repo by its name (owner/name, URL, nuget:Id).
    /// </summary>
    internal static string Shown(HubSourceInfo source)
    {
        if (!source.IsLocal) return source.RepoName;
        var text = source.Text.TrimEnd('/');
        if (text.Length == 0) return "/";
        if (!Path.IsPathRooted(text)) return text;
        var full = Path.GetFullPath(text);
        var below = Below(full, Environment.CurrentDirectory, ".") ?? Below(full, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "~");
        return below ?? "./" + Path.GetFileName(full);

        static string? Below(string path, string folder, string prefix)
        {
            if (string.IsNullOrEmpty(folder) || folder == "/") return null;
            var relative = Path.GetRelativePath(folder, path);
            return relative == "." ? prefix : relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? null : prefix + "/" + relative;
        }
    }

    private static string LabelOf(HubSourceInfo source) => source.IsLocal ? "folder" : source.Ref ?? "HEAD";

    private static string MakeId(string name)
    {
        var last = name.TrimEnd('/');
        last = last[(last.LastIndexOf('/') + 1)..];
        if (last.EndsWith(".git", StringComparison.OrdinalIgnoreCase)) last = last[..^4];
        var slug = NotSlug().Replace(last.ToLowerInvariant(), "-").Trim('-');
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..6];
        return (slug.Length == 0 ? "repo" : slug) + "-" + hash;
    }

    [GeneratedRegex("[^a-z0-9._-]+")]
    private static partial Regex NotSlug();
}
