using System.IO.Hashing;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using static TorchSharp.torch;

namespace HubHost.Checkpoints;

/// <summary>
/// The bytes of a checkpoint being read: a file (memory-mapped or read into tensors) or an in-memory buffer.
/// Readers parse headers with <see cref="Read"/> and turn data regions into 1-D TorchSharp storage tensors
/// with <see cref="Storage"/>. Every offset is checked against <see cref="Length"/>.
/// </summary>
/// <remarks>
/// <para>
/// How bytes become tensors. <see cref="CheckpointReadMode.MemoryMap"/>: each storage is a libtorch storage
/// over a region of a copy-on-write map of the file, created with torch::from_blob and a deleter
/// (<see cref="TensorMemory.FromBlob"/>); the map is released when libtorch frees the last storage viewing it,
/// so keeping it alive is libtorch's reference counting, not the GC's (zero copies). A stream's buffer is
/// viewed the same way, pinned. <see cref="CheckpointReadMode.Copy"/>: each storage is a <c>torch.empty</c>
/// tensor the file's bytes are read straight into (one copy), advised as huge pages, hashed chunk by chunk
/// for the zip CRC while in cache. Either way each torch storage stays one storage and each tensor an
/// as_strided view of it with its saved offset and strides, so tied tensors stay tied as in torch.
/// </para>
/// <para>
/// Measured with bench "checkpoints" (107 MB state dict, 192 tensors, warm page cache, medians of 21
/// interleaved runs on a 2-core machine shared with other builds, load average 12): torch.save zip mapped
/// 18.9 ms (most of it the CRC-32 over every byte) and copied 43.3 ms, against torch.load(weights_only=True)
/// 53.6 ms and TorchSharp.PyBridge 50.7 ms; safetensors mapped 1.0 ms (2.6 ms reading every page) and copied
/// 23.4 ms, against PyBridge 43.5 ms. Tried and dropped: reading the whole file into one huge-page block that
/// all storages view (safetensors copy 1.6-1.8x faster than PyBridge against 2.6-2.9x for a tensor per
/// storage, same runs: libtorch's allocator reuses freed memory, a fresh block never does); copies without
/// the huge-page advice (~1.6x slower); torch.from_file (libtorch's own private map), which maps the whole
/// file from offset 0 per dtype, so every storage offset would change and distinct storages would become one.
/// </para>
/// </remarks>
internal abstract unsafe partial class ByteSource : IDisposable
{
    protected ByteSource(string name) => Name = name;

    /// <summary>The file path (or a description of a stream) for error messages.</summary>
    public string Name { get; }

    public abstract long Length { get; }

    /// <summary>Copies <paramref name="destination"/>.Length bytes from <paramref name="offset"/>.</summary>
    protected abstract void ReadCore(long offset, Span<byte> destination);

    /// <summary>A 1-D tensor over [offset, offset + numel × size); its bytes are appended to <paramref name="crc"/>.</summary>
    protected abstract Tensor StorageCore(long offset, long numel, ScalarType dtype, Crc32? crc);

    public CheckpointFormatException Error(string problem, Exception? inner = null) => new(Name, problem, inner);

    public void Read(long offset, Span<byte> destination, string what)
    {
        CheckRange(offset, destination.Length, what);
        ReadCore(offset, destination);
    }

    public byte[] ReadArray(long offset, long length, string what)
    {
        CheckRange(offset, length, what);
        if (length > Array.MaxLength) throw Error($"{what} is {length} bytes, more than one in-memory array can hold; the file is corrupt or not a checkpoint this reader handles.");
        var bytes = new byte[length];
        ReadCore(offset, bytes);
        return bytes;
    }

    /// <summary>
    /// A 1-D tensor of <paramref name="numel"/> elements of <paramref name="dtype"/> holding the bytes at
    /// <paramref name="offset"/> (a view for mapped files and buffers, one copy otherwise). The bytes are
    /// also appended to <paramref name="crc"/> when given.
    /// </summary>
    public Tensor Storage(long offset, long numel, ScalarType dtype, string what, Crc32? crc = null)
    {
        long length = StorageBytes(numel, dtype, what);
        CheckRange(offset, length, what);
        return StorageCore(offset, numel, dtype, crc);
    }

    /// <summary>numel × element size, or an error naming <paramref name="what"/> when that overflows.</summary>
    public long StorageBytes(long numel, ScalarType dtype, string what)
    {
        try
        {
            return checked(numel * DTypes.Size(dtype));
        }
        catch (OverflowException)
        {
            throw Error($"{what} claims {numel} elements of {DTypes.Torch(dtype)}, more bytes than any file can hold; the checkpoint is corrupt. Download or save it again.");
        }
    }

