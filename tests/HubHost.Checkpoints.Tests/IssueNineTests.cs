using System.IO.Compression;
using System.Runtime.InteropServices;
using HubHost.Checkpoints;
using HubHost.Downloads;

namespace HubHost.Checkpoints.Tests;

/// <summary>Issue 9, items 12 (CRC-32 of zip members), 15 (huge stride-0 tensors) and 16 (messages that say what was wrong).</summary>
public class ZipCrcTests
{
    /// <summary>views.pt with one byte of the stored record views/data/0 (base = arange(24)) changed.</summary>
    private static string CorruptedViews(TempDir dir, string what)
    {
        var bytes = File.ReadAllBytes(Fixtures.Path("checkpoints/views.pt"));
        int at;
        if (what == "data")
        {
            var pattern = MemoryMarshal.AsBytes<float>([5f, 6f, 7f]).ToArray();
            at = bytes.AsSpan().IndexOf(pattern);
            Assert.True(at > 0);
            Assert.Equal(at, bytes.AsSpan().LastIndexOf(pattern)); // found once: the record
        }
        else
        {
            at = bytes.AsSpan().IndexOf("transposed"u8); // a key inside views/data.pkl
            Assert.True(at > 0);
        }
        bytes[at + 1] ^= 0x10;
        var path = dir.Path($"corrupt-{what}.pt");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData(CheckpointReadMode.MemoryMap)]
    [InlineData(CheckpointReadMode.Copy)]
    public void A_damaged_stored_storage_record_fails_its_crc_with_a_clear_error(CheckpointReadMode mode)
    {
        using var dir = new TempDir();
        var path = CorruptedViews(dir, "data");
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path, mode));
        Assert.Contains("zip entry 'views/data/0' fails its CRC-32 check", e.Message);
        Assert.Contains("Download or save it again", e.Message);
        Assert.StartsWith(path, e.Message);
        using var stream = File.OpenRead(path);
        e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(stream, "stream.pt"));
        Assert.Contains("CRC-32", e.Message);
    }

    [Fact]
    public void A_damaged_data_pkl_fails_its_crc_before_it_is_unpickled()
    {
        using var dir = new TempDir();
        var path = CorruptedViews(dir, "pickle");
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path));
        Assert.Contains("zip entry 'views/data.pkl' fails its CRC-32 check", e.Message);
    }

    [Fact]
    public void A_damaged_deflated_record_fails_its_crc()
    {
        using var dir = new TempDir();
        var deflated = dir.Path("deflated.pt");
        Fixtures.RewriteZip(Fixtures.Path("checkpoints/views.pt"), deflated, (n, d) => (n, d), CompressionLevel.Optimal);
        var bytes = File.ReadAllBytes(deflated);
        // Change the CRC recorded for views/data/0 in the central directory (offset 16 in its header).
        int cd = bytes.AsSpan().LastIndexOf("views/data/0"u8) - 46;
        bytes[cd + 16] ^= 0xFF;
        File.WriteAllBytes(deflated, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(deflated));
        Assert.Contains("zip entry 'views/data/0' fails its CRC-32 check", e.Message);
    }

    [Fact]
    public async Task A_legacy_single_file_zip_with_a_damaged_entry_is_not_extracted()
    {
        using var dir = new TempDir();
        var legacy = File.ReadAllBytes(Fixtures.Path("checkpoints/views_legacy.pt"));
        var path = dir.Path("weights.zip");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        using (var s = zip.CreateEntry("weights.pt", CompressionLevel.NoCompression).Open())
            s.Write(legacy);
        // Intact: extracted and loadable.
        var extracted = await CheckpointFiles.ResolveLegacyZipAsync(path, CancellationToken.None);
        Assert.Equal(dir.Path("weights.pt"), extracted);
        Assert.Equal(legacy, File.ReadAllBytes(extracted));
        File.Delete(extracted);

        // One byte of the stored entry changed (the last storage's data sits near the end of the entry).
        var bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf(legacy.AsSpan(legacy.Length - 16, 16));
        Assert.True(at > 0);
        bytes[at] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        var e = await Assert.ThrowsAsync<HubException>(() => CheckpointFiles.ResolveLegacyZipAsync(path, CancellationToken.None));
        Assert.Contains("CRC-32", e.Message);
        Assert.Contains("weights.pt", e.Message);
        Assert.Contains("download it again", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(dir.Path("weights.pt")));
        Assert.Single(Directory.GetFiles(dir.FullName)); // no temporary file left behind
    }
}

