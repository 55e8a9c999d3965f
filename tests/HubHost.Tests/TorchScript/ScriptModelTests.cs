using HubHost.Checkpoints;
using HubHost.Running;
using HubHost.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Tests.TorchScript;

/// <summary>
/// Issue 16.1: every TorchSharp callable model runs through the library's <see cref="ModelRunner"/> (what `hubhost run`
/// and `compare` use): TorchScript archives written by PyTorch 1.13 (tests/fixtures/torchscript/make_torchscript.py)
/// loaded by the fixture repo with IHubServices.LoadScript, and TorchSharp modules of each shape, reproducing PyTorch's
/// outputs within 1e-4 relative. The fixture repo is built once in the shared hub.
/// </summary>
[Collection(SharedHubCollection.Name)]
public sealed class ScriptModelTests(SharedHub hub)
{
    internal static string Repo => RepoPaths.Fixture("torchscript", "repo");

    internal static string Reference(string name) => RepoPaths.Fixture("torchscript", name);

    private async Task<RunnableModel> Model(string entrypoint, object? arguments = null)
        => ModelRunner.AsModel(await hub.Client.LoadAsync(Repo, entrypoint, arguments), Repo, entrypoint);

    private static ModelOutput Run(RunnableModel model, string? outputKey, params string[] inputs)
    {
        var tensors = inputs.Select(i => Npy.Load(Reference(i))).ToList();
        try
        {
            return ModelRunner.Forward(model, tensors, outputKey);
        }
        finally
        {
            foreach (var t in tensors) t.Dispose();
        }
    }

    [Fact]
    public async Task A_traced_segmentation_model_loaded_with_LoadScript_reproduces_pytorch()
    {
        using var made = await hub.Client.LoadAsync<jit.ScriptModule<Tensor, Tensor>>(Repo, "segmentation");
        using var model = ModelRunner.AsModel(made, Repo, "segmentation");
        Assert.True(model.IsScript);
        Assert.Equal("jit.ScriptModule<Tensor, Tensor>", model.TypeName);
        Assert.Equal("1 tensor", model.Inputs);
        Assert.True(model.ParameterCount > 0);
        using var output = Run(model, null, "segmentation_input.npy");
        Assert.Null(output.Key);
        Assert.Equal("tensor", output.Kind);
        using var expected = Npy.Load(Reference("segmentation_out.npy"));
        TorchAssert.Close(expected, output.Tensor);
    }

    [Fact]
    public async Task Float64_inputs_are_given_in_the_models_dtype()
    {
        using var model = await Model("segmentation");
        using var input = Npy.Load(Reference("segmentation_input.npy"));
        using var asFloat64 = input.to(ScalarType.Float64);
        using var output = ModelRunner.Forward(model, [asFloat64]);
        Assert.Equal(ScalarType.Float32, output.Tensor.dtype);
        using var expected = Npy.Load(Reference("segmentation_out.npy"));
        TorchAssert.Close(expected, output.Tensor);
        Assert.Equal(ScalarType.Float64, asFloat64.dtype); // the caller's tensor is left as it was
    }

    [Fact]
    public async Task A_tuple_output_is_picked_by_position_default_the_first()
    {
        using var model = await Model("two_heads");
        using (var first = Run(model, null, "two_heads_input.npy"))
        using (var logits = Npy.Load(Reference("two_heads_logits.npy")))
        {
            Assert.Equal("0", first.Key);
            Assert.Equal(["0", "1"], first.Keys);
            Assert.Equal("tuple", first.Kind);
            Assert.Equal("output 0 of a tuple of 2", first.Description);
            TorchAssert.Close(logits, first.Tensor);
        }
        using (var second = Run(model, "1", "two_heads_input.npy"))
        using (var embedding = Npy.Load(Reference("two_heads_embedding.npy")))
            TorchAssert.Close(embedding, second.Tensor);

        var e = Assert.Throws<HubException>(() => Run(model, "2", "two_heads_input.npy"));
        Assert.Equal($"two_heads of {Repo} has no output \"2\": its outputs are positions 0 to 1 of a tuple. Pick one of them as the output key (--output-key in the CLI).", e.Message);
    }

    [Fact]
    public async Task A_dictionary_output_is_picked_by_key_and_a_missing_key_names_the_keys()
    {
        using var model = await Model("two_heads_named");
        Assert.False(model.IsScript);
        using (var embedding = Run(model, "embedding", "two_heads_input.npy"))
        using (var expected = Npy.Load(Reference("two_heads_embedding.npy")))
        {
            Assert.Equal(["logits", "embedding"], embedding.Keys);
            Assert.Equal("output \"embedding\" of the dictionary (logits, embedding)", embedding.Description);
            TorchAssert.Close(expected, embedding.Tensor);
        }
        using (var first = Run(model, null, "two_heads_input.npy"))
            Assert.Equal("logits", first.Key);
        var e = Assert.Throws<HubException>(() => Run(model, "out", "two_heads_input.npy"));
        Assert.Contains("has no output \"out\": the dictionary's keys are logits, embedding.", e.Message);
    }

    [Fact]
    public async Task A_non_tensor_output_and_a_key_for_a_single_tensor_are_one_clear_error()
    {
        using var tagged = await Model("tagged");
        using (var logits = Run(tagged, null, "two_heads_input.npy"))
            Assert.Equal([3L, 4L], logits.Tensor.shape);
        var e = Assert.Throws<HubException>(() => Run(tagged, "1", "two_heads_input.npy"));
        Assert.Equal($"Output 1 of tagged of {Repo} is a string, not a tensor (tuple of 0: a tensor, 1: a string). Pick a tensor output as the output key (--output-key in the CLI).", e.Message);

        using var segmentation = await Model("segmentation");
        e = Assert.Throws<HubException>(() => Run(segmentation, "out", "segmentation_input.npy"));
        Assert.Contains("returned one tensor, so there is no output \"out\" to pick", e.Message);
    }

