using System.Text.Json;
using HubHost.Nn;
using HubHost.Nn.Checkpoints;
using HubHost.Tests.Downloads;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Cli;

[Collection(SharedHubCollection.Name)]
public sealed class RunCommandTests(SharedHub hub)
{
    private Task<CliRunner.Result> Run(params string[] args) => CliRunner.RunAsync(CliRunner.HomeOf(hub.HubDirectory), args);

    [Fact]
    public async Task Run_loads_weights_runs_in_eval_mode_and_writes_pytorchs_output()
    {
        using var temp = new TempDirectory();
        var output = temp.Combine("out.npy");
        var result = await Run("run", RepoPaths.Sample("vision"), "squeezenet1_1",
            "--weights", RepoPaths.Fixture("pytorch", "squeezenet1_1.pt"),
            "--input", RepoPaths.Fixture("pytorch", "squeezenet1_1_input.npy"), "--output", output, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal([2L, 1000L], doc.RootElement.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        var actual = Npy.Load(output).ToArray();
        var expected = Npy.Load(RepoPaths.Fixture("pytorch", "squeezenet1_1_output.npy")).To(DType.Float32).ToArray();
        var scale = expected.Max(Math.Abs);
        Assert.True(actual.Zip(expected).Max(p => Math.Abs(p.First - p.Second)) / scale <= 1e-4);
    }

    [Fact]
    public async Task Run_and_state_dict_take_weights_from_a_url_and_cache_them()
    {
        using var server = new LoopbackHttpServer();
        server.Serve("/w/digits_mlp-41499836.pt", File.ReadAllBytes(RepoPaths.Fixture("pytorch", "digits_mlp.pt")));
        var listed = await Run("state-dict", server.Url("/w/digits_mlp-41499836.pt"), "--json");
        Assert.True(listed.ExitCode == 0, listed.Stderr);
        using var doc = JsonDocument.Parse(listed.Stdout);
        using var reference = JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("pytorch", "digits_mlp.json")));
        foreach (var row in doc.RootElement.EnumerateArray())
            Assert.Equal(reference.RootElement.GetProperty("state_dict").GetProperty(row.GetProperty("name").GetString()!).GetProperty("sha256").GetString(), row.GetProperty("sha256").GetString());
        Assert.Equal(4, doc.RootElement.GetArrayLength());
        Assert.True(File.Exists(Path.Combine(hub.HubDirectory, "checkpoints", "digits_mlp-41499836.pt")));

        using var temp = new TempDirectory();
        var input = temp.Combine("x.npy");
        Npy.Save(input, Tensor.FromArray(new float[64], 1, 64));
        var run = await Run("run", RepoPaths.Sample("vision"), "digits_mlp", "--weights", server.Url("/w/digits_mlp-41499836.pt"), "--input", input);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.StartsWith("shape [1, 10]", run.Stdout);
        Assert.Equal(1, server.CompleteBodies("/w/digits_mlp-41499836.pt")); // the second use came from the cache
    }

    [Fact]
    public async Task Run_bad_input_gives_one_clear_line()
    {
        using var temp = new TempDirectory();
        var input = temp.Combine("x.npy");
        Npy.Save(input, Tensor.FromArray(new float[64], 1, 64));

        var notModel = await Run("run", RepoPaths.Sample("hello"), "greet", "--input", input);
        Assert.Equal(1, notModel.ExitCode);
        Assert.Contains("not a HubHost.Nn.Modules.Module", notModel.Stderr);

        var misfit = await Run("run", RepoPaths.Sample("vision"), "digits_mlp", "--weights", RepoPaths.Fixture("pytorch", "squeezenet1_1.pt"), "--input", input);
        Assert.Equal(1, misfit.ExitCode);
        Assert.Contains("do not fit the model", misfit.Stderr);

        var noInput = await Run("run", RepoPaths.Sample("vision"), "digits_mlp", "--input", temp.Combine("missing.npy"));
        Assert.Equal(1, noInput.ExitCode);
        Assert.Contains("missing.npy' does not exist", noInput.Stderr);

        var notCheckpoint = await Run("state-dict", RepoPaths.Fixture("pytorch", "squeezenet1_1_input.npy"));
        Assert.Equal(1, notCheckpoint.ExitCode);
        Assert.StartsWith("error: Cannot read the checkpoint", notCheckpoint.Stderr.Trim());
        foreach (var r in new[] { notModel, misfit, noInput, notCheckpoint })
            Assert.DoesNotContain("   at ", r.Stderr);
    }
}