public class HugeStrideZeroTests
{
    [Theory]
    [InlineData(CheckpointReadMode.MemoryMap)]
    [InlineData(CheckpointReadMode.Copy)]
    public void A_million_by_million_stride_zero_tensor_saved_by_torch_loads_as_the_same_view(CheckpointReadMode mode)
    {
        var expected = Fixtures.ExpectedFiles().Single(f => f.Name == "expanded.pt").Value.GetProperty("x");
        var x = Checkpoint.Load(Fixtures.Path("checkpoints/expanded.pt"), mode)["x"];
        Assert.Equal([1_000_000L, 1_000_000L], x.shape);
        Assert.Equal([0L, 0L], x.stride());
        Assert.Equal(1_000_000_000_000L, x.NumberOfElements);
        Assert.Equal(1f, x[999_999, 999_999].item<float>());
        using var row = x[0].narrow(0, 0, 1000);
        Assert.Equal(expected.GetProperty("first_row_sha256").GetString(), TensorDigest.Sha256(row));
    }

    [Fact]
    public void Digesting_or_saving_it_is_one_clear_error_not_terabytes_of_work()
    {
        var x = Checkpoint.Load(Fixtures.Path("checkpoints/expanded.pt"))["x"];
        var e = Assert.Throws<ArgumentException>(() => TensorDigest.Sha256(x));
        Assert.Contains("4,000,000,000,000 bytes of values over 4 bytes of memory", e.Message);
        Assert.Contains("tensor[0, 0]", e.Message);
        using var dir = new TempDir();
        e = Assert.Throws<ArgumentException>(() => Safetensors.Save(dir.Path("x.safetensors"), [new("x", x)]));
        Assert.Contains("Tensor 'x'", e.Message);
        Assert.Throws<ArgumentException>(() => Npy.Save(dir.Path("x.npy"), x));
        Assert.Empty(Directory.GetFiles(dir.FullName));
        // A modest broadcast (well under the limit) is hashed as its values, like PyTorch's contiguous copy.
        using var small = x.narrow(0, 0, 3).narrow(1, 0, 5);
        using var ones = torch.ones(3, 5);
        Assert.Equal(TensorDigest.Sha256(ones), TensorDigest.Sha256(small));
    }

    [Fact]
    public void Shapes_whose_element_count_overflows_64_bits_are_refused_when_loading()
    {
        using var dir = new TempDir();
        var path = dir.Path("overflow.pt");
        var pickle = new PickleWriter().Proto().EmptyDict().Str("w")
            .Tensor("0", numel: 1, offset: 0, shape: [int.MaxValue, int.MaxValue, int.MaxValue], stride: [0, 0, 0]).SetItem().Stop().ToArray();
        PickleWriter.WriteTorchZip(path, pickle, ("0", new byte[4]));
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path));
        Assert.Contains("tensor 'w' (offset 0, shape [2147483647, 2147483647, 2147483647], stride [0, 0, 0])", e.Message);
        Assert.Contains("more elements or a larger extent than 64-bit sizes can count", e.Message);
    }
}

public class MessageTests
{
    /// <summary>_rebuild_tensor_v2(storage(FloatStorage, '0', numel), offset, size, stride, False, OrderedDict()) with raw pieces.</summary>
    private static byte[] TensorPickle(Action<PickleWriter> numel, Action<PickleWriter> stride)
    {
        var w = new PickleWriter().Proto().EmptyDict().Str("w");
        w.Global("torch._utils", "_rebuild_tensor_v2").Mark();
        w.Mark().Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu");
        numel(w);
        w.Tuple().Op((byte)'Q');
        w.Int(0);
        w.Mark().Int(2).Tuple();
        w.Mark();
        stride(w);
        w.Tuple();
        w.Op(0x89).Global("collections", "OrderedDict").EmptyTuple().Reduce().Tuple().Reduce();
        return w.SetItem().Stop().ToArray();
    }

