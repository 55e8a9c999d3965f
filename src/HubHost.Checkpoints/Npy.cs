using System.Buffers.Binary;
using System.Globalization;
using System.Text;

using static TorchSharp.torch;

using HubHost.Storage;

namespace HubHost.Checkpoints;

/// <summary>
/// Reads and writes numpy .npy arrays as TorchSharp tensors (format versions 1.0, 2.0 and 3.0; little-endian
/// f4, f8, f2, c8, c16, i8, i4, i2, i1, u1 and b1). Fortran-order arrays are read as column-major views.
/// </summary>
public static class Npy
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads an array (its bytes copied straight into tensor memory).</summary>
    /// <param name="path">The .npy file.</param>
    /// <returns>The array as a tensor of the same dtype and shape (a column-major view for Fortran order).</returns>
    /// <exception cref="CheckpointFormatException">The file is not a supported .npy array.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static Tensor Load(string path)
    {
        using var source = ByteSource.Open(path, CheckpointReadMode.Copy);
        return Read(source);
    }

    internal static Tensor Read(ByteSource source)
    {
        if (source.Length < 10) throw source.Error($"the file is {source.Length} bytes, too small for a .npy header; it is truncated.");
        Span<byte> prefix = stackalloc byte[12];
        prefix = prefix[..(int)Math.Min(12, source.Length)];
        source.Read(0, prefix, "the .npy preamble");
        if (!prefix[..6].SequenceEqual(Magic)) throw source.Error("the file does not start with the .npy magic \\x93NUMPY; it is not a numpy array file.");
        int major = prefix[6];
        long headerLength;
        int headerStart;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]);
            headerStart = 10;
        }
        else if (major is 2 or 3)
        {
            if (prefix.Length < 12) throw source.Error("the .npy preamble is truncated.");
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
            headerStart = 12;
        }
        else throw source.Error($".npy format version {major}.{prefix[7]} is not supported (1.0, 2.0 and 3.0 are).");
        if (headerLength > 1_000_000) throw source.Error($"the .npy header claims {headerLength} bytes; the file is corrupt.");
        var headerBytes = source.ReadArray(headerStart, headerLength, "the .npy header");
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);

        var (descr, fortran, shape) = ParseHeader(source, header);
        var dtype = DTypes.FromNumpy(descr)
            ?? throw source.Error($"the array's dtype '{descr}' is not supported (supported: {DTypes.NumpyNames}); convert it in numpy (e.g. a.astype('<f4')) and save it again.");
        long elements = 1;
        long bytes;
        try
        {
            foreach (var d in shape) elements = checked(elements * d);
            bytes = checked(elements * DTypes.Size(dtype));
        }
        catch (OverflowException)
        {
            throw source.Error($"the array's shape ({string.Join(", ", shape)}) overflows 64-bit sizes; the file is corrupt.");
        }
        long dataStart = headerStart + headerLength;
        if (source.Length - dataStart != bytes)
            throw source.Error($"the array ({descr}, shape ({string.Join(", ", shape)})) needs {bytes} bytes of data but the file has {source.Length - dataStart}; it is truncated or corrupt.");
        using var storage = source.Storage(dataStart, elements, dtype, "the array data");
        long[] strides;
        if (fortran)
        {
            strides = new long[shape.Length];
            long s = 1;
            for (int i = 0; i < shape.Length; i++) { strides[i] = s; s *= Math.Max(shape[i], 1); }
        }
        else strides = Safetensors.ContiguousStrides(shape);
        return storage.as_strided(shape, strides, 0);
    }

    /// <summary>Parses the header dict: {'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }.</summary>
    private static (string Descr, bool Fortran, long[] Shape) ParseHeader(ByteSource source, string header)
    {
        string? descr = null;
        bool? fortran = null;
        long[]? shape = null;
        int p = 0;
        void Skip() { while (p < header.Length && char.IsWhiteSpace(header[p])) p++; }
        CheckpointFormatException Bad(string what) => source.Error($"the .npy header {what}: {header.Trim()}");
        void Expect(char c) { Skip(); if (p >= header.Length || header[p] != c) throw Bad($"expected '{c}' at character {p}"); p++; }
        string ReadString()
        {
            Skip();
            if (p >= header.Length || header[p] is not ('\'' or '"')) throw Bad($"expected a string at character {p}");
            char quote = header[p++];
            int start = p;
            while (p < header.Length && header[p] != quote) p++;
            if (p >= header.Length) throw Bad("has an unterminated string");
            return header[start..p++];
        }
        Expect('{');
        while (true)
        {
            Skip();
            if (p < header.Length && header[p] == '}') break;
            string key = ReadString();
            Expect(':');
            Skip();
            switch (key)
            {
                case "descr":
                    descr = ReadString();
                    break;
                case "fortran_order":
                    if (header.AsSpan(p).StartsWith("True")) { fortran = true; p += 4; }
                    else if (header.AsSpan(p).StartsWith("False")) { fortran = false; p += 5; }
                    else throw Bad("has a fortran_order that is neither True nor False");
                    break;
                case "shape":
                    Expect('(');
                    var dims = new List<long>();
                    while (true)
                    {
                        Skip();
                        if (p < header.Length && header[p] == ')') { p++; break; }
                        int start = p;
                        while (p < header.Length && char.IsAsciiDigit(header[p])) p++;
                        if (!long.TryParse(header.AsSpan(start, p - start), NumberStyles.None, CultureInfo.InvariantCulture, out long d))
                            throw Bad("has a shape entry that is not a non-negative integer");
                        dims.Add(d);
                        Skip();
                        if (p < header.Length && header[p] == ',') p++;
                        if (dims.Count > 64) throw Bad("has more than 64 dimensions");
                    }
                    shape = dims.ToArray();
                    break;
                default:
                    throw Bad($"has an unexpected key '{key}'");
            }
            Skip();
            if (p < header.Length && header[p] == ',') p++;
        }
        if (descr is null || fortran is null || shape is null) throw Bad("lacks one of 'descr', 'fortran_order' and 'shape'");
        return (descr, fortran.Value, shape);
    }

    /// <summary>
    /// Writes a tensor as a .npy array (format 1.0, or 2.0 when the header needs it; C order, whatever the
    /// tensor's strides). bfloat16 has no numpy dtype and is refused. The file appears only once completely
    /// written.
    /// </summary>
    /// <param name="path">The file to write (replaced if it exists).</param>
    /// <param name="tensor">The tensor to write.</param>
    /// <exception cref="NotSupportedException">The tensor's dtype (bfloat16, quantized) has no numpy dtype.</exception>
    /// <exception cref="ArgumentException">The tensor's strides repeat a small storage into more than 1 GiB of values.</exception>
    public static void Save(string path, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensor);
        Native.TorchNative.EnsureLoaded();
        string descr = DTypes.Numpy(tensor.dtype)
            ?? throw new NotSupportedException($"{DTypes.Torch(tensor.dtype)} has no numpy dtype; convert the tensor (e.g. tensor.to(ScalarType.Float32)) before saving it as .npy.");
        TensorMemory.CheckNotHugelyRepeated(tensor, "The tensor", ".npy stores every value; save a slice that holds the data (e.g. tensor[0, 0] of a stride-0 broadcast) instead.");
        var dims = tensor.shape;
        string shape = dims.Length == 1 ? $"({dims[0]},)" : $"({string.Join(", ", dims)})";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        // Pad with spaces so the data starts on a 64-byte boundary, ending the header with a newline.
        int preamble = 10;
        int total = preamble + dict.Length + 1;
        int major = 1;
        if (total + (64 - total % 64) % 64 - preamble > ushort.MaxValue) { major = 2; preamble = 12; total = preamble + dict.Length + 1; }
        int padding = (64 - total % 64) % 64;
        var header = Encoding.ASCII.GetBytes(dict + new string(' ', padding) + "\n");
        AtomicFile.Write(path, stream =>
        {
            stream.Write(Magic);
            stream.WriteByte((byte)major);
            stream.WriteByte(0);
            Span<byte> length = stackalloc byte[4];
            if (major == 1) { BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length); stream.Write(length[..2]); }
            else { BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length); stream.Write(length); }
            stream.Write(header);
            Safetensors.WriteValues(stream, tensor);
        }, flushToDisk: false);
    }
}
