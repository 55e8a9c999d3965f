using System.IO.Compression;
using System.Text;
using System.Text.Json;
using HubHost.Checkpoints;
using HubHost.TorchScript;

namespace HubHost.Checkpoints.Tests;

/// <summary>Locates tests/fixtures from the test's output folder, and helpers to write bad files.</summary>
internal static class Fixtures
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "tests", "fixtures");
            if (Directory.Exists(System.IO.Path.Combine(candidate, "checkpoints"))) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/fixtures not found above {AppContext.BaseDirectory}.");
    });

    public static string Path(string relative) => System.IO.Path.Combine(Root.Value, relative);

    /// <summary>
    /// The TorchScript probe these tests load archives through (real child processes; passed archives are recorded in the
    /// test output folder, so a later run probes only new ones).
    /// </summary>
    public static ScriptProbe ScriptProbe { get; } = new(System.IO.Path.Combine(AppContext.BaseDirectory, "probe-hub"), TimeSpan.FromMinutes(2),
        Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, TimeProvider.System);

    public static JsonElement Json(string relative) => JsonDocument.Parse(File.ReadAllBytes(Path(relative))).RootElement;

    public static string TorchDType(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32", ScalarType.Float16 => "float16", ScalarType.BFloat16 => "bfloat16", ScalarType.Float64 => "float64",
        ScalarType.ComplexFloat32 => "complex64", ScalarType.ComplexFloat64 => "complex128",
        ScalarType.Int64 => "int64", ScalarType.Int32 => "int32", ScalarType.Int16 => "int16", ScalarType.Int8 => "int8", ScalarType.Byte => "uint8",
        ScalarType.Bool => "bool", _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>The tensor's values, row-major, little-endian (what PyTorch's t.contiguous().numpy().tobytes() gives).</summary>
    public static byte[] Bytes(Tensor t)
    {
        using var c = t.contiguous();
        return c.NumberOfElements == 0 ? [] : c.bytes.ToArray();
    }

    /// <summary>A tensor of the given dtype and shape filled with seeded random bytes (0/1 for bool).</summary>
    public static Tensor Random(ScalarType dtype, long[] shape, int seed)
    {
        HubHost.Native.TorchNative.EnsureLoaded();
        var t = torch.empty(shape, dtype);
        if (t.NumberOfElements == 0) return t;
        var bytes = new byte[t.NumberOfElements * t.ElementSize];
        new System.Random(seed).NextBytes(bytes);
        if (dtype == ScalarType.Bool) for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(bytes[i] & 1);
        if (dtype is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64 or ScalarType.ComplexFloat32 or ScalarType.ComplexFloat64)
            for (int i = 0; i < bytes.Length; i++) bytes[i] &= 0xBF; // no NaN patterns: values compare equal
        t.bytes = bytes;
        return t;
    }

    /// <summary>A float32 tensor of the given values and shape.</summary>
    public static Tensor F32(float[] values, long[] shape)
    {
        HubHost.Native.TorchNative.EnsureLoaded();
        return torch.tensor(values).reshape(shape);
    }

    /// <summary>Where the tensor's storage starts in memory: equal for tensors sharing one storage.</summary>
    public static nint StorageAddress(Tensor t) => TensorMemory.StorageData(t);

    /// <summary>The files described by expected.json (make_checkpoints.py) and expected_more.json (make_more_checkpoints.py).</summary>
    public static IEnumerable<JsonProperty> ExpectedFiles()
        => Json("checkpoints/expected.json").GetProperty("files").EnumerateObject()
            .Concat(Json("checkpoints/expected_more.json").GetProperty("files").EnumerateObject());

    public static long[] Longs(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt64()).ToArray();

    /// <summary>Rewrites a zip (e.g. a torch.save file), letting <paramref name="edit"/> rename, drop or change entries.</summary>
    public static void RewriteZip(string from, string to, Func<string, byte[], (string Name, byte[] Data)?> edit, CompressionLevel level = CompressionLevel.NoCompression)
    {
        using var input = ZipFile.OpenRead(from);
        using var output = ZipFile.Open(to, ZipArchiveMode.Create);
        foreach (var entry in input.Entries)
        {
            using var s = entry.Open();
            var ms = new MemoryStream();
            s.CopyTo(ms);
            var result = edit(entry.FullName, ms.ToArray());
            if (result is null) continue;
            var e = output.CreateEntry(result.Value.Name, level);
            using var w = e.Open();
            w.Write(result.Value.Data);
        }
    }
}

/// <summary>A temporary folder deleted after the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        FullName = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hubhost-ckpt-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(FullName);
    }

    public string FullName { get; }

    public string Path(string name) => System.IO.Path.Combine(FullName, name);

    public void Dispose()
    {
        try { Directory.Delete(FullName, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Writes pickle opcodes by hand, for malformed and hostile pickles.</summary>
internal sealed class PickleWriter
{
    private readonly MemoryStream _out = new();

    public PickleWriter Op(byte op) { _out.WriteByte(op); return this; }

    public PickleWriter Proto() => Op(0x80).Op(2);

    public PickleWriter Global(string module, string name) { Op((byte)'c'); Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n")); return this; }

    public PickleWriter Str(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        Op((byte)'X');
        Raw(BitConverter.GetBytes((uint)b.Length));
        return Raw(b);
    }

    public PickleWriter Long1(long v) { Op(0x8a).Op(8); return Raw(BitConverter.GetBytes(v)); }

    public PickleWriter Float(double v) { Op((byte)'G'); var b = BitConverter.GetBytes(v); Array.Reverse(b); return Raw(b); }

    public PickleWriter Int(int v) { Op((byte)'J'); return Raw(BitConverter.GetBytes(v)); }

    public PickleWriter Raw(byte[] b) { _out.Write(b); return this; }

    public PickleWriter Mark() => Op((byte)'(');

    public PickleWriter Tuple() => Op((byte)'t');

    public PickleWriter EmptyDict() => Op((byte)'}');

    public PickleWriter EmptyTuple() => Op((byte)')');

    public PickleWriter SetItem() => Op((byte)'s');

    public PickleWriter Reduce() => Op((byte)'R');

    public PickleWriter Stop() => Op((byte)'.');

    /// <summary>Pushes _rebuild_tensor_v2(storage(key, numel), offset, shape, stride, False, OrderedDict()).</summary>
    public PickleWriter Tensor(string key, int numel, int offset, int[] shape, int[] stride, string storageType = "FloatStorage")
    {
        Global("torch._utils", "_rebuild_tensor_v2").Mark();
        Mark().Str("storage").Global("torch", storageType).Str(key).Str("cpu").Int(numel).Tuple().Op((byte)'Q');
        Int(offset);
        Mark(); foreach (var s in shape) Int(s); Tuple();
        Mark(); foreach (var s in stride) Int(s); Tuple();
        Op(0x89).Global("collections", "OrderedDict").EmptyTuple().Reduce().Tuple().Reduce();
        return this;
    }

    public byte[] ToArray() => _out.ToArray();

    /// <summary>A torch.save-shaped zip: archive/data.pkl and archive/data/KEY records.</summary>
    public static void WriteTorchZip(string path, byte[] pickle, params (string Key, byte[] Data)[] records)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        void Add(string name, byte[] data)
        {
            using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
            s.Write(data);
        }
        Add("archive/data.pkl", pickle);
        foreach (var (key, data) in records) Add($"archive/data/{key}", data);
        Add("archive/version", "3\n"u8.ToArray());
    }
}
