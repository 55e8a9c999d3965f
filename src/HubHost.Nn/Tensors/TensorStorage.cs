namespace HubHost.Nn;

/// <summary>
/// The bytes behind one or more tensors (PyTorch's storage): several tensors may view one storage at
/// different offsets and strides. Implementations: managed arrays, and memory-mapped checkpoint files.
/// </summary>
internal abstract class TensorStorage
{
    /// <summary>Length in bytes.</summary>
    public abstract long ByteLength { get; }

    /// <summary>The whole storage as bytes.</summary>
    public abstract Span<byte> Bytes { get; }
}

/// <summary>Storage over a managed array (float[] for computed tensors, byte[] for read ones).</summary>
internal sealed class ArrayStorage<T>(T[] array) : TensorStorage where T : unmanaged
{
    public T[] Array { get; } = array;

    public override long ByteLength => (long)Array.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    public override Span<byte> Bytes => System.Runtime.InteropServices.MemoryMarshal.AsBytes(Array.AsSpan());
}
