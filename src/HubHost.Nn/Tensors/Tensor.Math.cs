using HubHost.Nn.Functional;

namespace HubHost.Nn;

public sealed partial class Tensor
{
    /// <summary>Element-wise sum (same shapes), like torch's <c>a + b</c>.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => F.Add(a, b);

    /// <summary>Element-wise sum with <paramref name="other"/> (same shape); see <see cref="F.Add"/>.</summary>
    public Tensor Add(Tensor other) => F.Add(this, other);

    /// <summary>max(x, 0) element-wise; see <see cref="F.Relu"/>.</summary>
    public Tensor Relu() => F.Relu(this);

    /// <summary>Softmax along <paramref name="dim"/>; see <see cref="F.Softmax"/>.</summary>
    public Tensor Softmax(int dim) => F.Softmax(this, dim);

    /// <summary>Index (int64) of the first maximum along <paramref name="dim"/>, or over all elements when null; see <see cref="F.ArgMax"/>.</summary>
    public Tensor ArgMax(int? dim = null, bool keepDim = false) => F.ArgMax(this, dim, keepDim);

    /// <summary>Concatenation along <paramref name="dim"/>; see <see cref="F.Cat"/>.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0) => F.Cat(tensors, dim);
}
