using System.Text.Json;
using HubHost.Checkpoints;
using HubHost.Tests.Downloads;
using HubHost.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Tests.Cli;

[Collection(SharedHubCollection.Name)]
public sealed class RunCommandTests(SharedHub hub)
{
    private Task<CliRunner.Result> Run(params string[] args) => CliRunner.RunAsync(CliRunner.HomeOf(hub.HubDirectory), args);

    [Fact]
    public async Task Run_predicts_digits_with_the_weights_and_inputs_the_sample_repo_ships()
    {
        // The README's main job.
        var result = await Run("run", RepoPaths.Sample("vision"), "digits_mlp", "--arg", "pretrained=true",
            "--input", Path.Combine(RepoPaths.Sample("vision"), "samples", "digits.npy"), "--top", "1", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal([12L, 10L], doc.RootElement.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        var predicted = doc.RootElement.GetProperty("top").EnumerateArray().Select(r => r[0].GetProperty("class").GetInt64()).ToArray();
        // PyTorch's predictions for these rows (tests/fixtures/pytorch/digits_mlp.json, expected_logits).
        using var reference = JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("pytorch", "digits_mlp.json")));
        var expected = reference.RootElement.GetProperty("expected_logits").EnumerateArray().Take(12)
            .Select(r => (long)r.EnumerateArray().Select((v, i) => (v.GetDouble(), i)).Max().i).ToArray();
        Assert.Equal(expected, predicted);

        var text = await Run("run", RepoPaths.Sample("vision"), "digits_mlp", "--arg", "pretrained=true",
            "--input", Path.Combine(RepoPaths.Sample("vision"), "samples", "digits.npy"), "--top", "2");
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.StartsWith("output shape [12, 10]", text.Stdout);
        Assert.Contains($"row 1: {expected[1]} (", text.Stdout);
    }

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
        TorchAssert.Close(Npy.Load(RepoPaths.Fixture("pytorch", "squeezenet1_1_output.npy")), Npy.Load(output));
    }

    [Fact]
    public async Task Run_takes_an_image_preprocessed_for_imagenet_models_and_shows_labels()
    {
        using var temp = new TempDirectory();
        var image = temp.Combine("stripes.png");
        HubHost.Native.TorchNative.EnsureLoaded();
        using (var pixels = (arange(300 * 400 * 3) % 251).to(ScalarType.Byte).reshape(3, 300, 400))
            torchvision.io.write_png(pixels, image, new torchvision.io.SkiaImager());
        var labels = temp.Combine("labels.txt");
        File.WriteAllLines(labels, Enumerable.Range(0, 1000).Select(i => $"class-{i}"));
        var result = await Run("run", RepoPaths.Sample("vision"), "squeezenet1_1", "--weights", RepoPaths.Fixture("pytorch", "squeezenet1_1.pt"),
            "--image", image, "--labels", labels, "--top", "3");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.StartsWith("output shape [1, 1000]", result.Stdout);
        Assert.Matches(@"row 0: class-\d+ \(\d+\.\d %\), class-\d+ \(", result.Stdout);

        var notImage = await Run("run", RepoPaths.Sample("vision"), "squeezenet1_1", "--image", labels);
        Assert.Equal(1, notImage.ExitCode);
        Assert.StartsWith("error: Cannot decode the image", notImage.Stderr.Trim());
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

        var run = await Run("run", RepoPaths.Sample("vision"), "digits_mlp", "--weights", server.Url("/w/digits_mlp-41499836.pt"),
            "--input", Path.Combine(RepoPaths.Sample("vision"), "samples", "digits.npy"));
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.StartsWith("output shape [12, 10]", run.Stdout);
        Assert.Equal(1, server.CompleteBodies("/w/digits_mlp-41499836.pt")); // the second use came from the cache
    }

    [Fact]
    public async Task Compare_runs_two_versions_on_one_input_and_reports_differences_and_top1_agreement()
    {
        using var temp = new TempDirectory();
        var v2 = temp.Combine("vision-v2");
        Vision.VisionAcceptanceTests.CopyTree(RepoPaths.Sample("vision"), v2);
        File.Copy(RepoPaths.Fixture("digits-v2", "digits_mlp_v2.pt"), Path.Combine(v2, "digits_mlp.pt"), overwrite: true);
        var result = await Run("compare", RepoPaths.Sample("vision"), v2, "digits_mlp", "--arg", "pretrained=true",
            "--input", RepoPaths.Fixture("digits-v2", "test_inputs.npy"));
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var reference = JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("digits-v2", "digits_mlp_v2.json")));
        var agreement = reference.RootElement.GetProperty("top1_agreement_with_v1").GetDouble();
        Assert.Contains($"top-1 agreement {agreement.ToString("P1", System.Globalization.CultureInfo.InvariantCulture)} ({Math.Round(agreement * 297)} of 297 rows)", result.Stdout);
        Assert.Contains("output [297, 10]", result.Stdout);
        Assert.Contains("max abs difference", result.Stdout);
    }

    [Fact]
    public async Task Run_bad_input_gives_one_clear_line()
    {
        var digits = Path.Combine(RepoPaths.Sample("vision"), "samples", "digits.npy");
        var notModel = await Run("run", RepoPaths.Sample("hello"), "greet", "--input", digits);
        Assert.Equal(1, notModel.ExitCode);
        Assert.Contains("not a model taking tensors", notModel.Stderr);

        var misfit = await Run("run", RepoPaths.Sample("vision"), "digits_mlp", "--weights", RepoPaths.Fixture("pytorch", "squeezenet1_1.pt"), "--input", digits);
        Assert.Equal(1, misfit.ExitCode);
        Assert.Contains("do not fit the model", misfit.Stderr);

        var wrongShape = await Run("run", RepoPaths.Sample("vision"), "squeezenet1_1", "--input", digits);
        Assert.Equal(1, wrongShape.ExitCode);
        Assert.Contains("cannot run on an input of shape [12, 64]", wrongShape.Stderr);

        var noInput = await Run("run", RepoPaths.Sample("vision"), "digits_mlp", "--input", "/nonexistent/missing.npy");
        Assert.Equal(1, noInput.ExitCode);
        Assert.Contains("missing.npy' does not exist", noInput.Stderr);

        var both = await Run("run", RepoPaths.Sample("vision"), "digits_mlp", "--input", digits, "--image", digits);
        Assert.Equal(1, both.ExitCode);
        Assert.Contains("exactly one of --input", both.Stderr);

        var notCheckpoint = await Run("state-dict", RepoPaths.Fixture("pytorch", "squeezenet1_1_input.npy"));
        Assert.Equal(1, notCheckpoint.ExitCode);
        Assert.StartsWith("error: Cannot read the checkpoint", notCheckpoint.Stderr.Trim());
        foreach (var r in new[] { notModel, misfit, wrongShape, noInput, both, notCheckpoint })
        {
            Assert.DoesNotContain("   at ", r.Stderr);
            Assert.Single(r.Stderr.Trim().Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
        }
    }
}