    public void CheckRange(long offset, long length, string what)
    {
        if (offset < 0 || length < 0 || offset > Length || length > Length - offset)
            throw Error($"{what} (bytes {offset}..{(decimal)offset + length}) lies outside the file of {Length} bytes; the file is truncated or corrupt. Download or save it again.");
    }

    /// <summary>
    /// Whether <see cref="Storage"/> reads the bytes from the file as it creates the storage (copy mode), so
    /// that a CRC is best computed then, chunk by chunk while in cache; otherwise the bytes are in memory
    /// already and CRCs can be computed later, on several threads.
    /// </summary>
    public virtual bool CopiesFromFile => false;

    /// <summary>Appends [offset, offset + length) to <paramref name="crc"/> (thread-safe for sources that hold the file in memory).</summary>
    public virtual void AppendTo(Crc32 crc, long offset, long length)
    {
        CheckRange(offset, length, "zip entry data");
        var buffer = new byte[(int)Math.Min(length, 1 << 20)];
        for (long done = 0; done < length;)
        {
            int n = (int)Math.Min(buffer.Length, length - done);
            ReadCore(offset + done, buffer.AsSpan(0, n));
            crc.Append(buffer.AsSpan(0, n));
            done += n;
        }
    }

    /// <summary>A new tensor holding a copy of [source, source + numel × size).</summary>
    protected static Tensor CopyOf(byte* source, long numel, ScalarType dtype, Crc32? crc)
    {
        var tensor = TensorMemory.Empty(numel, dtype);
        long length = numel * DTypes.Size(dtype);
        if (length > 0)
        {
            byte* destination = TensorMemory.Data(tensor);
            AdviseHugePages(destination, length);
            Buffer.MemoryCopy(source, destination, length, length);
        }
        if (crc is not null) TensorMemory.ForEachSpan(source, length, crc.Append);
        return tensor;
    }

    public virtual void Dispose() { }

