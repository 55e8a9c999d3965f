using HubHost.Nn.Functional;

namespace HubHost.Nn.Modules;

/// <summary>y = x·Wᵀ + b (torch.nn.Linear). State: "weight" [out, in], "bias" [out].</summary>
public sealed class Linear : Module
{
    /// <summary>Creates the layer with PyTorch's default init (U(-1/√in, 1/√in) for weight and bias).</summary>
    /// <param name="inFeatures">Size of each input row.</param>
    /// <param name="outFeatures">Size of each output row.</param>
    /// <param name="hasBias">Whether to learn an additive bias.</param>
    public Linear(long inFeatures, long outFeatures, bool hasBias = true)
    {
        if (inFeatures < 0 || outFeatures < 0) throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear features must not be negative, got ({inFeatures}, {outFeatures}).");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = Tensor.Zeros(outFeatures, inFeatures);
        double bound = inFeatures > 0 ? 1 / Math.Sqrt(inFeatures) : 0;
        Init.Uniform(Weight, -bound, bound);
        RegisterParameter("weight", Weight);
        if (hasBias)
        {
            Bias = Init.Uniform(Tensor.Zeros(outFeatures), -bound, bound);
            RegisterParameter("bias", Bias);
        }
    }

    /// <summary>Size of each input row.</summary>
    public long InFeatures { get; }

    /// <summary>Size of each output row.</summary>
    public long OutFeatures { get; }

    /// <summary>[out_features, in_features].</summary>
    public Tensor Weight { get; }

    /// <summary>[out_features], or null without bias.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => F.Linear(input, Weight, Bias);

    /// <inheritdoc />
    protected override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias is null ? "False" : "True")}";
}
