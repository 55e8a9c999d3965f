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

/// <summary>Optional card metadata a repo declares in <c>hubconf.catalog.json</c>.</summary>
internal sealed record EntryMetadata(string? Title, string? Category, IReadOnlyList<string> Tags, string? Image, string? Paper)
{
    public static EntryMetadata Empty { get; } = new(null, null, [], null, null);

    /// <summary>The metadata file at a repo's root.</summary>
    public const string FileName = "hubconf.catalog.json";
}

/// <summary>One entrypoint as the catalog shows it.</summary>
internal sealed record CatalogEntrypoint(EntrypointInfo Info, EntryMetadata Meta);

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
    public CatalogEntrypoint? Find(string name) => Entrypoints.FirstOrDefault(e => e.Info.Name == name);
}

/// <summary>A repo of the catalog with its refs.</summary>
internal sealed partial class CatalogRepo
{
    private readonly RefState[] _refs;

    public CatalogRepo(HubSourceInfo first, IReadOnlyList<HubSourceInfo> refs)
    {
        Name = first.RepoName;
        IsLocal = first.IsLocal;
        TrustCommand = first.TrustCommand;
        Id = MakeId(Name);
        _refs = refs.Select(r => new RefState(LabelOf(r), r.Text, RefStatus.Loading, null, null, [], null, null)).ToArray();
    }

    public string Id { get; }

    /// <summary>The repo without a ref: owner/name, a git URL, or a folder's full path.</summary>
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

/// <summary>Reads <see cref="EntryMetadata.FileName"/>: top-level fields apply to every entrypoint, <c>entrypoints.NAME</c> overrides them.</summary>
internal static class MetadataFile
{
    public static Dictionary<string, EntryMetadata> Read(string sourceDirectory, IEnumerable<string> names, out string? error)
    {
        error = null;
        var result = new Dictionary<string, EntryMetadata>(StringComparer.Ordinal);
        var path = Path.Combine(sourceDirectory, EntryMetadata.FileName);
        JsonElement root = default;
        var has = false;
        if (File.Exists(path))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
                root = doc.RootElement.Clone();
                has = root.ValueKind == JsonValueKind.Object;
                if (!has) error = $"{EntryMetadata.FileName} is not a JSON object";
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                error = $"{EntryMetadata.FileName} could not be read: {e.Message}";
            }
        }
        var defaults = has ? Parse(root, EntryMetadata.Empty) : EntryMetadata.Empty;
        foreach (var name in names)
        {
            var meta = defaults;
            if (has && root.TryGetProperty("entrypoints", out var entries) && entries.ValueKind == JsonValueKind.Object
                && entries.TryGetProperty(name, out var entry) && entry.ValueKind == JsonValueKind.Object)
                meta = Parse(entry, defaults);
            result[name] = meta;
        }
        return result;
    }

    private static EntryMetadata Parse(JsonElement e, EntryMetadata fallback) => new(
        Str(e, "title") ?? fallback.Title,
        Str(e, "category") ?? fallback.Category,
        e.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array
            ? tags.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!.Trim()).Where(t => t.Length > 0).ToList()
            : fallback.Tags,
        Str(e, "image") ?? fallback.Image,
        Str(e, "paper") ?? fallback.Paper);

    private static string? Str(JsonElement e, string name)
        => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Trim() is { Length: > 0 } s ? s : null;
}