    private static string Load(byte[] pickle)
    {
        using var dir = new TempDir();
        var path = dir.Path("bad.pt");
        PickleWriter.WriteTorchZip(path, pickle, ("0", new byte[8]));
        return Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path)).Problem;
    }

    [Fact]
    public void An_element_count_written_as_a_float_says_so()
    {
        var problem = Load(TensorPickle(w => w.Float(1099511627776.0), w => w.Int(1)));
        Assert.Equal("storage '0' gives its element count as 1099511627776.0 (float), where torch.save writes a non-negative int; the checkpoint is corrupt or not written by torch.save. Download or save it again.", problem);
    }

    [Fact]
    public void A_negative_element_count_says_so()
    {
        var problem = Load(TensorPickle(w => w.Int(-5), w => w.Int(1)));
        Assert.Contains("gives its element count as -5 (int)", problem);
    }

    [Fact]
    public void A_stride_beyond_64_bits_says_it_is_out_of_range()
    {
        // LONG1 of 9 bytes: 2^64, a Python int no PyTorch stride can be.
        var problem = Load(TensorPickle(w => w.Int(2), w => w.Op(0x8a).Op(9).Raw([0, 0, 0, 0, 0, 0, 0, 0, 1])));
        Assert.Equal("a tensor's stride is the integer 18446744073709551616, outside the 64-bit range every PyTorch size, stride and offset lies in; the pickle is corrupt or was not written by torch.save. Download or save the checkpoint again.", problem);
    }

    [Fact]
    public void A_stride_of_another_type_names_the_value_and_type()
    {
        var problem = Load(TensorPickle(w => w.Int(2), w => w.Str("one")));
        Assert.Equal("a tensor's stride is 'one' (str) where PyTorch writes an integer; the pickle is corrupt or was not written by torch.save. Download or save the checkpoint again.", problem);
    }
}

/// <summary>Large archives take the parallel paths (records read and hashed on several threads from 16 MB on).</summary>
public class LargeArchiveTests
{
    private static (string Path, byte[] A, byte[] B) Write(TempDir dir)
    {
        const int n = 9 << 18; // 2,359,296 float32 = 9 MB per storage, 18 MB in all
        var a = MemoryMarshal.AsBytes(Enumerable.Range(0, n).Select(i => (float)i).ToArray().AsSpan()).ToArray();
        var b = MemoryMarshal.AsBytes(Enumerable.Range(0, n).Select(i => -(float)i).ToArray().AsSpan()).ToArray();
        var pickle = new PickleWriter().Proto().EmptyDict()
            .Str("a").Tensor("0", numel: n, offset: 0, shape: [n], stride: [1]).SetItem()
            .Str("b").Tensor("1", numel: n, offset: 0, shape: [n / 2], stride: [2]).SetItem()
            .Str("a_again").Tensor("0", numel: n, offset: 1, shape: [3], stride: [1]).SetItem()
            .Stop().ToArray();
        var path = dir.Path("large.pt");
        PickleWriter.WriteTorchZip(path, pickle, ("0", a), ("1", b));
        return (path, a, b);
    }

    [Theory]
    [InlineData(CheckpointReadMode.MemoryMap)]
    [InlineData(CheckpointReadMode.Copy)]
    public void An_18_MB_archive_loads_bit_for_bit_and_a_damaged_record_is_named(CheckpointReadMode mode)
    {
        using var dir = new TempDir();
        var (path, a, b) = Write(dir);
        var sd = Checkpoint.Load(path, mode);
        Assert.Equal(a, Fixtures.Bytes(sd["a"]));
        Assert.Equal(-2f * 1000, sd["b"][1000].item<float>());
        Assert.Equal([1f, 2f, 3f], sd["a_again"].data<float>().ToArray());
        Assert.Equal(Fixtures.StorageAddress(sd["a"]), Fixtures.StorageAddress(sd["a_again"]));
        foreach (var t in sd.Values) t.Dispose();

        var bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf(b.AsSpan(4_000_000, 64));
        Assert.True(at > 0);
        bytes[at + 3] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path, mode));
        Assert.Contains("zip entry 'archive/data/1' fails its CRC-32 check", e.Message);
    }
}
