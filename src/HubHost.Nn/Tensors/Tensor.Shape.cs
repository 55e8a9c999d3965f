using System.Runtime.InteropServices;

namespace HubHost.Nn;

public sealed partial class Tensor
{
    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end), like torch's <c>size(dim)</c>.</summary>
    public long Size(int dim) => _shape[NormalizeDim(dim, Rank, "Size")];

    /// <summary>
    /// The same elements in another shape, sharing storage (torch's <c>view</c>). One dimension may be -1.
    /// </summary>
    /// <exception cref="InvalidOperationException">This tensor is not contiguous (use <see cref="Reshape"/>).</exception>
    public Tensor View(params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var resolved = ResolveShape(shape, NumberOfElements, "View");
        if (!IsContiguous)
            throw new InvalidOperationException($"View of a non-contiguous tensor (shape [{string.Join(", ", _shape)}]) is not supported; use Reshape, which copies.");
        return new Tensor(Storage, DType, resolved, ContiguousStrides(resolved), StorageOffset);
    }

    /// <summary>The same elements in another shape (torch's <c>reshape</c>): a view when contiguous, else a copy. One dimension may be -1.</summary>
    public Tensor Reshape(params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return IsContiguous ? View(shape) : Contiguous().View(shape);
    }

    /// <summary>Merges dimensions <paramref name="startDim"/>..<paramref name="endDim"/> into one (torch.flatten).</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Rank == 0) return Reshape(1);
        int start = NormalizeDim(startDim, Rank, "Flatten");
        int end = NormalizeDim(endDim, Rank, "Flatten");
        if (start > end) throw new ArgumentException($"Flatten: start dimension {startDim} comes after end dimension {endDim}.");
        var shape = new List<long>();
        for (int i = 0; i < start; i++) shape.Add(_shape[i]);
        long merged = 1;
        for (int i = start; i <= end; i++) merged *= _shape[i];
        shape.Add(merged);
        for (int i = end + 1; i < Rank; i++) shape.Add(_shape[i]);
        return Reshape([.. shape]);
    }

    /// <summary>The elements converted to float32, row-major (a new array).</summary>
    public float[] ToArray()
    {
        var result = ReadFloats().ToArray();
        GC.KeepAlive(this);
        return result;
    }

    /// <summary>The elements converted to int64, row-major (a new array); floats are truncated toward zero.</summary>
    public long[] ToInt64Array()
    {
        if (DType == DType.Int64) return MemoryMarshal.Cast<byte, long>(ToBytes()).ToArray();
        var f = ReadFloats();
        var result = new long[f.Length];
        for (int i = 0; i < f.Length; i++) result[i] = (long)f[i];
        GC.KeepAlive(this);
        return result;
    }

    /// <summary>The element at <paramref name="index"/> (one index per dimension), converted to float32.</summary>
    public float this[params long[] index]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(index);
            if (index.Length != Rank)
                throw new ArgumentException($"Tensor of shape [{string.Join(", ", _shape)}] needs {Rank} indices, got {index.Length}.");
            long offset = StorageOffset;
            for (int i = 0; i < Rank; i++)
            {
                long k = index[i] < 0 ? index[i] + _shape[i] : index[i];
                if (k < 0 || k >= _shape[i])
                    throw new IndexOutOfRangeException($"Index {index[i]} is out of range for dimension {i} of size {_shape[i]}.");
                offset += k * _strides[i];
            }
            var one = new Tensor(Storage, DType, [], [], offset);
            return one.To(DType.Float32).Data[0];
        }
    }

    /// <summary>The value of a one-element tensor as float32 (torch's <c>item()</c>, TorchSharp's ToSingle).</summary>
    public float ToSingle()
    {
        if (NumberOfElements != 1)
            throw new InvalidOperationException($"ToSingle() needs a tensor with one element, this one has shape [{string.Join(", ", _shape)}].");
        float value = ReadFloats()[0];
        GC.KeepAlive(this);
        return value;
    }

    /// <summary>A contiguous copy with its own storage (torch's <c>clone()</c>).</summary>
    public Tensor Clone()
    {
        if (DType == DType.Float32) return Wrap(ToArray(), (long[])_shape.Clone());
        return new Tensor(new ArrayStorage<byte>(ToBytes()), DType, (long[])_shape.Clone(), ContiguousStrides(_shape), 0);
    }

    /// <summary>Shape and dtype, e.g. <c>Tensor[2, 3] Float32</c>.</summary>
    public override string ToString() => $"Tensor[{string.Join(", ", _shape)}] {DType}";

    internal static int NormalizeDim(int dim, int rank, string operation)
    {
        int r = Math.Max(rank, 1);
        int d = dim < 0 ? dim + r : dim;
        if (d < 0 || d >= r)
            throw new ArgumentOutOfRangeException(nameof(dim), $"{operation}: dimension {dim} is out of range for a tensor with {rank} dimensions.");
        return d;
    }

    internal string ShapeString => $"[{string.Join(", ", _shape)}]";
}
