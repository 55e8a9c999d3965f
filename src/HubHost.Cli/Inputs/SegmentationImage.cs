using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Cli.Inputs;

/// <summary>
/// <c>run --image FILE</c> for a segmentation model (card task <c>segmentation</c>): the picture as torchvision's
/// semantic-segmentation weights expect it (their <c>SemanticSegmentation</c> preset): the short side resized to 520, no
/// crop, scaled to [0, 1] and normalized with ImageNet's mean and std, as a batch of one. The mask then covers the whole picture.
/// </summary>
internal static class SegmentationImage
{
    public const int ShortSide = 520;

    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    public static Tensor Read(string path)
    {
        if (!File.Exists(path)) throw new HubException($"The image '{path}' does not exist; give a PNG, JPEG, BMP, GIF or WebP file.");
        Native.TorchNative.EnsureLoaded();
        Tensor image;
        try
        {
            image = torchvision.io.read_image(path, torchvision.io.ImageReadMode.RGB, new torchvision.io.SkiaImager());
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new HubException($"Cannot decode the image {path} ({e.GetType().Name}: {e.Message.TrimEnd('.')}). Give a PNG, JPEG, BMP, GIF or WebP file, or the preprocessed tensor as --input X.npy.", e);
        }
        using var scope = NewDisposeScope();
        var x = image.to(ScalarType.Float32).unsqueeze(0) / 255f;
        long height = x.shape[2], width = x.shape[3];
        var scale = (double)ShortSide / Math.Min(height, width);
        x = nn.functional.interpolate(x, size: [(long)Math.Round(height * scale), (long)Math.Round(width * scale)], mode: InterpolationMode.Bilinear, align_corners: false, antialias: true);
        var mean = tensor(ImageNetMean).reshape(1, 3, 1, 1);
        var std = tensor(ImageNetStd).reshape(1, 3, 1, 1);
        return ((x - mean) / std).contiguous().MoveToOuterDisposeScope();
    }
}
