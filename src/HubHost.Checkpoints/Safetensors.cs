using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

using static TorchSharp.torch;

using HubHost.Storage;

namespace HubHost.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format (huggingface/safetensors) with TorchSharp tensors: an 8-byte
/// little-endian header size, a UTF-8 JSON header, then the tensors' bytes. Reading validates the file exactly
/// as the reference implementation's <c>SafeTensors::deserialize</c> does; writing produces the reference's
/// layout.
/// </summary>
public static class Safetensors
{
    /// <summary>The largest header the reference implementation accepts (100,000,000 bytes).</summary>
    internal const int MaxHeaderSize = 100_000_000;

    /// <summary>The key in the header that holds free-form string metadata.</summary>
    internal const string MetadataKey = "__metadata__";

    /// <summary>Reads every tensor of a safetensors file (memory-mapped), in the order of their data in the file.</summary>
    /// <param name="path">The .safetensors file.</param>
    /// <returns>The tensors by name.</returns>
    /// <exception cref="CheckpointFormatException">The file is not valid safetensors.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static Dictionary<string, Tensor> Load(string path) => Load(path, CheckpointReadMode.MemoryMap);

    /// <summary>Reads every tensor of a safetensors file, memory-mapped or copied, in the order of their data in the file.</summary>
    /// <param name="path">The .safetensors file.</param>
    /// <param name="mode">Whether tensors view a memory map of the file or hold a copy of its bytes.</param>
    /// <returns>The tensors by name.</returns>
    /// <exception cref="CheckpointFormatException">The file is not valid safetensors.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static Dictionary<string, Tensor> Load(string path, CheckpointReadMode mode)
    {
        using var source = ByteSource.Open(path, mode);
        return Read(source, out _);
    }

    /// <summary>Reads the <c>__metadata__</c> string map of a safetensors file (empty when there is none); no tensor data is read.</summary>
    /// <param name="path">The .safetensors file.</param>
    /// <returns>The metadata strings by key.</returns>
    /// <exception cref="CheckpointFormatException">The file is not valid safetensors.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static IReadOnlyDictionary<string, string> LoadMetadata(string path)
    {
        using var source = ByteSource.Open(path, CheckpointReadMode.Copy); // only the header is read
        var header = ReadHeader(source);
        return header.Metadata ?? new Dictionary<string, string>();
    }

    internal sealed record Entry(string Name, ScalarType DType, long[] Shape, ulong Start, ulong End);

    internal sealed record Header(long DataStart, List<Entry> Entries, Dictionary<string, string>? Metadata);

