using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace HubHost.Nn.Checkpoints;

/// <summary>
/// The bytes of a checkpoint being read: a file (memory-mapped or read with copies) or an in-memory buffer.
/// Readers parse headers with <see cref="Read"/> and turn data regions into tensor storages with
/// <see cref="Storage"/>. Every offset is checked against <see cref="Length"/>.
/// </summary>
internal abstract class ByteSource : IDisposable
{
    protected ByteSource(string name) => Name = name;

    /// <summary>The file path (or a description of a stream) for error messages.</summary>
    public string Name { get; }

    public abstract long Length { get; }

    /// <summary>Copies <paramref name="destination"/>.Length bytes from <paramref name="offset"/>.</summary>
    protected abstract void ReadCore(long offset, Span<byte> destination);

    /// <summary>A storage over [offset, offset + length): a view for mapped files and buffers, a copy otherwise.</summary>
    protected abstract TensorStorage StorageCore(long offset, int length);

    public CheckpointFormatException Error(string problem, Exception? inner = null) => new(Name, problem, inner);

    public void Read(long offset, Span<byte> destination, string what)
    {
        CheckRange(offset, destination.Length, what);
        ReadCore(offset, destination);
    }

    public byte[] ReadArray(long offset, long length, string what)
    {
        CheckRange(offset, length, what);
        if (length > Array.MaxLength) throw Error($"{what} is {length} bytes, more than this reader can hold in memory.");
        var bytes = new byte[length];
        ReadCore(offset, bytes);
        return bytes;
    }

    public TensorStorage Storage(long offset, long length, string what)
    {
        CheckRange(offset, length, what);
        if (length > int.MaxValue)
            throw Error($"{what} is {length} bytes; HubHost.Nn storages are limited to {int.MaxValue} bytes.");
        return StorageCore(offset, (int)length);
    }

    public void CheckRange(long offset, long length, string what)
    {
        if (offset < 0 || length < 0 || offset > Length || length > Length - offset)
            throw Error($"{what} (bytes {offset}..{offset + length}) lies outside the file of {Length} bytes; the file is truncated or corrupt.");
    }

    public virtual void Dispose() { }

    /// <summary>Opens a file for reading in the given mode.</summary>
    public static ByteSource Open(string path, CheckpointReadMode mode)
    {
        ArgumentNullException.ThrowIfNull(path);
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.RandomAccess);
        try
        {
            long length = RandomAccess.GetLength(handle);
            ByteSource source = mode == CheckpointReadMode.MemoryMap && length > 0
                ? new MappedSource(path, new MappedFile(handle, length))
                : new CopiedFileSource(path, handle, length);
            handle.Dispose();
            return source;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }
}

/// <summary>
/// Copy mode: the whole file is read once into one <see cref="NativeBuffer"/> (a single large read, no
/// managed-heap churn); storages are slices of it, so the buffer lives as long as any tensor uses it.
/// </summary>
internal sealed unsafe class CopiedFileSource : ByteSource
{
    private readonly NativeBuffer _buffer;

    public CopiedFileSource(string name, SafeFileHandle handle, long length) : base(name)
    {
        _buffer = new NativeBuffer(length);
        long offset = 0;
        while (offset < length)
        {
            int chunk = (int)Math.Min(1 << 30, length - offset);
            int n = RandomAccess.Read(handle, new Span<byte>(_buffer.Pointer + offset, chunk), offset);
            if (n == 0) throw Error($"the file ended early at byte {offset} (was it changed while being read?).");
            offset += n;
        }
    }

    public override long Length => _buffer.Length;

    protected override void ReadCore(long offset, Span<byte> destination)
        => new ReadOnlySpan<byte>(_buffer.Pointer + offset, destination.Length).CopyTo(destination);

    protected override TensorStorage StorageCore(long offset, int length) => new NativeStorage(_buffer, offset, length);
}

