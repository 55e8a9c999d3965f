// Written by `hubhost import` from hubconf.import.json; rewritten by every import into this folder, so do not edit it:
// add entrypoints of your own in another file, as more of the partial class Hubconf.
using HubHost.Contract;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>The repo's entrypoints: PyTorch models imported from a Python torch.hub repo as TorchScript archives.</summary>
public static partial class Hubconf
{
    /// <summary>Constructs a Lite R-ASPP Network model with a MobileNetV3-Large backbone from `Searching for MobileNetV3 &lt;https://arxiv.org/abs/1905.02244&gt;`_ paper.</summary>
    /// <remarks>
    /// <para>
    /// .. betastatus:: segmentation module
    /// </para>
    /// <para>
    /// Args:
    ///     weights (:class:`~torchvision.models.segmentation.LRASPP_MobileNet_V3_Large_Weights`, optional): The
    ///         pretrained weights to use. See
    ///         :class:`~torchvision.models.segmentation.LRASPP_MobileNet_V3_Large_Weights` below for
    ///         more details, and possible values. By default, no pre-trained
    ///         weights are used.
    ///     progress (bool, optional): If True, displays a progress bar of the
    ///         download to stderr. Default is True.
    ///     num_classes (int, optional): number of output classes of the model (including the background).
    ///     aux_loss (bool, optional): If True, it uses an auxiliary loss.
    ///     weights_backbone (:class:`~torchvision.models.MobileNet_V3_Large_Weights`, optional): The pretrained
    ///         weights for the backbone.
    ///     **kwargs: parameters passed to the ``torchvision.models.segmentation.LRASPP``
    ///         base class. Please refer to the `source code
    ///         &lt;https://github.com/pytorch/vision/blob/main/torchvision/models/segmentation/lraspp.py&gt;`_
    ///         for more details about this class.
    /// </para>
    /// <para>
    /// .. autoclass:: torchvision.models.segmentation.LRASPP_MobileNet_V3_Large_Weights
    ///     :members:
    /// </para>
    /// <para>Imported by hubhost import from ./tests/fixtures/python-hubs/segmentation at commit da5adc1eaf410e712263ffd22cb1779cb470ecae: torch.hub.load(repo, 'lraspp_mobilenet_v3_large', source='local') with torch 1.13.0a0 (Python 3.11.2), scripted with torch.jit.script. Example input [1, 3, 128, 128] float32. HubHost reproduced PyTorch's output on it within a relative difference of 5.81E-07 (3,221,538 parameters; archive lraspp_mobilenet_v3_large.pt, SHA-256 f12e09337918b21e…).</para>
    /// </remarks>
    /// <returns>A TorchScript module in eval mode taking [1, 3, 128, 128] float32 (for the example input), returning a dictionary of out [1, 21, 128, 128] float32 (in this order; the archive returns the values as a list, NamedOutputs gives them their names back).</returns>
    public static NamedOutputs lraspp_mobilenet_v3_large()
        => new("lraspp_mobilenet_v3_large", HubServices.For(typeof(Hubconf)).LoadScript<Tensor, Tensor[]>("lraspp_mobilenet_v3_large.pt"), ["out"]);
}
