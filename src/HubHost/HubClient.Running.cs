using HubHost.Downloads;
using HubHost.Running;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost;

public sealed partial class HubClient
{
    /// <summary>
    /// Runs a model entrypoint of an opened version once, as <c>hubhost run</c> does: calls <paramref name="entrypoint"/>, loads
    /// <paramref name="weights"/> into the model it returns (strictly; a URL through the checkpoint cache under the version's
    /// rule, as <see cref="LoadStateDictAsync(string, HubRepo?, IProgress{DownloadProgress}?, CancellationToken)"/>), runs it in
    /// eval mode without gradients on <paramref name="inputs"/>, and returns the output <paramref name="outputKey"/> picks.
    /// The model is made for this run and disposed before it returns.
    /// </summary>
    /// <remarks>
    /// The model is a TorchScript module or a TorchSharp module taking one tensor, two, or a <c>Tensor[]</c>. Integer and bool
    /// inputs (token ids, masks) reach it as they are; floating-point ones are given in the dtype of its floating-point
    /// parameters (float32 for almost every model). Outputs: a tensor, or one tensor picked by key from a tuple or list
    /// (keys <c>0</c>, <c>1</c>, …) or a dictionary of tensors; by default the first.
    /// </remarks>
    /// <param name="repo">A version this client opened (<see cref="OpenAsync(string, HubLoadOptions?, CancellationToken)"/>).</param>
    /// <param name="entrypoint">An entrypoint returning a model taking tensors.</param>
    /// <param name="inputs">One tensor per input of the model's forward, in order.</param>
    /// <param name="arguments">The entrypoint's arguments (as for <see cref="HubRepo.InvokeAsync"/>).</param>
    /// <param name="weights">A checkpoint to load into the model first: a local file, an http(s) URL or <c>hf://owner/repo[@revision]/path</c>; null for none.</param>
    /// <param name="outputKey">For a model returning several outputs: a dictionary key, or a position in a tuple or list; null for the first.</param>
    /// <param name="progress">Receives progress reports while the weights download.</param>
    /// <param name="cancellationToken">Cancels the entrypoint call and the weights download.</param>
    /// <returns>The output and what ran; the caller disposes it.</returns>
    /// <exception cref="HubException">The entrypoint does not return a model, the weights do not fit it, the inputs do not fit it, or there is no such output tensor.</exception>
    public async Task<ModelResult> RunModelAsync(HubRepo repo, string entrypoint, IReadOnlyList<Tensor> inputs, object? arguments = null,
        string? weights = null, string? outputKey = null, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repo);
        ArgumentNullException.ThrowIfNull(inputs);
        using var model = ModelRunner.AsModel(await repo.InvokeAsync(entrypoint, arguments, cancellationToken).ConfigureAwait(false), repo.Name, entrypoint);
        if (weights is not null)
        {
            var stateDict = await LoadStateDictAsync(weights, repo, progress, cancellationToken).ConfigureAwait(false);
            try
            {
                ModelRunner.LoadWeights(model, stateDict, weights);
            }
            finally
            {
                foreach (var t in stateDict.Values) t.Dispose();
            }
        }
        var output = ModelRunner.Forward(model, inputs, outputKey);
        return new ModelResult(ModelRunner.Describe(repo.Name, repo.Version, model, output), output.Tensor, output.Keys, output.Description);
    }

    /// <summary>
    /// Loads two versions of a model entrypoint (two refs of one repo, or two repos) into one process, runs both on
    /// <paramref name="inputs"/> in eval mode without gradients (as <see cref="RunModelAsync"/> does), and measures how
    /// far apart the picked outputs are: output shapes, max absolute and relative difference, and for classifiers the
    /// top-1 agreement over the batch.
    /// </summary>
    /// <param name="repoA">The current version (the reference for relative differences).</param>
    /// <param name="repoB">The candidate version.</param>
    /// <param name="entrypoint">The entrypoint both versions have; it must return a model taking tensors (as for <see cref="RunModelAsync"/>).</param>
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
        if (inputs.FirstOrDefault(x => x.numel() == 0) is { } empty)
            throw new HubException($"The input{(inputs.Count > 1 ? $" {inputs.ToList().IndexOf(empty) + 1}" : "")} has no values (shape [{string.Join(", ", empty.shape)}]): give at least one row to run both models on and compare.");
        var repos = await Task.WhenAll(OpenAsync(repoA, options, cancellationToken), OpenAsync(repoB, options, cancellationToken)).ConfigureAwait(false);
        var models = new RunnableModel[2];
        try
        {
            // Each side named as it was given: two folders with the same content share one loaded version (and its name).
            var names = new[] { NameAsGiven(repoA), NameAsGiven(repoB) };
            for (var i = 0; i < 2; i++)
                models[i] = ModelRunner.AsModel(await repos[i].InvokeAsync(entrypoint, arguments, cancellationToken).ConfigureAwait(false), $"{names[i]} ({repos[i].Version})", entrypoint);
            return Compare(repos, names, models, inputs, outputKey);
        }
        finally
        {
            foreach (var model in models) model?.Dispose(); // made for this comparison only
        }
    }

    /// <summary>A repo as the user named it: a local folder's full path, else the text given.</summary>
    private string NameAsGiven(string repo) => DescribeSource(repo) is { IsLocal: true } local ? local.RepoName : repo.Trim();

    private static ModelComparison Compare(HubRepo[] repos, string[] names, RunnableModel[] models, IReadOnlyList<Tensor> inputs, string? outputKey)
    {
        using var scope = NewDisposeScope(); // the outputs and intermediate tensors (a dispose scope is per thread: no awaits in here)
        var runs = new (ModelRun Run, Tensor Output)[2];
        for (var i = 0; i < 2; i++)
        {
            var output = ModelRunner.Forward(models[i], inputs, outputKey);
            runs[i] = (ModelRunner.Describe(names[i], repos[i].Version, models[i], output), output.Tensor);
        }
        var (a, b) = (runs[0], runs[1]);
        if (!a.Run.OutputShape.AsSpan().SequenceEqual(b.Run.OutputShape))
            return new ModelComparison(a.Run, b.Run, null, null, null);
        if (a.Output.numel() == 0)
            throw new HubException($"Both models returned an empty output (shape [{string.Join(", ", a.Run.OutputShape)}]) for the inputs of shapes {string.Join(", ", inputs.Select(x => "[" + string.Join(", ", x.shape) + "]"))}: there is nothing to compare.");
        var absolute = (a.Output.to(ScalarType.Float64) - b.Output.to(ScalarType.Float64)).abs().max().item<double>();
        var scale = a.Output.to(ScalarType.Float64).abs().max().item<double>();
        var relative = scale == 0 ? (absolute == 0 ? 0 : double.PositiveInfinity) : absolute / scale;
        double? agreement = a.Run.Top1 is { } top1A && b.Run.Top1 is { } top1B
            ? top1A.Zip(top1B).Count(p => p.First == p.Second) / (double)top1A.Length
            : null;
        return new ModelComparison(a.Run, b.Run, absolute, relative, agreement);
    }
}
