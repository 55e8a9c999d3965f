using HubHost.Entrypoints;
using static TorchSharp.torch;

namespace HubHost.Cli.Inputs;

/// <summary>
/// <c>run --seed N</c>: a generative model's latent input drawn from N(0, 1) with a generator seeded with N, in the shape
/// the entrypoint's card declares (<c>input.shape</c> in hubconf.catalog.json, e.g. [16, 100, 1, 1]). The same seed gives
/// the same latents, so the same images.
/// </summary>
internal static class SeedInput
{
    public static Tensor Draw(long seed, EntrypointCard card, string entrypoint, string repo)
    {
        var shape = card.Input?.Shape is { Count: > 0 } s ? s.ToArray()
            : throw new HubException($"--seed draws the input of {entrypoint} in the shape its card declares, but {repo} declares none: add \"input\": {{\"shape\": [16, 100, 1, 1]}} " +
                                     $"for {entrypoint} in {EntrypointCard.FileName}, or give the latents as --input Z.npy.");
        if (card.Input!.DType is not ("float32" or "float64"))
            throw new HubException($"--seed draws floating-point latents, but the input of {entrypoint} is {card.Input.DType}; give it as --input X.npy.");
        Native.TorchNative.EnsureLoaded();
        using var generator = new TorchSharp.torch.Generator((ulong)seed);
        return randn(shape, dtype: card.Input.DType == "float64" ? ScalarType.Float64 : ScalarType.Float32, generator: generator);
    }
}
