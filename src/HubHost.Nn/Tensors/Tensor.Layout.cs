using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace HubHost.Nn;

public sealed partial class Tensor
{
    /// <summary>
    /// This tensor's elements in row-major order without gaps: itself when already contiguous and starting
    /// at offset 0 of a storage of exactly its size, otherwise a copy (same dtype).
    /// </summary>
    public Tensor Contiguous()
    {
        long bytes = NumberOfElements * DType.ElementSize();
        if (IsContiguous && StorageOffset == 0 && Storage.ByteLength == bytes) return this;
        var copy = new byte[bytes];
        CopyElementsTo(copy);
        GC.KeepAlive(this);
        return new Tensor(new ArrayStorage<byte>(copy), DType, (long[])_shape.Clone(), ContiguousStrides(_shape), 0);
    }

    /// <summary>The elements' bytes in row-major order, little-endian, in this tensor's own dtype.</summary>
    public byte[] ToBytes()
    {
        var copy = new byte[NumberOfElements * DType.ElementSize()];
        CopyElementsTo(copy);
        GC.KeepAlive(this);
        return copy;
    }

    /// <summary>Converts to another dtype (a new contiguous tensor; this one when the dtype already matches and it is contiguous).</summary>
    public Tensor To(DType dtype)
    {
        if (dtype == DType) return Contiguous();
        if (dtype != DType.Float32)
            throw new NotSupportedException($"Conversion from {DType} to {dtype} is not supported; HubHost.Nn converts every dtype to Float32.");
        var source = Contiguous();
        var result = new float[NumberOfElements];
        ConvertToFloat32(source.DType, source.Storage.Bytes[..checked((int)(NumberOfElements * DType.ElementSize()))], result);
        GC.KeepAlive(source);
        return new Tensor(new ArrayStorage<float>(result), DType.Float32, (long[])_shape.Clone(), ContiguousStrides(_shape), 0);
    }

    private static void ConvertToFloat32(DType dtype, ReadOnlySpan<byte> src, Span<float> dst)
    {
        switch (dtype)
        {
            case DType.Float32: MemoryMarshal.Cast<byte, float>(src).CopyTo(dst); break;
            case DType.Float16: TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(src), dst); break;
            case DType.BFloat16:
                var bf = MemoryMarshal.Cast<byte, ushort>(src);
                var bits = MemoryMarshal.Cast<float, uint>(dst);
                for (int i = 0; i < bf.Length; i++) bits[i] = (uint)bf[i] << 16;
                break;
            case DType.Float64: TensorPrimitives.ConvertTruncating<double, float>(MemoryMarshal.Cast<byte, double>(src), dst); break;
            case DType.Int64: TensorPrimitives.ConvertTruncating<long, float>(MemoryMarshal.Cast<byte, long>(src), dst); break;
            case DType.Int32: TensorPrimitives.ConvertTruncating<int, float>(MemoryMarshal.Cast<byte, int>(src), dst); break;
            case DType.Int16: TensorPrimitives.ConvertTruncating<short, float>(MemoryMarshal.Cast<byte, short>(src), dst); break;
            case DType.Int8: TensorPrimitives.ConvertTruncating<sbyte, float>(MemoryMarshal.Cast<byte, sbyte>(src), dst); break;
            case DType.UInt8: TensorPrimitives.ConvertTruncating<byte, float>(src, dst); break;
            case DType.Bool: for (int i = 0; i < src.Length; i++) dst[i] = src[i] != 0 ? 1f : 0f; break;
            default: throw new NotSupportedException($"Unknown dtype {dtype}.");
        }
    }

    /// <summary>Gathers the viewed elements, row-major, into <paramref name="destination"/> (byte-level, any dtype).</summary>
    private void CopyElementsTo(Span<byte> destination)
    {
        int size = DType.ElementSize();
        long count = NumberOfElements;
        if (count == 0) return;
        long needed = (count > 0 ? MaxOffset() + 1 : 0) * size;
        if (StorageOffset < 0 || needed > Storage.ByteLength)
            throw new InvalidDataException($"Tensor view (offset {StorageOffset}, shape [{string.Join(", ", _shape)}], strides [{string.Join(", ", _strides)}]) reaches past its storage of {Storage.ByteLength} bytes.");
        var src = Storage.Bytes;
        if (IsContiguous)
        {
            src.Slice(checked((int)(StorageOffset * size)), checked((int)(count * size))).CopyTo(destination);
            return;
        }
        // Copy the innermost dimension as a run when it is unit-stride, else element by element.
        int rank = _shape.Length;
        long inner = _shape[rank - 1];
        long innerStride = _strides[rank - 1];
        var index = new long[rank];
        long outPos = 0;
        long outer = count / inner;
        for (long o = 0; o < outer; o++)
        {
            long offset = StorageOffset;
            for (int d = 0; d < rank - 1; d++) offset += index[d] * _strides[d];
            if (innerStride == 1)
            {
                src.Slice(checked((int)(offset * size)), checked((int)(inner * size))).CopyTo(destination.Slice(checked((int)outPos), checked((int)(inner * size))));
                outPos += inner * size;
            }
            else
            {
                for (long i = 0; i < inner; i++)
                {
                    src.Slice(checked((int)((offset + i * innerStride) * size)), size).CopyTo(destination.Slice(checked((int)outPos), size));
                    outPos += size;
                }
            }
            for (int d = rank - 2; d >= 0; d--)
            {
                if (++index[d] < _shape[d]) break;
                index[d] = 0;
            }
        }
    }

    /// <summary>The largest element offset this view touches (for bounds checks).</summary>
    internal long MaxOffset()
    {
        long max = StorageOffset;
        for (int i = 0; i < _shape.Length; i++)
        {
            if (_shape[i] == 0) return StorageOffset - 1;
            if (_strides[i] < 0) throw new InvalidDataException("Negative strides are not supported.");
            max += (_shape[i] - 1) * _strides[i];
        }
        return max;
    }
}
