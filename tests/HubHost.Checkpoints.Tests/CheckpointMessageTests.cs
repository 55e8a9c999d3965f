using System.IO.Compression;
using System.Runtime.InteropServices;
using HubHost.Checkpoints;
using HubHost.Downloads;

namespace HubHost.Checkpoints.Tests;

/// <summary>What a refused checkpoint's message says: what was wrong and what to do.</summary>
public class CheckpointMessageTests
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
