namespace HubHost.Nn.Checkpoints;

/// <summary>
/// A checkpoint, safetensors or .npy file that cannot be read: truncated, malformed, lying about its sizes,
/// or (for pickled checkpoints) asking to construct something outside the allow-list. The message names the
/// file and says what is wrong. (An <see cref="IOException"/>: <see cref="InvalidDataException"/> is sealed.)
/// </summary>
public sealed class CheckpointFormatException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/> with a message saying what is wrong.</summary>
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

/// <summary>How tensor bytes are read from a file.</summary>
public enum CheckpointReadMode
{
    /// <summary>
    /// Map the file into memory and let tensors view it without copying (copy-on-write: writes to a tensor
    /// never reach the file). The mapping lives as long as any tensor viewing it.
    /// </summary>
    MemoryMap,

    /// <summary>
    /// Read the whole file once into memory (one large read into native memory, freed when no tensor uses
    /// it any more); the file is closed when loading returns and may then change or disappear.
    /// </summary>
    Copy,
}
