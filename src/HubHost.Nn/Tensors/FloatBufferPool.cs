using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace HubHost.Nn;

/// <summary>
/// Recycles the large float arrays behind kernel outputs (activations). A forward pass allocates tens of MB
/// of short-lived activations; fresh large-object-heap arrays cost a page fault per 4 KB after the GC has
/// returned freed memory to the OS (about half of a resnet18 forward pass). An array goes back to the pool when
/// the <see cref="PooledFloatStorage"/> holding it is finalized, so only unreachable tensors give their
/// memory back. When the pool runs dry after <see cref="CollectAfterBytes"/> were handed out since its last
/// collection, it asks for a gen-1 collection (cheap: it does not touch the large-object heap), so the arrays of
/// the activations that died meanwhile come back instead of fresh memory being allocated over and over.
/// </summary>
internal static class FloatBufferPool
{
    /// <summary>Arrays shorter than this (64 KB, below the 85 KB large-object threshold) are ordinary allocations.</summary>
    internal const int MinLength = 1 << 14;

    /// <summary>Most bytes kept idle in the pool; returns beyond it are left to the GC.</summary>
    internal const long MaxIdleBytes = 256L << 20;

    /// <summary>Bytes handed out (reused or fresh) before a miss triggers the pool's own gen-1 collection.</summary>
    internal const long CollectAfterBytes = 64L << 20;

    private static readonly ConcurrentDictionary<int, ConcurrentStack<float[]>> Idle = new();
    private static long _idleBytes;
    private static long _rentedBytesSinceCollect;

    /// <summary>An array of exactly <paramref name="length"/> floats with unspecified contents.</summary>
    internal static float[] Rent(int length)
    {
        long rented = Interlocked.Add(ref _rentedBytesSinceCollect, (long)length * 4);
        if (Idle.TryGetValue(length, out var stack) && stack.TryPop(out var array))
        {
            Interlocked.Add(ref _idleBytes, -(long)length * 4);
            return array;
        }
        if (rented > CollectAfterBytes)
        {
            // Dead tensors' storages are finalized on the finalizer thread after this and refill the pool.
            Interlocked.Exchange(ref _rentedBytesSinceCollect, 0);
            GC.Collect(1, GCCollectionMode.Forced, blocking: true);
        }
        return GC.AllocateUninitializedArray<float>(length);
    }

    /// <summary>Takes back an array no tensor uses any more (called from <see cref="PooledFloatStorage"/>'s finalizer).</summary>
    internal static void Return(float[] array)
    {
        long bytes = (long)array.Length * 4;
        if (Interlocked.Add(ref _idleBytes, bytes) > MaxIdleBytes)
        {
            Interlocked.Add(ref _idleBytes, -bytes);
            return;
        }
        Idle.GetOrAdd(array.Length, _ => new ConcurrentStack<float[]>()).Push(array);
    }
}

/// <summary>
/// Storage over a float array from <see cref="FloatBufferPool"/>; the array returns to the pool when this
/// storage becomes unreachable. Kernels reading a tensor through a span or pointer therefore keep the tensor
/// alive (<see cref="GC.KeepAlive"/>) until they are done with it.
/// </summary>
internal sealed class PooledFloatStorage(float[] array) : TensorStorage
{
    public float[] Array { get; } = array;

    public override long ByteLength => (long)Array.Length * 4;

    public override Span<byte> Bytes => MemoryMarshal.AsBytes(Array.AsSpan());

    ~PooledFloatStorage() => FloatBufferPool.Return(Array);
}
