using System.Text;
using HubHost.Checkpoints;

namespace HubHost.Checkpoints.Tests;

public class SafetensorsTests
{
    private static Tensor Make(ScalarType dtype, long[] shape, int seed) => Fixtures.Random(dtype, shape, seed);

    private static byte[] F32(params float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    private static byte[] File(string header, byte[] data, ulong? claimedSize = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        return BitConverter.GetBytes(claimedSize ?? (ulong)h.Length).Concat(h).Concat(data).ToArray();
    }

    [Theory]
    [InlineData(CheckpointReadMode.MemoryMap)]
    [InlineData(CheckpointReadMode.Copy)]
    public void Round_trip_keeps_every_dtype_shape_value_and_metadata(CheckpointReadMode mode)
    {
        using var dir = new TempDir();
        var tensors = new Dictionary<string, Tensor>();
        int seed = 0;
        foreach (var dtype in DTypes.All.Where(d => d != ScalarType.ComplexFloat64))
        {
            tensors.Add($"t.{dtype}", Make(dtype, [3, 5], seed++));
            tensors.Add($"s.{dtype}", Make(dtype, [], seed++));
            tensors.Add($"e.{dtype}", Make(dtype, [0, 2], seed++));
        }
        var transposed = Make(ScalarType.Float32, [4, 3], 99);
        tensors.Add("transposed", transposed.t());
        tensors.Add("strided", Make(ScalarType.Int16, [5, 6], 98).as_strided([2, 3], [7, 2], 3));
        var path = dir.Path("all.safetensors");
        Safetensors.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode" });

        var back = Safetensors.Load(path, mode);
        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), back.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(t.dtype, back[name].dtype);
            Assert.Equal(t.shape, back[name].shape);
            Assert.Equal(Fixtures.Bytes(t), Fixtures.Bytes(back[name]));
            Assert.Equal(TensorDigest.Sha256(t), TensorDigest.Sha256(back[name]));
        }
        var metadata = Safetensors.LoadMetadata(path);
        Assert.Equal("pt", metadata["format"]);
        Assert.Equal("ünïcode", metadata["note"]);
        Assert.Equal(back.Keys, Checkpoint.Load(path, mode).Keys);
        Assert.Equal(0, BitConverter.ToInt64(System.IO.File.ReadAllBytes(path), 0) % 8); // header padded to 8 bytes
    }

    [Fact]
    public void Writes_the_reference_implementations_bytes()
    {
        // The byte vectors of huggingface/safetensors' own serialization tests (tensor.rs).
        using var dir = new TempDir();
        var data = F32(0, 1, 2, 3, 4, 5);
        var path = dir.Path("a.safetensors");
        Safetensors.Save(path, [new("attn.0", Fixtures.F32([0, 1, 2, 3, 4, 5], [1, 2, 3]))]);
        var expected = File("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}", data);
        Assert.Equal(64, expected[0]);
        Assert.Equal(expected, System.IO.File.ReadAllBytes(path));

        Safetensors.Save(path, [new("attn0", Fixtures.F32([0, 1, 2, 3, 4, 5], [1, 1, 2, 3]))]);
        expected = File("{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       ", data);
        Assert.Equal(72, expected[0]);
        Assert.Equal(expected, System.IO.File.ReadAllBytes(path));

        Safetensors.Save(path, []);
        Assert.Equal(new byte[] { 8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32 }, System.IO.File.ReadAllBytes(path));

        Safetensors.Save(path, [], new Dictionary<string, string> { ["framework"] = "pt" });
        Assert.Equal(File("{\"__metadata__\":{\"framework\":\"pt\"}}     ", []), System.IO.File.ReadAllBytes(path));
    }

    [Fact]
    public void Orders_data_as_the_reference_writer_does()
    {
        using var dir = new TempDir();
        var path = dir.Path("order.safetensors");
        Safetensors.Save(path, [
            new("b_u8", Make(ScalarType.Byte, [3], 1)),
            new("a_f16", Make(ScalarType.Float16, [3], 2)),
            new("z_i64", Make(ScalarType.Int64, [1], 3)),
            new("c_f32", Make(ScalarType.Float32, [2], 4)),
            new("a_f32", Make(ScalarType.Float32, [2], 5)),
            new("x_c64", Make(ScalarType.ComplexFloat32, [2], 6)),
        ]);
        Assert.Equal(["z_i64", "x_c64", "a_f32", "c_f32", "a_f16", "b_u8"], Safetensors.Load(path).Keys);
    }

    [Fact]
    public void Torch_checkpoints_convert_to_safetensors_bit_for_bit()
    {
        using var dir = new TempDir();
        var sd = Checkpoint.Load(Fixtures.Path("checkpoints/dtypes.pt"));
        var path = dir.Path("dtypes.safetensors");
        Safetensors.Save(path, sd);
        Assert.Equal(sd.Count, Checkpoint.Load(path).Count);
        var back = Checkpoint.Load(path);
        foreach (var (name, t) in sd) Assert.Equal(TensorDigest.Sha256(t), TensorDigest.Sha256(back[name]));
    }

    public static TheoryData<string, byte[], string> BadFiles()
    {
        var d24 = new byte[24];
        string T(string name, string dtype, string shape, int s, int e) => $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{s},{e}]}}";
        return new TheoryData<string, byte[], string>
        {
            { "too small", new byte[5], "HeaderTooSmall" },
            { "header over the limit", File("{}", [], 100_000_001), "HeaderTooLarge" },
            { "header bigger than file", File("{}      ", [], 4096), "InvalidHeaderLength" },
            { "header length near 2^64", File("{}", [], ulong.MaxValue - 3), "HeaderTooLarge" },
            { "invalid utf-8", File("{\"\xff\":1}", []).Select((b, i) => i == 10 ? (byte)0xFF : b).ToArray(), "not valid UTF-8" },
            { "not json", File("{not json", []), "not valid JSON" },
            { "not an object", File("[1,2]   ", []), "not an object" },
            { "unknown dtype", File("{" + T("a", "F8_E4M3", "[24]", 0, 24) + "}", d24), "'F8_E4M3'" },
            { "bogus dtype", File("{" + T("a", "Q7", "[24]", 0, 24) + "}", d24), "'Q7'" },
            { "overlapping", File("{" + T("a", "F32", "[4]", 0, 16) + "," + T("b", "F32", "[4]", 8, 24) + "}", d24), "InvalidOffset" },
            { "gap", File("{" + T("a", "F32", "[2]", 0, 8) + "," + T("b", "F32", "[2]", 16, 24) + "}", d24), "InvalidOffset" },
            { "reversed", File("{" + T("a", "F32", "[0]", 8, 0) + "}", d24), "InvalidOffset" },
            { "out of range", File("{" + T("a", "F32", "[8]", 0, 32) + "}", d24), "MetadataIncompleteBuffer" },
            { "trailing bytes", File("{" + T("a", "F32", "[4]", 0, 16) + "}", d24), "MetadataIncompleteBuffer" },
            { "size mismatch", File("{" + T("a", "F32", "[5]", 0, 24) + "}", d24), "TensorInvalidInfo" },
            { "overflow", File("{" + T("a", "F64", "[4294967296,4294967296]", 0, 24) + "}", d24), "ValidationOverflow" },
            { "negative dim", File("{" + T("a", "U8", "[-24]", 0, 24) + "}", d24), "not a non-negative integer" },
            { "float offsets", File("{\"a\":{\"dtype\":\"U8\",\"shape\":[24],\"data_offsets\":[0.5,24]}}", d24), "not non-negative integers" },
            { "missing shape", File("{\"a\":{\"dtype\":\"U8\",\"data_offsets\":[0,24]}}", d24), "no \"shape\"" },
            { "duplicate", File("{" + T("a", "U8", "[12]", 0, 12) + "," + T("a", "U8", "[12]", 12, 24) + "}", d24), "twice" },
            { "metadata not strings", File("{\"__metadata__\":{\"a\":1}}", []), "must be a string" },
        };
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Invalid_files_are_refused_as_the_reference_refuses_them(string what, byte[] bytes, string expected)
    {
        using var dir = new TempDir();
        var path = dir.Path("bad.safetensors");
        System.IO.File.WriteAllBytes(path, bytes);
        foreach (var mode in new[] { CheckpointReadMode.MemoryMap, CheckpointReadMode.Copy })
        {
            var e = Assert.Throws<CheckpointFormatException>(() => Safetensors.Load(path, mode));
            Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), $"{what}: {e.Message}");
            Assert.StartsWith(path, e.Message);
            // Checkpoint.Load routes a .safetensors file to the same checks.
            Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path, mode));
        }
    }

    [Fact]
    public void Header_padding_with_spaces_and_unknown_fields_are_accepted()
    {
        using var dir = new TempDir();
        var path = dir.Path("padded.safetensors");
        System.IO.File.WriteAllBytes(path, File("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":true}}" + new string(' ', 13), F32(1, 2)));
        var t = Safetensors.Load(path)["a"];
        Assert.Equal(F32(1, 2), Fixtures.Bytes(t));
    }

    [Fact]
    public void Saving_refuses_duplicates_and_the_metadata_key_and_leaves_no_file()
    {
        using var dir = new TempDir();
        var path = dir.Path("x.safetensors");
        var t = Make(ScalarType.Float32, [2], 1);
        Assert.Throws<ArgumentException>(() => Safetensors.Save(path, [new("a", t), new("a", t)]));
        Assert.Throws<ArgumentException>(() => Safetensors.Save(path, [new("__metadata__", t)]));
        var e = Assert.Throws<ArgumentException>(() => Safetensors.Save(path, [new("c", Make(ScalarType.ComplexFloat64, [2], 2))]));
        Assert.Contains("complex128", e.Message);
        Assert.Empty(Directory.GetFiles(dir.FullName));
    }
}

public class SafetensorsDetectionTests
{
    [Fact]
    public void A_damaged_safetensors_file_whose_size_bytes_look_like_a_pickle_gets_the_safetensors_error()
    {
        using var dir = new TempDir();
        var path = dir.Path("damaged.safetensors");
        // Header size 0x280 (bytes 80 02 ...) with the header cut short.
        var bytes = new byte[8 + 100];
        bytes[0] = 0x80;
        bytes[1] = 0x02;
        bytes[8] = (byte)'{';
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path));
        Assert.Contains("InvalidHeaderLength", e.Message);
        File.Move(path, dir.Path("damaged.pt"));
        e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(dir.Path("damaged.pt")));
        Assert.Contains("pickle", e.Message);
    }
}
