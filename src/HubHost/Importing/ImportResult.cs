namespace HubHost.Importing;

/// <summary>What <see cref="HubClient.ImportAsync"/> wrote and how closely the HubHost repo reproduces PyTorch.</summary>
public sealed record ImportResult
{
    internal ImportResult(string Directory, string Source, string? Commit, string TorchVersion, IReadOnlyList<ImportedEntrypoint> Entrypoints, string? UploadDirectory, TimeSpan Elapsed)
    {
        this.Directory = Directory;
        this.Source = Source;
        this.Commit = Commit;
        this.TorchVersion = TorchVersion;
        this.Entrypoints = Entrypoints;
        this.UploadDirectory = UploadDirectory;
        this.Elapsed = Elapsed;
    }

    /// <summary>The HubHost repo's folder.</summary>
    public string Directory { get; init; }

    /// <summary>The Python repo as given.</summary>
    public string Source { get; init; }

    /// <summary>The Python repo's commit (a git source, or a local folder inside a git work tree); null when unknown.</summary>
    public string? Commit { get; init; }

    /// <summary>The version of the torch that exported the models.</summary>
    public string TorchVersion { get; init; }

    /// <summary>The entrypoints imported.</summary>
    public IReadOnlyList<ImportedEntrypoint> Entrypoints { get; init; }

    /// <summary>With <see cref="ImportRequest.WeightsUrl"/>: the folder with the archives to publish there; else null.</summary>
    public string? UploadDirectory { get; init; }

    /// <summary>Wall time of the whole import.</summary>
    public TimeSpan Elapsed { get; init; }
}

/// <summary>One imported entrypoint.</summary>
public sealed record ImportedEntrypoint
{
    internal ImportedEntrypoint(string Name, string Method, string? ScriptError, string Archive, string Sha256, string? Url, string ReturnType, IReadOnlyList<ImportedOutput> Outputs)
    {
        this.Name = Name;
        this.Method = Method;
        this.ScriptError = ScriptError;
        this.Archive = Archive;
        this.Sha256 = Sha256;
        this.Url = Url;
        this.ReturnType = ReturnType;
        this.Outputs = Outputs;
    }

    /// <summary>Its name (the same in Python and in the HubHost repo).</summary>
    public string Name { get; init; }

    /// <summary><c>script</c> (torch.jit.script) or <c>trace</c> (torch.jit.trace on the example inputs).</summary>
    public string Method { get; init; }

    /// <summary>Why torch.jit.script failed, when it was traced; else null.</summary>
    public string? ScriptError { get; init; }

    /// <summary>The archive's file name (in the repo, or in the upload folder).</summary>
    public string Archive { get; init; }

    /// <summary>The archive's SHA-256.</summary>
    public string Sha256 { get; init; }

    /// <summary>Where the repo loads the archive from, with <see cref="ImportRequest.WeightsUrl"/>; else null.</summary>
    public string? Url { get; init; }

    /// <summary>The entrypoint's C# return type.</summary>
    public string ReturnType { get; init; }

    /// <summary>Each output, as HubHost ran it against PyTorch's output for the same example inputs.</summary>
    public IReadOnlyList<ImportedOutput> Outputs { get; init; }
}

/// <summary>One output of an imported model, compared with PyTorch.</summary>
public sealed record ImportedOutput
{
    internal ImportedOutput(string Key, IReadOnlyList<long> Shape, double MaxAbsoluteDifference, double MaxRelativeDifference)
    {
        this.Key = Key;
        this.Shape = Shape;
        this.MaxAbsoluteDifference = MaxAbsoluteDifference;
        this.MaxRelativeDifference = MaxRelativeDifference;
    }

    /// <summary>The dictionary key or tuple position (empty for a model returning one tensor).</summary>
    public string Key { get; init; }

    /// <summary>Its shape for the example inputs.</summary>
    public IReadOnlyList<long> Shape { get; init; }

    /// <summary>max |HubHost − PyTorch|.</summary>
    public double MaxAbsoluteDifference { get; init; }

    /// <summary>max |HubHost − PyTorch| / max |PyTorch| (the import fails above 1e-4).</summary>
    public double MaxRelativeDifference { get; init; }
}
