using System.Text.Json;

namespace HubHost.Entrypoints;

/// <summary>
/// What a repo says about one entrypoint in <c>hubconf.catalog.json</c> at its root (every field optional): the card
/// <c>hubhost serve</c> shows, and how <c>hubhost run</c> and <c>hubhost check</c> feed and read its model. Top-level
/// fields apply to every entrypoint; <c>entrypoints.NAME</c> overrides them.
/// </summary>
public sealed record EntrypointCard
{
    /// <summary>The file at a repo's root.</summary>
    public const string FileName = "hubconf.catalog.json";

    /// <summary>A card with nothing declared.</summary>
    public static EntrypointCard Empty { get; } = new();

    /// <summary>The display title (the entrypoint's name when absent).</summary>
    public string? Title { get; init; }

    /// <summary>The category cards are filtered by (Vision, Segmentation, Text, Generative …).</summary>
    public string? Category { get; init; }

    /// <summary>Search tags.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>An https URL or a .png/.jpg/.gif/.webp file inside the repo.</summary>
    public string? Image { get; init; }

    /// <summary>An http(s) link to the paper.</summary>
    public string? Paper { get; init; }

    /// <summary>
    /// What the model does, which tells <c>hubhost run</c> how to present its output: <c>classification</c> (top classes),
    /// <c>segmentation</c> (a class mask), <c>generation</c> (images), <c>text</c> (a text model fed token ids),
    /// <c>tokenizer</c>; null when not declared.
    /// </summary>
    public string? Task { get; init; }

    /// <summary>The input the entrypoint's model runs on (its example, for <c>run</c> without an input and for <c>check</c>).</summary>
    public ExampleInput? Input { get; init; }
}

/// <summary>An entrypoint's documented example input, from <c>hubconf.catalog.json</c>'s <c>input</c>.</summary>
public sealed record ExampleInput
{
    /// <summary>The input's shape, batch first (e.g. <c>[1, 3, 224, 224]</c>); empty when not declared.</summary>
    public IReadOnlyList<long> Shape { get; init; } = [];

    /// <summary>The input's dtype as torch names it (<c>float32</c>, <c>int64</c>).</summary>
    public string DType { get; init; } = "float32";

    /// <summary>An example input file in the repo (.npy, or an image), relative to the repo's root; null when none.</summary>
    public string? File { get; init; }
}

/// <summary>The cards of one repo version: <see cref="EntrypointCard.FileName"/> read once.</summary>
public sealed record RepoCards
{
    internal RepoCards(IReadOnlyDictionary<string, EntrypointCard> Cards, string? Error)
    {
        this.Cards = Cards;
        this.Error = Error;
    }

    /// <summary>Each entrypoint's card (<see cref="EntrypointCard.Empty"/> when the file says nothing of it).</summary>
    public IReadOnlyDictionary<string, EntrypointCard> Cards { get; init; }

    /// <summary>Why the file could not be read (it is then ignored), or null.</summary>
    public string? Error { get; init; }

    /// <summary>The card of an entrypoint (<see cref="EntrypointCard.Empty"/> for a name the repo does not have).</summary>
    /// <param name="entrypoint">The entrypoint's name.</param>
    public EntrypointCard For(string entrypoint) => Cards.GetValueOrDefault(entrypoint) ?? EntrypointCard.Empty;

    /// <summary>Reads the file in <paramref name="sourceDirectory"/> for the given entrypoints; a missing file is no cards and no error.</summary>
    internal static RepoCards Read(string sourceDirectory, IEnumerable<string> names)
    {
        string? error = null;
        var path = Path.Combine(sourceDirectory, EntrypointCard.FileName);
        JsonElement root = default;
        var has = false;
        if (System.IO.File.Exists(path))
        {
            try
            {
                using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
                root = doc.RootElement.Clone();
                has = root.ValueKind == JsonValueKind.Object;
                if (!has) error = $"{EntrypointCard.FileName} is not a JSON object";
            }
            catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
            {
                error = $"{EntrypointCard.FileName} could not be read: {e.Message}";
            }
        }
        var defaults = has ? Parse(root, EntrypointCard.Empty) : EntrypointCard.Empty;
        var cards = new Dictionary<string, EntrypointCard>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var card = defaults;
            if (has && root.TryGetProperty("entrypoints", out var entries) && entries.ValueKind == JsonValueKind.Object
                && entries.TryGetProperty(name, out var entry) && entry.ValueKind == JsonValueKind.Object)
                card = Parse(entry, defaults);
            cards[name] = card;
        }
        return new RepoCards(cards, error);
    }

    private static EntrypointCard Parse(JsonElement e, EntrypointCard fallback) => new()
    {
        Title = Str(e, "title") ?? fallback.Title,
        Category = Str(e, "category") ?? fallback.Category,
        Tags = e.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array
            ? tags.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!.Trim()).Where(t => t.Length > 0).ToList()
            : fallback.Tags,
        Image = Str(e, "image") ?? fallback.Image,
        Paper = Str(e, "paper") ?? fallback.Paper,
        Task = Str(e, "task") ?? fallback.Task,
        Input = e.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.Object ? ParseInput(input) : fallback.Input,
    };

    private static ExampleInput ParseInput(JsonElement e) => new()
    {
        Shape = e.TryGetProperty("shape", out var shape) && shape.ValueKind == JsonValueKind.Array
            ? shape.EnumerateArray().Where(d => d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out _)).Select(d => d.GetInt64()).ToList()
            : [],
        DType = Str(e, "dtype") ?? "float32",
        File = Str(e, "file"),
    };

    private static string? Str(JsonElement e, string name)
        => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Trim() is { Length: > 0 } s ? s : null;
}