/// <summary>
/// Native memory for a copied checkpoint, freed by the finalizer once no storage references it. Large
/// buffers are 2 MB-aligned and advised as transparent huge pages on Linux, so first touching them costs
/// a few hundred page faults instead of tens of thousands.
/// </summary>
internal sealed unsafe partial class NativeBuffer
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
            _ = Madvise(Pointer, size, 14 /* MADV_HUGEPAGE */); // advisory: failure only costs speed
        }
        else
        {
            Pointer = (byte*)NativeMemory.AlignedAlloc(size, 64);
        }
        _pressure = (long)size;
        GC.AddMemoryPressure(_pressure);
    }

    private readonly long _pressure;

    public byte* Pointer { get; }

    public long Length { get; }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);

    ~NativeBuffer()
    {
        NativeMemory.AlignedFree(Pointer);
        GC.RemoveMemoryPressure(_pressure);
    }
}

/// <summary>A tensor storage viewing a slice of a <see cref="NativeBuffer"/> (which it keeps alive).</summary>
internal sealed unsafe class NativeStorage(NativeBuffer buffer, long offset, int length) : TensorStorage
{
    public NativeBuffer Buffer { get; } = buffer;

    public override long ByteLength => length;

    public override Span<byte> Bytes => new(Buffer.Pointer + offset, length);
}

/// <summary>A byte array held in memory (a checkpoint read from a stream); storages view slices of it.</summary>
internal sealed class MemorySource(string name, byte[] buffer, int length) : ByteSource(name)
{
    public override long Length => length;

    protected override void ReadCore(long offset, Span<byte> destination)
        => buffer.AsSpan((int)offset, destination.Length).CopyTo(destination);

    protected override TensorStorage StorageCore(long offset, int length)
        => offset == 0 && length == buffer.Length ? new ArrayStorage<byte>(buffer) : new ArraySliceStorage(buffer, (int)offset, length);

    /// <summary>Reads a whole stream into memory (at most <see cref="Array.MaxLength"/> bytes).</summary>
    public static MemorySource FromStream(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.CanSeek)
        {
            long remaining = stream.Length - stream.Position;
            if (remaining > Array.MaxLength) throw new CheckpointFormatException(name, $"the stream holds {remaining} bytes, more than can be read into memory; load the file by path instead.");
            var bytes = GC.AllocateUninitializedArray<byte>((int)remaining);
            stream.ReadExactly(bytes);
            return new MemorySource(name, bytes, bytes.Length);
        }
        var memory = new MemoryStream();
        stream.CopyTo(memory);
        return new MemorySource(name, memory.GetBuffer(), (int)memory.Length);
    }
}

/// <summary>A storage viewing part of a managed byte array (shared by the tensors read from one buffer).</summary>
internal sealed class ArraySliceStorage(byte[] array, int offset, int length) : TensorStorage
{
    public override long ByteLength => length;

    public override Span<byte> Bytes => array.AsSpan(offset, length);
}

/// <summary>Storages are views of one memory mapping of the whole file.</summary>
internal sealed class MappedSource(string name, MappedFile file) : ByteSource(name)
{
    public override long Length => file.Length;

    protected override unsafe void ReadCore(long offset, Span<byte> destination)
        => new ReadOnlySpan<byte>(file.Pointer + offset, destination.Length).CopyTo(destination);

    private bool _sharedWithStorages;

    protected override TensorStorage StorageCore(long offset, int length)
    {
        _sharedWithStorages = true;
        return new MappedStorage(file, offset, length);
    }

    /// <summary>Unmaps at once when no storage was handed out (e.g. the header was bad); otherwise the GC decides.</summary>
    public override void Dispose()
    {
        if (!_sharedWithStorages) file.Release();
    }
}

/// <summary>
/// A copy-on-write memory mapping of a whole file. It is owned by the garbage collector: every
/// <see cref="MappedStorage"/> references it, and the finalizer unmaps the file once no tensor does.
/// </summary>
internal sealed unsafe class MappedFile
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private int _released;

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

    /// <summary>Unmaps the file; only for a mapping no storage references.</summary>
    public void Release()
    {
        Unmap();
        GC.SuppressFinalize(this);
    }

    private void Unmap()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }

    ~MappedFile() => Unmap();
}

/// <summary>
/// A tensor storage viewing a region of a <see cref="MappedFile"/>. It keeps the mapping alive; callers
/// hold the tensor (and so this storage) while they use a span of it, as with any tensor.
/// </summary>
internal sealed unsafe class MappedStorage(MappedFile file, long offset, int length) : TensorStorage
{
    public MappedFile File { get; } = file;

    public override long ByteLength => length;

    public override Span<byte> Bytes => new(File.Pointer + offset, length);
}
