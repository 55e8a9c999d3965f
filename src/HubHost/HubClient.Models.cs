using HubHost.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost;

public sealed partial class HubClient
{
    /// <summary>
    /// Loads two versions of a model entrypoint (two refs of one repo, or two repos) into one process, runs both on
    /// <paramref name="inputs"/> in eval mode without gradients (as <see cref="ModelRunner.Forward"/> does), and measures how
    /// far apart the picked outputs are: output shapes, max absolute and relative difference, and for classifiers the
    /// top-1 agreement over the batch.
    /// </summary>
    /// <param name="repoA">The current version (the reference for relative differences).</param>
    /// <param name="repoB">The candidate version.</param>
    /// <param name="entrypoint">The entrypoint both versions have; it must return a model taking tensors (see <see cref="RunnableModel"/>).</param>
    /// <param name="inputs">The shared inputs, one per input of the model's forward, in order.</param>
    /// <param name="arguments">The entrypoint's arguments, the same for both (as for <see cref="LoadAsync(string, string, object?, HubLoadOptions?, CancellationToken)"/>).</param>
    /// <param name="outputKey">For models returning several outputs, which one to compare (a dictionary key, or a position in a tuple or list); null for the first.</param>
    /// <param name="options">How to resolve both repos.</param>
    /// <param name="cancellationToken">Cancels loading.</param>
    /// <exception cref="HubException">A repo cannot be loaded, the entrypoint does not return a model, or a model cannot run on the inputs.</exception>
    public async Task<ModelComparison> CompareModelsAsync(string repoA, string repoB, string entrypoint, IReadOnlyList<Tensor> inputs,
        object? arguments = null, string? outputKey = null, HubLoadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var repos = await Task.WhenAll(OpenAsync(repoA, options, cancellationToken), OpenAsync(repoB, options, cancellationToken)).ConfigureAwait(false);
        var models = new RunnableModel[2];
        try
        {
            for (var i = 0; i < 2; i++)
                models[i] = ModelRunner.AsModel(await repos[i].InvokeAsync(entrypoint, arguments, cancellationToken).ConfigureAwait(false), $"{repos[i].Name} ({repos[i].Version})", entrypoint);
            return Compare(repos, models, inputs, outputKey);
        }
        finally
        {
            foreach (var model in models) model?.Dispose(); // made for this comparison only
        }
    }

    private static ModelComparison Compare(HubRepo[] repos, RunnableModel[] models, IReadOnlyList<Tensor> inputs, string? outputKey)
    {
        using var scope = NewDisposeScope(); // the outputs and intermediate tensors (a dispose scope is per thread: no awaits in here)
        var runs = new (ModelRun Run, Tensor Output)[2];
        for (var i = 0; i < 2; i++)
        {
            var output = ModelRunner.Forward(models[i], inputs, outputKey);
            var y = output.Tensor;
            runs[i] = (new ModelRun(repos[i].Name, repos[i].Version, models[i].TypeName, models[i].ParameterCount, y.shape, output.Key, ModelRunner.Top1(y), output.ForwardTime), y);
        }
        var (a, b) = (runs[0], runs[1]);
        if (!a.Run.OutputShape.AsSpan().SequenceEqual(b.Run.OutputShape))
            return new ModelComparison(a.Run, b.Run, null, null, null);
        var absolute = (a.Output.to(ScalarType.Float64) - b.Output.to(ScalarType.Float64)).abs().max().item<double>();
        var scale = a.Output.to(ScalarType.Float64).abs().max().item<double>();
        var relative = scale == 0 ? (absolute == 0 ? 0 : double.PositiveInfinity) : absolute / scale;
        double? agreement = a.Run.Top1 is { } top1A && b.Run.Top1 is { } top1B
            ? top1A.Zip(top1B).Count(p => p.First == p.Second) / (double)top1A.Length
            : null;
        return new ModelComparison(a.Run, b.Run, absolute, relative, agreement);
    }
}
