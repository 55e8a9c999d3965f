using HubHost.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost;

public sealed partial class HubClient
{
    /// <summary>
    /// Loads two versions of a model entrypoint (two refs of one repo, or two repos) into one process, runs both on
    /// <paramref name="input"/> in eval mode without gradients, and measures how far apart they are: output shapes,
    /// max absolute and relative difference, and for classifiers the top-1 agreement over the batch.
    /// </summary>
    /// <param name="repoA">The current version (the reference for relative differences).</param>
    /// <param name="repoB">The candidate version.</param>
    /// <param name="entrypoint">The entrypoint both versions have; it must return a <c>torch.nn.Module&lt;Tensor, Tensor&gt;</c>.</param>
    /// <param name="input">The shared input (converted to float32).</param>
    /// <param name="arguments">The entrypoint's arguments, the same for both (as for <see cref="LoadAsync(string, string, object?, HubLoadOptions?, CancellationToken)"/>).</param>
    /// <param name="options">How to resolve both repos.</param>
    /// <param name="cancellationToken">Cancels loading.</param>
    /// <exception cref="HubException">A repo cannot be loaded, the entrypoint does not return a model, or a model cannot run on the input.</exception>
    public async Task<ModelComparison> CompareModelsAsync(string repoA, string repoB, string entrypoint, Tensor input,
        object? arguments = null, HubLoadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.numel() == 0)
            throw new HubException($"The input has no values (shape [{string.Join(", ", input.shape)}]): give at least one row to run both models on and compare.");
        var repos = await Task.WhenAll(OpenAsync(repoA, options, cancellationToken), OpenAsync(repoB, options, cancellationToken)).ConfigureAwait(false);
        var models = new nn.Module<Tensor, Tensor>[2];
        try
        {
            for (var i = 0; i < 2; i++)
                models[i] = ModelRunner.AsModel(await repos[i].InvokeAsync(entrypoint, arguments, cancellationToken).ConfigureAwait(false), repos[i].Name, entrypoint);
            // Each side named as it was given: two folders with the same content share one loaded version (and its name).
            return Compare(repos, [NameAsGiven(repoA), NameAsGiven(repoB)], models, entrypoint, input);
        }
        finally
        {
            foreach (var model in models) model?.Dispose(); // made for this comparison only
        }
    }

    /// <summary>A repo as the user named it: a local folder's full path, else the text given.</summary>
    private string NameAsGiven(string repo) => DescribeSource(repo) is { IsLocal: true } local ? local.RepoName : repo.Trim();

    private static ModelComparison Compare(HubRepo[] repos, string[] names, nn.Module<Tensor, Tensor>[] models, string entrypoint, Tensor input)
    {
        using var scope = NewDisposeScope(); // the outputs and intermediate tensors (a dispose scope is per thread: no awaits in here)
        var runs = new (ModelRun Run, Tensor Output)[2];
        for (var i = 0; i < 2; i++)
        {
            var (output, elapsed) = ModelRunner.Forward(models[i], input, $"{entrypoint} of {names[i]} ({repos[i].Version})");
            runs[i] = (new ModelRun(names[i], repos[i].Version, models[i].GetType().Name, ModelRunner.ParameterCount(models[i]), output.shape, ModelRunner.Top1(output), elapsed), output);
        }
        var (a, b) = (runs[0], runs[1]);
        if (!a.Run.OutputShape.AsSpan().SequenceEqual(b.Run.OutputShape))
            return new ModelComparison(a.Run, b.Run, null, null, null);
        if (a.Output.numel() == 0)
            throw new HubException($"Both models returned an empty output (shape [{string.Join(", ", a.Run.OutputShape)}]) for the input of shape [{string.Join(", ", input.shape)}]: there is nothing to compare.");
        var absolute = (a.Output.to(ScalarType.Float64) - b.Output.to(ScalarType.Float64)).abs().max().item<double>();
        var scale = a.Output.to(ScalarType.Float64).abs().max().item<double>();
        var relative = scale == 0 ? (absolute == 0 ? 0 : double.PositiveInfinity) : absolute / scale;
        double? agreement = a.Run.Top1 is { } top1A && b.Run.Top1 is { } top1B
            ? top1A.Zip(top1B).Count(p => p.First == p.Second) / (double)top1A.Length
            : null;
        return new ModelComparison(a.Run, b.Run, absolute, relative, agreement);
    }
}
