using HubHost.Nn.Functional;

namespace HubHost.Nn.Modules;

/// <summary>
/// Batch normalization over the channels of [N, C, H, W] (torch.nn.BatchNorm2d). State: "weight", "bias",
/// "running_mean", "running_var" (float32 [C]) and "num_batches_tracked" (int64 scalar). Eval mode uses the
/// running statistics; training mode uses the batch's and updates the running ones.
/// </summary>
public sealed class BatchNorm2d : Module
{
    /// <summary>Creates the layer: weight 1, bias 0, running mean 0, running variance 1.</summary>
    /// <param name="numFeatures">Channels (C).</param>
    /// <param name="eps">Added to the variance for numerical stability.</param>
    /// <param name="momentum">Weight of the batch statistic in the running update.</param>
    /// <param name="affine">Whether to learn weight and bias.</param>
    /// <param name="trackRunningStats">Whether to keep running statistics (else batch statistics are used in eval mode too).</param>
    public BatchNorm2d(long numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = true, bool trackRunningStats = true)
    {
        if (numFeatures < 1) throw new ArgumentOutOfRangeException(nameof(numFeatures), numFeatures, "BatchNorm2d needs at least one feature.");
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        if (affine)
        {
            Weight = Tensor.Ones(numFeatures);
            Bias = Tensor.Zeros(numFeatures);
            RegisterParameter("weight", Weight);
            RegisterParameter("bias", Bias);
        }
        if (trackRunningStats)
        {
            RunningMean = Tensor.Zeros(numFeatures);
            RunningVar = Tensor.Ones(numFeatures);
            NumBatchesTracked = Tensor.FromArray(new long[] { 0 });
            RegisterBuffer("running_mean", RunningMean);
            RegisterBuffer("running_var", RunningVar);
            RegisterBuffer("num_batches_tracked", NumBatchesTracked);
        }
    }

    /// <summary>Channels.</summary>
    public long NumFeatures { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>Weight of the batch statistic in the running update.</summary>
    public double Momentum { get; }

    /// <summary>Scale [C], or null when not affine.</summary>
    public Tensor? Weight { get; }

    /// <summary>Shift [C], or null when not affine.</summary>
    public Tensor? Bias { get; }

    /// <summary>Running mean [C], or null when not tracking.</summary>
    public Tensor? RunningMean { get; }

    /// <summary>Running (unbiased) variance [C], or null when not tracking.</summary>
    public Tensor? RunningVar { get; }

    /// <summary>Training batches seen (int64 scalar), or null when not tracking.</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        if (input.Rank != 4) throw new ArgumentException($"BatchNorm2d expects input of shape [N, C, H, W], got {input.ShapeString}.");
        if (input.Size(1) != NumFeatures) throw new ArgumentException($"BatchNorm2d({NumFeatures}) got input with {input.Size(1)} channels ({input.ShapeString}).");
        bool useBatchStats = Training || RunningMean is null;
        if (Training && NumBatchesTracked is not null)
            NumBatchesTracked.CopyFrom(Tensor.FromArray(new[] { NumBatchesTracked.ToInt64Array()[0] + 1 }));
        return Kernels.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, useBatchStats, Momentum, Eps);
    }

    /// <inheritdoc />
    protected override bool IsOptionalStateKey(string name) => name == "num_batches_tracked";

    /// <inheritdoc />
    protected override string ExtraRepr() => $"{NumFeatures}, eps={Eps}, momentum={Momentum}, affine={(Weight is null ? "False" : "True")}, track_running_stats={(RunningMean is null ? "False" : "True")}";
}
