namespace HubHost.Importing;

/// <summary>
/// What <see cref="HubClient.ImportAsync"/> turns into a HubHost repo: entrypoints of a Python torch.hub repo, exported
/// to TorchScript by PyTorch itself (<c>hubhost import</c>).
/// </summary>
public sealed record ImportRequest
{
    /// <summary>
    /// The Python torch.hub repo: a local folder with <c>hubconf.py</c> (a path, as for <see cref="HubClient.OpenAsync(string, HubLoadOptions?, CancellationToken)"/>)
    /// or a git repo (<c>owner/name[:ref]</c>, a git URL with <c>#ref</c>), fetched through the hub's git cache under the
    /// same trust rules as a load, and never built.
    /// </summary>
    public required string Repo { get; init; }

    /// <summary>The entrypoints (functions of <c>hubconf.py</c>) to import; each becomes an entrypoint of the same name.</summary>
    public required IReadOnlyList<string> Entrypoints { get; init; }

    /// <summary>
    /// The folder of the HubHost repo to write. A new folder is created; a folder an earlier import wrote gets these
    /// entrypoints added (or replaced) and keeps its others and any file the import did not write.
    /// </summary>
    public required string OutputDirectory { get; init; }

    /// <summary>
    /// The model's example inputs, one per argument of its forward: a shape (<c>1,3,224,224</c>: float32 drawn from
    /// N(0, 1)), a shape and dtype (<c>1,16:int64</c>: integers drawn from [0, 100)), or an .npy file. The values are
    /// drawn with torch.manual_seed(0), so an import is repeatable.
    /// </summary>
    public required IReadOnlyList<string> ExampleInputs { get; init; }

    /// <summary>Keyword arguments of the entrypoint, as text: Python literals (<c>None</c>, <c>True</c>, <c>21</c>, <c>'x'</c>) or else strings.</summary>
    public IReadOnlyDictionary<string, string> Arguments { get; init; } = new Dictionary<string, string>();

    /// <summary>The Python interpreter with torch (and numpy): a command on PATH or a path.</summary>
    public string Python { get; init; } = "python3";

    /// <summary>
    /// Where the archives will be published (an http(s) URL of a folder), or null to ship them in the repo. With a URL,
    /// each entrypoint loads <c>URL/NAME-&lt;sha256 prefix&gt;.pt</c> through the hub's checkpoint cache, and the
    /// files to upload are written to <see cref="ImportResult.UploadDirectory"/>.
    /// </summary>
    public string? WeightsUrl { get; init; }

    /// <summary>The card's task (classification, segmentation, generation, text); null: guessed from the input and output shapes.</summary>
    public string? Task { get; init; }

    /// <summary>The card's category; null: from the task (Vision, Segmentation, Generative, Text).</summary>
    public string? Category { get; init; }
}
