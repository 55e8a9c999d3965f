using System.IO.Compression;
using System.Text;
using System.Text.Json;
using HubHost.Nn.Checkpoints;

namespace HubHost.Nn.Tests.Checkpoints;

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

    public static JsonElement Json(string relative) => JsonDocument.Parse(File.ReadAllBytes(Path(relative))).RootElement;

    public static string TorchDType(DType dtype) => dtype switch
    {
        DType.Float32 => "float32", DType.Float16 => "float16", DType.BFloat16 => "bfloat16", DType.Float64 => "float64",
        DType.Int64 => "int64", DType.Int32 => "int32", DType.Int16 => "int16", DType.Int8 => "int8", DType.UInt8 => "uint8",
        DType.Bool => "bool", _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

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
