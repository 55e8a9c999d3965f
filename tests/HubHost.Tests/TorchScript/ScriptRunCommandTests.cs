using System.Text.Json;
using HubHost.Checkpoints;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.TorchScript;

/// <summary>
/// Issue 16.1 through the real CLI: `hubhost run` and `compare` on TorchScript entrypoints (several inputs, int64 token
/// ids, tuple and dictionary outputs picked with --output-key, weights into a script module), reproducing PyTorch,
/// and each misuse one `error:` line.
/// </summary>
[Collection(SharedHubCollection.Name)]
public sealed class ScriptRunCommandTests(SharedHub hub)
{
    private static string Repo => ScriptModelTests.Repo;

    private static string Reference(string name) => ScriptModelTests.Reference(name);

    private Task<CliRunner.Result> Hubhost(params string[] args) => CliRunner.RunAsync(CliRunner.HomeOf(hub.HubDirectory), args);

    [Fact]
    public async Task Run_writes_a_traced_segmentation_models_output_as_pytorch_computed_it()
    {
        using var temp = new TempDirectory();
        var output = temp.Combine("mask-logits.npy");
        var result = await Hubhost("run", Repo, "segmentation", "--input", Reference("segmentation_input.npy"), "--output", output);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.StartsWith("output shape [2, 5, 24, 24], written to ", result.Stdout);
        using var expected = Npy.Load(Reference("segmentation_out.npy"));
        using var actual = Npy.Load(output);
        TorchAssert.Close(expected, actual);
    }

