namespace HubHost.Running;

/// <summary>
/// Two versions of one model entrypoint run on the same input in one process (<see cref="HubClient.CompareModelsAsync"/>):
/// what a user deciding on a model upgrade needs to see.
/// </summary>
/// <param name="A">Model A's run.</param>
/// <param name="B">Model B's run.</param>
/// <param name="MaxAbsoluteDifference">max |a − b| over all outputs; null when the output shapes differ.</param>
/// <param name="MaxRelativeDifference">max |a − b| divided by max |a| (0 when both are all zeros); null when the output shapes differ.</param>
/// <param name="Top1Agreement">For classifiers (outputs [N, C], C ≥ 2): the fraction of the N rows whose highest-scoring class is the same in A and B; otherwise null.</param>
public sealed record ModelComparison(ModelRun A, ModelRun B, double? MaxAbsoluteDifference, double? MaxRelativeDifference, double? Top1Agreement)
{
    /// <summary>Whether both outputs have the same shape (only then are differences measured).</summary>
    public bool SameShape => A.OutputShape.AsSpan().SequenceEqual(B.OutputShape);
}

/// <summary>One side of a <see cref="ModelComparison"/>.</summary>
/// <param name="Repo">The repo as named.</param>
/// <param name="Version">The version loaded (commit or content hash prefix).</param>
/// <param name="ModelType">The model's type as C# writes it.</param>
/// <param name="Parameters">Number of parameter elements.</param>
/// <param name="OutputShape">Shape of the output for the shared input.</param>
/// <param name="OutputKey">Which of the model's outputs was compared (a dictionary key, or a position in a tuple or list); null when it returned one tensor.</param>
/// <param name="Top1">For classifier outputs [N, C]: each row's highest-scoring class; otherwise null.</param>
/// <param name="ForwardTime">Wall time of the one forward pass (measured, not a benchmark).</param>
public sealed record ModelRun(string Repo, string Version, string ModelType, long Parameters, long[] OutputShape, string? OutputKey, long[]? Top1, TimeSpan ForwardTime);
