using System.Text.Json;
using System.Text.Json.Serialization;

namespace HubHost.Locking;

/// <summary>
/// The JSON of a lock file, format 1 (README.md, "Lock files"), read into a <see cref="HubLock"/> with every field checked, and
/// written in a stable order (repos by name, packages by id, weights by URL), so one lock always gives the same bytes.
/// </summary>
internal static class LockFileFormat
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = LockJson.Default,
    };

    public static HubLock Read(byte[] bytes, string? path)
    {
        var where = path is null ? "The lock" : $"The lock file '{path}'";
        LockFileDto? dto;
        try
        {
            // JsonDocument, not the serializer: a load under a lock reads the lock once per process, and the serializer's first use
            // costs tens of milliseconds of start-up there (JsonRecords says the same of the cache's records).
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            dto = ReadDto(document.RootElement);
        }
        catch (JsonException e)
        {
            throw new HubException($"{where} is not valid JSON ({e.Message.Split('.')[0]}). Write it again with `hubhost lock`.", e);
        }
        catch (InvalidOperationException e)
        {
            throw new HubException($"{where} is not a hubhost lock file ({e.Message.TrimEnd('.')}). Write one with `hubhost lock REPO [ENTRY] -o FILE`.", e);
        }
        if (dto is null || dto.Format is null)
            throw new HubException($"{where} is not a hubhost lock file (no \"format\"). Write one with `hubhost lock REPO [ENTRY] -o FILE`.");
        if (dto.Format > HubLock.CurrentFormat)
            throw new HubException($"{where} has format {dto.Format}, written by a newer hubhost; this one reads format {HubLock.CurrentFormat}. Update hubhost.");
        if (dto.Format < 1) throw new HubException($"{where} has an unknown format {dto.Format}. Write it again with `hubhost lock`.");
        var host = dto.Host is { } h ? new LockedHost(h.HubHost ?? "", h.Contract, h.TorchSharp, h.Runtime ?? "") : new LockedHost("", null, null, "");
        var repos = (dto.Repos ?? []).Select(r => ToRepo(r, where)).ToList();
        var duplicate = repos.GroupBy(r => r.Repo, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new HubException($"{where} lists {duplicate.Key} twice. Write it again with `hubhost lock`.");
        return new HubLock(host, repos, path);
    }

    /// <summary>The DTO of a parsed lock (a value of the wrong JSON kind throws InvalidOperationException, reported as "not a lock").</summary>
    private static LockFileDto? ReadDto(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return null;
        return new LockFileDto
        {
            Format = Get(root, "format") is { ValueKind: JsonValueKind.Number } format ? format.GetInt32() : null,
            Host = Get(root, "host") is { ValueKind: JsonValueKind.Object } host
                ? new HostDto { HubHost = Text(host, "hubHost"), Contract = Text(host, "contract"), TorchSharp = Text(host, "torchSharp"), Runtime = Text(host, "runtime") }
                : null,
            Repos = Items(root, "repos", r => new RepoDto
            {
                Repo = Text(r, "repo"),
                Source = Get(r, "source") is { ValueKind: JsonValueKind.Object } s
                    ? new SourceDto
                    {
                        Kind = Text(s, "kind"), Url = Text(s, "url"), Ref = Text(s, "ref"), Commit = Text(s, "commit"), Id = Text(s, "id"), Version = Text(s, "version"),
                        Sha512 = Text(s, "sha512"), Path = Text(s, "path"), ContentKey = Text(s, "contentKey"),
                    }
                    : null,
                BuiltAgainst = Map(r, "builtAgainst"),
                Packages = Items(r, "packages", p => new PackageDto { Id = Text(p, "id"), Version = Text(p, "version"), Sha512 = Text(p, "sha512") }),
                Calls = Items(r, "calls", c => new CallDto { Entrypoint = Text(c, "entrypoint"), Arguments = Map(c, "arguments"), Weights = Text(c, "weights") }),
                Weights = Items(r, "weights", w => new WeightsDto
                {
                    Url = Text(w, "url"), FileName = Text(w, "fileName"), Commit = Text(w, "commit"), Sha256 = Text(w, "sha256"),
                    Size = Get(w, "size") is { ValueKind: JsonValueKind.Number } size ? size.GetInt64() : null,
                }),
                NugetLock = Get(r, "nugetLock") is { ValueKind: JsonValueKind.Object } nuget ? nuget.Clone() : null,
            }),
        };

        static JsonElement? Get(JsonElement e, string name) => e.TryGetProperty(name, out var value) ? value : null;
        static string? Text(JsonElement e, string name) => Get(e, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;
        static List<T>? Items<T>(JsonElement e, string name, Func<JsonElement, T> read)
            => Get(e, name) is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.Object).Select(read).ToList() : null;
        static SortedDictionary<string, string>? Map(JsonElement e, string name)
        {
            if (Get(e, name) is not { ValueKind: JsonValueKind.Object } map) return null;
            var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in map.EnumerateObject()) result[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
            return result;
        }
    }

    private static LockedRepo ToRepo(RepoDto r, string where)
    {
        if (string.IsNullOrWhiteSpace(r.Repo) || r.Source is null)
            throw new HubException($"{where} has a repo entry without \"repo\" or \"source\". Write it again with `hubhost lock`.");
        HubException Bad(string what) => new($"{where} has a malformed entry for {r.Repo}: {what}. Write it again with `hubhost lock --update`.");
        var s = r.Source;
        var source = s.Kind switch
        {
            "git" when s.Url is not null && IsHex(s.Commit, 40) => new LockedSource("git") { Url = s.Url, Ref = s.Ref, Commit = s.Commit },
            "nuget" when s.Id is not null && s.Version is not null && !string.IsNullOrEmpty(s.Sha512) => new LockedSource("nuget") { Id = s.Id, Ref = s.Ref, Version = s.Version, Sha512 = s.Sha512 },
            "local" when s.Path is not null && s.ContentKey is not null => new LockedSource("local") { Path = s.Path, ContentKey = s.ContentKey },
            _ => throw Bad($"its source (kind \"{s.Kind}\") lacks what that kind needs (git: url and a 40-hex commit; nuget: id, version, sha512; local: path, contentKey)"),
        };
        var packages = (r.Packages ?? []).Select(p => p.Id is not null && p.Version is not null && p.Sha512 is not null
            ? new LockedPackage(p.Id, p.Version, p.Sha512)
            : throw Bad("a package without id, version or sha512")).ToList();
        var calls = (r.Calls ?? []).Select(c => !string.IsNullOrWhiteSpace(c.Entrypoint)
            ? new LockedCall(c.Entrypoint, new SortedDictionary<string, string>(c.Arguments ?? new SortedDictionary<string, string>(), StringComparer.Ordinal)) { Weights = c.Weights }
            : throw Bad("a call without an entrypoint")).ToList();
        var weights = (r.Weights ?? []).Select(w => w.Url is not null && IsHex(w.Sha256, 64) && w.Size is >= 0
            ? new LockedWeights(w.Url, w.Sha256!, w.Size.Value) { FileName = w.FileName, Commit = w.Commit }
            : throw Bad($"weights without a url, a 64-hex sha256 or a size ({w.Url})")).ToList();
        return new LockedRepo(r.Repo, source, new SortedDictionary<string, string>(r.BuiltAgainst ?? new SortedDictionary<string, string>(), StringComparer.Ordinal), packages, calls, weights)
        {
            NuGetLock = r.NugetLock is { ValueKind: JsonValueKind.Object } nuget ? nuget.GetRawText() : null,
        };
    }

    private static bool IsHex(string? text, int length) => text is not null && text.Length == length && text.All(char.IsAsciiHexDigitLower);

    public static string Write(HubLock hubLock)
    {
        var dto = new LockFileDto
        {
            Format = HubLock.CurrentFormat,
            Host = new HostDto { HubHost = hubLock.Host.HubHost, Contract = hubLock.Host.Contract, TorchSharp = hubLock.Host.TorchSharp, Runtime = hubLock.Host.Runtime },
            Repos = hubLock.Repos.Select(r => new RepoDto
            {
                Repo = r.Repo,
                Source = new SourceDto
                {
                    Kind = r.Source.Kind, Url = r.Source.Url, Ref = r.Source.Ref, Commit = r.Source.Commit, Id = r.Source.Id, Version = r.Source.Version,
                    Sha512 = r.Source.Sha512, Path = r.Source.Path, ContentKey = r.Source.ContentKey,
                },
                BuiltAgainst = new SortedDictionary<string, string>(r.BuiltAgainst.ToDictionary(), StringComparer.Ordinal),
                Packages = r.Packages.OrderBy(p => p.Id, StringComparer.OrdinalIgnoreCase).ThenBy(p => p.Version, StringComparer.Ordinal)
                    .Select(p => new PackageDto { Id = p.Id, Version = p.Version, Sha512 = p.Sha512 }).ToList(),
                Calls = r.Calls.Select(c => new CallDto { Entrypoint = c.Entrypoint, Arguments = new SortedDictionary<string, string>(c.Arguments.ToDictionary(), StringComparer.Ordinal), Weights = c.Weights }).ToList(),
                Weights = r.Weights.OrderBy(w => w.Url, StringComparer.Ordinal)
                    .Select(w => new WeightsDto { Url = w.Url, FileName = w.FileName, Commit = w.Commit, Sha256 = w.Sha256, Size = w.Size }).ToList(),
                NugetLock = r.NuGetLock is null ? null : JsonDocument.Parse(r.NuGetLock).RootElement.Clone(),
            }).ToList(),
        };
        return JsonSerializer.Serialize(dto, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<LockFileDto>)Options.GetTypeInfo(typeof(LockFileDto))) + "\n";
    }

    /// <summary>
    /// The entry for <paramref name="repo"/>: the one written exactly so, else (for a local folder, which may be written relative to
    /// another current folder) the one whose folder is the same full path.
    /// </summary>
    public static LockedRepo? Find(HubLock hubLock, string repo)
    {
        var text = repo.Trim();
        var exact = hubLock.Repos.FirstOrDefault(r => r.Repo == text);
        if (exact is not null || !Storage.HubRepoLayout.LooksLikePath(text)) return exact;
        var full = Path.GetFullPath(Storage.HubDirectories.ExpandHome(text)).TrimEnd(Path.DirectorySeparatorChar);
        return hubLock.Repos.FirstOrDefault(r => r.Source.Kind == "local" && r.Source.Path == full);
    }
}

