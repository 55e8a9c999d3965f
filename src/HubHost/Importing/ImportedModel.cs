using System.Text.Json;
using System.Text.Json.Serialization;

namespace HubHost.Importing;

/// <summary>
/// One imported entrypoint as <c>hubconf.import.json</c> records it: what the Python side exported (its part of
/// <c>result.json</c>, same names) and what the import decided (where the archive is, the card, the parity it
/// measured). Hubconf.cs is generated from these records, so a later import into the folder keeps the others.
/// </summary>
internal sealed record ImportedModel
{
    public required string Name { get; init; }

    /// <summary>The docstring (inspect.getdoc).</summary>
    public string Doc { get; init; } = "";

    /// <summary>Keyword arguments as Python's repr gave them.</summary>
    public Dictionary<string, string> Kwargs { get; init; } = [];

    /// <summary><c>script</c> or <c>trace</c>.</summary>
    public required string Method { get; init; }

    public string? ScriptError { get; init; }

    public int TracerWarnings { get; init; }

    /// <summary><c>tensor</c>, <c>tuple</c>, <c>list</c> or <c>dict</c>.</summary>
    public required string OutputKind { get; init; }

    /// <summary>The archive's file name.</summary>
    public required string Archive { get; init; }

    public required string Sha256 { get; init; }

    public long Parameters { get; init; }

    public string ModelClass { get; init; } = "";

    /// <summary>The example inputs: shape, dtype, and their .npy file (relative to the repo once written).</summary>
    public List<TensorFile> Inputs { get; init; } = [];

    /// <summary>PyTorch's outputs for them, in the model's order (dictionary keys, tuple positions, or one unnamed tensor).</summary>
    public List<TensorFile> Outputs { get; init; } = [];

    /// <summary>PyTorch running the saved archive against the eager model (max relative difference).</summary>
    public double ArchiveMaxRelative { get; init; }

    public double ExportSeconds { get; init; }

    // Filled by the import (not by Python).

    /// <summary>The Python repo as given, and its commit when known.</summary>
    public string Source { get; init; } = "";

    public string? Commit { get; init; }

    public string Torch { get; init; } = "";

    public string Python { get; init; } = "";

    /// <summary>Where the repo loads the archive from, with a weights URL; null: the archive is in the repo.</summary>
    public string? Url { get; init; }

    public string? Task { get; init; }

    public string? Category { get; init; }

    /// <summary>max |HubHost − PyTorch| / max |PyTorch| over the outputs, as measured by the import.</summary>
    public double MaxRelativeDifference { get; init; }

    public DateTimeOffset ImportedAt { get; init; }
}

/// <summary>A tensor saved as .npy: its key (outputs), shape, dtype and file.</summary>
internal sealed record TensorFile
{
    public string Key { get; init; } = "";

    public required string File { get; init; }

    public List<long> Shape { get; init; } = [];

    public string Dtype { get; init; } = "float32";
}

/// <summary>What the Python half writes to result.json.</summary>
internal sealed record PythonResult
{
    public string? Error { get; init; }

    public string? Kind { get; init; }

    public string? Torch { get; init; }

    public string? Python { get; init; }

    public string? Executable { get; init; }

    public List<ImportedModel> Entries { get; init; } = [];
}

/// <summary>hubconf.import.json: the imported entrypoints of a repo by name.</summary>
internal sealed record ImportManifest
{
    public const string FileName = "hubconf.import.json";

    public string Generator { get; init; } = "hubhost import";

    public SortedDictionary<string, ImportedModel> Entrypoints { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The manifest in <paramref name="directory"/>; null when there is none.</summary>
    public static ImportManifest? TryRead(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!System.IO.File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize(System.IO.File.ReadAllBytes(path), ImportJson.Default.ImportManifest)
                   ?? throw new HubException($"{path} is empty. Remove the folder, or import into a new one.");
        }
        catch (JsonException e)
        {
            throw new HubException($"{path} is not a manifest hubhost import can read ({e.Message}). Remove the folder, or import into a new one.", e);
        }
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, ImportJson.Default.ImportManifest);
}

/// <summary>The generated serializers of the import's JSON files.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(ImportManifest))]
[JsonSerializable(typeof(PythonResult))]
[JsonSerializable(typeof(PythonRequest))]
internal sealed partial class ImportJson : JsonSerializerContext;

/// <summary>
/// One example input of an import, from what the user wrote: a shape (<c>1,3,224,224</c>), a shape and dtype
/// (<c>1,16:int64</c>), or an .npy file (its full path).
/// </summary>
internal sealed record ExampleInputSpec(
    [property: JsonPropertyName("shape")] IReadOnlyList<long>? Shape,
    [property: JsonPropertyName("dtype")] string? Dtype,
    [property: JsonPropertyName("file")] string? File)
{
    private static readonly string[] DTypes = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool"];

    /// <summary>Parses one --example-input.</summary>
    public static ExampleInputSpec Parse(string text)
    {
        var spec = text.Trim();
        if (spec.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            var path = Path.GetFullPath(Storage.HubDirectories.ExpandHome(spec));
            if (!System.IO.File.Exists(path))
                throw new HubException($"The example input '{spec}' does not exist: give an .npy file, or a shape such as 1,3,224,224.");
            return new ExampleInputSpec(null, null, path);
        }
        var colon = spec.IndexOf(':');
        var dtype = colon < 0 ? "float32" : spec[(colon + 1)..].Trim().ToLowerInvariant();
        if (!DTypes.Contains(dtype))
            throw new HubException($"The example input '{text}' names the dtype '{dtype}'; give one of {string.Join(", ", DTypes)} (e.g. 1,16:int64).");
        var dims = (colon < 0 ? spec : spec[..colon]).Split(',', StringSplitOptions.TrimEntries);
        var shape = new List<long>();
        foreach (var d in dims)
        {
            if (!long.TryParse(d, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < 1)
                throw new HubException($"The example input '{text}' is not a shape: give the sizes as positive whole numbers separated by commas, batch first (1,3,224,224), optionally with :dtype, or an .npy file.");
            shape.Add(n);
        }
        if (shape.Count > 8 || shape.Aggregate(1.0, (a, n) => a * n) > 1 << 28)
            throw new HubException($"The example input '{text}' is too large (at most 8 dimensions and 2^28 elements); an example of one small batch is enough.");
        return new ExampleInputSpec(shape, dtype, null);
    }
}

/// <summary>What the Python half is asked to do (its request.json).</summary>
internal sealed record PythonRequest(
    [property: JsonPropertyName("repo_dir")] string RepoDir,
    [property: JsonPropertyName("entries")] IReadOnlyList<string> Entries,
    [property: JsonPropertyName("kwargs")] IReadOnlyDictionary<string, string> Kwargs,
    [property: JsonPropertyName("inputs")] IReadOnlyList<ExampleInputSpec> Inputs,
    [property: JsonPropertyName("out_dir")] string OutDir,
    [property: JsonPropertyName("seed")] int Seed);
