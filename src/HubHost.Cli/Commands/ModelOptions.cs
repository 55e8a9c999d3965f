using System.CommandLine;

namespace HubHost.Cli.Commands;

/// <summary>The options of the commands that run models (run, compare).</summary>
internal static class ModelOptions
{
    public static Option<string[]> Input() => new("--input", "-i")
    {
        Description = "An input tensor as .npy; repeat it for a model taking several inputs, in the order its forward takes them. " +
                      "Integer and bool arrays (token ids, masks) reach the model as saved; floating-point ones are converted to the dtype " +
                      "of the model's parameters (float32 for almost every model, so numpy's float64 default works).",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string> OutputKey() => new("--output-key")
    {
        Description = "For a model returning several outputs, the one to use: a dictionary key (out) or a position in a tuple or list (0, 1, ...). Default: the first.",
    };

    public static Option<string> Image() => new("--image") { Description = "An image file (PNG, JPEG, ...) as input: resized to 256, center-cropped to 224 and normalized as torchvision's ImageNet models expect." };

    /// <summary>Class names, one per line.</summary>
    public static IReadOnlyList<string> ReadLabels(string path)
    {
        try
        {
            return File.ReadAllLines(path).Select(l => l.Trim()).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HubException($"Cannot read the labels file {path}: {e.Message} Give a text file with one class name per line.", e);
        }
    }
}
