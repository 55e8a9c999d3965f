using static TorchSharp.torch;

namespace HubHost.Running;

/// <summary>
/// One run of a model entrypoint (<see cref="HubClient.RunModelAsync"/>): the output tensor it picked and what the run
/// was. Disposing it disposes <see cref="Output"/>; the model itself was made for the run and is already disposed.
/// </summary>
public sealed class ModelResult : IDisposable
{
    internal ModelResult(ModelRun run, Tensor output, IReadOnlyList<string> outputKeys, string outputDescription)
    {
        Run = run;
        Output = output;
        OutputKeys = outputKeys;
        OutputDescription = outputDescription;
    }

    /// <summary>What ran: the repo and version, the model's type and size, the output's shape and key, the forward time.</summary>
    public ModelRun Run { get; }

    /// <summary>The picked output tensor (the caller owns it through this result).</summary>
    public Tensor Output { get; }

    /// <summary>The keys of all the model's outputs, in order (empty when it returned one tensor).</summary>
    public IReadOnlyList<string> OutputKeys { get; }

    /// <summary>Which output this is, for people: <c>output</c>, <c>output "out" of the dictionary (out, aux)</c>, <c>output 0 of a tuple of 2</c>.</summary>
    public string OutputDescription { get; }

    /// <summary>Disposes the output tensor.</summary>
    public void Dispose() => Output.Dispose();
}