    internal static Dictionary<string, Tensor> Read(ByteSource source, out Dictionary<string, string>? metadata)
    {
        var header = ReadHeader(source);
        metadata = header.Metadata;
        var result = new Dictionary<string, Tensor>(header.Entries.Count, StringComparer.Ordinal);
        try
        {
            foreach (var e in header.Entries)
            {
                long numel = (long)(e.End - e.Start) / DTypes.Size(e.DType);
                using var storage = source.Storage(header.DataStart + (long)e.Start, numel, e.DType, $"the data of tensor '{e.Name}'");
                result.Add(e.Name, storage.as_strided(e.Shape, ContiguousStrides(e.Shape), 0));
            }
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    internal static long[] ContiguousStrides(long[] shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= Math.Max(shape[i], 1);
        }
        return strides;
    }

    /// <summary>Parses and validates the header against the file's length (no tensor data is read).</summary>
    internal static Header ReadHeader(ByteSource source)
    {
        if (source.Length < 8)
            throw source.Error($"the file is {source.Length} bytes, too small for a safetensors header (HeaderTooSmall).");
        Span<byte> prefix = stackalloc byte[8];
        source.Read(0, prefix, "the header size");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > MaxHeaderSize)
            throw source.Error($"the safetensors header claims {n} bytes, more than the limit of {MaxHeaderSize} (HeaderTooLarge); the file is corrupt or not safetensors.");
        if ((long)n + 8 > source.Length)
            throw source.Error($"the safetensors header claims {n} bytes but the file has only {source.Length - 8} after the size field (InvalidHeaderLength); the file is truncated or corrupt.");
        var json = source.ReadArray(8, (long)n, "the safetensors header");
        if (!System.Text.Unicode.Utf8.IsValid(json))
            throw source.Error("the safetensors header is not valid UTF-8 (InvalidHeader).");

        var entries = new List<Entry>();
        Dictionary<string, string>? metadata = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw source.Error($"the safetensors header is a JSON {doc.RootElement.ValueKind}, not an object (InvalidHeaderDeserialization).");
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw source.Error($"the safetensors header names '{property.Name}' twice (InvalidHeaderDeserialization).");
                if (property.Name == MetadataKey)
                {
                    metadata = ParseMetadata(source, property.Value);
                    continue;
                }
                entries.Add(ParseEntry(source, property.Name, property.Value));
            }
        }
        catch (JsonException e)
        {
            throw source.Error($"the safetensors header is not valid JSON (InvalidHeaderDeserialization): {e.Message}", e);
        }

        // Validate as the reference does: sorted by offsets, contiguous from 0, sizes matching, covering the buffer.
        entries.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.End.CompareTo(b.End));
        ulong position = 0;
        foreach (var e in entries)
        {
            if (e.Start != position || e.End < e.Start)
                throw source.Error($"tensor '{e.Name}' has data_offsets [{e.Start}, {e.End}] but its data must start at {position} (InvalidOffset): offsets overlap, leave a gap or are reversed.");
            position = e.End;
            ulong bytes;
            try
            {
                bytes = (ulong)DTypes.Size(e.DType);
                foreach (var d in e.Shape) bytes = checked(bytes * (ulong)d);
            }
            catch (OverflowException)
            {
                throw source.Error($"tensor '{e.Name}' has shape [{string.Join(", ", e.Shape)}] whose size in bytes overflows 64 bits (ValidationOverflow); the file is corrupt.");
            }
            if (e.End - e.Start != bytes)
                throw source.Error($"tensor '{e.Name}' is {DTypes.Safetensors(e.DType)} with shape [{string.Join(", ", e.Shape)}], which is {bytes} bytes, but its data_offsets span {e.End - e.Start} (TensorInvalidInfo).");
        }
        ulong buffer = (ulong)(source.Length - 8) - n;
        if (position != buffer)
            throw source.Error($"the tensors' data_offsets cover {position} bytes but the data section has {buffer} (MetadataIncompleteBuffer); the file is truncated or has trailing bytes.");
        return new Header(8 + (long)n, entries, metadata);
    }

    private static Dictionary<string, string>? ParseMetadata(ByteSource source, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Object)
            throw source.Error($"'{MetadataKey}' must be an object of strings but is a JSON {value.ValueKind} (InvalidHeaderDeserialization).");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw source.Error($"'{MetadataKey}' entry '{p.Name}' must be a string but is a JSON {p.Value.ValueKind} (InvalidHeaderDeserialization).");
            map[p.Name] = p.Value.GetString()!;
        }
        return map;
    }

    private static Entry ParseEntry(ByteSource source, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw source.Error($"tensor '{name}' must be described by an object but is a JSON {value.ValueKind} (InvalidHeaderDeserialization).");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw source.Error($"tensor '{name}' has no string \"dtype\" (InvalidHeaderDeserialization).");
        string dtypeName = dtypeElement.GetString()!;
        var dtype = DTypes.FromSafetensors(dtypeName)
            ?? throw source.Error($"tensor '{name}' has dtype '{dtypeName}', which TorchSharp has no dtype for (supported: {DTypes.SafetensorsNames}). Convert it (e.g. to float16 or float32) before saving.");
        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw source.Error($"tensor '{name}' has no \"shape\" array (InvalidHeaderDeserialization).");
        var shape = new long[shapeElement.GetArrayLength()];
        int i = 0;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetUInt64(out ulong dim))
                throw source.Error($"tensor '{name}' has a shape entry {d.GetRawText()} that is not a non-negative integer (InvalidHeaderDeserialization).");
            if (dim > long.MaxValue)
                throw source.Error($"tensor '{name}' has a dimension of {dim}, too large (ValidationOverflow).");
            shape[i++] = (long)dim;
        }
        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw source.Error($"tensor '{name}' has no \"data_offsets\" pair [start, end] (InvalidHeaderDeserialization).");
        if (!offsets[0].TryGetUInt64(out ulong start) || !offsets[1].TryGetUInt64(out ulong end))
            throw source.Error($"tensor '{name}' has data_offsets {offsets.GetRawText()} that are not non-negative integers (InvalidHeaderDeserialization).");
        return new Entry(name, dtype, shape, start, end);
    }

    /// <summary>
    /// Writes tensors as safetensors, laid out as the reference writer does (sorted by descending dtype
    /// alignment, then name; header padded with spaces to a multiple of 8 bytes). Values are written in
    /// row-major order whatever the tensors' strides. The file is written to a temporary name and moved into
    /// place, so a failure never leaves a half-written file.
    /// </summary>
    /// <param name="path">The file to write (replaced if it exists).</param>
    /// <param name="tensors">Names and tensors; names must be unique and not <c>__metadata__</c>.</param>
    /// <param name="metadata">Optional free-form strings stored under <c>__metadata__</c>.</param>
    /// <exception cref="ArgumentException">A name is repeated or reserved, a tensor's dtype has no safetensors name (complex128, quantized), or a tensor's strides repeat a small storage into more than 1 GiB of values.</exception>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        Native.TorchNative.EnsureLoaded();
        var list = new List<KeyValuePair<string, Tensor>>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pair in tensors)
        {
            if (pair.Key is null || pair.Value is null) throw new ArgumentException("Tensor names and tensors must not be null.", nameof(tensors));
            if (pair.Key == MetadataKey) throw new ArgumentException($"A tensor cannot be named '{MetadataKey}'.", nameof(tensors));
            if (!names.Add(pair.Key)) throw new ArgumentException($"Tensor name '{pair.Key}' appears twice.", nameof(tensors));
            TensorMemory.CheckNotHugelyRepeated(pair.Value, $"Tensor '{pair.Key}'", "safetensors stores every value; save a slice that holds the data (e.g. tensor[0, 0] of a stride-0 broadcast) and broadcast it again after loading.");
            if (DTypes.Safetensors(pair.Value.dtype) is null)
                throw new ArgumentException($"Tensor '{pair.Key}' is {DTypes.Torch(pair.Value.dtype)}, which safetensors has no dtype for (it has {DTypes.SafetensorsNames}); convert it first.", nameof(tensors));
            list.Add(pair);
        }
        list.Sort((a, b) =>
        {
            int byDType = DTypes.SafetensorsRank(b.Value.dtype).CompareTo(DTypes.SafetensorsRank(a.Value.dtype));
            return byDType != 0 ? byDType : string.CompareOrdinal(a.Key, b.Key);
        });

        var header = new MemoryStream();
        using (var writer = new Utf8JsonWriter(header, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (metadata is not null)
            {
                writer.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata) writer.WriteString(k, v);
                writer.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in list)
            {
                long bytes = checked(tensor.NumberOfElements * DTypes.Size(tensor.dtype));
                writer.WriteStartObject(name);
                writer.WriteString("dtype", DTypes.Safetensors(tensor.dtype));
                writer.WriteStartArray("shape");
                foreach (var d in tensor.shape) writer.WriteNumberValue(d);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + bytes);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += bytes;
            }
            writer.WriteEndObject();
        }
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');

        AtomicFile.Write(path, stream =>
        {
            Span<byte> size = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(size, (ulong)header.Length);
            stream.Write(size);
            stream.Write(header.GetBuffer(), 0, (int)header.Length);
            foreach (var (_, tensor) in list) WriteValues(stream, tensor);
        }, flushToDisk: false);
    }

    /// <summary>Writes a tensor's values row-major, straight from its memory when it is contiguous.</summary>
    internal static void WriteValues(Stream stream, Tensor tensor)
    {
        if (tensor.device_type != TorchSharp.DeviceType.CPU)
        {
            using var cpu = tensor.cpu();
            WriteValues(stream, cpu);
            return;
        }
        TensorMemory.ForEachValueSpan(tensor, stream.Write);
    }
}
