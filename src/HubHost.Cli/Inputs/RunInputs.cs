using static TorchSharp.torch;

namespace HubHost.Cli.Inputs;

/// <summary>
/// The inputs of <c>run</c>, from exactly one of its input options: <c>--input</c> files, <c>--image</c> (preprocessed as the
/// entrypoint's card task says: torchvision's segmentation preset for <c>segmentation</c>, else ImageNet classification's),
/// <c>--text</c> (token ids from the repo's tokenizer) or <c>--seed</c> (latents of the card's input shape).
/// </summary>
internal static class RunInputs
{
    /// <summary>Checks before anything is loaded that exactly one input option was given, and that an image can be decoded (its header).</summary>
    public static void CheckOne(string[]? inputs, string? image, string? text, long? seed)
    {
        var given = (inputs is { Length: > 0 } ? 1 : 0) + (image is null ? 0 : 1) + (text is null ? 0 : 1) + (seed is null ? 0 : 1);
        if (given != 1)
            throw new HubException("Give the model's input as exactly one of --input X.npy (a tensor; once per model input), --image FILE (a picture), " +
                                   "--text \"…\" (tokenized by the repo's tokenizer entrypoint) or --seed N (latents for a generative model, in its card's input shape).");
        if (image is not null) ImageHeader.Check(image); // the preset needs the repo's card, the size check does not
    }

    public static async Task<ModelInput.Inputs> ReadAsync(HubRepo repo, string entrypoint, string[]? inputs, string? image, string? text, long? seed, CancellationToken cancellationToken)
    {
        CheckOne(inputs, image, text, seed);
        var card = repo.Cards.For(entrypoint);
        if (text is not null) return new ModelInput.Inputs([await TextInput.ReadAsync(repo, text, cancellationToken)]);
        if (seed is { } n) return new ModelInput.Inputs([SeedInput.Draw(n, card, entrypoint, repo.Name)]);
        return ModelInput.Read(inputs, image, card.Task == "segmentation" ? ModelInput.ImagePreset.Segmentation : ModelInput.ImagePreset.Classification);
    }
}