    [Fact]
    public async Task A_torchscript_dict_output_says_torchsharp_cannot_return_it_and_how_to_save_the_model()
    {
        using var model = await Model("segmentation_dict");
        var e = Assert.Throws<HubException>(() => Run(model, null, "segmentation_input.npy"));
        Assert.StartsWith($"segmentation_dict of {Repo} ran, but returned a value TorchSharp cannot pass to .NET", e.Message);
        Assert.Contains("not a dictionary", e.Message);
        Assert.Contains("model(x)[\"out\"]", e.Message);
    }

    [Theory]
    [InlineData("pair", true)]
    [InlineData("pair_torchsharp", false)]
    public async Task Two_inputs_in_order_reproduce_pytorch_and_another_count_is_refused(string entrypoint, bool script)
    {
        using var model = await Model(entrypoint);
        Assert.Equal(script, model.IsScript);
        Assert.Equal("2 tensors", model.Inputs);
        using (var output = Run(model, null, "pair_x.npy", "pair_y.npy"))
        using (var expected = Npy.Load(Reference("pair_out.npy")))
            TorchAssert.Close(expected, output.Tensor);

        var one = Assert.Throws<HubException>(() => Run(model, null, "pair_x.npy"));
        Assert.StartsWith($"{entrypoint} of {Repo} takes 2 tensors, but 1 input was given", one.Message);
        Assert.EndsWith("Give one input per argument of the model's forward, in order (--input once for each in the CLI).", one.Message);
        var three = Assert.Throws<HubException>(() => Run(model, null, "pair_x.npy", "pair_y.npy", "pair_y.npy"));
        Assert.StartsWith($"{entrypoint} of {Repo} takes 2 tensors, but 3 inputs were given.", three.Message);
        var swapped = Assert.Throws<HubException>(() => Run(model, null, "pair_y.npy", "pair_x.npy"));
        Assert.StartsWith($"{entrypoint} of {Repo} cannot run on 2 inputs of shapes [2, 3] (float32), [2, 5] (float32): ", swapped.Message);
        Assert.DoesNotContain("\n", swapped.Message);
    }

    [Theory]
    [InlineData("tokens")]
    [InlineData("tokens_untyped")]
    public async Task Int64_token_ids_reach_the_model_as_int64(string entrypoint)
    {
        using var model = await Model(entrypoint);
        using (var output = Run(model, null, "tokens_ids.npy"))
        using (var expected = Npy.Load(Reference("tokens_out.npy")))
            TorchAssert.Close(expected, output.Tensor);

        // Token ids saved as floats are floats: the embedding refuses them, and the message names the dtype given.
        var e = Assert.Throws<HubException>(() => Run(model, null, "tokens_ids_float64.npy"));
        Assert.StartsWith($"{entrypoint} of {Repo} cannot run on an input of shape [2, 6] (float64): ", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public async Task Weights_load_into_a_script_module_and_misfits_are_named()
    {
        using var model = await Model("two_heads");
        var weights = Checkpoint.Read(Reference("two_heads_weights.pt"));
        ModelRunner.LoadWeights(model, weights, "two_heads_weights.pt");
        using (var output = Run(model, null, "two_heads_input.npy"))
        using (var expected = Npy.Load(Reference("two_heads_weights_logits.npy")))
            TorchAssert.Close(expected, output.Tensor);

        var other = Checkpoint.Read(Path.Combine(Repo, "pair_state.pt"));
        var e = Assert.Throws<HubException>(() => ModelRunner.LoadWeights(model, other, "pair_state.pt"));
        Assert.StartsWith("The weights pair_state.pt do not fit the model jit.ScriptModule<Tensor, (Tensor, Tensor)>: missing body.weight", e.Message);
    }

    [Fact]
    public async Task What_is_not_a_model_is_refused_by_name()
    {
        var e = Assert.Throws<HubException>(() => ModelRunner.AsModel("text", "./r", "e"));
        Assert.StartsWith("The entrypoint e of ./r returned string, not a model taking tensors", e.Message);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Compare_runs_both_versions_on_several_inputs_and_compares_the_picked_output()
    {
        var comparison = await hub.Client.CompareModelsAsync(Repo, Repo, "two_heads_named",
            [Npy.Load(Reference("two_heads_input.npy"))], outputKey: "embedding");
        Assert.Equal("embedding", comparison.A.OutputKey);
        Assert.Equal([3L, 6L], comparison.B.OutputShape);
        Assert.Equal(0, comparison.MaxAbsoluteDifference);

        var pair = await hub.Client.CompareModelsAsync(Repo, Repo, "pair", [Npy.Load(Reference("pair_x.npy")), Npy.Load(Reference("pair_y.npy"))]);
        Assert.Null(pair.A.OutputKey);
        Assert.Equal("jit.ScriptModule<Tensor>", pair.A.ModelType);
        Assert.Equal(0, pair.MaxRelativeDifference);
    }

    [Fact]
    public async Task Help_shows_a_script_module_entrypoint_as_code_writes_it()
    {
        var help = await hub.Client.HelpAsync(Repo, "segmentation");
        Assert.StartsWith("segmentation() -> jit.ScriptModule<Tensor, Tensor>", help);
        var repo = await hub.Client.OpenAsync(Repo);
        Assert.Equal("nn.Module<Tensor, Tensor, Tensor>", repo.Entrypoints.Single(e => e.Name == "pair_torchsharp").ReturnType);
    }
}
