using HubHost.Entrypoints;
using static TorchSharp.torch;

namespace HubHost.Cli.Outputs;

/// <summary><c>run --output X.png</c>: which picture an output makes, from the entrypoint's card task or else its shape.</summary>
internal static class PictureOutput
{
    /// <summary>Writes the picture; returns what was written, for the result (a mask's pixels per class, a grid's size).</summary>
    public static object Write(Tensor output, string path, EntrypointCard card)
    {
        var task = card.Task ?? (output.dim() == 4 && output.shape[1] is 1 or 3 ? "generation" : output.dim() == 4 ? "segmentation" : null);
        switch (task)
        {
            case "segmentation":
                var counts = ImageOutput.WriteMask(output, path);
                return new { kind = "class mask", pixelsPerClass = counts.Select((c, i) => (Class: i, Pixels: c)).Where(p => p.Pixels > 0).ToDictionary(p => p.Class.ToString(System.Globalization.CultureInfo.InvariantCulture), p => p.Pixels) };
            case "generation":
                var (rows, columns) = ImageOutput.WriteGrid(output, path);
                return new { kind = "image grid", rows, columns };
            default:
                throw new HubException($"A .png output is a segmentation model's class mask or a generative model's images, and this output is [{string.Join(", ", output.shape)}]" +
                                       (card.Task is null ? "" : $" of a {card.Task} model") + ". Write it as .npy instead.");
        }
    }
}
