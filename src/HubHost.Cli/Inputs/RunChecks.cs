using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace HubHost.Cli.Inputs;

/// <summary>
/// What <c>run</c> checks around the model: that <c>--output</c> can be written (before the model is loaded or run, so
/// a typo does not cost a whole run), that <c>--labels</c> names every class of the output, and that the output is
/// made of numbers (a warning otherwise: the classes shown would mean nothing).
/// </summary>
internal static class RunChecks
{
    /// <summary>Refuses an output path that is a folder or cannot be written, before anything runs.</summary>
    public static void OutputPath(string path, string option)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new HubException($"{option} {path} is a folder; give a file name in it, such as {Path.Combine(path, "output.npy")}.");
        // The file's folder may not exist yet (it is created when the output is written): its nearest existing folder must be writable.
        var folder = Path.GetDirectoryName(full);
        while (folder is not null && !Directory.Exists(folder))
        {
            if (File.Exists(folder)) throw new HubException($"{option} {path} cannot be written: {folder} is a file. Give a file in a folder.");
            folder = Path.GetDirectoryName(folder);
        }
        try
        {
            if (folder is null) throw new IOException("no folder of it exists");
            using (new FileStream(Path.Combine(folder, $".hubhost-write-test-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HubException($"{option} {path} cannot be written ({e.Message.TrimEnd('.')}). Give a file in a folder you can write to.", e);
        }
    }

    /// <summary>Refuses labels that do not name every class of a classifier's output [N, C]; warns about extra names.</summary>
    public static void Labels(IReadOnlyList<string>? names, string? file, Tensor output, ILogger logger)
    {
        if (names is null || output.dim() != 2 || output.shape[1] < 2) return;
        var classes = output.shape[1];
        if (names.Count < classes)
            throw new HubException($"The labels file {file} has {names.Count} names, but the model's output has {classes} classes: give one name per class " +
                                   "(line i names class i), or leave --labels out to see class numbers.");
        if (names.Count > classes)
            logger.LogWarning("The labels file {File} has {Names} names but the model's output has {Classes} classes: is it the labels of another model?", file, names.Count, classes);
    }

    /// <summary>Warns when the output holds NaN or infinite values.</summary>
    public static void NonFinite(Tensor output, ILogger logger)
    {
        if (!output.is_floating_point() || output.numel() == 0) return;
        using var scope = NewDisposeScope();
        var nan = output.isnan().sum().item<long>();
        var infinite = output.isinf().sum().item<long>();
        if (nan + infinite == 0) return;
        var total = output.numel();
        var problem = infinite == 0 ? $"{nan} of the {total} output values are NaN"
            : nan == 0 ? $"{infinite} of the {total} output values are infinite"
            : $"{nan} NaN and {infinite} infinite values are among the {total} output values";
        logger.LogWarning("{Problem}: the model or its weights give non-numbers, so the classes shown mean nothing. Check the input's scale and the weights.", problem);
    }
}
