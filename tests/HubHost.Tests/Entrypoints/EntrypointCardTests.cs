using HubHost.Entrypoints;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Entrypoints;

/// <summary>hubconf.catalog.json as the library reads it for serve, run and check: defaults at the top, overrides per entrypoint.</summary>
public sealed class EntrypointCardTests
{
    [Fact]
    public void Task_and_example_input_are_read_with_top_level_defaults_and_per_entrypoint_overrides()
    {
        using var repo = new TempDirectory();
        File.WriteAllText(repo.Combine(EntrypointCard.FileName), """
            { // comments allowed
              "category": "Segmentation", "task": "segmentation", "tags": ["voc", " "],
              "input": { "shape": [1, 3, 520, 520] },
              "entrypoints": {
                "lraspp": { "title": "LR-ASPP", "input": { "shape": [2, 3, 64, 64], "dtype": "float32", "file": "samples/street.npy" } },
                "tokenizer": { "task": "tokenizer", "category": "Text" },
                "encoder": { "input": { "shape": [1, 16], "dtype": "int64" }, "task": "text" },
              }
            }
            """);
        var cards = RepoCards.Read(repo.Path, ["lraspp", "tokenizer", "encoder", "other"]);
        Assert.Null(cards.Error);
        var lraspp = cards.For("lraspp");
        Assert.Equal(("LR-ASPP", "Segmentation", "segmentation"), (lraspp.Title, lraspp.Category, lraspp.Task));
        Assert.Equal([2L, 3, 64, 64], lraspp.Input!.Shape);
        Assert.Equal("samples/street.npy", lraspp.Input.File);
        Assert.Equal(["voc"], lraspp.Tags);
        Assert.Equal(("tokenizer", "Text"), (cards.For("tokenizer").Task, cards.For("tokenizer").Category));
        Assert.Equal([1L, 3, 520, 520], cards.For("tokenizer").Input!.Shape);
        Assert.Equal(("int64", "text"), (cards.For("encoder").Input!.DType, cards.For("encoder").Task));
        Assert.Equal("segmentation", cards.For("other").Task);
        Assert.Same(EntrypointCard.Empty, cards.For("not-an-entrypoint"));
    }

    [Fact]
    public void A_file_that_is_not_json_is_an_error_and_no_cards()
    {
        using var repo = new TempDirectory();
        File.WriteAllText(repo.Combine(EntrypointCard.FileName), "{ not json");
        var cards = RepoCards.Read(repo.Path, ["a"]);
        Assert.StartsWith("hubconf.catalog.json could not be read", cards.Error);
        Assert.Same(EntrypointCard.Empty, cards.For("a"));
        Assert.Null(RepoCards.Read(Path.Combine(repo.Path, "missing"), ["a"]).Error);
    }
}
