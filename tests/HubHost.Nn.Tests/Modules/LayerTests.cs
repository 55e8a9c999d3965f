using System.Text.Json;
using HubHost.Nn.Functional;
using HubHost.Nn.Modules;

namespace HubHost.Nn.Tests.Modules;

/// <summary>Each layer against PyTorch's output for the same input and parameters (tests/fixtures/nn/layers.*).</summary>
public class LayerTests
{
    private static References R => References.Layers;

    private static (int, int) Pair(JsonElement settings, string name)
    {
        var a = settings.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return (a[0], a[1]);
    }

    [Theory]
    [InlineData("linear_small")]
    [InlineData("linear_gemm")]
    [InlineData("linear_nobias")]
    public void Linear_matches_pytorch(string name)
    {
        var s = R.Settings(name);
        bool bias = s.GetProperty("bias").GetBoolean();
        var layer = new Linear(s.GetProperty("in").GetInt64(), s.GetProperty("out").GetInt64(), bias);
        var state = new Dictionary<string, Tensor> { ["weight"] = R.Tensor(name, "weight") };
        if (bias) state["bias"] = R.Tensor(name, "bias");
        layer.LoadStateDict(state);
        TensorAssert.Close(R.Tensor(name, "output"), layer.Forward(R.Tensor(name, "input")));
    }

    [Theory]
    [InlineData("conv_basic")]
    [InlineData("conv_stride2_pad1")]
    [InlineData("conv_dilation2")]
    [InlineData("conv_groups3")]
    [InlineData("conv_depthwise")]
    [InlineData("conv_rect_nobias")]
    [InlineData("conv_1x1_stride2")]
    [InlineData("conv_edges_threads")]
    [InlineData("conv_7x7_stride2")]
    [InlineData("conv_deep_k")]
    [InlineData("conv_groups_batch_fused")]
    [InlineData("conv_small_spatial_transposed")]
    [InlineData("conv_small_spatial_groups")]
    public void Conv2d_matches_pytorch(string name)
    {
        var s = R.Settings(name);
        bool bias = s.GetProperty("bias").GetBoolean();
        var conv = new Conv2d(s.GetProperty("cin").GetInt64(), s.GetProperty("cout").GetInt64(), Pair(s, "k"), Pair(s, "s"), Pair(s, "p"), Pair(s, "d"), s.GetProperty("g").GetInt32(), bias);
        var state = new Dictionary<string, Tensor> { ["weight"] = R.Tensor(name, "weight") };
        if (bias) state["bias"] = R.Tensor(name, "bias");
        conv.LoadStateDict(state);
        var input = R.Tensor(name, "input");
        TensorAssert.Close(R.Tensor(name, "output"), conv.Forward(input));
        // A second call reuses the packed weight; after loading new weights it must repack.
        TensorAssert.Close(R.Tensor(name, "output"), conv.Forward(input));
        var doubled = new Dictionary<string, Tensor>(state) { ["weight"] = Tensor.FromArray(R.Tensor(name, "weight").ToArray().Select(v => v * 2).ToArray(), [.. conv.Weight.Shape]) };
        conv.LoadStateDict(doubled);
        var expected = R.Tensor(name, "output").ToArray();
        if (bias)
        {
            var b = R.Tensor(name, "bias").ToArray();
            long plane = expected.Length / (input.Size(0) * b.Length);
            for (int i = 0; i < expected.Length; i++) expected[i] = 2 * expected[i] - b[i / plane % b.Length];
        }
        else for (int i = 0; i < expected.Length; i++) expected[i] *= 2;
        TensorAssert.Close(Tensor.FromArray(expected, [.. R.Tensor(name, "output").Shape]), conv.Forward(input), atol: 3e-4);
    }

    [Fact]
    public void Conv2d_functional_and_unbatched_input_match_the_module()
    {
        const string name = "conv_stride2_pad1";
        var input = R.Tensor(name, "input");
        var y = F.Conv2d(input, R.Tensor(name, "weight"), R.Tensor(name, "bias"), stride: 2, padding: 1);
        TensorAssert.Close(R.Tensor(name, "output"), y);
        var unbatched = F.Conv2d(input.Reshape([.. input.Shape.Skip(1)]), R.Tensor(name, "weight"), R.Tensor(name, "bias"), stride: 2, padding: 1);
        Assert.Equal(3, unbatched.Rank);
        TensorAssert.Close(R.Tensor(name, "output").Reshape([.. unbatched.Shape]), unbatched);
    }

