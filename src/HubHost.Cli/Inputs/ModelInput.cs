using HubHost.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Cli.Inputs;

/// <summary>
/// The input tensor of <c>run</c> and <c>compare</c>: an .npy file as it is, or an image file decoded by
/// TorchVision and preprocessed the way torchvision's ImageNet models expect (resize the short side to 256,
/// center-crop 224, scale to [0, 1], normalize with ImageNet's mean and std), as a batch of one; for a segmentation
/// model (<see cref="ImagePreset.Segmentation"/>) as torchvision's segmentation weights expect (short side 520, no crop).
/// </summary>
internal static class ModelInput
{
    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>How an --image is preprocessed.</summary>
    public enum ImagePreset
    {
        /// <summary>torchvision's ImageNet classification preset: short side to 256, center crop 224.</summary>
        Classification,

        /// <summary>torchvision's semantic segmentation preset: short side to 520, no crop (the mask covers the whole picture).</summary>
        Segmentation,
    }

    /// <summary>Reads the --input files (npy, in order) or --image; exactly one of them must be given.</summary>
    public static Inputs Read(string[]? npyPaths, string? imagePath, ImagePreset preset = ImagePreset.Classification)
    {
        var hasNpy = npyPaths is { Length: > 0 };
        if (hasNpy == (imagePath is not null))
            throw new HubException("Give the model's input as exactly one of --input X.npy (a tensor; once per model input) or --image FILE (a picture, preprocessed for ImageNet models).");
        if (!hasNpy) return new Inputs([ReadImage(imagePath!, preset)]);
        var tensors = new List<Tensor>();
        try
        {
            foreach (var path in npyPaths!) tensors.Add(ReadNpy(path));
            return new Inputs(tensors);
        }
        catch
        {
            foreach (var t in tensors) t.Dispose();
            throw;
        }
    }

    /// <summary>The input tensors, disposed together.</summary>
    public sealed class Inputs(IReadOnlyList<Tensor> tensors) : IDisposable
    {
        public IReadOnlyList<Tensor> Tensors { get; } = tensors;

        public void Dispose()
        {
            foreach (var t in Tensors) t.Dispose();
        }
    }

    private static Tensor ReadNpy(string path)
    {
        try
        {
            return Npy.Load(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new HubException($"The input '{path}' does not exist; give an .npy file.", e);
        }
        catch (CheckpointFormatException e)
        {
            throw new HubException($"The input is not a readable .npy file: {e.Message.TrimEnd('.')}. Save it with numpy.save.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HubException($"Cannot read the input {path}: {e.Message}", e);
        }
    }

    private static Tensor ReadImage(string path, ImagePreset preset)
    {
        ImageHeader.Check(path); // exists, and its size from the header, before anything is decoded
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
        var x = image.to(ScalarType.Float32).unsqueeze(0) / 255f;          // [1, 3, H, W] in [0, 1]
        long height = x.shape[2], width = x.shape[3];
        var shortSide = preset == ImagePreset.Segmentation ? 520 : 256;
        var scale = (double)shortSide / Math.Min(height, width);
        var crop = preset == ImagePreset.Segmentation ? 0 : 224;
        long h = Math.Max(crop, (long)Math.Round(height * scale)), w = Math.Max(crop, (long)Math.Round(width * scale));
        x = nn.functional.interpolate(x, size: [h, w], mode: InterpolationMode.Bilinear, align_corners: false, antialias: true);
        if (crop > 0) x = x.narrow(2, (h - crop) / 2, crop).narrow(3, (w - crop) / 2, crop);
        var mean = tensor(ImageNetMean).reshape(1, 3, 1, 1);
        var std = tensor(ImageNetStd).reshape(1, 3, 1, 1);
        return ((x - mean) / std).contiguous().MoveToOuterDisposeScope();
    }
}
