using System.IO.Compression;
using System.Runtime.InteropServices;
using HubHost.Checkpoints;
using HubHost.Downloads;

namespace HubHost.Checkpoints.Tests;

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