internal sealed class LockFileDto
{
    public int? Format { get; set; }
    public HostDto? Host { get; set; }
    public List<RepoDto>? Repos { get; set; }
}

internal sealed class HostDto
{
    public string? HubHost { get; set; }
    public string? Contract { get; set; }
    public string? TorchSharp { get; set; }
    public string? Runtime { get; set; }
}

internal sealed class RepoDto
{
    public string? Repo { get; set; }
    public SourceDto? Source { get; set; }
    public SortedDictionary<string, string>? BuiltAgainst { get; set; }
    public List<PackageDto>? Packages { get; set; }
    public List<CallDto>? Calls { get; set; }
    public List<WeightsDto>? Weights { get; set; }
    public JsonElement? NugetLock { get; set; }
}

internal sealed class SourceDto
{
    public string? Kind { get; set; }
    public string? Url { get; set; }
    public string? Ref { get; set; }
    public string? Commit { get; set; }
    public string? Id { get; set; }
    public string? Version { get; set; }
    public string? Sha512 { get; set; }
    public string? Path { get; set; }
    public string? ContentKey { get; set; }
}

internal sealed class PackageDto
{
    public string? Id { get; set; }
    public string? Version { get; set; }
    public string? Sha512 { get; set; }
}

internal sealed class CallDto
{
    public string? Entrypoint { get; set; }
    public SortedDictionary<string, string>? Arguments { get; set; }
    public string? Weights { get; set; }
}

internal sealed class WeightsDto
{
    public string? Url { get; set; }
    public string? FileName { get; set; }
    public string? Commit { get; set; }
    public string? Sha256 { get; set; }
    public long? Size { get; set; }
}

/// <summary>The generated (de)serializer of lock files.</summary>
[JsonSerializable(typeof(LockFileDto))]
internal sealed partial class LockJson : JsonSerializerContext;
