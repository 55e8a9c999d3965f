using System.Runtime.InteropServices;
using HubHost.Checkpoints;
using HubHost.Native;
using TorchSharp;

namespace HubHost.TorchScript;

/// <summary>
/// Loading a TorchScript archive (<c>torch.jit.save</c>'s zip: the model's code, constants and tensors) as a TorchSharp
/// script module. An archive is code that libtorch interprets, so the hub loads one only for a trusted repo or from a
/// hash-checked URL, and checks what it can before libtorch reads it; every failure is one <see cref="HubException"/>.
/// </summary>
internal static class ScriptArchive
{
    /// <summary>The archive as a module taking one <typeparamref name="T"/> and returning <typeparamref name="TResult"/>.</summary>
    public static torch.jit.ScriptModule<T, TResult> Load<T, TResult>(string path) => Load(path, torch.jit.load<T, TResult>);

    /// <summary>The archive as a module taking any number of tensors.</summary>
    public static torch.jit.ScriptModule<TResult> Load<TResult>(string path) => Load(path, torch.jit.load<TResult>);

    private static TModule Load<TModule>(string path, Func<string, DeviceType, long, TModule> load)
    {
        Check(path);
        TorchNative.EnsureLoaded();
        try
        {
            return load(path, DeviceType.CPU, -1);
        }
        catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException or NotImplementedException)
        {
            throw new HubException($"libtorch could not load the TorchScript archive {path}: {e.Message.Split('\n', 2)[0].Trim().TrimEnd('.')}. " +
                                   "Save it again with torch.jit.save from a torch.jit.script or torch.jit.trace of the model.", e);
        }
    }

    /// <summary>
    /// What the hub checks before libtorch sees an archive (<see cref="ArchiveCheck"/>): that it is a well-formed
    /// torch.jit.save zip whose pickles name only what torch.jit.save writes and whose tensors, sizes and code stay
    /// within what libtorch reads safely.
    /// </summary>
    /// <exception cref="HubException">The file is missing, or not an archive the hub loads: the message says what is wrong and what to do.</exception>
    internal static void Check(string path)
    {
        if (Directory.Exists(path))
            throw new HubException($"'{path}' is a directory, not a TorchScript archive: give the .pt file torch.jit.save wrote.");
        if (!File.Exists(path))
            throw new HubException($"The TorchScript archive '{path}' does not exist: give the .pt file torch.jit.save wrote.");
        try
        {
            ArchiveCheck.Run(path);
        }
        catch (CheckpointFormatException e)
        {
            throw Refused(path, e.Problem, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HubException($"The TorchScript archive '{path}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>The one error for an archive the check refuses: the file, what is wrong, what to do.</summary>
    internal static HubException Refused(string path, string problem, Exception? inner = null)
    {
        problem = problem.Trim().TrimEnd('.');
        bool saysWhatToDo = problem.Contains("again", StringComparison.OrdinalIgnoreCase) || problem.Contains("LoadStateDict", StringComparison.Ordinal)
                            || problem.Contains("torch.jit.save(", StringComparison.Ordinal);
        return new HubException($"{path} is not a TorchScript archive the hub can load: {problem}." +
                                (saysWhatToDo ? "" : " Save it again with torch.jit.save (of torch.jit.script(model) or torch.jit.trace(model, example))."), inner);
    }
}
