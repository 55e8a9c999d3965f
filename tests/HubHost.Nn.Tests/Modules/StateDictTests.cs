using HubHost.Nn.Modules;

namespace HubHost.Nn.Tests.Modules;

/// <summary>State dict keys, order and loading: strict errors, dtype conversion, atomicity.</summary>
public class StateDictTests
{
    private sealed class Block : Module
    {
        public Block()
        {
            RegisterModule("conv", new Conv2d(2, 3, 3, hasBias: false));
            RegisterModule("bn", new BatchNorm2d(3));
            RegisterParameter("scale", Tensor.Ones(3));
            RegisterBuffer("scratch", Tensor.Zeros(2), persistent: false);
        }

        public override Tensor Forward(Tensor input) => input;
    }

    [Fact]
    public void Keys_follow_pytorch_naming_and_order()
    {
        var model = new Sequential(new Linear(4, 3), new ReLU(), new Block());
        Assert.Equal(
            ["0.weight", "0.bias", "2.scale", "2.conv.weight", "2.bn.weight", "2.bn.bias", "2.bn.running_mean", "2.bn.running_var", "2.bn.num_batches_tracked"],
            model.StateDict().Keys);
        Assert.Equal(["0.weight", "0.bias", "2.scale", "2.conv.weight", "2.bn.weight", "2.bn.bias"], model.NamedParameters().Select(p => p.Name));
        Assert.Equal(["2.scratch", "2.bn.running_mean", "2.bn.running_var", "2.bn.num_batches_tracked"], model.NamedBuffers().Select(b => b.Name));
        Assert.Equal(["0", "1", "2"], model.NamedChildren().Select(c => c.Name));
        Assert.Equal(["", "0", "1", "2", "2.conv", "2.bn"], model.NamedModules().Select(m => m.Name));
        Assert.Equal(DType.Int64, model.StateDict()["2.bn.num_batches_tracked"].DType);
        Assert.Empty(model.StateDict()["2.bn.num_batches_tracked"].Shape);
        Assert.Same(((Linear)model[0]).Weight, model.StateDict()["0.weight"]);
    }