    [Fact]
    public void Conv2d_rejects_wrong_input_channels_with_both_shapes()
    {
        var conv = new Conv2d(3, 4, 3);
        var ex = Assert.Throws<ArgumentException>(() => conv.Forward(Tensor.Zeros(1, 5, 8, 8)));
        Assert.Contains("[4, 3, 3, 3]", ex.Message);
        Assert.Contains("[1, 5, 8, 8]", ex.Message);
        Assert.Throws<ArgumentException>(() => conv.Forward(Tensor.Zeros(1, 3, 2, 2)));
    }

    private static BatchNorm2d LoadedBatchNorm()
    {
        const string name = "batchnorm";
        var bn = new BatchNorm2d(5, eps: 1e-3);
        bn.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = R.Tensor(name, "weight"),
            ["bias"] = R.Tensor(name, "bias"),
            ["running_mean"] = R.Tensor(name, "running_mean"),
            ["running_var"] = R.Tensor(name, "running_var"),
            ["num_batches_tracked"] = Tensor.FromArray(new long[] { 0 }),
        });
        return bn;
    }

    [Fact]
    public void BatchNorm2d_eval_uses_running_statistics()
    {
        var bn = LoadedBatchNorm();
        bn.Eval();
        var input = R.Tensor("batchnorm", "input");
        TensorAssert.Close(R.Tensor("batchnorm", "eval_output"), bn.Forward(input));
        TensorAssert.Close(R.Tensor("batchnorm", "running_mean"), bn.RunningMean!, atol: 0, rtol: 0);
        Assert.Equal(0, bn.NumBatchesTracked!.ToInt64Array()[0]);
    }

    [Fact]
    public void BatchNorm2d_train_uses_batch_statistics_and_updates_running_ones()
    {
        var bn = LoadedBatchNorm();
        Assert.True(bn.Training);
        var input = R.Tensor("batchnorm", "input");
        TensorAssert.Close(R.Tensor("batchnorm", "train_output"), bn.Forward(input));
        TensorAssert.Close(R.Tensor("batchnorm", "running_mean_after"), bn.RunningMean!, atol: 1e-6);
        TensorAssert.Close(R.Tensor("batchnorm", "running_var_after"), bn.RunningVar!, atol: 1e-6);
        Assert.Equal(1, bn.NumBatchesTracked!.ToInt64Array()[0]);
        Assert.Equal(DType.Int64, bn.NumBatchesTracked.DType);
    }

    [Theory]
    [InlineData("maxpool_k3s2")]
    [InlineData("maxpool_k3s2_ceil")]
    [InlineData("maxpool_k3s2p1")]
    [InlineData("maxpool_ceil_drops_last")]
    [InlineData("maxpool_dilation_rect")]
    [InlineData("maxpool_k3s2p1_wide_nan")]
    [InlineData("maxpool_k3s2_ceil_wide")]
    [InlineData("maxpool_k2s2_wide")]
    public void MaxPool2d_matches_pytorch(string name)
    {
        var s = R.Settings(name);
        var pool = new MaxPool2d(Pair(s, "k"), Pair(s, "s"), Pair(s, "p"), Pair(s, "d"), s.GetProperty("ceil").GetBoolean());
        TensorAssert.Close(R.Tensor(name, "output"), pool.Forward(R.Tensor(name, "input")), atol: 0, rtol: 0);
    }

    [Fact]
    public void MaxPool2d_ceil_mode_drops_a_window_that_would_start_in_the_right_padding()
    {
        // 5 wide, kernel 2, stride 2, padding 1: ceil((5+2-2)/2)+1 = 4 windows, but the 4th would start at 6 >= 5+1.
        var y = new MaxPool2d(2, stride: 2, padding: 1, ceilMode: true).Forward(Tensor.Zeros(1, 1, 5, 5));
        Assert.Equal(new long[] { 1, 1, 3, 3 }, y.Shape);
        Assert.Equal(new long[] { 1, 1, 4, 4 }, new MaxPool2d(2, stride: 2, padding: 0, ceilMode: true).Forward(Tensor.Zeros(1, 1, 7, 7)).Shape);
        Assert.Equal(new long[] { 1, 1, 3, 3 }, new MaxPool2d(2, stride: 2, padding: 0, ceilMode: false).Forward(Tensor.Zeros(1, 1, 7, 7)).Shape);
    }

    [Fact]
    public void MaxPool2d_propagates_nan_and_rejects_padding_over_half_the_kernel()
    {
        var x = Tensor.FromArray([1f, float.NaN, 3f, 4f], 1, 1, 2, 2);
        Assert.True(float.IsNaN(F.MaxPool2d(x, 2).ToArray()[0]));
        Assert.Throws<ArgumentException>(() => new MaxPool2d(3, padding: 2));
    }

    [Theory]
    [InlineData("adaptive_3x4_from_7x10")]
    [InlineData("adaptive_5x7_from_11x13")]
    [InlineData("adaptive_6x6_from_4x4")]
    [InlineData("adaptive_1x1")]
    public void AdaptiveAvgPool2d_matches_pytorch(string name)
    {
        var o = R.Settings(name).GetProperty("out").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var pool = new AdaptiveAvgPool2d(((int?)o[0], (int?)o[1]));
        TensorAssert.Close(R.Tensor(name, "output"), pool.Forward(R.Tensor(name, "input")), atol: 1e-6);
    }

    [Fact]
    public void Dropout_is_identity_in_eval_and_zeroes_or_scales_in_train()
    {
        var x = Tensor.FromArray(Enumerable.Range(1, 1000).Select(i => (float)i).ToArray(), 10, 100);
        var dropout = new Dropout(0.25);
        dropout.Eval();
        Assert.Same(x, dropout.Forward(x));
        dropout.Train();
        var y = dropout.Forward(x).ToArray();
        var xs = x.ToArray();
        int zeros = 0;
        for (int i = 0; i < y.Length; i++)
        {
            if (y[i] == 0) zeros++;
            else Assert.Equal(xs[i] / 0.75f, y[i], 3);
        }
        Assert.InRange(zeros, 150, 350); // 250 expected; 7 standard deviations either way
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1.5));
    }

    [Fact]
    public void Eval_and_Train_propagate_to_all_descendants()
    {
        var model = new Sequential(new Linear(2, 2), new Sequential(new Dropout(), new BatchNorm2d(3)));
        Assert.All(model.NamedModules(), m => Assert.True(m.Module.Training));
        Assert.Same(model, model.Eval());
        Assert.All(model.NamedModules(), m => Assert.False(m.Module.Training));
        model.Train();
        Assert.All(model.NamedModules(), m => Assert.True(m.Module.Training));
    }

    [Fact]
    public void Relu_softmax_argmax_and_cat_match_pytorch()
    {
        var x = R.Tensor("relu", "input");
        TensorAssert.Close(R.Tensor("relu", "output"), new ReLU().Forward(x), atol: 0, rtol: 0);
        TensorAssert.Close(R.Tensor("softmax_dim1", "output"), x.Softmax(1), atol: 1e-6);
        TensorAssert.Close(R.Tensor("softmax_dim_last", "output"), new Softmax(-1).Forward(x), atol: 1e-6);
        var argmax = x.ArgMax(1);
        Assert.Equal(DType.Int64, argmax.DType);
        TensorAssert.Close(R.Tensor("argmax_dim1", "output"), argmax, atol: 0, rtol: 0);
        TensorAssert.Close(R.Tensor("cat_dim1", "output"), Tensor.Cat([R.Tensor("cat_dim1", "a"), R.Tensor("cat_dim1", "b")], 1), atol: 0, rtol: 0);
    }

    [Fact]
    public void Relu_in_place_overwrites_its_input()
    {
        var x = Tensor.FromArray([-1f, 2f, -3f], 3);
        var y = new ReLU(inPlace: true).Forward(x);
        Assert.Same(x, y);
        Assert.Equal([0f, 2f, 0f], x.ToArray());
    }

    [Fact]
    public void Sequential_runs_children_in_order_and_flatten_keeps_the_batch()
    {
        var model = new Sequential(new Flatten(), new Linear(12, 4), new ReLU(), new Linear(4, 2));
        var y = model.Forward(Tensor.Ones(5, 3, 2, 2));
        Assert.Equal(new long[] { 5, 2 }, y.Shape);
        var manual = ((Linear)model[3]).Forward(F.Relu(((Linear)model[1]).Forward(Tensor.Ones(5, 12))));
        TensorAssert.Close(manual, y, atol: 0, rtol: 0);
    }
}
