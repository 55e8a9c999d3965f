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
    public static torch.jit.ScriptModule<T, TResult> Load<T, TResult>(string path, ScriptProbe probe, CancellationToken cancellationToken = default)
        => Load(path, probe, torch.jit.load<T, TResult>, cancellationToken);

    /// <summary>The archive as a module taking any number of tensors.</summary>
    public static torch.jit.ScriptModule<TResult> Load<TResult>(string path, ScriptProbe probe, CancellationToken cancellationToken = default)
        => Load(path, probe, torch.jit.load<TResult>, cancellationToken);

    /// <summary>
    /// Checks the archive (<see cref="Check"/>), has <paramref name="probe"/> load it in a child process unless it did
    /// before (what the check cannot see: code that does not compile or loops while loading), then loads it here.
    /// </summary>
    private static TModule Load<TModule>(string path, ScriptProbe probe, Func<string, DeviceType, long, TModule> load, CancellationToken cancellationToken)
    {
        Check(path);
        probe.EnsureLoads(path, cancellationToken);
        TorchNative.EnsureLoaded();
        try
        {
            return load(path, DeviceType.CPU, -1);
        }
        catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException or NotImplementedException)
        {
            throw NotLoaded(path, e.Message, e);
        }
    }

    /// <summary>The one error for an archive libtorch refused with an error it reports (here or in the probe's child process).</summary>
    internal static HubException NotLoaded(string path, string libTorchMessage, Exception? inner = null)
        => new($"libtorch could not load the TorchScript archive {path}: {libTorchMessage.Split('\n', 2)[0].Trim().TrimEnd('.')}. " +
               "Save it again with torch.jit.save from a torch.jit.script or torch.jit.trace of the model.", inner);

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
