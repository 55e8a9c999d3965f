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
/// How bytes become tensors, measured on the 100 MB benchmark state dict (bench "checkpoints"): a memory map
/// whose regions libtorch storages view directly (torch::from_blob with a deleter that unmaps once the last
/// storage is freed) loads in ~1 ms plus the CRC pass; reading each storage straight into the memory of a
/// <c>torch.empty</c> tensor costs one copy from the page cache (~40 ms). Both keep torch's storage
/// semantics: one storage per torch storage, views by as_strided on it, so tied tensors stay tied. An
/// earlier idea, torch.from_file (libtorch's own private mapping), maps the whole file per dtype from
/// offset 0, so every storage offset would change and distinct storages would share one storage; it was not
/// used.
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

    /// <summary>Appends [offset, offset + length) to <paramref name="crc"/> (for zip entries' bytes beyond what tensors use).</summary>
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
            var copied = new CopiedFileSource(path, handle, length);
            handle.Dispose();
            return copied;
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
/// Copy mode: the whole file is read once, in a few large reads, into one block of native memory (2 MB-aligned
/// and advised as transparent huge pages, so filling 100 MB costs ~50 page faults instead of ~25,000), and the
/// storages view that block like they view a mapping (one copy from the page cache in all). The file is closed
/// when loading returns; the block is freed when libtorch frees the last storage viewing it.
/// </summary>
internal sealed unsafe class CopiedFileSource : ByteSource
{
    private readonly NativeBuffer _buffer;

    public CopiedFileSource(string name, SafeFileHandle handle, long length) : base(name)
    {
        _buffer = new NativeBuffer(length);
        try
        {
            for (long done = 0; done < length;)
            {
                int n = RandomAccess.Read(handle, new Span<byte>(_buffer.Pointer + done, (int)Math.Min(1 << 30, length - done)), done);
                if (n == 0) throw Error($"the file ended at byte {done} of {length} while reading it (was it changed while being read?). Load it again once it is complete.");
                done += n;
            }
        }
        catch
        {
            _buffer.Release();
            throw;
        }
    }

    public override long Length => _buffer.Length;

    protected override void ReadCore(long offset, Span<byte> destination)
        => new ReadOnlySpan<byte>(_buffer.Pointer + offset, destination.Length).CopyTo(destination);

    protected override Tensor StorageCore(long offset, long numel, ScalarType dtype, Crc32? crc)
    {
        byte* data = _buffer.Pointer + offset;
        var tensor = TensorMemory.FromBlob(_buffer, data, numel, dtype);
        if (tensor is null) return CopyOf(data, numel, dtype, crc);
        if (crc is not null) TensorMemory.ForEachSpan(data, numel * DTypes.Size(dtype), crc.Append);
        return tensor;
    }

    public override void AppendTo(Crc32 crc, long offset, long length)
    {
        CheckRange(offset, length, "zip entry data");
        TensorMemory.ForEachSpan(_buffer.Pointer + offset, length, crc.Append);
    }

    /// <summary>The loader's reference: frees the block at once when no storage views it.</summary>
    public override void Dispose() => _buffer.Release();
}

/// <summary>Native memory holding a copied file, freed when the loader and every storage viewing it have released it.</summary>
internal sealed unsafe class NativeBuffer : BlobOwner
{
    private const int HugePage = 2 << 20;

    public NativeBuffer(long length)
    {
        Length = length;
        nuint size = (nuint)Math.Max(length, 1);
        if (length >= HugePage && OperatingSystem.IsLinux())
        {
            size = (size + HugePage - 1) / HugePage * HugePage;
            Pointer = (byte*)NativeMemory.AlignedAlloc(size, HugePage);
            ByteSource.AdviseHugePages(Pointer, (long)size);
        }
        else
        {
            Pointer = (byte*)NativeMemory.AlignedAlloc(size, 64);
        }
    }

    public byte* Pointer { get; }

    public long Length { get; }

    protected override void Free() => NativeMemory.AlignedFree(Pointer);
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
