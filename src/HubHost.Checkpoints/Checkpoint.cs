using System.Buffers.Binary;
using static TorchSharp.torch;

namespace HubHost.Checkpoints;

/// <summary>
/// Reads a state dict into TorchSharp tensors from any supported checkpoint file, choosing the reader by the
/// file's content: torch.save zip archives, legacy (pre-1.6) torch.save files, and safetensors. The result
/// is what <c>Module.load_state_dict</c> takes.
/// </summary>
public static class Checkpoint
{
    /// <summary>Reads a state dict, memory-mapped: tensors view the file without copying (copy-on-write).</summary>
    /// <param name="path">A .pt/.pth/.bin torch.save file or a .safetensors file.</param>
    /// <returns>The tensors by name, in the file's order.</returns>
    /// <exception cref="CheckpointFormatException">The file is not a supported checkpoint, is malformed, or is not a state dict.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static Dictionary<string, Tensor> Load(string path) => Load(path, CheckpointReadMode.MemoryMap);

    /// <summary>Reads a state dict, memory-mapped or copied into tensor memory.</summary>
    /// <param name="path">A .pt/.pth/.bin torch.save file or a .safetensors file.</param>
    /// <param name="mode">Whether tensors view a memory map of the file or hold a copy of its bytes.</param>
    /// <returns>The tensors by name, in the file's order.</returns>
    /// <exception cref="CheckpointFormatException">The file is not a supported checkpoint, is malformed, or is not a state dict.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static Dictionary<string, Tensor> Load(string path, CheckpointReadMode mode)
    {
        using var source = ByteSource.Open(path, mode);
        return Read(source, path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Reads a state dict from a stream (read to its end into memory; tensors view that buffer without copying it).</summary>
    /// <param name="stream">The checkpoint's bytes.</param>
    /// <param name="name">How to name the stream in error messages (a name ending in .safetensors also selects that reader's errors).</param>
    /// <returns>The tensors by name, in the file's order.</returns>
    /// <exception cref="CheckpointFormatException">The bytes are not a supported checkpoint, are malformed, or are not a state dict.</exception>
    public static Dictionary<string, Tensor> Load(Stream stream, string name)
    {
        using var source = MemorySource.FromStream(stream, name);
        return Read(source, name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The format of a file, judged by its first bytes.</summary>
    internal static CheckpointFormat Detect(ByteSource source)
    {
        Span<byte> head = stackalloc byte[16];
        int n = (int)Math.Min(head.Length, source.Length);
        head = head[..n];
        source.Read(0, head, "the file's first bytes");
        if (n >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] is 3 or 5 && head[3] is 4 or 6) return CheckpointFormat.TorchZip;
        if (n >= 6 && head[0] == 0x93 && head[1..6].SequenceEqual("NUMPY"u8)) return CheckpointFormat.Npy;
        // Safetensors before pickles: a header size such as 0x280 also starts with the bytes 0x80 0x02.
        // (A legacy checkpoint's first 8 bytes, 80 02 8a 0a ..., read as a size far above the limit.)
        if (n >= 9)
        {
            ulong size = BinaryPrimitives.ReadUInt64LittleEndian(head);
            if (size <= Safetensors.MaxHeaderSize && (long)size + 8 <= source.Length && head[8] == (byte)'{') return CheckpointFormat.Safetensors;
        }
        // torch's legacy files open with PROTO 2 and LONG1 of its 10-byte magic number; other pickles are
        // read by the same reader, which refuses them for lacking the magic number.
        if (n >= 4 && head[0] == 0x80 && head[1] <= 5 && head[2] == 0x8a && head[3] == 10) return CheckpointFormat.TorchLegacy;
        if (n >= 2 && head[0] == 0x80 && head[1] <= 5) return CheckpointFormat.Pickle;
        return CheckpointFormat.Unknown;
    }

    internal static Dictionary<string, Tensor> Read(ByteSource source, bool namedSafetensors)
    {
        if (source.Length == 0) throw source.Error("the file is empty; it was not written completely. Download or save it again.");
        switch (Detect(source))
        {
            case CheckpointFormat.TorchZip: return TorchCheckpoint.ReadZip(source);
            case CheckpointFormat.TorchLegacy: return TorchCheckpoint.ReadLegacy(source);
            case CheckpointFormat.Pickle when !namedSafetensors: return TorchCheckpoint.ReadLegacy(source);
            case CheckpointFormat.Safetensors: return Safetensors.Read(source, out _);
            case CheckpointFormat.Npy: throw source.Error("this is a numpy .npy array, not a state dict; read it with Npy.Load.");
            default:
                // A .safetensors file that fails detection gets the safetensors reader's precise error.
                if (namedSafetensors) return Safetensors.Read(source, out _);
                throw source.Error("the file is not a recognised checkpoint: expected a torch.save zip archive (starts with PK), a legacy torch.save file (a pickle, starts with 0x80), or safetensors (an 8-byte header size, then a JSON header).");
        }
    }

    /// <summary>A dtype as PyTorch names it (<c>float32</c>, <c>bfloat16</c>, <c>complex64</c>...), as in a state dict listing.</summary>
    /// <param name="dtype">The TorchSharp scalar type.</param>
    internal static string TorchName(ScalarType dtype) => DTypes.Torch(dtype);

    /// <summary>Reads a checkpoint file, turning a bad file into a HubException that names it.</summary>
    internal static Dictionary<string, Tensor> Read(string path)
    {
        try
        {
            return Load(path);
        }
        catch (CheckpointFormatException e)
        {
            throw new HubException($"Cannot read the checkpoint {e.Message.TrimEnd('.')}.", e);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new HubException($"Checkpoint file '{path}' does not exist; give the path of a .pt, .pth, .bin or .safetensors file.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HubException($"Checkpoint file '{path}' cannot be read: {e.Message}", e);
        }
    }
}

/// <summary>The file formats <see cref="Checkpoint"/> tells apart.</summary>
internal enum CheckpointFormat
{
    Unknown,
    TorchZip,
    TorchLegacy,
    Pickle,
    Safetensors,
    Npy,
}
