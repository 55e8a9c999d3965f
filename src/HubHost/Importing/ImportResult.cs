namespace HubHost.Importing;

/// <summary>What <see cref="HubClient.ImportAsync"/> wrote and how closely the HubHost repo reproduces PyTorch.</summary>
/// <param name="Directory">The HubHost repo's folder.</param>
/// <param name="Source">The Python repo as given.</param>
/// <param name="Commit">The Python repo's commit (a git source, or a local folder inside a git work tree); null when unknown.</param>
/// <param name="TorchVersion">The version of the torch that exported the models.</param>
/// <param name="Entrypoints">The entrypoints imported.</param>
/// <param name="UploadDirectory">With <see cref="ImportRequest.WeightsUrl"/>: the folder with the archives to publish there; else null.</param>
/// <param name="Elapsed">Wall time of the whole import.</param>
public sealed record ImportResult(
    string Directory,
    string Source,
    string? Commit,
    string TorchVersion,
    IReadOnlyList<ImportedEntrypoint> Entrypoints,
    string? UploadDirectory,
    TimeSpan Elapsed);

/// <summary>One imported entrypoint.</summary>
/// <param name="Name">Its name (the same in Python and in the HubHost repo).</param>
/// <param name="Method"><c>script</c> (torch.jit.script) or <c>trace</c> (torch.jit.trace on the example inputs).</param>
/// <param name="ScriptError">Why torch.jit.script failed, when it was traced; else null.</param>
/// <param name="Archive">The archive's file name (in the repo, or in the upload folder).</param>
/// <param name="Sha256">The archive's SHA-256.</param>
/// <param name="Url">Where the repo loads the archive from, with <see cref="ImportRequest.WeightsUrl"/>; else null.</param>
/// <param name="ReturnType">The entrypoint's C# return type.</param>
/// <param name="Outputs">Each output, as HubHost ran it against PyTorch's output for the same example inputs.</param>
public sealed record ImportedEntrypoint(string Name, string Method, string? ScriptError, string Archive, string Sha256, string? Url, string ReturnType, IReadOnlyList<ImportedOutput> Outputs);

/// <summary>One output of an imported model, compared with PyTorch.</summary>
/// <param name="Key">The dictionary key or tuple position (empty for a model returning one tensor).</param>
/// <param name="Shape">Its shape for the example inputs.</param>
/// <param name="MaxAbsoluteDifference">max |HubHost − PyTorch|.</param>
/// <param name="MaxRelativeDifference">max |HubHost − PyTorch| / max |PyTorch| (the import fails above 1e-4).</param>
public sealed record ImportedOutput(string Key, IReadOnlyList<long> Shape, double MaxAbsoluteDifference, double MaxRelativeDifference);