    [Fact]
    public void Load_copies_values_converting_any_dtype_to_float32()
    {
        var linear = new Linear(2, 2);
        var weight = Tensor.FromArray(new long[] { 1, -2, 3, 4 }, 2, 2);
        var bias = Tensor.FromArray(new long[] { 5, 6 }, 2);
        var result = linear.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = weight, ["bias"] = bias });
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        Assert.Equal(DType.Float32, linear.Weight.DType);
        Assert.Equal([1f, -2f, 3f, 4f], linear.Weight.ToArray());
        Assert.Equal([5f, 6f], linear.Bias!.ToArray());
        // The module keeps its own tensors: loading copies, it does not alias the source.
        Assert.NotSame(weight, linear.StateDict()["weight"]);
        Assert.Equal([1f * 1 + -2f * 1 + 5f, 3f + 4f + 6f], linear.Forward(Tensor.Ones(1, 2)).ToArray());
    }

    [Fact]
    public void Load_converts_float64_and_float16_and_keeps_num_batches_tracked_int64()
    {
        var bn = new BatchNorm2d(2);
        var state = bn.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        state["running_mean"] = Tensor.FromStorage(new ArrayStorage<byte>(System.Runtime.InteropServices.MemoryMarshal.AsBytes<double>([0.5, -0.25]).ToArray()), DType.Float64, [2]);
        state["running_var"] = Tensor.FromStorage(new ArrayStorage<byte>(System.Runtime.InteropServices.MemoryMarshal.AsBytes<Half>([(Half)2.5, (Half)0.125]).ToArray()), DType.Float16, [2]);
        state["num_batches_tracked"] = Tensor.FromArray(new long[] { 7 });
        bn.LoadStateDict(state);
        Assert.Equal([0.5f, -0.25f], bn.RunningMean!.ToArray());
        Assert.Equal([2.5f, 0.125f], bn.RunningVar!.ToArray());
        Assert.Equal(7, bn.NumBatchesTracked!.ToInt64Array()[0]);
        Assert.Equal(DType.Int64, bn.NumBatchesTracked.DType);
    }

    [Fact]
    public void Strict_load_lists_missing_and_unexpected_keys_and_changes_nothing()
    {
        var model = new Sequential(new Linear(2, 2), new ReLU(), new Linear(2, 1));
        var before = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        var state = new Dictionary<string, Tensor>
        {
            ["0.weight"] = Tensor.Zeros(2, 2),
            ["0.bias"] = Tensor.Zeros(2),
            ["2.weight"] = Tensor.Zeros(1, 2),
            ["3.weight"] = Tensor.Zeros(1),
            ["extra"] = Tensor.Zeros(1),
        };
        var ex = Assert.Throws<StateDictException>(() => model.LoadStateDict(state));
        Assert.Equal(["2.bias"], ex.MissingKeys);
        Assert.Equal(["3.weight", "extra"], ex.UnexpectedKeys);
        Assert.Contains("Missing key(s) in state_dict: \"2.bias\"", ex.Message);
        Assert.Contains("Unexpected key(s) in state_dict: \"3.weight\", \"extra\"", ex.Message);
        Assert.Contains("Sequential", ex.Message);
        foreach (var (key, tensor) in model.StateDict()) Assert.Equal(before[key], tensor.ToArray());
    }

    [Fact]
    public void Non_strict_load_returns_missing_and_unexpected_keys_and_loads_the_rest()
    {
        var model = new Sequential(new Linear(2, 2), new ReLU(), new Linear(2, 1));
        var result = model.LoadStateDict(new Dictionary<string, Tensor> { ["0.weight"] = Tensor.Ones(2, 2), ["head.weight"] = Tensor.Zeros(1) }, strict: false);
        Assert.Equal(["0.bias", "2.weight", "2.bias"], result.MissingKeys);
        Assert.Equal(["head.weight"], result.UnexpectedKeys);
        Assert.Equal([1f, 1f, 1f, 1f], ((Linear)model[0]).Weight.ToArray());
    }

    [Fact]
    public void Shape_mismatch_names_both_shapes_even_when_not_strict()
    {
        var model = new Sequential(new Linear(3, 2));
        var state = new Dictionary<string, Tensor> { ["0.weight"] = Tensor.Zeros(2, 4), ["0.bias"] = Tensor.Zeros(2) };
        foreach (bool strict in new[] { true, false })
        {
            var ex = Assert.Throws<StateDictException>(() => model.LoadStateDict(state, strict));
            Assert.Contains("size mismatch for 0.weight: copying a param with shape [2, 4] from checkpoint, the shape in current model is [2, 3].", ex.Message);
            Assert.Single(ex.ShapeMismatches);
        }
        Assert.NotEqual(new float[2], ((Linear)model[0]).Bias!.ToArray());
    }

    [Fact]
    public void Missing_num_batches_tracked_is_tolerated_as_for_old_checkpoints()
    {
        var bn = new BatchNorm2d(2);
        var state = bn.StateDict().Where(kv => kv.Key != "num_batches_tracked").ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        var result = bn.LoadStateDict(state);
        Assert.Empty(result.MissingKeys);
    }

    [Fact]
    public void Registration_rejects_dotted_and_duplicate_names_and_replacing_keeps_position()
    {
        var ex = Assert.Throws<ArgumentException>(() => new BadName());
        Assert.Contains("dot", ex.Message);
        var replaced = new Replaced();
        Assert.Equal(["a.weight", "a.bias", "b.weight", "b.bias"], replaced.StateDict().Keys);
        Assert.Equal(new long[] { 5, 4 }, replaced.StateDict()["a.weight"].Shape);
    }

    private sealed class BadName : Module
    {
        public BadName() => RegisterParameter("a.b", Tensor.Zeros(1));

        public override Tensor Forward(Tensor input) => input;
    }

    private sealed class Replaced : Module
    {
        public Replaced()
        {
            RegisterModule("a", new Linear(4, 3));
            RegisterModule("b", new Linear(3, 2));
            RegisterModule("a", new Linear(4, 5));
        }

        public override Tensor Forward(Tensor input) => input;
    }

    [Fact]
    public void A_state_dict_loads_into_a_fresh_model_and_reproduces_its_output()
    {
        var source = new Vision.Models.SqueezeNet("1_1", numClasses: 10);
        var target = new Vision.Models.SqueezeNet("1_1", numClasses: 10);
        source.Eval();
        target.Eval();
        var input = Tensor.FromArray(Enumerable.Range(0, 3 * 48 * 48).Select(i => (float)Math.Cos(i * 0.1)).ToArray(), 1, 3, 48, 48);
        OrderedDictionary<string, Tensor> state = source.StateDict();
        var result = target.LoadStateDict(state);
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        Assert.Equal(source.Forward(input).ToArray(), target.Forward(input).ToArray());
        Assert.Throws<StateDictException>(() => new Vision.Models.SqueezeNet("1_1", numClasses: 1000).LoadStateDict(state));
    }

    [Fact]
    public void ToString_prints_the_module_tree_like_pytorch()
    {
        var text = new Sequential(new Linear(64, 32), new ReLU()).ToString();
        Assert.Equal("Sequential(\n  (0): Linear(in_features=64, out_features=32, bias=True)\n  (1): ReLU()\n)", text);
    }
}
