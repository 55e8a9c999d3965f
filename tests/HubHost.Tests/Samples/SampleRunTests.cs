using System.Text.Json;
using HubHost.Tests.Infrastructure;
using TorchSharp;

namespace HubHost.Tests.Samples;

/// <summary>
/// `hubhost run` on the seeds' families: text through the repo's tokenizer (--text), a generator's seeded latents as an
/// image grid (--seed, --output grid.png), a segmentation model's class mask (--image, --output mask.png).
/// </summary>
[Collection(SharedHubCollection.Name)]
public sealed class SampleRunTests(SharedHub hub)
{
    private Task<CliRunner.Result> Run(params string[] args) => CliRunner.RunAsync(CliRunner.HomeOf(hub.HubDirectory), args);

    [Fact]
    public async Task Run_text_tokenizes_with_the_repos_tokenizer_and_runs_the_encoder_on_the_ids()
    {
        using var sentences = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Sample("text"), "samples", "sentences.json")));
        var first = sentences.RootElement[0];
        var result = await Run("run", RepoPaths.Sample("text"), "bert_tiny", "--text", first.GetProperty("text").GetString()!, "--output-key", "pooler_output", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(first.GetProperty("ids").EnumerateArray().Select(i => i.GetInt64()), json.RootElement.GetProperty("tokens").EnumerateArray().Select(i => i.GetInt64()));
        Assert.Equal("pooler_output", json.RootElement.GetProperty("outputKey").GetString());
        Assert.Equal([1L, 64], json.RootElement.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        Assert.False(json.RootElement.TryGetProperty("top", out _)); // a text encoder: no "top classes"

        var text = await Run("run", RepoPaths.Sample("text"), "bert_tiny", "--text", "hello world");
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.StartsWith("token ids [2, 1109, 1110, 3]", text.Stdout);
        Assert.Contains("output \"last_hidden_state\" of the dictionary (last_hidden_state, pooler_output) shape [1, 4, 64]", text.Stdout);
    }

    [Fact]
    public async Task Run_seed_draws_the_same_images_for_the_same_seed_as_a_grid_png()
    {
        using var temp = new TempDirectory();
        string Grid(string name) => temp.Combine(name);
        foreach (var (seed, file) in new[] { ("7", "a.png"), ("7", "b.png"), ("8", "c.png") })
        {
            var result = await Run("run", RepoPaths.Sample("generative"), "dcgan", "--seed", seed, "--output", Grid(file), "--json");
            Assert.True(result.ExitCode == 0, result.Stderr);
            using var json = JsonDocument.Parse(result.Stdout);
            Assert.Equal("image grid", json.RootElement.GetProperty("picture").GetProperty("kind").GetString());
            Assert.Equal(4, json.RootElement.GetProperty("picture").GetProperty("columns").GetInt32());
        }
        Assert.Equal(File.ReadAllBytes(Grid("a.png")), File.ReadAllBytes(Grid("b.png")));
        Assert.NotEqual(File.ReadAllBytes(Grid("a.png")), File.ReadAllBytes(Grid("c.png")));
        HubHost.Native.TorchNative.EnsureLoaded();
        using var image = torchvision.io.read_image(Grid("a.png"), torchvision.io.ImageReadMode.RGB, new torchvision.io.SkiaImager());
        Assert.Equal([3L, 4 * 66 + 2, 4 * 66 + 2], image.shape); // 16 images of 64x64, 4 per row, 2 pixels apart
    }

    [Fact]
    public async Task Run_image_on_the_segmentation_model_draws_its_class_mask()
    {
        using var temp = new TempDirectory();
        var mask = temp.Combine("mask.png");
        var result = await Run("run", RepoPaths.Sample("segmentation"), "lraspp_mobilenet_v3_large",
            "--image", Path.Combine(RepoPaths.Sample("segmentation"), "samples", "shapes.png"), "--output", mask, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        // torchvision's segmentation preset: the 256x192 picture's short side to 520, no crop.
        Assert.Equal([1L, 21, 520, 693], json.RootElement.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        var pixels = json.RootElement.GetProperty("picture").GetProperty("pixelsPerClass").EnumerateObject().Sum(p => p.Value.GetInt64());
        Assert.Equal(520L * 693, pixels);
        HubHost.Native.TorchNative.EnsureLoaded();
        using var image = torchvision.io.read_image(mask, torchvision.io.ImageReadMode.RGB, new torchvision.io.SkiaImager());
        Assert.Equal([3L, 520, 693], image.shape);
    }

    [Fact]
    public async Task Run_text_seed_and_picture_outputs_refuse_what_does_not_fit_with_one_error()
    {
        using var temp = new TempDirectory();
        var cases = new (string[] Args, string Expected)[]
        {
            (["run", RepoPaths.Sample("segmentation"), "lraspp_mobilenet_v3_large", "--text", "hello"], "has no tokenizer entrypoint, so --text cannot be tokenized"),
            (["run", RepoPaths.Sample("text"), "bert_tiny", "--seed", "1"], "--seed draws floating-point latents, but the input of bert_tiny is int64"),
            (["run", RepoPaths.Sample("text"), "bert_tiny", "--text", "hi", "--seed", "1"], "exactly one of --input"),
            (["run", RepoPaths.Sample("text"), "bert_tiny", "--text", "hi", "--output", temp.Combine("x.png")], "Write it as .npy instead"),
        };
        foreach (var (args, expected) in cases)
        {
            var result = await Run(args);
            Assert.True(result.ExitCode == 1, $"{string.Join(' ', args)}: {result.Stderr}");
            Assert.Contains(expected, Assert.Single(result.Stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal)));
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));
    }
}
