using System.CommandLine;

namespace HubHost.Cli.Commands;

/// <summary>The options of the commands that run models (run, compare).</summary>
internal static class ModelOptions
{
    public static Option<string> Input() => new("--input", "-i") { Description = "The input tensor as .npy (any numeric dtype; converted to float32)." };

    public static Option<string> Image() => new("--image") { Description = "An image file (PNG, JPEG, ...) as input: resized to 256, center-cropped to 224 and normalized as torchvision's ImageNet models expect." };

    /// <summary>Class names, one per line.</summary>
    public static IReadOnlyList<string> ReadLabels(string path)
    {
        List<string> names;
        try
        {
            names = File.ReadAllLines(path).Select(l => l.Trim()).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HubException($"Cannot read the labels file {path}: {e.Message} Give a text file with one class name per line.", e);
        }
        while (names.Count > 0 && names[^1].Length == 0) names.RemoveAt(names.Count - 1); // a trailing newline is not a class
        return names.Count > 0 ? names
            : throw new HubException($"The labels file {path} has no class names: give one name per line (line i names class i).");
    }
}
