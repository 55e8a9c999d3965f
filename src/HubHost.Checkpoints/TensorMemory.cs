using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using HubHost.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Checkpoints;

/// <summary>
/// Raw access to TorchSharp tensor memory for the checkpoint readers and writers: the address of a tensor's
/// first element, and tensors whose storage is memory HubHost owns (a file mapping, a pinned array) with a
/// deleter that libtorch calls when it frees the storage. TorchSharp's public API has neither (its
/// <c>Tensor.bytes</c> stops at 2 GB and <c>frombuffer</c> takes only managed arrays), so these call the
/// LibTorchSharp exports TorchSharp itself uses (THSTensor_data, THSTensor_new = torch::from_blob).
/// </summary>
internal static unsafe class TensorMemory
{
    private static delegate* unmanaged<IntPtr, void*> _data;
    private static delegate* unmanaged<IntPtr, void*> _storageData;
    private static delegate* unmanaged<void*, delegate* unmanaged<void*, void>, long*, int, sbyte, sbyte, int, int, byte, IntPtr> _new;
    private static readonly Lock Gate = new();

    /// <summary>Owners of from_blob memory by the data pointer libtorch hands back to <see cref="Deleter"/>.</summary>
    private static readonly ConcurrentDictionary<nint, BlobOwner> Live = new();

    private static void Bind()
    {
        if (_new != null) return;
        TorchNative.EnsureLoaded();
        lock (Gate)
        {
            if (_new != null) return;
            var library = TorchNative.LibTorchSharpHandle;
            if (library == IntPtr.Zero && !NativeLibrary.TryLoad("LibTorchSharp", typeof(torch).Assembly, null, out library))
                throw new InvalidOperationException("LibTorchSharp is not loaded; call TorchNative.EnsureLoaded() first.");
            _data = (delegate* unmanaged<IntPtr, void*>)NativeLibrary.GetExport(library, "THSTensor_data");
            _storageData = (delegate* unmanaged<IntPtr, void*>)NativeLibrary.GetExport(library, "THSStorage_data_ptr");
            _new = (delegate* unmanaged<void*, delegate* unmanaged<void*, void>, long*, int, sbyte, sbyte, int, int, byte, IntPtr>)NativeLibrary.GetExport(library, "THSTensor_new");
        }
    }

    /// <summary>The address of the tensor's first element (CPU tensors); null for an empty tensor.</summary>
    public static byte* Data(Tensor tensor)
    {
        Bind();
        if (tensor.NumberOfElements == 0) return null;
        var p = _data(tensor.Handle);
        if (p == null) torch.CheckForErrors();
        return (byte*)p;
    }

    /// <summary>The address where the tensor's storage starts (tensors sharing a storage share it).</summary>
    public static nint StorageData(Tensor tensor)
    {
        Bind();
        return (nint)_storageData(tensor.Handle);
    }

    /// <summary>A new 1-D CPU tensor of <paramref name="numel"/> elements whose memory libtorch allocates (uninitialised).</summary>
    public static Tensor Empty(long numel, ScalarType dtype) => torch.empty([numel], dtype, torch.CPU);

    /// <summary>
    /// A 1-D tensor of <paramref name="numel"/> elements over <paramref name="data"/>, which
    /// <paramref name="owner"/> keeps valid until libtorch frees the storage (zero copy). Null when the
    /// address already backs another live storage (e.g. two zip entries pointing at the same bytes) or is not
    /// aligned to the element size: the caller then copies.
    /// </summary>
    public static Tensor? FromBlob(BlobOwner owner, byte* data, long numel, ScalarType dtype)
    {
        Bind();
        if (numel == 0) return Empty(0, dtype);
        // libtorch's kernels assume naturally aligned elements (complex128 on 16 bytes): a storage at a misaligned
        // address (the legacy format packs records at any offset) crashed them, so such a storage is copied.
        if ((nint)data % Math.Min(DTypes.Size(dtype), 16) != 0) return null;
        owner.AddRef();
        if (!Live.TryAdd((nint)data, owner))
        {
            owner.Release();
            return null;
        }
        long size = numel;
        var handle = _new(data, &Deleter, &size, 1, (sbyte)dtype, (sbyte)dtype, 0, 0, 0);
        if (handle == IntPtr.Zero)
        {
            if (Live.TryRemove((nint)data, out var o)) o.Release();
            torch.CheckForErrors();
            throw new InvalidOperationException("libtorch did not create a tensor over the checkpoint's memory.");
        }
        return Tensor.UnsafeCreateTensor(handle);
    }

    [UnmanagedCallersOnly]
    private static void Deleter(void* data)
    {
        if (Live.TryRemove((nint)data, out var owner)) owner.Release();
    }

    /// <summary>The number of storages libtorch still holds over HubHost-owned memory (for tests).</summary>
    internal static int LiveBlobs => Live.Count;

