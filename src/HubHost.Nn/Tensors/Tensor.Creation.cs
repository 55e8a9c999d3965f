using System.Runtime.InteropServices;

namespace HubHost.Nn;

public sealed partial class Tensor
{
    /// <summary>A float32 tensor holding a copy of <paramref name="data"/> in the given shape (torch.tensor(data).view(shape)).</summary>
    /// <param name="data">Elements in row-major order.</param>
    /// <param name="shape">Size of each dimension; none for a scalar; one dimension may be -1 (inferred).</param>
    /// <exception cref="ArgumentException">The shape does not hold exactly <c>data.Length</c> elements.</exception>
    public static Tensor FromArray(float[] data, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        var resolved = ResolveShape(shape, data.Length, "FromArray");
        return Wrap((float[])data.Clone(), resolved);
    }

    /// <summary>A float32 tensor of zeros (torch.zeros).</summary>
    /// <param name="shape">Size of each dimension; none for a scalar.</param>
    public static Tensor Zeros(params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return Wrap(new float[CheckedCount(shape)], (long[])shape.Clone());
    }

    /// <summary>A float32 tensor of ones (torch.ones).</summary>
    /// <param name="shape">Size of each dimension; none for a scalar.</param>
    public static Tensor Ones(params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var data = new float[CheckedCount(shape)];
        data.AsSpan().Fill(1f);
        return Wrap(data, (long[])shape.Clone());
    }

    /// <summary>A float32 tensor filled with <paramref name="value"/> (torch.full).</summary>
    /// <param name="value">The value of every element.</param>
    /// <param name="shape">Size of each dimension; none for a scalar.</param>
    public static Tensor Full(float value, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var data = new float[CheckedCount(shape)];
        data.AsSpan().Fill(value);
        return Wrap(data, (long[])shape.Clone());
    }

    /// <summary>An int64 tensor holding a copy of <paramref name="data"/> (e.g. indices, BatchNorm's num_batches_tracked).</summary>
    /// <param name="data">Elements in row-major order.</param>
    /// <param name="shape">Size of each dimension; none for a scalar; one dimension may be -1 (inferred).</param>
    public static Tensor FromArray(long[] data, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        var resolved = ResolveShape(shape, data.Length, "FromArray");
        return new Tensor(new ArrayStorage<long>((long[])data.Clone()), DType.Int64, resolved, ContiguousStrides(resolved), 0);
    }

    /// <summary>Wraps (does not copy) a float32 array as a contiguous tensor.</summary>
    internal static Tensor Wrap(float[] data, long[] shape)
        => new(new ArrayStorage<float>(data), DType.Float32, shape, ContiguousStrides(shape), 0);

    /// <summary>A new float32 tensor of the given shape whose contents are not cleared (they are all overwritten by the caller).</summary>
    internal static Tensor Uninitialized(params long[] shape)
    {
        int count = CheckedCount(shape);
        if (count < FloatBufferPool.MinLength) return Wrap(GC.AllocateUninitializedArray<float>(count), shape);
        return new Tensor(new PooledFloatStorage(FloatBufferPool.Rent(count)), DType.Float32, shape, ContiguousStrides(shape), 0);
    }

