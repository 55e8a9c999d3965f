namespace HubHost.Checkpoints;

/// <summary>
/// A checkpoint, safetensors or .npy file that cannot be read: truncated, malformed, lying about its sizes,
/// failing its checksums, or (for pickled checkpoints) asking to construct something outside the allow-list.
/// The message names the file, says what is wrong and what to do. (An <see cref="IOException"/>:
/// <see cref="InvalidDataException"/> is sealed.)
/// </summary>
public sealed class CheckpointFormatException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/> with a message saying what is wrong.</summary>
    /// <param name="path">The file (or a description of the stream) that could not be read.</param>
    /// <param name="problem">What is wrong with it and what to do, without the file name.</param>
    /// <param name="innerException">The error that revealed the problem, if any.</param>
    public CheckpointFormatException(string path, string problem, Exception? innerException = null)
        : base($"{path}: {problem}", innerException)
    {
        FilePath = path;
        Problem = problem;
    }

    /// <summary>The file (or stream description) that could not be read.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it, without the file name.</summary>
    public string Problem { get; }
}

/// <summary>How tensor bytes get from a file into TorchSharp tensors.</summary>
public enum CheckpointReadMode
{
    /// <summary>
    /// Map the file into memory and let the tensors' storages view the mapping without copying
    /// (copy-on-write: writing to a tensor never reaches the file). The mapping is unmapped when libtorch
    /// frees the last storage viewing it. The file must not be truncated while tensors view it (as with any
    /// memory map, the process would crash on touching a vanished page); use <see cref="Copy"/> for files
    /// that another process may rewrite.
    /// </summary>
    MemoryMap,

    /// <summary>
    /// Read the bytes of each storage straight into a tensor allocated by libtorch (one copy from the page
    /// cache, no managed buffer in between); the file is closed when loading returns and may then change or
    /// disappear.
    /// </summary>
    Copy,
}
