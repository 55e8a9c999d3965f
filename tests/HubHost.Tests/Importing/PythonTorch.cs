using System.Diagnostics;

namespace HubHost.Tests.Importing;

/// <summary>
/// Debian's PyTorch (<c>/usr/bin/python3</c> with python3-torch and python3-torchvision), which only the import tests
/// need: every other test runs without Python. Looked for once per test run.
/// </summary>
public static class PythonTorch
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> Missing = new(Check);

    /// <summary>Why the import tests cannot run here, or null when they can.</summary>
    public static string? WhyMissing => Missing.Value;

    private static string? Check()
    {
        if (!File.Exists(Python))
            return $"{Python} is not installed (apt-get install python3-torch python3-torchvision; .ci/run installs them): the import tests run PyTorch.";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(Python, ["-c", "import torch, torchvision, numpy"]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? null
                : $"{Python} has no torch, torchvision or numpy ({error.Trim().Split('\n').LastOrDefault()}); apt-get install python3-torch python3-torchvision (.ci/run installs them): the import tests run PyTorch.";
        }
        catch (Exception e)
        {
            return $"{Python} could not be started ({e.Message}): the import tests run PyTorch.";
        }
    }
}

/// <summary>A test that runs PyTorch: skipped, saying why, without Debian's python3-torch.</summary>
public sealed class PythonFactAttribute : FactAttribute
{
    public PythonFactAttribute()
    {
        if (PythonTorch.WhyMissing is { } why) Skip = why;
    }
}
