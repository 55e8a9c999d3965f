using HubHost.Entrypoints;
using System.Text.Json;
using HubHost.Checkpoints;

namespace HubHost.Checking;

/// <summary>
/// The rules on a repo's files: a README, and a <c>hubconf.catalog.json</c> (optional) with known keys of the right
/// types, entrypoint names the repo has, images inside the repo or on https, http(s) paper links, a known task and a
/// sane example input.
/// </summary>
internal static class RepoFileRules
{
    /// <summary>The tasks <see cref="EntrypointCard.Task"/> knows.</summary>
    public static readonly string[] Tasks = ["classification", "segmentation", "generation", "text", "tokenizer"];

    /// <summary>The image files a card may name (what <c>hubhost serve</c> sends).</summary>
    public static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".gif", ".webp"];

    private static readonly string[] CardKeys = ["title", "category", "tags", "image", "paper", "task", "input"];
    private static readonly string[] InputKeys = ["shape", "dtype", "file"];

    /// <summary>The most elements an example input may have (1 GiB of float32).</summary>
    private const long MaxInputElements = 1L << 28;

    public static void Readme(string root, Action<CheckFinding> add)
    {
        var readme = Directory.Exists(root)
            ? Directory.EnumerateFiles(root).FirstOrDefault(f => Path.GetFileName(f).Equals("README.md", StringComparison.OrdinalIgnoreCase))
            : null;
        if (readme is null)
            add(new CheckFinding("README.md", "readme", "The repo has no README.md at its root, so its catalog page and GitHub page say nothing about it.",
                "Add README.md: what the entrypoints are, their inputs and outputs, where the weights come from and their licence."));
        else if (string.IsNullOrWhiteSpace(File.ReadAllText(readme)))
            add(new CheckFinding("README.md", "readme", "README.md is empty.", "Say what the entrypoints are, their inputs and outputs, and where the weights come from."));
    }

    /// <summary>Checks <c>hubhost.catalog.json</c> when the repo has one; <paramref name="entrypoints"/> null when the repo did not build.</summary>
    public static void Catalog(string root, IReadOnlyCollection<string>? entrypoints, Action<CheckFinding> add)
    {
        var path = Path.Combine(root, EntrypointCard.FileName);
        if (!File.Exists(path)) return;
        void Add(string problem, string fix) => add(new CheckFinding(EntrypointCard.FileName, "catalog", problem, fix));
        JsonElement doc;
        try
        {
            using var parsed = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            doc = parsed.RootElement.Clone();
        }
        catch (JsonException e)
        {
            Add($"is not valid JSON: {e.Message}", "Fix the JSON (an object of card fields, with \"entrypoints\": { \"NAME\": { … } } for each entrypoint's own).");
            return;
        }
        if (doc.ValueKind != JsonValueKind.Object)
        {
            Add($"is a JSON {doc.ValueKind.ToString().ToLowerInvariant()}, not an object.", "Make it an object of card fields, e.g. { \"category\": \"Vision\", \"entrypoints\": { \"NAME\": { \"title\": \"…\" } } }.");
            return;
        }
        Card(root, doc, "", add);
        foreach (var p in doc.EnumerateObject())
        {
            if (p.Name is "entrypoints" or "$schema") continue;
            if (!CardKeys.Contains(p.Name))
                Add($"has an unknown key \"{p.Name}\".", $"Use only {string.Join(", ", CardKeys)} and entrypoints (keys are case-sensitive).");
        }
        if (!doc.TryGetProperty("entrypoints", out var entries)) return;
        if (entries.ValueKind != JsonValueKind.Object)
        {
            Add("\"entrypoints\" is not an object.", "Make it an object by entrypoint name: \"entrypoints\": { \"NAME\": { \"title\": \"…\" } }.");
            return;
        }
        foreach (var entry in entries.EnumerateObject())
        {
            var where = $"entrypoints.{entry.Name}";
            if (entrypoints is not null && !entrypoints.Contains(entry.Name))
            {
                var close = entrypoints.FirstOrDefault(n => n.Equals(entry.Name, StringComparison.OrdinalIgnoreCase) || n.Replace("_", "").Equals(entry.Name.Replace("_", ""), StringComparison.OrdinalIgnoreCase));
                Add($"{where}: the repo has no entrypoint {entry.Name}{(close is null ? "" : $" (it has {close})")}, so this card is never shown.",
                    close is null ? $"Use one of: {string.Join(", ", entrypoints)}; or remove it." : $"Rename it to {close}.");
            }
            if (entry.Value.ValueKind != JsonValueKind.Object)
            {
                Add($"{where} is not an object.", $"Make it an object of card fields ({string.Join(", ", CardKeys)}).");
                continue;
            }
            foreach (var p in entry.Value.EnumerateObject().Where(p => !CardKeys.Contains(p.Name)))
                Add($"{where} has an unknown key \"{p.Name}\".", $"Use only {string.Join(", ", CardKeys)} (keys are case-sensitive).");
            Card(root, entry.Value, where + ".", add);
        }
    }

    /// <summary>The fields of one card (the top level or an entrypoint's).</summary>
    private static void Card(string root, JsonElement card, string where, Action<CheckFinding> add)
    {
        void Add(string problem, string fix) => add(new CheckFinding(EntrypointCard.FileName, "catalog", problem, fix));
        foreach (var key in new[] { "title", "category", "image", "paper", "task" })
        {
            if (card.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.String)
                Add($"{where}{key} is a JSON {v.ValueKind.ToString().ToLowerInvariant()}, not a string.", $"Write {where}{key} as a string.");
        }
        if (card.TryGetProperty("tags", out var tags) && (tags.ValueKind != JsonValueKind.Array || tags.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.String)))
            Add($"{where}tags is not an array of strings.", "Write tags as [\"classification\", \"imagenet\"].");
        if (String(card, "image") is { } image) Image(root, image, where, Add);
        if (String(card, "paper") is { } paper && !(Uri.TryCreate(paper, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)))
            Add($"{where}paper \"{paper}\" is not an http(s) link, so the catalog does not show it.", "Give the paper's https URL (e.g. https://arxiv.org/abs/1512.03385).");
        if (String(card, "task") is { } task && !Tasks.Contains(task))
            Add($"{where}task \"{task}\" is not a task the hub knows.", $"Use one of {string.Join(", ", Tasks)}, or leave it out.");
        if (card.TryGetProperty("input", out var input)) Input(root, input, where + "input", Add);
    }

    private static void Image(string root, string image, string where, Action<string, string> add)
    {
        if (Uri.TryCreate(image, UriKind.Absolute, out var uri) && !Path.IsPathRooted(image))
        {
            if (uri.Scheme != Uri.UriSchemeHttps)
                add($"{where}image \"{image}\" is not an https URL, so the catalog does not show it.", "Give an https URL, or a .png/.jpg/.gif/.webp file in the repo.");
            return;
        }
        var inside = InsideRepo(root, image);
        if (inside is null)
            add($"{where}image \"{image}\" is not a path inside the repo.", "Give a path relative to the repo's root without '..' (e.g. docs/model.png), or an https URL.");
        else if (!ImageExtensions.Contains(Path.GetExtension(image).ToLowerInvariant()))
            add($"{where}image \"{image}\" is not a .png, .jpg, .gif or .webp file, so the catalog does not show it.", "Convert it to one of those formats.");
        else if (!File.Exists(inside))
            add($"{where}image \"{image}\" does not exist in the repo.", $"Add the file {image}, or correct the path (relative to the repo's root, case-sensitive).");
        else if ((File.GetAttributes(inside) & FileAttributes.ReparsePoint) != 0)
            add($"{where}image \"{image}\" is a symbolic link, which the catalog never follows.", "Put the image file itself in the repo.");
    }

    private static void Input(string root, JsonElement input, string where, Action<string, string> add)
    {
        const string example = "\"input\": { \"shape\": [1, 3, 224, 224], \"dtype\": \"float32\", \"file\": \"samples/x.npy\" }";
        if (input.ValueKind != JsonValueKind.Object)
        {
            add($"{where} is not an object.", $"Write it as {example} (shape and dtype, and/or a file).");
            return;
        }
        foreach (var p in input.EnumerateObject().Where(p => !InputKeys.Contains(p.Name)))
            add($"{where} has an unknown key \"{p.Name}\".", $"Use only shape, dtype and file: {example}.");
        List<long>? shape = null;
        if (input.TryGetProperty("shape", out var s))
        {
            shape = s.ValueKind == JsonValueKind.Array && s.EnumerateArray().All(d => d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out _))
                ? s.EnumerateArray().Select(d => d.GetInt64()).ToList()
                : null;
            if (shape is null)
                add($"{where}.shape is not an array of whole numbers.", "Write the shape batch first, e.g. [1, 3, 224, 224].");
            else if (shape.Count is 0 or > 8 || shape.Any(d => d < 1) || shape.Aggregate(1.0, (a, d) => a * d) > MaxInputElements)
            {
                add($"{where}.shape [{string.Join(", ", shape)}] is not a sane input shape.", "Give 1 to 8 dimensions, each at least 1, batch first (e.g. [1, 3, 224, 224]), small enough to run in a check.");
                shape = null;
            }
        }
        var dtype = String(input, "dtype");
        if (input.TryGetProperty("dtype", out var dt) && dt.ValueKind != JsonValueKind.String)
            add($"{where}.dtype is not a string.", "Write it as torch names it: \"float32\" or \"int64\".");
        else if (dtype is not null && TorchType(dtype) is null)
            add($"{where}.dtype \"{dtype}\" is not a dtype torch names.", $"Use one of {DTypes.AllTorchNames}.");
        var file = String(input, "file");
        if (file is not null)
        {
            var inside = InsideRepo(root, file);
            if (inside is null)
                add($"{where}.file \"{file}\" is not a path inside the repo.", "Give a path relative to the repo's root without '..' (e.g. samples/x.npy).");
            else if (!File.Exists(inside))
                add($"{where}.file \"{file}\" does not exist in the repo.", $"Add the file {file}, or correct the path (relative to the repo's root, case-sensitive).");
            else if (file.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
                NpyMatches(inside, file, shape, dtype, where, add);
        }
        else if (!input.TryGetProperty("shape", out _))
        {
            add($"{where} declares neither a shape nor a file, so there is no example input to run.", $"Give a shape (and dtype) or an example file: {example}.");
        }
    }

    private static void NpyMatches(string path, string file, List<long>? shape, string? dtype, string where, Action<string, string> add)
    {
        try
        {
            using var tensor = Npy.Load(path);
            if (shape is not null && !tensor.shape.SequenceEqual(shape))
                add($"{where}.file {file} has shape [{string.Join(", ", tensor.shape)}] but {where}.shape says [{string.Join(", ", shape)}].", "Make the shape match the file (or leave the shape out).");
            if (dtype is not null && TorchType(dtype) is { } expected && tensor.dtype != expected)
                add($"{where}.file {file} holds {DTypes.Torch(tensor.dtype)} but {where}.dtype says {dtype}.", "Make the dtype match the file (or leave the dtype out).");
        }
        catch (Exception e) when (e is HubException or CheckpointFormatException or IOException)
        {
            add($"{where}.file {file} cannot be read: {e.Message}", "Save it with numpy.save (a plain .npy array).");
        }
    }

    /// <summary>A dtype from torch's name for it (float32, int64 …), or null.</summary>
    public static TorchSharp.torch.ScalarType? TorchType(string name)
        => DTypes.All.Cast<TorchSharp.torch.ScalarType?>().FirstOrDefault(d => DTypes.Torch(d!.Value) == name);

    /// <summary>The full path of a repo-relative path that stays inside the repo, or null.</summary>
    public static string? InsideRepo(string root, string relative)
    {
        if (relative.Length == 0 || Path.IsPathRooted(relative) || relative.Contains('\\') || relative.Split('/').Contains("..")) return null;
        var full = Path.GetFullPath(Path.Combine(root, relative));
        var rootFull = Path.GetFullPath(root).TrimEnd('/') + "/";
        return full.StartsWith(rootFull, StringComparison.Ordinal) ? full : null;
    }

    private static string? String(JsonElement e, string name)
        => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Trim() is { Length: > 0 } s ? s : null;
}
