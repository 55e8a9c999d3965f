using HubHost.Checkpoints;
using HubHost.Inference;
using HubHost.Tests.Infrastructure;
using HubHost.Tests.Vision;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HubHost.Tests.Inference;

/// <summary>
/// <see cref="InferenceExtensions.ForInference{TResult}"/>: batch norms folded into convolutions (a pure module
/// transformation, checked against the unfolded model on torchvision's real resnet18 weights), channels-last, and the
/// cases where folding or channels-last must not happen.
/// </summary>
[Collection(SharedHubCollection.Name)]
public sealed class InferenceTests
{
    private readonly SharedHub hub;

    public InferenceTests(SharedHub hub)
    {
        this.hub = hub;
        HubHost.Native.TorchNative.EnsureLoaded(); // the tests that build their own modules touch libtorch before any load
    }

    [Fact]
    public async Task Resnet18_with_real_weights_folds_every_batch_norm_and_matches_the_unfolded_model_within_1e_5()
    {
        var stateDict = Checkpoint.Load(RepoPaths.Fixture("resnet18", "resnet18.pt"));
        using var input = Npy.Load(RepoPaths.Fixture("resnet18", "resnet18_input.npy"));
        using var pytorch = Npy.Load(RepoPaths.Fixture("resnet18", "resnet18_output.npy"));
        using var plain = await hub.Client.LoadAsync<nn.Module<Tensor, Tensor>>(VisionAcceptanceTests.Vision, "resnet18");
        using var folded = await hub.Client.LoadAsync<nn.Module<Tensor, Tensor>>(VisionAcceptanceTests.Vision, "resnet18");
        plain.load_state_dict(stateDict, strict: true);
        folded.load_state_dict(stateDict, strict: true);
        foreach (var t in stateDict.Values) t.Dispose();
        var norms = folded.modules().Count(m => m is BatchNorm2d);
        Assert.Equal(20, norms);

        plain.eval();
        using var prepared = folded.ForInference(input[0..1]);
        Assert.Equal(norms, prepared.FoldedBatchNorms);
        Assert.Null(prepared.NotFolded);
        Assert.True(prepared.ChannelsLast);
        Assert.DoesNotContain(prepared.modules(), m => m is BatchNorm2d);
        Assert.DoesNotContain(prepared.state_dict().Keys, k => k.Contains("running_mean", StringComparison.Ordinal));

        using var expected = Forward(plain, input);
        using var actual = prepared.forward(input);
        Assert.True(is_inference_mode_enabled() == false, "inference mode ends with the call");
        TorchAssert.Close(expected, actual, relative: 1e-5);
        TorchAssert.Close(pytorch, actual); // and still PyTorch's output, as the unfolded model is (1e-4)
        Assert.Equal(expected.argmax(1).data<long>().ToArray(), actual.argmax(1).data<long>().ToArray());
    }

    [Fact]
    public void A_sequential_conv_and_batch_norm_fold_and_the_batch_norm_leaves_the_sequential()
    {
        using var model = nn.Sequential(("conv", nn.Conv2d(3, 8, 3, padding: 1)), ("bn", RandomNorm(8)), ("relu", nn.ReLU()));
        using var x = randn(2, 3, 9, 9);
        model.eval();
        using var expected = Forward(model, x);
        using var prepared = model.ForInference(x[0..1], new InferenceOptions { ChannelsLast = false });
        Assert.Equal(1, prepared.FoldedBatchNorms);
        Assert.IsType<Identity>(((Sequential)prepared.Model)[1]);
        Assert.NotNull(((Conv2d)((Sequential)prepared.Model)[0]).bias);
        using var actual = prepared.forward(x);
        TorchAssert.Close(expected, actual, relative: 1e-5);
    }

    [Fact]
    public void A_convolution_output_also_used_outside_modules_is_not_folded_and_the_model_is_unchanged()
    {
        using var model = new ResidualOnConvOutput();
        using var x = randn(2, 3, 9, 9);
        model.eval();
        using var expected = Forward(model, x);
        using var prepared = model.ForInference(x[0..1], new InferenceOptions { ChannelsLast = false });
        Assert.Equal(0, prepared.FoldedBatchNorms);
        Assert.Contains("differed", prepared.NotFolded);
        Assert.Contains(prepared.modules(), m => m is BatchNorm2d);
        Assert.Null(((Conv2d)prepared.Model.named_children().Single(c => c.name == "conv").module).bias);
        using var actual = prepared.forward(x);
        TorchAssert.Close(expected, actual, relative: 1e-6);
    }

    [Fact]
    public void A_model_viewing_a_convolution_output_runs_without_channels_last_and_says_why()
    {
        using var model = new ViewsConvOutput();
        using var x = randn(2, 3, 9, 9);
        model.eval();
        using var expected = Forward(model, x);
        using var prepared = model.ForInference(x[0..1]);
        Assert.False(prepared.ChannelsLast);
        Assert.NotNull(prepared.NotChannelsLast);
        Assert.Equal(1, prepared.FoldedBatchNorms);
        using var actual = prepared.forward(x);
        TorchAssert.Close(expected, actual, relative: 1e-5);
    }

    private static Tensor Forward(nn.Module<Tensor, Tensor> model, Tensor x)
    {
        using var _ = no_grad();
        return model.call(x);
    }

    /// <summary>A batch norm with running statistics and affine parameters far from the identity, so a wrong fold shows.</summary>
    private static BatchNorm2d RandomNorm(long channels)
    {
        var norm = nn.BatchNorm2d(channels);
        using var _ = no_grad();
        norm.running_mean!.copy_(randn(channels));
        norm.running_var!.copy_(rand(channels) + 0.5);
        norm.weight.copy_(randn(channels));
        norm.bias!.copy_(randn(channels));
        return norm;
    }

    private sealed class ResidualOnConvOutput : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> conv = nn.Conv2d(3, 8, 3, padding: 1, bias: false);
        private readonly nn.Module<Tensor, Tensor> bn = RandomNorm(8);

        public ResidualOnConvOutput() : base(nameof(ResidualOnConvOutput)) => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            var y = conv.call(x);
            return bn.call(y) + y; // y is used by the addition too: folding would change it
        }
    }

    private sealed class ViewsConvOutput : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> conv = nn.Conv2d(3, 8, 3, padding: 1);
        private readonly nn.Module<Tensor, Tensor> bn = RandomNorm(8);

        public ViewsConvOutput() : base(nameof(ViewsConvOutput)) => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            var y = bn.call(conv.call(x));
            return y.view(y.shape[0], -1); // view needs contiguous NCHW strides
        }
    }
}