    [Fact]
    public async Task Run_picks_a_tuple_or_dictionary_output_and_names_it()
    {
        using var temp = new TempDirectory();
        var output = temp.Combine("embedding.npy");
        var tuple = await Hubhost("run", Repo, "two_heads", "--input", Reference("two_heads_input.npy"), "--output-key", "1", "--output", output, "--json");
        Assert.True(tuple.ExitCode == 0, tuple.Stderr);
        using (var doc = JsonDocument.Parse(tuple.Stdout))
        {
            Assert.Equal("1", doc.RootElement.GetProperty("outputKey").GetString());
            Assert.Equal(["0", "1"], doc.RootElement.GetProperty("outputKeys").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal([3L, 6L], doc.RootElement.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        }
        using (var expected = Npy.Load(Reference("two_heads_embedding.npy")))
        using (var actual = Npy.Load(output))
            TorchAssert.Close(expected, actual);

        var first = await Hubhost("run", Repo, "two_heads", "--input", Reference("two_heads_input.npy"), "--top", "1");
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.StartsWith("output 0 of a tuple of 2 shape [3, 4]", first.Stdout);

        var named = await Hubhost("run", Repo, "two_heads_named", "--input", Reference("two_heads_input.npy"), "--output-key", "embedding");
        Assert.True(named.ExitCode == 0, named.Stderr);
        Assert.StartsWith("output \"embedding\" of the dictionary (logits, embedding) shape [3, 6]", named.Stdout);
    }

    [Fact]
    public async Task Run_gives_several_inputs_in_order_and_int64_token_ids_as_int64()
    {
        using var temp = new TempDirectory();
        var pairOut = temp.Combine("pair.npy");
        var pair = await Hubhost("run", Repo, "pair", "--input", Reference("pair_x.npy"), "--input", Reference("pair_y.npy"), "--output", pairOut);
        Assert.True(pair.ExitCode == 0, pair.Stderr);
        using (var expected = Npy.Load(Reference("pair_out.npy")))
        using (var actual = Npy.Load(pairOut))
            TorchAssert.Close(expected, actual);

        var tokensOut = temp.Combine("tokens.npy");
        var tokens = await Hubhost("run", Repo, "tokens", "--input", Reference("tokens_ids.npy"), "--output", tokensOut);
        Assert.True(tokens.ExitCode == 0, tokens.Stderr);
        using (var expected = Npy.Load(Reference("tokens_out.npy")))
        using (var actual = Npy.Load(tokensOut))
            TorchAssert.Close(expected, actual);
    }

    [Fact]
    public async Task Run_loads_weights_into_a_script_module()
    {
        using var temp = new TempDirectory();
        var output = temp.Combine("logits.npy");
        var result = await Hubhost("run", Repo, "two_heads", "--weights", Reference("two_heads_weights.pt"), "--input", Reference("two_heads_input.npy"), "--output", output);
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var expected = Npy.Load(Reference("two_heads_weights_logits.npy"));
        using var actual = Npy.Load(output);
        TorchAssert.Close(expected, actual);
    }

    [Fact]
    public async Task Compare_runs_both_versions_of_a_two_input_model_and_compares_the_picked_output()
    {
        var pair = await Hubhost("compare", Repo, Repo, "pair", "--input", Reference("pair_x.npy"), "--input", Reference("pair_y.npy"));
        Assert.True(pair.ExitCode == 0, pair.Stderr);
        Assert.Contains("jit.ScriptModule<Tensor>", pair.Stdout);
        Assert.Contains("max abs difference 0, max relative difference 0", pair.Stdout);

        var named = await Hubhost("compare", Repo, Repo, "two_heads_named", "--input", Reference("two_heads_input.npy"), "--output-key", "embedding", "--json");
        Assert.True(named.ExitCode == 0, named.Stderr);
        using var doc = JsonDocument.Parse(named.Stdout);
        Assert.Equal("embedding", doc.RootElement.GetProperty("a").GetProperty("outputKey").GetString());
        Assert.Equal([3L, 6L], doc.RootElement.GetProperty("b").GetProperty("outputShape").EnumerateArray().Select(e => e.GetInt64()));
    }

    [Fact]
    public async Task Each_misuse_is_one_clear_error_line()
    {
        var cases = new (string[] Args, string Expected)[]
        {
            (["run", Repo, "pair", "--input", Reference("pair_x.npy")], $"error: pair of {Repo} takes 2 tensors, but 1 input was given"),
            (["run", Repo, "segmentation", "--input", Reference("segmentation_input.npy"), "--input", Reference("segmentation_input.npy")], $"error: segmentation of {Repo} takes 1 tensor, but 2 inputs were given"),
            (["run", Repo, "two_heads_named", "--input", Reference("two_heads_input.npy"), "--output-key", "out"], $"error: two_heads_named of {Repo} has no output \"out\": the dictionary's keys are logits, embedding."),
            (["run", Repo, "tagged", "--input", Reference("two_heads_input.npy"), "--output-key", "1"], $"error: Output 1 of tagged of {Repo} is a string, not a tensor"),
            (["run", Repo, "segmentation_dict", "--input", Reference("segmentation_input.npy")], $"error: segmentation_dict of {Repo} ran, but returned a value TorchSharp cannot pass to .NET"),
            (["run", Repo, "tokens", "--input", Reference("tokens_ids_float64.npy")], $"error: tokens of {Repo} cannot run on an input of shape [2, 6] (float64): "),
            (["run", Repo, "two_heads", "--weights", Path.Combine(Repo, "pair_state.pt"), "--input", Reference("two_heads_input.npy")], "error: The weights "),
            (["compare", Repo, Repo, "two_heads", "--output-key", "1"], "error: --output-key 1 picks one of a model's outputs"),
        };
        foreach (var (args, expected) in cases)
        {
            var result = await Hubhost(args);
            Assert.True(result.ExitCode == 1, $"{string.Join(' ', args)}: exit {result.ExitCode}\n{result.Stderr}");
            Assert.StartsWith(expected, result.Stderr.Trim());
            Assert.DoesNotContain("   at ", result.Stderr);
            Assert.Single(result.Stderr.Trim().Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
            Assert.Equal("", result.Stdout);
        }
    }

    [Fact]
    public async Task Help_and_list_show_the_script_module_type()
    {
        var help = await Hubhost("help", Repo, "two_heads");
        Assert.True(help.ExitCode == 0, help.Stderr);
        Assert.StartsWith("two_heads() -> jit.ScriptModule<Tensor, (Tensor, Tensor)>", help.Stdout);
    }
}