    /// <summary>Opens a file for reading in the given mode.</summary>
    public static ByteSource Open(string path, CheckpointReadMode mode)
    {
        ArgumentNullException.ThrowIfNull(path);
        Native.TorchNative.EnsureLoaded();
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.RandomAccess);
        try
        {
            long length = RandomAccess.GetLength(handle);
            if (mode == CheckpointReadMode.MemoryMap && length > 0)
            {
                var source = new MappedSource(path, new MappedFile(handle, length));
                handle.Dispose();
                return source;
            }
            return new CopiedFileSource(path, handle, length);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Asks for transparent huge pages over the 2 MB-aligned interior of fresh tensor memory before it is first
    /// written, so filling it costs a few page faults per 2 MB instead of 512 (advisory; Linux only).
    /// </summary>
    internal static void AdviseHugePages(byte* data, long length)
    {
        const long huge = 2 << 20;
        if (!OperatingSystem.IsLinux() || length < huge) return;
        long start = ((long)data + huge - 1) & ~(huge - 1);
        long end = ((long)data + length) & ~(huge - 1);
        if (end > start) _ = Madvise((void*)start, (nuint)(end - start), 14 /* MADV_HUGEPAGE */);
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}

/// <summary>
/// Copy mode: each storage is read straight from the file into the memory of a tensor libtorch allocated
/// (one copy, no managed buffer in between), in chunks that are appended to the CRC while still in cache.
/// </summary>
internal sealed unsafe class CopiedFileSource(string name, SafeFileHandle handle, long length) : ByteSource(name)
{
    public override long Length => length;

    protected override void ReadCore(long offset, Span<byte> destination)
    {
        int done = 0;
        while (done < destination.Length)
        {
            int n = RandomAccess.Read(handle, destination[done..], offset + done);
            if (n == 0) throw Error($"the file ended at byte {offset + done} while reading it (was it changed while being read?). Load it again once it is complete.");
            done += n;
        }
    }

    protected override Tensor StorageCore(long offset, long numel, ScalarType dtype, Crc32? crc)
    {
        var tensor = TensorMemory.Empty(numel, dtype);
        try
        {
            long bytes = numel * DTypes.Size(dtype);
            byte* data = TensorMemory.Data(tensor);
            AdviseHugePages(data, bytes);
            int chunk = crc is null ? 1 << 30 : 1 << 20;
            for (long done = 0; done < bytes;)
            {
                var span = new Span<byte>(data + done, (int)Math.Min(chunk, bytes - done));
                ReadCore(offset + done, span);
                crc?.Append(span);
                done += span.Length;
            }
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    public override bool CopiesFromFile => true;

    public override void Dispose() => handle.Dispose();
}

/// <summary>A byte array held in memory (a checkpoint read from a stream); storages view it, pinned, without copying.</summary>
internal sealed unsafe class MemorySource : ByteSource
{
    private readonly PinnedArray _array;
    private readonly int _length;

    public MemorySource(string name, byte[] buffer, int length) : base(name)
    {
        _array = new PinnedArray(buffer);
        _length = length;
    }

    public override long Length => _length;

    protected override void ReadCore(long offset, Span<byte> destination)
        => _array.Array.AsSpan((int)offset, destination.Length).CopyTo(destination);

    protected override Tensor StorageCore(long offset, long numel, ScalarType dtype, Crc32? crc)
    {
        byte* data = _array.Pointer + offset;
        var tensor = TensorMemory.FromBlob(_array, data, numel, dtype);
        if (tensor is null) return CopyOf(data, numel, dtype, crc);
        if (crc is not null) TensorMemory.ForEachSpan(data, numel * DTypes.Size(dtype), crc.Append);
        return tensor;
    }

    public override void AppendTo(Crc32 crc, long offset, long length)
    {
        CheckRange(offset, length, "zip entry data");
        crc.Append(_array.Array.AsSpan((int)offset, (int)length));
    }

    /// <summary>The loader's reference; the array stays pinned while storages view it.</summary>
    public override void Dispose() => _array.Release();

    /// <summary>Reads a whole stream into memory (at most <see cref="Array.MaxLength"/> bytes).</summary>
    public static MemorySource FromStream(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        Native.TorchNative.EnsureLoaded();
        if (stream.CanSeek)
        {
            long remaining = stream.Length - stream.Position;
            if (remaining > Array.MaxLength) throw new CheckpointFormatException(name, $"the stream holds {remaining} bytes, more than can be read into memory; load the file by path instead.");
            var bytes = GC.AllocateUninitializedArray<byte>((int)remaining, pinned: true);
            stream.ReadExactly(bytes);
            return new MemorySource(name, bytes, bytes.Length);
        }
        var memory = new MemoryStream();
        stream.CopyTo(memory);
        return new MemorySource(name, memory.GetBuffer(), (int)memory.Length);
    }
}

/// <summary>Storages are views of one copy-on-write memory mapping of the whole file.</summary>
internal sealed unsafe class MappedSource(string name, MappedFile file) : ByteSource(name)
{
    public override long Length => file.Length;

    protected override void ReadCore(long offset, Span<byte> destination)
        => new ReadOnlySpan<byte>(file.Pointer + offset, destination.Length).CopyTo(destination);

    protected override Tensor StorageCore(long offset, long numel, ScalarType dtype, Crc32? crc)
    {
        byte* data = file.Pointer + offset;
        var tensor = TensorMemory.FromBlob(file, data, numel, dtype);
        if (tensor is null) return CopyOf(data, numel, dtype, crc);
        if (crc is not null) TensorMemory.ForEachSpan(data, numel * DTypes.Size(dtype), crc.Append);
        return tensor;
    }

    public override void AppendTo(Crc32 crc, long offset, long length)
    {
        CheckRange(offset, length, "zip entry data");
        TensorMemory.ForEachSpan(file.Pointer + offset, length, crc.Append);
    }

    /// <summary>The loader's reference: unmaps at once when no storage views the mapping (e.g. the header was bad).</summary>
    public override void Dispose() => file.Release();
}

/// <summary>
/// A copy-on-write memory mapping of a whole file, unmapped when the loader and every libtorch storage
/// viewing it have released it.
/// </summary>
internal sealed unsafe class MappedFile : BlobOwner
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;

    public MappedFile(SafeFileHandle handle, long length)
    {
        _map = MemoryMappedFile.CreateFromFile(handle, null, length, MemoryMappedFileAccess.CopyOnWrite, HandleInheritability.None, leaveOpen: true);
        try
        {
            _view = _map.CreateViewAccessor(0, length, MemoryMappedFileAccess.CopyOnWrite);
            byte* pointer = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            Pointer = pointer + _view.PointerOffset;
            Length = length;
        }
        catch
        {
            _view?.Dispose();
            _map.Dispose();
            throw;
        }
    }

    public byte* Pointer { get; }

    public long Length { get; }

    protected override void Free()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