    /// <summary>Calls <paramref name="action"/> on consecutive spans (at most 1 GB each) of [data, data + length).</summary>
    public static void ForEachSpan(byte* data, long length, SpanAction action)
    {
        for (long done = 0; done < length;)
        {
            int n = (int)Math.Min(1 << 30, length - done);
            action(new ReadOnlySpan<byte>(data + done, n));
            done += n;
        }
    }

    /// <summary>
    /// Calls <paramref name="action"/> with the tensor's values in row-major order (its own dtype, native =
    /// little-endian byte order), in spans: straight from its memory when it is contiguous, else through
    /// contiguous copies of at most ~64 MB of rows at a time.
    /// </summary>
    public static void ForEachValueSpan(Tensor tensor, SpanAction action)
    {
        if (tensor.NumberOfElements == 0) return;
        long elementSize = DTypes.Size(tensor.dtype);
        if (tensor.is_contiguous())
        {
            ForEachSpan(Data(tensor), tensor.NumberOfElements * elementSize, action);
            GC.KeepAlive(tensor);
            return;
        }
        long rows = tensor.shape[0];
        long rowBytes = tensor.NumberOfElements / rows * elementSize;
        if (rows == 1 || rowBytes * rows <= 64L << 20)
        {
            if (rows == 1 && rowBytes > 64L << 20)
            {
                using var row = tensor.select(0, 0);
                ForEachValueSpan(row, action);
                return;
            }
            using var copy = tensor.contiguous();
            ForEachValueSpan(copy, action);
            return;
        }
        long step = Math.Max(1, (64L << 20) / Math.Max(1, rowBytes));
        for (long i = 0; i < rows; i += step)
        {
            using var block = tensor.narrow(0, i, Math.Min(step, rows - i));
            ForEachValueSpan(block, action);
        }
    }

    /// <summary>
    /// The most bytes of values read from a tensor whose strides repeat memory (stride-0 broadcasts,
    /// overlapping views): 1 GiB. Beyond that, hashing or writing it would produce terabytes from a few
    /// bytes of storage.
    /// </summary>
    public const long MaxRepeatedBytes = 1L << 30;

    /// <summary>Refuses a tensor whose values are more than <see cref="MaxRepeatedBytes"/> repeated from a smaller storage extent.</summary>
    public static void CheckNotHugelyRepeated(Tensor tensor, string what, string instead)
    {
        var sizes = Sizes(tensor);
        if (sizes is { } s && !(s.ValueBytes > MaxRepeatedBytes && s.ValueBytes > s.ExtentBytes)) return;
        string values = sizes is { } v
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{v.ValueBytes:N0} bytes of values over {v.ExtentBytes:N0} bytes of memory")
            : "more bytes of values than 64 bits can count";
        throw new ArgumentException(
            $"{what} (shape [{string.Join(", ", tensor.shape)}], stride [{string.Join(", ", tensor.stride())}]) repeats its memory into {values}; " +
            $"at most {MaxRepeatedBytes >> 30} GiB of repeated values are read. {instead}");
    }

    /// <summary>
    /// Number of bytes of values (numel × element size) and of memory the strided view reaches; null when
    /// the values' byte count overflows 64 bits.
    /// </summary>
    public static (long ValueBytes, long ExtentBytes)? Sizes(Tensor tensor)
    {
        long elementSize = DTypes.Size(tensor.dtype);
        try
        {
            long numel = tensor.NumberOfElements;
            long values = checked(numel * elementSize);
            if (numel == 0) return (0, 0);
            var shape = tensor.shape;
            var strides = tensor.stride();
            long extent = 1;
            for (int i = 0; i < shape.Length; i++) extent = checked(extent + (shape[i] - 1) * Math.Abs(strides[i]));
            return (values, checked(extent * elementSize));
        }
        catch (OverflowException)
        {
            return null;
        }
    }
}

/// <summary>A callback taking a span of bytes.</summary>
internal delegate void SpanAction(ReadOnlySpan<byte> bytes);

/// <summary>
/// Memory that storages created by <see cref="TensorMemory.FromBlob"/> view: freed when the loader and every
/// such storage have released it (reference counted; libtorch's deleter releases a storage's reference).
/// </summary>
internal abstract class BlobOwner
{
    private int _references = 1;

    public void AddRef() => Interlocked.Increment(ref _references);

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0) Free();
    }

    protected abstract void Free();
}

/// <summary>A managed array pinned while any storage views it.</summary>
internal sealed class PinnedArray : BlobOwner
{
    private GCHandle _handle;

    public PinnedArray(byte[] array)
    {
        Array = array;
        _handle = GCHandle.Alloc(array, GCHandleType.Pinned);
    }

    public byte[] Array { get; }

    public unsafe byte* Pointer => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Array));

    protected override void Free() => _handle.Free();
}
