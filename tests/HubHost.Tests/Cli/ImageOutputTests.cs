using HubHost.Entrypoints;
using HubHost.Cli.Inputs;
using HubHost.Cli.Outputs;
using HubHost.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Tests.Cli;

/// <summary>What run writes for people to look at: class masks and image grids as PNG, and the seeded latents of --seed.</summary>
public sealed class ImageOutputTests
{
    [Fact]
    public void A_class_mask_colours_each_pixel_with_its_classes_VOC_colour()
    {
        HubHost.Native.TorchNative.EnsureLoaded();
        using var temp = new TempDirectory();
        // Logits [1, 21, 4, 6]: class 0 everywhere, class 15 (person) in the top-left 2x3, class 7 at (3, 5).
        using var logits = zeros(1, 21, 4, 6);
        logits[0, 15, TensorIndex.Slice(0, 2), TensorIndex.Slice(0, 3)] = tensor(5f);
        logits[0, 7, 3, 5] = tensor(5f);
        logits[0, 0].fill_(1f);
        var path = temp.Combine("mask.png");
        var counts = ImageOutput.WriteMask(logits, path);
        Assert.Equal(24 - 6 - 1, counts[0]);
        Assert.Equal(6, counts[15]);
        Assert.Equal(1, counts[7]);
        using var image = torchvision.io.read_image(path, torchvision.io.ImageReadMode.RGB, new torchvision.io.SkiaImager());
        Assert.Equal([3L, 4, 6], image.shape);
        Assert.Equal([192, 128, 128], Pixel(image, 0, 0));  // VOC's person
        Assert.Equal([128, 128, 128], Pixel(image, 3, 5));  // VOC's car
        Assert.Equal([0, 0, 0], Pixel(image, 3, 0));        // background
    }

    [Fact]
    public void Images_in_minus_one_to_one_become_a_square_grid_with_padding()
    {
        HubHost.Native.TorchNative.EnsureLoaded();
        using var temp = new TempDirectory();
        using var images = full(5, 3, 8, 8, -1f);                      // black
        images[4].fill_(1f);                                             // the fifth image white
        var path = temp.Combine("grid.png");
        var (rows, columns) = ImageOutput.WriteGrid(images, path);
        Assert.Equal((2L, 3L), (rows, columns));
        using var grid = torchvision.io.read_image(path, torchvision.io.ImageReadMode.RGB, new torchvision.io.SkiaImager());
        Assert.Equal([3L, 2 * 10 + 2, 3 * 10 + 2], grid.shape);       // torchvision's make_grid: 2 pixels around each
        Assert.Equal([0, 0, 0], Pixel(grid, 2 + 3, 2 + 3));             // inside the first image
        Assert.Equal([255, 255, 255], Pixel(grid, 12 + 3, 12 + 3));     // inside the fifth (second row, second column)
        Assert.Throws<HubException>(() => ImageOutput.WriteGrid(zeros(2, 10), temp.Combine("no.png")));
    }

    [Fact]
    public void Seeded_latents_have_the_cards_shape_and_the_same_seed_gives_the_same_latents()
    {
        var card = new EntrypointCard { Input = new ExampleInput { Shape = [4, 100, 1, 1] } };
        using var a = SeedInput.Draw(7, card, "dcgan", "repo");
        using var b = SeedInput.Draw(7, card, "dcgan", "repo");
        using var c = SeedInput.Draw(8, card, "dcgan", "repo");
        Assert.Equal([4L, 100, 1, 1], a.shape);
        Assert.True((a == b).all().item<bool>());
        Assert.False((a == c).all().item<bool>());
        var error = Assert.Throws<HubException>(() => SeedInput.Draw(7, EntrypointCard.Empty, "dcgan", "repo"));
        Assert.Contains("\"input\": {\"shape\"", error.Message);
    }

    private static int[] Pixel(Tensor image, long y, long x)
        => [image[0, y, x].item<byte>(), image[1, y, x].item<byte>(), image[2, y, x].item<byte>()];
}
