using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace HubHost.Nn.Checkpoints;

/// <summary>One file of a zip archive, as its central directory describes it.</summary>
internal sealed record ZipEntry(string Name, int Method, long CompressedSize, long UncompressedSize, long LocalHeaderOffset, int Flags);

/// <summary>
/// Reads a zip archive's central directory (zip64 included) from a <see cref="ByteSource"/>, so that stored
/// entries can be memory-mapped in place; deflated entries are inflated into memory. Every size and offset
/// is checked against the file before use.
/// </summary>
internal sealed class ZipReader
{
    private const uint EndOfCentralDirectory = 0x06054b50;
    private const uint Zip64EndOfCentralDirectory = 0x06064b50;
    private const uint Zip64Locator = 0x07064b50;
    private const uint CentralHeader = 0x02014b50;
    private const uint LocalHeader = 0x04034b50;

    private readonly ByteSource _source;

    private ZipReader(ByteSource source, List<ZipEntry> entries)
    {
        _source = source;
        Entries = entries;
    }

    public IReadOnlyList<ZipEntry> Entries { get; }

    public static ZipReader Open(ByteSource source)
    {
        long length = source.Length;
        if (length < 22) throw source.Error($"the file is {length} bytes, too small to be a zip archive; it is truncated.");
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
        if (eocd < 0) throw source.Error("no zip end-of-central-directory record was found; the zip archive is truncated or corrupt.");
        var record = end.AsSpan(eocd);
        long count = BinaryPrimitives.ReadUInt16LittleEndian(record[10..]);
        long cdSize = BinaryPrimitives.ReadUInt32LittleEndian(record[12..]);
        long cdOffset = BinaryPrimitives.ReadUInt32LittleEndian(record[16..]);
        long eocdPosition = length - tail + eocd;
        if (count == 0xFFFF || cdSize == 0xFFFFFFFF || cdOffset == 0xFFFFFFFF)
        {
            if (eocdPosition < 20) throw source.Error("the zip archive needs a zip64 record that is missing; it is corrupt.");
            Span<byte> locator = stackalloc byte[20];
            source.Read(eocdPosition - 20, locator, "the zip64 locator");
            if (BinaryPrimitives.ReadUInt32LittleEndian(locator) != Zip64Locator)
                throw source.Error("the zip archive needs a zip64 locator that is missing; it is corrupt.");
            long z64 = checked((long)BinaryPrimitives.ReadUInt64LittleEndian(locator[8..]));
            Span<byte> z = stackalloc byte[56];
            source.Read(z64, z, "the zip64 end-of-central-directory record");
            if (BinaryPrimitives.ReadUInt32LittleEndian(z) != Zip64EndOfCentralDirectory)
                throw source.Error("the zip64 end-of-central-directory record is missing; the archive is corrupt.");
            count = ToLong(source, BinaryPrimitives.ReadUInt64LittleEndian(z[32..]));
            cdSize = ToLong(source, BinaryPrimitives.ReadUInt64LittleEndian(z[40..]));
            cdOffset = ToLong(source, BinaryPrimitives.ReadUInt64LittleEndian(z[48..]));
        }
        var cd = source.ReadArray(cdOffset, cdSize, "the zip central directory");
        if (count > cd.Length / 46) throw source.Error($"the zip archive claims {count} entries, more than its central directory of {cd.Length} bytes can hold; it is corrupt.");
        var entries = new List<ZipEntry>((int)count);
        int p = 0;
        for (long i = 0; i < count; i++)
        {
            if (p + 46 > cd.Length || BinaryPrimitives.ReadUInt32LittleEndian(cd.AsSpan(p)) != CentralHeader)
                throw source.Error($"zip central directory entry {i} is malformed; the archive is corrupt.");
            var h = cd.AsSpan(p);
            int flags = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
            int method = BinaryPrimitives.ReadUInt16LittleEndian(h[10..]);
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(h[20..]);
            long uncompressed = BinaryPrimitives.ReadUInt32LittleEndian(h[24..]);
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(h[28..]);
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(h[30..]);
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(h[32..]);
            long localOffset = BinaryPrimitives.ReadUInt32LittleEndian(h[42..]);
            if (p + 46 + nameLength + extraLength + commentLength > cd.Length)
                throw source.Error($"zip central directory entry {i} runs past the directory; the archive is corrupt.");
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
                if (!found) throw source.Error($"zip entry '{name}' needs zip64 sizes that are missing; the archive is corrupt.");
            }
            entries.Add(new ZipEntry(name, method, compressed, uncompressed, localOffset, flags));
            p += 46 + nameLength + extraLength + commentLength;
        }
        return new ZipReader(source, entries);
    }

    private static long ToLong(ByteSource source, ulong value)
        => value <= long.MaxValue ? (long)value : throw source.Error($"a zip64 size or offset of {value} is impossible; the archive is corrupt.");

    public ZipEntry? Find(string name) => Entries.FirstOrDefault(e => e.Name == name);

    /// <summary>Where the entry's (possibly compressed) bytes start, from its local header.</summary>
    public long DataOffset(ZipEntry entry)
    {
        Span<byte> local = stackalloc byte[30];
        _source.Read(entry.LocalHeaderOffset, local, $"the local header of zip entry '{entry.Name}'");
        if (BinaryPrimitives.ReadUInt32LittleEndian(local) != LocalHeader)
            throw _source.Error($"zip entry '{entry.Name}' has no local header at byte {entry.LocalHeaderOffset}; the archive is corrupt.");
        long start = entry.LocalHeaderOffset + 30 + BinaryPrimitives.ReadUInt16LittleEndian(local[26..]) + BinaryPrimitives.ReadUInt16LittleEndian(local[28..]);
        _source.CheckRange(start, entry.CompressedSize, $"the data of zip entry '{entry.Name}'");
        if ((entry.Flags & 1) != 0) throw _source.Error($"zip entry '{entry.Name}' is encrypted; encrypted archives are not supported.");
        if (entry.Method == 0 && entry.CompressedSize != entry.UncompressedSize)
            throw _source.Error($"stored zip entry '{entry.Name}' has compressed size {entry.CompressedSize} but uncompressed size {entry.UncompressedSize}; the archive is corrupt.");
        if (entry.Method is not (0 or 8))
            throw _source.Error($"zip entry '{entry.Name}' uses compression method {entry.Method}; only stored (0) and deflated (8) entries are supported.");
        return start;
    }

    /// <summary>
    /// The first <paramref name="length"/> bytes of an entry as a tensor storage: a view of the file for
    /// stored entries, an inflated copy for deflated ones.
    /// </summary>
    public TensorStorage Storage(ZipEntry entry, long length)
    {
        if (entry.UncompressedSize < length)
            throw _source.Error($"storage record '{entry.Name}' has {entry.UncompressedSize} bytes but its tensors need {length}; the checkpoint is truncated or corrupt.");
        long start = DataOffset(entry);
        if (entry.Method == 0) return _source.Storage(start, length, $"storage record '{entry.Name}'");
        return new ArrayStorage<byte>(Inflate(entry, start, length));
    }

    /// <summary>The whole entry's bytes (used for data.pkl when it is deflated, and small records).</summary>
    public byte[] ReadAll(ZipEntry entry)
    {
        long start = DataOffset(entry);
        return entry.Method == 0 ? _source.ReadArray(start, entry.UncompressedSize, $"zip entry '{entry.Name}'") : Inflate(entry, start, entry.UncompressedSize);
    }

    private byte[] Inflate(ZipEntry entry, long start, long length)
    {
        // Deflate expands at most ~1032:1; a larger claim is a lie, refused before allocating.
        if (length > Array.MaxLength || length > entry.CompressedSize * 1100 + 1024)
            throw _source.Error($"deflated zip entry '{entry.Name}' claims {length} bytes from {entry.CompressedSize} compressed; the archive is corrupt.");
        var compressed = _source.ReadArray(start, entry.CompressedSize, $"zip entry '{entry.Name}'");
        // Grow the output as inflated bytes actually arrive, so a lying size claim costs nothing.
        var result = GC.AllocateUninitializedArray<byte>((int)Math.Min(length, 1 << 20));
        int filled = 0;
        try
        {
            using var inflater = new DeflateStream(new MemoryStream(compressed), CompressionMode.Decompress);
            while (filled < length)
            {
                if (filled == result.Length) Array.Resize(ref result, (int)Math.Min(length, (long)result.Length * 2));
                int n = inflater.Read(result, filled, result.Length - filled);
                if (n == 0) throw new EndOfStreamException($"inflated only {filled} bytes");
                filled += n;
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw _source.Error($"zip entry '{entry.Name}' does not inflate to its declared {length} bytes ({e.Message}); the archive is corrupt.", e);
        }
        return result;
    }
}
