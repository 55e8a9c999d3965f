using System.Text.Json;
using HubHost.Checkpoints;
using HubHost.Cli.Inputs;
using HubHost.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Tests.Samples;

/// <summary>
/// The seeds' model families as the sample repos ship them (plugins-sample/segmentation, text, generative; made by
/// `hubhost import`), loaded through the hub and run by TorchSharp / libtorch: each reproduces the output PyTorch 1.13
/// gave for the committed example input (samples/*.npy) within 1e-4 relative. No Python runs here.
/// </summary>
[Collection(SharedHubCollection.Name)]
public sealed class SampleParityTests(SharedHub hub)
{
    private static string Samples(string repo, string file) => Path.Combine(RepoPaths.Sample(repo), "samples", file);

    [Fact]
    public async Task Segmentation_lraspp_reproduces_PyTorch_and_names_its_dictionary_output()
    {
        var repo = await hub.Client.OpenAsync(RepoPaths.Sample("segmentation"));
        using var model = Assert.IsAssignableFrom<nn.Module<Tensor, Dictionary<string, Tensor>>>(await repo.InvokeAsync("lraspp_mobilenet_v3_large"));
        model.eval();
        using var _ = no_grad();
        using var x = Npy.Load(Samples("segmentation", "lraspp_mobilenet_v3_large.input0.npy"));
        var y = model.forward(x);
        Assert.Equal(["out"], y.Keys);
        Assert.Equal([1L, 21, 128, 128], y["out"].shape);
        using var expected = Npy.Load(Samples("segmentation", "lraspp_mobilenet_v3_large.output0.npy"));
        TorchAssert.Close(expected, y["out"]);
        Assert.Equal(3_221_538, model.parameters().Sum(p => p.numel())); // torchvision's lraspp_mobilenet_v3_large(num_classes=21)
        y["out"].Dispose();
    }

    [Fact]
    public async Task Text_tokenizer_gives_the_reference_BERT_ids_and_bert_tiny_reproduces_PyTorch()
    {
        var repo = await hub.Client.OpenAsync(RepoPaths.Sample("text"));
        var tokenizer = await repo.InvokeAsync("tokenizer");
        Assert.Equal("Microsoft.ML.Tokenizers.BertTokenizer", tokenizer!.GetType().FullName);
        using var sentences = JsonDocument.Parse(File.ReadAllText(Samples("text", "sentences.json")));
        foreach (var sentence in sentences.RootElement.EnumerateArray())
        {
            var text = sentence.GetProperty("text").GetString()!;
            // BERT's ids, or for a sentence with tabs or newlines what Microsoft.ML.Tokenizers 3.0.0 gives (it drops them; see sentences.json's note).
            var expected = (sentence.TryGetProperty("dotnetIds", out var dotnet) ? dotnet : sentence.GetProperty("ids")).EnumerateArray().Select(i => i.GetInt64()).ToArray();
            Assert.Equal(expected, TextInput.Encode(tokenizer, text, "the tokenizer"));
        }

        using var model = Assert.IsAssignableFrom<nn.Module<Tensor, Dictionary<string, Tensor>>>(await repo.InvokeAsync("bert_tiny"));
        model.eval();
        using var _ = no_grad();
        using var ids = Npy.Load(Samples("text", "bert_tiny.input0.npy"));
        Assert.Equal(ScalarType.Int64, ids.dtype);
        // The example input is the first sentence as the Python tokenizer gave it; the .NET tokenizer gives the same ids.
        Assert.Equal(ids.data<long>().ToArray(), TextInput.Encode(tokenizer, sentences.RootElement[0].GetProperty("text").GetString()!, "the tokenizer"));
        var y = model.forward(ids);
        Assert.Equal(["last_hidden_state", "pooler_output"], y.Keys);
        TorchAssert.Close(Npy.Load(Samples("text", "bert_tiny.output0.npy")), y["last_hidden_state"]);
        TorchAssert.Close(Npy.Load(Samples("text", "bert_tiny.output1.npy")), y["pooler_output"]);
    }

    [Fact]
    public async Task Generative_dcgan_reproduces_PyTorchs_images()
    {
        var repo = await hub.Client.OpenAsync(RepoPaths.Sample("generative"));
        using var model = Assert.IsType<jit.ScriptModule<Tensor, Tensor>>(await repo.InvokeAsync("dcgan"));
        model.eval();
        using var _ = no_grad();
        using var z = Npy.Load(Samples("generative", "dcgan.input0.npy"));
        Assert.Equal([16L, 100, 1, 1], z.shape);
        using var images = model.forward(z);
        Assert.Equal([16L, 3, 64, 64], images.shape);
        using var expected = Npy.Load(Samples("generative", "dcgan.output0.npy"));
        TorchAssert.Close(expected, images);
    }

    [Fact]
    public async Task The_four_sample_families_have_catalog_cards_with_categories_tasks_and_inputs()
    {
        var expected = new (string Repo, string Entry, string Category, string? Task)[]
        {
            ("vision", "resnet18", "Vision", "classification"),
            ("vision", "digits_mlp", "Vision", "classification"),
            ("segmentation", "lraspp_mobilenet_v3_large", "Segmentation", "segmentation"),
            ("text", "bert_tiny", "Text", "text"),
            ("text", "tokenizer", "Text", "tokenizer"),
            ("generative", "dcgan", "Generative", "generation"),
        };
        foreach (var (name, entry, category, task) in expected)
        {
            var repo = await hub.Client.OpenAsync(RepoPaths.Sample(name));
            Assert.Null(repo.Cards.Error);
            var card = repo.Cards.For(entry);
            Assert.Equal(category, card.Category);
            Assert.Equal(task, card.Task);
            if (card.Input?.File is { } file) Assert.True(File.Exists(Path.Combine(repo.SourceDirectory, file)), $"{name}/{file}");
        }
        var dcgan = (await hub.Client.OpenAsync(RepoPaths.Sample("generative"))).Cards.For("dcgan");
        Assert.Equal([16L, 100, 1, 1], dcgan.Input!.Shape);
    }
}
