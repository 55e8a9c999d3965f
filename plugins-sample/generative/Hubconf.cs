// Written by `hubhost import` from hubconf.import.json; rewritten by every import into this folder, so do not edit it:
// add entrypoints of your own in another file, as more of the partial class Hubconf.
using HubHost.Contract;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>The repo's entrypoints: PyTorch models imported from a Python torch.hub repo as TorchScript archives.</summary>
public static partial class Hubconf
{
    /// <summary>DCGAN's generator: latent vectors [N, 100, 1, 1] (standard normal) in, RGB images [N, 3, 64, 64] in [-1, 1] out.</summary>
    /// <remarks>
    /// <para>
    /// Five transposed convolutions with batch normalisation and ReLU, tanh at the end (Radford, Metz and Chintala,
    /// "Unsupervised Representation Learning with Deep Convolutional Generative Adversarial Networks", 2015).
    /// Untrained weights in a deterministic pattern: the images are textures, not faces.
    /// </para>
    /// <para>Imported by hubhost import from ./tests/fixtures/python-hubs/dcgan at commit da5adc1eaf410e712263ffd22cb1779cb470ecae: torch.hub.load(repo, 'dcgan', source='local') with torch 1.13.0a0 (Python 3.11.2), scripted with torch.jit.script. Example input [16, 100, 1, 1] float32. HubHost reproduced PyTorch's output on it within a relative difference of 2.04E-06 (3,576,704 parameters; archive dcgan.pt, SHA-256 ddd0f78f7ff5b6fb…).</para>
    /// </remarks>
    /// <returns>A TorchScript module in eval mode taking [16, 100, 1, 1] float32 (for the example input), returning [16, 3, 64, 64] float32.</returns>
    public static jit.ScriptModule<Tensor, Tensor> dcgan()
        => HubServices.For(typeof(Hubconf)).LoadScript<Tensor, Tensor>("dcgan.pt");
}
