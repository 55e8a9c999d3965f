namespace HubHost.Running;

/// <summary>
/// Two versions of one model entrypoint run on the same input in one process (<see cref="HubClient.CompareModelsAsync"/>):
/// what a user deciding on a model upgrade needs to see.
/// </summary>
public sealed record ModelComparison
{
    internal ModelComparison(ModelRun A, ModelRun B, double? MaxAbsoluteDifference, double? MaxRelativeDifference, double? Top1Agreement)
    {
        this.A = A;
        this.B = B;
        this.MaxAbsoluteDifference = MaxAbsoluteDifference;
        this.MaxRelativeDifference = MaxRelativeDifference;
        this.Top1Agreement = Top1Agreement;
    }

    /// <summary>Model A's run.</summary>
    public ModelRun A { get; init; }

    /// <summary>Model B's run.</summary>
    public ModelRun B { get; init; }

    /// <summary>max |a − b| over all outputs; null when the output shapes differ.</summary>
    public double? MaxAbsoluteDifference { get; init; }

    /// <summary>max |a − b| divided by max |a| (0 when both are all zeros); null when the output shapes differ.</summary>
    public double? MaxRelativeDifference { get; init; }

    /// <summary>For classifiers (outputs [N, C], C ≥ 2): the fraction of the N rows whose highest-scoring class is the same in A and B; otherwise null.</summary>
    public double? Top1Agreement { get; init; }

    /// <summary>Whether both outputs have the same shape (only then are differences measured).</summary>
    public bool SameShape => A.OutputShape.AsSpan().SequenceEqual(B.OutputShape);
}

/// <summary>One side of a <see cref="ModelComparison"/>.</summary>
public sealed record ModelRun
{
    internal ModelRun(string Repo, string Version, string ModelType, long Parameters, long[] OutputShape, string? OutputKey, long[]? Top1, TimeSpan ForwardTime)
    {
        this.Repo = Repo;
        this.Version = Version;
        this.ModelType = ModelType;
        this.Parameters = Parameters;
        this.OutputShape = OutputShape;
        this.OutputKey = OutputKey;
        this.Top1 = Top1;
        this.ForwardTime = ForwardTime;
    }

    /// <summary>The repo as named.</summary>
    public string Repo { get; init; }

    /// <summary>The version loaded (commit or content hash prefix).</summary>
    public string Version { get; init; }

    /// <summary>The model's type as C# writes it.</summary>
    public string ModelType { get; init; }

    /// <summary>Number of parameter elements.</summary>
    public long Parameters { get; init; }

    /// <summary>Shape of the output for the shared input.</summary>
    public long[] OutputShape { get; init; }

    /// <summary>Which of the model's outputs was compared (a dictionary key, or a position in a tuple or list); null when it returned one tensor.</summary>
    public string? OutputKey { get; init; }

    /// <summary>For classifier outputs [N, C]: each row's highest-scoring class; otherwise null.</summary>
    public long[]? Top1 { get; init; }

    /// <summary>Wall time of the one forward pass (measured, not a benchmark).</summary>
    public TimeSpan ForwardTime { get; init; }
}
