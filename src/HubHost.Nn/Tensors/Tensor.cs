namespace HubHost.Nn;

/// <summary>
/// An n-dimensional array in the shape of torch.Tensor: a view (shape, strides in elements, storage
/// offset) over a <see cref="TensorStorage"/> of some <see cref="DType"/>. Math runs on contiguous float32.
/// </summary>
public sealed partial class Tensor
{
    internal Tensor(TensorStorage storage, DType dtype, long[] shape, long[] strides, long storageOffset)
    {
        ArgumentNullException.ThrowIfNull(storage);
        if (shape.Length != strides.Length)
            throw new ArgumentException($"Shape has {shape.Length} dimensions but strides have {strides.Length}.");
        Storage = storage;
        DType = dtype;
        _shape = shape;
        _strides = strides;
        StorageOffset = storageOffset;
    }

    private readonly long[] _shape;
    private readonly long[] _strides;

    /// <summary>Element type of the storage.</summary>
    public DType DType { get; }

    /// <summary>Size of each dimension.</summary>
    public IReadOnlyList<long> Shape => _shape;

    /// <summary>Step in elements between neighbours along each dimension.</summary>
    public IReadOnlyList<long> Strides => _strides;

    /// <summary>Offset in elements of the first element within the storage.</summary>
    public long StorageOffset { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements (the product of the shape; 1 for a scalar).</summary>
    public long NumberOfElements
    {
        get
        {
            long n = 1;
            foreach (var d in _shape) n *= d;
            return n;
        }
    }

    internal TensorStorage Storage { get; }

    internal long[] ShapeArray => _shape;

    internal long[] StridesArray => _strides;

    /// <summary>Row-major (C order) strides for a shape.</summary>
    internal static long[] ContiguousStrides(ReadOnlySpan<long> shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= shape[i];
        }
        return strides;
    }

    /// <summary>Whether the elements lie in row-major order without gaps.</summary>
    public bool IsContiguous
    {
        get
        {
            long expected = 1;
            for (int i = _shape.Length - 1; i >= 0; i--)
            {
                if (_shape[i] != 1 && _strides[i] != expected) return false;
                expected *= _shape[i];
            }
            return true;
        }
    }

    /// <summary>Creates a tensor viewing <paramref name="storage"/> (used by checkpoint readers).</summary>
    internal static Tensor FromStorage(TensorStorage storage, DType dtype, long[] shape, long[]? strides = null, long storageOffset = 0)
        => new(storage, dtype, shape, strides ?? ContiguousStrides(shape), storageOffset);
}
