using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using static TorchSharp.torch;

namespace HubHost.Checkpoints;

/// <summary>One file of a zip archive, as its central directory (whose header for it is at <c>CentralHeaderOffset</c>) describes it.</summary>
internal sealed record ZipEntry(string Name, int Method, long CompressedSize, long UncompressedSize, long LocalHeaderOffset, int Flags, uint Crc32, long CentralHeaderOffset);

/// <summary>
/// Reads a zip archive's central directory (zip64 included) from a <see cref="ByteSource"/>, so that stored
/// entries become tensor storages in place (mapped) or in one copy; deflated entries are inflated straight
/// into tensor memory. Every size and offset is checked against the file before use, and every entry's
/// bytes against its CRC-32 (as torch.load's miniz does).
/// </summary>
internal sealed class ZipReader
{
    private const uint EndOfCentralDirectory = 0x06054b50;
    private const uint Zip64EndOfCentralDirectory = 0x06064b50;
    private const uint Zip64Locator = 0x07064b50;
    private const uint CentralHeader = 0x02014b50;
    private const uint LocalHeader = 0x04034b50;

    private readonly ByteSource _source;
    private readonly Dictionary<string, ZipEntry> _byName;

    /// <summary>
    /// False only in the fuzz harness (fuzz/), so that afl's mutations of data.pkl and the records reach the
    /// parsers behind the checksum instead of all ending at it.
    /// </summary>
    internal static bool VerifyCrc = true;

    /// <summary>Stored entries handed out as storages whose CRC-32 <see cref="VerifyStoredCrcs"/> still has to check.</summary>
    private readonly List<(ZipEntry Entry, long Start)> _pendingCrcs = [];

    private ZipReader(ByteSource source, List<ZipEntry> entries)
    {
        _source = source;
        Entries = entries;
        _byName = new Dictionary<string, ZipEntry>(StringComparer.Ordinal);
        foreach (var e in entries) _byName.TryAdd(e.Name, e);
    }

    public IReadOnlyList<ZipEntry> Entries { get; }

