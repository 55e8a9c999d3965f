using System.Text;
using HubHost.Checkpoints;

namespace HubHost.Checkpoints.Tests;

public class NpyTests
{
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Fixtures.Json("checkpoints/expected.json").GetProperty("files").GetProperty("npy").EnumerateObject()) data.Add(f.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Arrays_written_by_numpy_read_bit_for_bit(string file)
    {
        var expected = Fixtures.Json("checkpoints/expected.json").GetProperty("files").GetProperty("npy").GetProperty(file);
        var t = Npy.Load(Fixtures.Path($"checkpoints/{file}"));
        Assert.Equal(Fixtures.Longs(expected.GetProperty("shape")), t.shape);
        Assert.Equal(expected.GetProperty("sha256").GetString(), TensorDigest.Sha256(t));
    }

    [Fact]
    public void Fortran_order_reads_as_a_column_major_view()
    {
        var t = Npy.Load(Fixtures.Path("checkpoints/npy_fortran.npy"));
        Assert.Equal([1L, 3L], t.stride());
        Assert.False(t.is_contiguous());
    }

    [Theory]
    [InlineData("npy_f4.npy")]
    [InlineData("npy_i8.npy")]
    [InlineData("npy_b1.npy")]
    [InlineData("npy_scalar.npy")]
    [InlineData("npy_u1.npy")]
    public void Saving_writes_the_same_bytes_as_numpy(string file)
    {
        using var dir = new TempDir();
        var path = dir.Path(file);
        Npy.Save(path, Npy.Load(Fixtures.Path($"checkpoints/{file}")));
        Assert.Equal(File.ReadAllBytes(Fixtures.Path($"checkpoints/{file}")), File.ReadAllBytes(path));
    }

    [Fact]
    public void Round_trip_of_a_non_contiguous_tensor_and_the_squeezenet_input()
    {
        using var dir = new TempDir();
        var f = Npy.Load(Fixtures.Path("checkpoints/npy_fortran.npy"));
        Npy.Save(dir.Path("c.npy"), f);
        var back = Npy.Load(dir.Path("c.npy"));
        Assert.True(back.is_contiguous());
        Assert.Equal(Fixtures.Bytes(f), Fixtures.Bytes(back));
        var meta = Fixtures.Json("pytorch/squeezenet1_1.json");
        foreach (var (file, shapeKey) in new[] { ("squeezenet1_1_input.npy", "input_shape"), ("squeezenet1_1_output.npy", "output_shape") })
        {
            var t = Npy.Load(Fixtures.Path($"pytorch/{file}"));
            Assert.Equal(ScalarType.Float32, t.dtype);
            Assert.Equal(Fixtures.Longs(meta.GetProperty(shapeKey)), t.shape);
            Npy.Save(dir.Path(file), t);
            Assert.Equal(File.ReadAllBytes(Fixtures.Path($"pytorch/{file}")), File.ReadAllBytes(dir.Path(file)));
        }
    }

    [Fact]
    public void Bfloat16_cannot_be_saved_as_npy()
    {
        using var dir = new TempDir();
        var t = torch.zeros(2, ScalarType.BFloat16);
        Assert.Throws<NotSupportedException>(() => Npy.Save(dir.Path("x.npy"), t));
        Assert.Empty(Directory.GetFiles(dir.FullName));
    }

    private static readonly byte[] NpyMagic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static TheoryData<string, byte[], string> BadFiles()
    {
        byte[] Npy1(string header, int dataBytes)
        {
            var h = Encoding.ASCII.GetBytes(header);
            return NpyMagic.Concat(new byte[] { 1, 0 }).Concat(BitConverter.GetBytes((ushort)h.Length)).Concat(h).Concat(new byte[dataBytes]).ToArray();
        }
        return new TheoryData<string, byte[], string>
        {
            { "not npy", "hello world!"u8.ToArray(), "magic" },
            { "big endian", Npy1("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n", 8), "'>f4'" },
            { "object", Npy1("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }\n", 16), "'|O'" },
            { "truncated data", Npy1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", 20), "needs 24 bytes" },
            { "extra data", Npy1("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 12), "needs 8 bytes" },
            { "lying shape", Npy1("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }\n", 8), "overflows" },
            { "bad header", Npy1("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }\n", 8), "fortran_order" },
            { "version 9", NpyMagic.Concat(new byte[] { 9, 0, 0, 0, 0, 0 }).ToArray(), "version 9" },
            { "header past end", NpyMagic.Concat(new byte[] { 1, 0, 0xFF, 0xFF, 0, 0 }).ToArray(), "outside the file" },
        };
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Bad_npy_files_are_refused_clearly(string what, byte[] bytes, string expected)
    {
        using var dir = new TempDir();
        var path = dir.Path("bad.npy");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => Npy.Load(path));
        Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), $"{what}: {e.Message}");
    }
}
