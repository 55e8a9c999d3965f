using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Cli.Outputs;

/// <summary>
/// What <c>run --output X.png</c> writes, because people look at pictures rather than read tensors: a segmentation
/// model's class mask in a colour per class, or a generative model's images as a grid. PNG through TorchVision's io
/// and its SkiaSharp imager.
/// </summary>
internal static class ImageOutput
{
    private const long Padding = 2;

    /// <summary>Whether <paramref name="path"/> asks for a picture (a .png file) rather than a tensor.</summary>
    public static bool IsPng(string path) => path.EndsWith(".png", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The class mask of segmentation logits [N, C, H, W] (or [C, H, W]): each pixel's highest-scoring class, coloured
    /// with Pascal VOC's palette (class 0, background, black); several images side by side. Returns how many pixels
    /// each class got.
    /// </summary>
    public static long[] WriteMask(Tensor logits, string path)
    {
        using var scope = NewDisposeScope();
        var x = logits.dim() == 3 ? logits.unsqueeze(0) : logits;
        if (x.dim() != 4 || x.shape[1] < 2)
            throw new HubException($"A class mask needs segmentation output of shape [N, classes, H, W]; this output is [{string.Join(", ", logits.shape)}]. Write it as .npy instead.");
        var classes = x.shape[1];
        var mask = x.argmax(1);                                                    // [N, H, W] int64
        var palette = Palette(classes);                                            // [classes, 3] uint8
        var rgb = palette.index(mask.flatten()).reshape(mask.shape[0], mask.shape[1], mask.shape[2], 3); // [N, H, W, 3]
        var image = rgb.permute(3, 1, 0, 2).reshape(3, mask.shape[1], mask.shape[0] * mask.shape[2]).contiguous(); // side by side
        Write(image, path);
        return mask.flatten().bincount(null, classes).data<long>().ToArray();
    }

    /// <summary>
    /// Images [N, C, H, W] (C = 1 or 3) as a grid, ceil(sqrt(N)) per row with 2 pixels between them; values in [-1, 1]
    /// (a tanh generator's range, DCGAN's convention) mapped to [0, 255].
    /// </summary>
    public static (long Rows, long Columns) WriteGrid(Tensor images, string path)
    {
        using var scope = NewDisposeScope();
        var x = images.dim() == 3 ? images.unsqueeze(0) : images;
        if (x.dim() != 4 || x.shape[1] is not (1 or 3))
            throw new HubException($"An image grid needs images of shape [N, 1 or 3, H, W]; this output is [{string.Join(", ", images.shape)}]. Write it as .npy instead.");
        long n = x.shape[0], height = x.shape[2], width = x.shape[3];
        var columns = (long)Math.Ceiling(Math.Sqrt(n));
        var rows = (n + columns - 1) / columns;
        // torchvision.utils.make_grid's layout (2 pixels of padding around each image, black), written out here:
        // TorchSharp 0.107's make_grid indexes past the batch when the last row is not full.
        var pixels = ((x.to(ScalarType.Float32).clamp(-1, 1) + 1) * 127.5f).round().to(ScalarType.Byte).expand(n, 3, height, width);
        var grid = zeros([3, rows * (height + Padding) + Padding, columns * (width + Padding) + Padding], dtype: ScalarType.Byte);
        for (long i = 0; i < n; i++)
        {
            long top = i / columns * (height + Padding) + Padding, left = i % columns * (width + Padding) + Padding;
            grid[TensorIndex.Colon, TensorIndex.Slice(top, top + height), TensorIndex.Slice(left, left + width)] = pixels[i];
        }
        Write(grid, path);
        return (rows, columns);
    }

    /// <summary>Pascal VOC's colour map (the one its masks and torchvision's examples use), for any number of classes.</summary>
    internal static Tensor Palette(long classes)
    {
        var colours = new byte[classes * 3];
        for (var c = 0; c < classes; c++)
        {
            int r = 0, g = 0, b = 0, id = c;
            for (var bit = 7; bit >= 0; bit--)
            {
                r |= (id >> 0 & 1) << bit;
                g |= (id >> 1 & 1) << bit;
                b |= (id >> 2 & 1) << bit;
                id >>= 3;
            }
            colours[c * 3] = (byte)r;
            colours[c * 3 + 1] = (byte)g;
            colours[c * 3 + 2] = (byte)b;
        }
        return tensor(colours, [classes, 3]);
    }

    /// <summary>Writes a [3, H, W] uint8 image as PNG: to a temp file beside <paramref name="path"/>, then renamed over it.</summary>
    private static void Write(Tensor image, string path)
    {
        var full = Path.GetFullPath(path);
        var temp = $"{full}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                torchvision.io.write_png(image, stream, new torchvision.io.SkiaImager());
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HubException($"Cannot write {path}: {e.Message}", e);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