    public static ZipReader Open(ByteSource source)
    {
        long length = source.Length;
        if (length < 22) throw source.Error($"the file is {length} bytes, too small to be a zip archive; it is truncated. Download or save it again.");
        int tail = (int)Math.Min(length, 22 + 65535);
        var end = source.ReadArray(length - tail, tail, "the end of the zip archive");
        int eocd = -1;
        for (int i = tail - 22; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(end.AsSpan(i)) == EndOfCentralDirectory && i + 22 + BinaryPrimitives.ReadUInt16LittleEndian(end.AsSpan(i + 20)) <= tail)
            {
                eocd = i;
                break;
            }
        }
        if (eocd < 0) throw source.Error("no zip end-of-central-directory record was found; the zip archive is truncated or corrupt. Download or save it again.");
        var record = end.AsSpan(eocd);
        long count = BinaryPrimitives.ReadUInt16LittleEndian(record[10..]);
        long cdSize = BinaryPrimitives.ReadUInt32LittleEndian(record[12..]);
        long cdOffset = BinaryPrimitives.ReadUInt32LittleEndian(record[16..]);
        long eocdPosition = length - tail + eocd;
        if (count == 0xFFFF || cdSize == 0xFFFFFFFF || cdOffset == 0xFFFFFFFF)
        {
            if (eocdPosition < 20) throw source.Error("the zip archive needs a zip64 record that is missing; it is corrupt. Download or save it again.");
            Span<byte> locator = stackalloc byte[20];
            source.Read(eocdPosition - 20, locator, "the zip64 locator");
            if (BinaryPrimitives.ReadUInt32LittleEndian(locator) != Zip64Locator)
                throw source.Error("the zip archive needs a zip64 locator that is missing; it is corrupt. Download or save it again.");
            long z64 = ToLong(source, BinaryPrimitives.ReadUInt64LittleEndian(locator[8..]));
            Span<byte> z = stackalloc byte[56];
            source.Read(z64, z, "the zip64 end-of-central-directory record");
            if (BinaryPrimitives.ReadUInt32LittleEndian(z) != Zip64EndOfCentralDirectory)
                throw source.Error("the zip64 end-of-central-directory record is missing; the archive is corrupt. Download or save it again.");
            count = ToLong(source, BinaryPrimitives.ReadUInt64LittleEndian(z[32..]));
            cdSize = ToLong(source, BinaryPrimitives.ReadUInt64LittleEndian(z[40..]));
            cdOffset = ToLong(source, BinaryPrimitives.ReadUInt64LittleEndian(z[48..]));
        }
        var cd = source.ReadArray(cdOffset, cdSize, "the zip central directory");
        if (count > cd.Length / 46) throw source.Error($"the zip archive claims {count} entries, more than its central directory of {cd.Length} bytes can hold; it is corrupt. Download or save it again.");
        var entries = new List<ZipEntry>((int)count);
        int p = 0;
        for (long i = 0; i < count; i++)
        {
            if (p + 46 > cd.Length || BinaryPrimitives.ReadUInt32LittleEndian(cd.AsSpan(p)) != CentralHeader)
                throw source.Error($"zip central directory entry {i} is malformed; the archive is corrupt. Download or save it again.");
            var h = cd.AsSpan(p);
            int flags = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
            int method = BinaryPrimitives.ReadUInt16LittleEndian(h[10..]);
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(h[16..]);
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(h[20..]);
            long uncompressed = BinaryPrimitives.ReadUInt32LittleEndian(h[24..]);
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(h[28..]);
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(h[30..]);
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(h[32..]);
            long localOffset = BinaryPrimitives.ReadUInt32LittleEndian(h[42..]);
            if (p + 46 + nameLength + extraLength + commentLength > cd.Length)
                throw source.Error($"zip central directory entry {i} runs past the directory; the archive is corrupt. Download or save it again.");
            string name = Encoding.UTF8.GetString(h.Slice(46, nameLength));
            var extra = h.Slice(46 + nameLength, extraLength);
            if (uncompressed == 0xFFFFFFFF || compressed == 0xFFFFFFFF || localOffset == 0xFFFFFFFF)
            {
                // zip64 extended information: the fields that overflowed, in this order.
                int q = 0;
                bool found = false;
                while (q + 4 <= extra.Length)
                {
                    int id = BinaryPrimitives.ReadUInt16LittleEndian(extra[q..]);
                    int size = BinaryPrimitives.ReadUInt16LittleEndian(extra[(q + 2)..]);
                    if (q + 4 + size > extra.Length) break;
                    if (id == 1)
                    {
                        var data = extra.Slice(q + 4, size);
                        int d = 0;
                        if (uncompressed == 0xFFFFFFFF && d + 8 <= size) { uncompressed = ToLong(source, BinaryPrimitives.ReadUInt64LittleEndian(data[d..])); d += 8; }
                        if (compressed == 0xFFFFFFFF && d + 8 <= size) { compressed = ToLong(source, BinaryPrimitives.ReadUInt64LittleEndian(data[d..])); d += 8; }
                        if (localOffset == 0xFFFFFFFF && d + 8 <= size) { localOffset = ToLong(source, BinaryPrimitives.ReadUInt64LittleEndian(data[d..])); }
                        found = true;
                        break;
                    }
                    q += 4 + size;
                }
                if (!found) throw source.Error($"zip entry '{name}' needs zip64 sizes that are missing; the archive is corrupt. Download or save it again.");
            }
            entries.Add(new ZipEntry(name, method, compressed, uncompressed, localOffset, flags, crc, cdOffset + p));
            p += 46 + nameLength + extraLength + commentLength;
        }
        return new ZipReader(source, entries);
    }

    private static long ToLong(ByteSource source, ulong value)
        => value <= long.MaxValue ? (long)value : throw source.Error($"a zip64 size or offset of {value} is impossible; the archive is corrupt. Download or save it again.");

    public ZipEntry? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Where the entry's (possibly compressed) bytes start, from its local header.</summary>
    public long DataOffset(ZipEntry entry)
    {
        Span<byte> local = stackalloc byte[30];
        _source.Read(entry.LocalHeaderOffset, local, $"the local header of zip entry '{entry.Name}'");
        if (BinaryPrimitives.ReadUInt32LittleEndian(local) != LocalHeader)
            throw _source.Error($"zip entry '{entry.Name}' has no local header at byte {entry.LocalHeaderOffset}; the archive is corrupt. Download or save it again.");
        long start = entry.LocalHeaderOffset + 30 + BinaryPrimitives.ReadUInt16LittleEndian(local[26..]) + BinaryPrimitives.ReadUInt16LittleEndian(local[28..]);
        _source.CheckRange(start, entry.CompressedSize, $"the data of zip entry '{entry.Name}'");
        if ((entry.Flags & 1) != 0) throw _source.Error($"zip entry '{entry.Name}' is encrypted; encrypted archives are not supported. Save the checkpoint again with torch.save.");
        if (entry.Method == 0 && entry.CompressedSize != entry.UncompressedSize)
            throw _source.Error($"stored zip entry '{entry.Name}' has compressed size {entry.CompressedSize} but uncompressed size {entry.UncompressedSize}; the archive is corrupt. Download or save it again.");
        if (entry.Method is not (0 or 8))
            throw _source.Error($"zip entry '{entry.Name}' uses compression method {entry.Method}; only stored (0) and deflated (8) entries are supported. Save the checkpoint again with torch.save.");
        return start;
    }

    /// <summary>
    /// The entry as a 1-D tensor of <paramref name="numel"/> elements: a view of (or one copy from) the file
    /// for stored entries, inflated straight into tensor memory for deflated ones. The whole entry's CRC-32
    /// is checked.
    /// </summary>
    public Tensor Storage(ZipEntry entry, long numel, ScalarType dtype)
    {
        string what = $"storage record '{entry.Name}'";
        long length = _source.StorageBytes(numel, dtype, what);
        if (entry.UncompressedSize < length)
            throw _source.Error($"{what} has {entry.UncompressedSize} bytes but its tensors need {length}; the checkpoint is truncated or corrupt. Download or save it again.");
        long start = DataOffset(entry);
        var crc = new Crc32();
        Tensor tensor;
        if (entry.Method == 0 && !_source.CopiesFromFile)
        {
            // The bytes are in memory (mapped, a stream's buffer): checked later, all stored records at once
            // and in parallel, by VerifyStoredCrcs.
            tensor = _source.Storage(start, numel, dtype, what);
            lock (_pendingCrcs) _pendingCrcs.Add((entry, start));
            return tensor;
        }
        if (entry.Method == 0)
        {
            // Copied from the file: hashed chunk by chunk as each chunk arrives, while it is in cache.
            tensor = _source.Storage(start, numel, dtype, what, crc);
            if (entry.UncompressedSize > length) _source.AppendTo(crc, start + length, entry.UncompressedSize - length);
        }
        else
        {
            tensor = TensorMemory.Empty(numel, dtype);
            try
            {
                Inflate(entry, start, tensor, length, crc);
            }
            catch
            {
                tensor.Dispose();
                throw;
            }
        }
        try
        {
            CheckCrc(entry, crc);
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
        return tensor;
    }

    /// <summary>The whole entry's bytes (data.pkl, small records), CRC-checked.</summary>
    public byte[] ReadAll(ZipEntry entry)
    {
        long start = DataOffset(entry);
        byte[] bytes;
        var crc = new Crc32();
        if (entry.Method == 0)
        {
            bytes = _source.ReadArray(start, entry.UncompressedSize, $"zip entry '{entry.Name}'");
            crc.Append(bytes);
        }
        else
        {
            CheckInflatable(entry, entry.UncompressedSize);
            bytes = new byte[entry.UncompressedSize];
            unsafe
            {
                fixed (byte* p = bytes) Inflate(entry, start, p, bytes.Length, crc);
            }
        }
        CheckCrc(entry, crc);
        return bytes;
    }

    /// <summary>
    /// Checks the CRC-32 of every stored entry <see cref="Storage"/> handed out as a view of a source that holds
    /// the file in memory (mapped, a stream's buffer), reading the bytes the storages view: entries are hashed on several threads
    /// when there is enough to share (CRC-32 runs at a few GB/s per core: 100 MB is 20-40 ms on one).
    /// </summary>
    /// <exception cref="CheckpointFormatException">An entry's bytes do not match its CRC-32 (the first such entry in archive order).</exception>
    public void VerifyStoredCrcs()
    {
        var pending = _pendingCrcs.ToArray();
        _pendingCrcs.Clear();
        if (!VerifyCrc || pending.Length == 0) return;
        var actual = new uint[pending.Length];
        void Hash(int i)
        {
            var crc = new Crc32();
            _source.AppendTo(crc, pending[i].Start, pending[i].Entry.UncompressedSize);
            actual[i] = crc.GetCurrentHashAsUInt32();
        }
        long total = pending.Sum(p => p.Entry.UncompressedSize);
        if (total >= 16 << 20 && pending.Length > 1 && Environment.ProcessorCount > 1) Parallel.For(0, pending.Length, Hash);
        else for (int i = 0; i < pending.Length; i++) Hash(i);
        for (int i = 0; i < pending.Length; i++) CheckCrc(pending[i].Entry, actual[i]);
    }

    /// <summary>
    /// Checks the whole entry against its CRC-32 without keeping its bytes: a stored entry is hashed where it lies, a
    /// deflated one inflated through the checksum, and must inflate to exactly its declared size (as miniz, libtorch's
    /// zip reader, requires).
    /// </summary>
    public void CheckEntryCrc(ZipEntry entry)
    {
        long start = DataOffset(entry);
        var crc = new Crc32();
        if (entry.Method == 0)
        {
            if (VerifyCrc) _source.AppendTo(crc, start, entry.UncompressedSize);
        }
        else
        {
            CheckInflatable(entry, entry.UncompressedSize);
            var compressed = _source.ReadArray(start, entry.CompressedSize, $"zip entry '{entry.Name}'");
            long filled = 0;
            try
            {
                using var inflater = new DeflateStream(new MemoryStream(compressed), CompressionMode.Decompress);
                var buffer = new byte[64 << 10];
                int n;
                while ((n = inflater.Read(buffer, 0, (int)Math.Min(buffer.Length, entry.UncompressedSize + 1 - filled))) > 0)
                {
                    filled += n;
                    if (filled > entry.UncompressedSize) break;
                    crc.Append(buffer.AsSpan(0, n));
                }
            }
            catch (InvalidDataException e)
            {
                throw _source.Error($"zip entry '{entry.Name}' is not valid deflate data ({e.Message}); the archive is corrupt. Download or save it again.", e);
            }
            if (filled != entry.UncompressedSize)
                throw _source.Error($"zip entry '{entry.Name}' inflates to {(filled > entry.UncompressedSize ? "more than" : $"only {filled} of")} its declared {entry.UncompressedSize} bytes; the archive is corrupt. Download or save it again.");
        }
        CheckCrc(entry, crc);
    }

    private void CheckCrc(ZipEntry entry, Crc32 crc) => CheckCrc(entry, crc.GetCurrentHashAsUInt32());

    private void CheckCrc(ZipEntry entry, uint actual)
    {
        if (!VerifyCrc) return;
        if (actual != entry.Crc32)
            throw _source.Error($"zip entry '{entry.Name}' fails its CRC-32 check (the archive records {entry.Crc32:x8}, its bytes give {actual:x8}): the file was damaged after it was written (an incomplete download, a bad disk or an edit). Download or save it again.");
    }

    private void CheckInflatable(ZipEntry entry, long length)
    {
        // Deflate expands at most ~1032:1; a larger claim is a lie, refused before allocating.
        if (length > Array.MaxLength || length > entry.CompressedSize * 1100 + 1024 || entry.UncompressedSize > entry.CompressedSize * 1100 + 1024)
            throw _source.Error($"deflated zip entry '{entry.Name}' claims {entry.UncompressedSize} bytes from {entry.CompressedSize} compressed, more than deflate can produce; the archive is corrupt. Download or save it again.");
    }

    private unsafe void Inflate(ZipEntry entry, long start, Tensor destination, long length, Crc32 crc)
    {
        CheckInflatable(entry, length);
        byte* data = TensorMemory.Data(destination);
        ByteSource.AdviseHugePages(data, length);
        Inflate(entry, start, data, length, crc);
        GC.KeepAlive(destination);
    }

    /// <summary>
    /// Inflates the entry's first <paramref name="length"/> bytes into <paramref name="destination"/>, then
    /// the rest of it (up to its declared size) only through the CRC.
    /// </summary>
    private unsafe void Inflate(ZipEntry entry, long start, byte* destination, long length, Crc32 crc)
    {
        var compressed = _source.ReadArray(start, entry.CompressedSize, $"zip entry '{entry.Name}'");
        long filled = 0;
        try
        {
            using var inflater = new DeflateStream(new MemoryStream(compressed), CompressionMode.Decompress);
            while (filled < length)
            {
                var span = new Span<byte>(destination + filled, (int)Math.Min(1 << 30, length - filled));
                int n = inflater.Read(span);
                if (n == 0) throw new EndOfStreamException($"inflated only {filled} bytes");
                crc.Append(span[..n]);
                filled += n;
            }
            // The rest of the entry (beyond what tensors use) still counts for the CRC.
            var rest = new byte[64 << 10];
            while (filled < entry.UncompressedSize)
            {
                int n = inflater.Read(rest, 0, (int)Math.Min(rest.Length, entry.UncompressedSize - filled));
                if (n == 0) break;
                crc.Append(rest.AsSpan(0, n));
                filled += n;
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw _source.Error($"zip entry '{entry.Name}' does not inflate to its declared {length} bytes ({e.Message}); the archive is corrupt. Download or save it again.", e);
        }
    }
}