    /// <summary>Number of elements of a shape, checked to fit one managed array.</summary>
    internal static int CheckedCount(ReadOnlySpan<long> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"Shape [{string.Join(", ", shape.ToArray())}] has a negative dimension.");
            n = checked(n * d);
        }
        if (n > Array.MaxLength)
            throw new ArgumentException($"Shape [{string.Join(", ", shape.ToArray())}] has {n} elements, more than one array can hold ({Array.MaxLength}).");
        return (int)n;
    }

    /// <summary>Replaces a single -1 in <paramref name="shape"/> so it holds <paramref name="count"/> elements.</summary>
    private static long[] ResolveShape(ReadOnlySpan<long> shape, long count, string operation)
    {
        var result = shape.ToArray();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < result.Length; i++)
        {
            if (result[i] == -1)
            {
                if (inferred >= 0) throw new ArgumentException($"{operation}: only one dimension can be -1, got [{string.Join(", ", result)}].");
                inferred = i;
            }
            else if (result[i] < 0) throw new ArgumentException($"{operation}: invalid dimension {result[i]} in [{string.Join(", ", result)}].");
            else known = checked(known * result[i]);
        }
        if (inferred >= 0)
        {
            if (known == 0 || count % known != 0)
                throw new ArgumentException($"{operation}: shape [{string.Join(", ", result)}] is invalid for {count} elements.");
            result[inferred] = count / known;
        }
        else if (known != count)
            throw new ArgumentException($"{operation}: shape [{string.Join(", ", result)}] is invalid for {count} elements.");
        return result;
    }

    /// <summary>
    /// The elements of a contiguous float32 tensor as a span over its storage (writes change the tensor).
    /// Callers must check <see cref="DType"/> and <see cref="IsContiguous"/>, or use <see cref="ReadFloats"/>.
    /// </summary>
    internal Span<float> Data
    {
        get
        {
            if (DType != DType.Float32 || !IsContiguous)
                throw new InvalidOperationException($"Internal: Data needs a contiguous Float32 tensor, this one is {DType}{(IsContiguous ? "" : ", non-contiguous")}.");
            int count = checked((int)NumberOfElements);
            if (Storage is ArrayStorage<float> floats) return floats.Array.AsSpan(checked((int)StorageOffset), count);
            if (Storage is PooledFloatStorage pooled) return pooled.Array.AsSpan(checked((int)StorageOffset), count);
            if (StorageOffset < 0 || (StorageOffset + count) * 4 > Storage.ByteLength)
                throw new InvalidDataException($"Tensor view (offset {StorageOffset}, {count} elements) reaches past its storage of {Storage.ByteLength} bytes.");
            return MemoryMarshal.Cast<byte, float>(Storage.Bytes).Slice(checked((int)StorageOffset), count);
        }
    }

    /// <summary>This tensor as contiguous float32 (itself when it already is, else a converted copy).</summary>
    internal Tensor AsFloat32Contiguous() => DType == DType.Float32 && IsContiguous ? this : To(DType.Float32);

    /// <summary>The elements as float32 in row-major order, without copying when already contiguous float32.</summary>
    internal ReadOnlySpan<float> ReadFloats() => AsFloat32Contiguous().Data;

    /// <summary>Incremented by every internal in-place change, so modules can cache derived data (packed weights).</summary>
    internal int Version { get; private set; }

    /// <summary>Records an in-place change made through <see cref="Data"/>.</summary>
    internal void MarkChanged() => Version++;

    /// <summary>Copies <paramref name="source"/>'s values into this tensor in place (torch's copy_), converting dtypes; shapes must hold the same number of elements.</summary>
    internal void CopyFrom(Tensor source)
    {
        if (source.NumberOfElements != NumberOfElements)
            throw new ArgumentException($"Cannot copy {source.NumberOfElements} elements into a tensor of {NumberOfElements}.");
        if (DType == DType.Float32)
        {
            source.ReadFloats().CopyTo(Data);
        }
        else if (DType == DType.Int64 && IsContiguous && Storage is ArrayStorage<long> longs)
        {
            var dst = longs.Array.AsSpan(checked((int)StorageOffset), checked((int)NumberOfElements));
            if (source.DType == DType.Int64) MemoryMarshal.Cast<byte, long>(source.Contiguous().ToBytes()).CopyTo(dst);
            else
            {
                var f = source.ReadFloats();
                for (int i = 0; i < dst.Length; i++) dst[i] = (long)f[i];
            }
        }
        else
        {
            var converted = source.DType == DType ? source.Contiguous().ToBytes() : throw new NotSupportedException($"Copying {source.DType} into a {DType} tensor is not supported.");
            if (!IsContiguous) throw new NotSupportedException("Copying into a non-contiguous tensor is not supported.");
            converted.CopyTo(Storage.Bytes.Slice(checked((int)(StorageOffset * DType.ElementSize()))));
        }
        GC.KeepAlive(source);
        GC.KeepAlive(this);
        Version++;
    }
}
