using HubHost.Nn.Functional;

namespace HubHost.Nn.Modules;

/// <summary>max(x, 0) element-wise (torch.nn.ReLU). No state.</summary>
/// <param name="inPlace">Overwrite the input (when contiguous float32) instead of allocating the output, like ReLU(inplace=True).</param>
public sealed class ReLU(bool inPlace = false) : Module
{
    /// <summary>Whether the input is overwritten.</summary>
    public bool InPlace { get; } = inPlace;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => F.Relu(input, InPlace);

    /// <inheritdoc />
    protected override string ExtraRepr() => InPlace ? "inplace=True" : "";
}

/// <summary>
/// In training mode zeroes each element with probability p and scales the rest by 1/(1-p); identity in eval
/// mode (torch.nn.Dropout). No state.
/// </summary>
public sealed class Dropout : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="p">Probability of an element being zeroed, in [0, 1].</param>
    public Dropout(double p = 0.5)
    {
        if (p is < 0 or > 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability must be between 0 and 1.");
        P = p;
    }

    /// <summary>Probability of an element being zeroed.</summary>
    public double P { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => F.Dropout(input, P, Training);

    /// <inheritdoc />
    protected override string ExtraRepr() => $"p={P}, inplace=False";
}

/// <summary>Merges dimensions start..end into one (torch.nn.Flatten; by default all but the batch dimension). No state.</summary>
/// <param name="startDim">First dimension to merge.</param>
/// <param name="endDim">Last dimension to merge (negative counts from the end).</param>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    /// <summary>First dimension to merge.</summary>
    public int StartDim { get; } = startDim;

    /// <summary>Last dimension to merge.</summary>
    public int EndDim { get; } = endDim;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Flatten(StartDim, EndDim);

    /// <inheritdoc />
    protected override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}

/// <summary>Softmax along a dimension (torch.nn.Softmax). No state.</summary>
/// <param name="dim">The dimension that sums to 1.</param>
public sealed class Softmax(int dim) : Module
{
    /// <summary>The dimension that sums to 1.</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => F.Softmax(input, Dim);

    /// <inheritdoc />
    protected override string ExtraRepr() => $"dim={Dim}";
}
