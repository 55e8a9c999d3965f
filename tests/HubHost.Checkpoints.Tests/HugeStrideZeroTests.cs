using System.IO.Compression;
using System.Runtime.InteropServices;
using HubHost.Checkpoints;
using HubHost.Downloads;

namespace HubHost.Checkpoints.Tests;

/// <summary>Huge stride-0 tensors (a broadcast of one value) are read without allocating their logical size.</summary>
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
