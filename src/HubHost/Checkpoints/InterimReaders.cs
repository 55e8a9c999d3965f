// INTERIM, replaced when the checkpoints-torchsharp branch lands: TorchSharp.PyBridge's reader behind the
// API the hub's own readers will have, so the rest of the hub can move to TorchSharp meanwhile.
using System.Collections;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using TorchSharp;

namespace HubHost.Checkpoints;

/// <summary>Interim.</summary>
public sealed class CheckpointFormatException(string path, string problem, Exception? inner = null) : IOException($"{path}: {problem}", inner)
{
    /// <summary>Interim.</summary>
    public string FilePath { get; } = path;
}

/// <summary>Interim.</summary>
public static class Checkpoint
{
    /// <summary>Interim.</summary>
    public static Dictionary<string, torch.Tensor> Load(string path)
    {
        Native.TorchNative.EnsureLoaded();
        try
        {
            var table = TorchSharp.PyBridge.PyTorchUnpickler.UnpickleStateDict(path);
            var result = new Dictionary<string, torch.Tensor>();
            foreach (DictionaryEntry e in table) result[(string)e.Key] = (torch.Tensor)e.Value!;
            return result;
        }
        catch (Exception e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new CheckpointFormatException(path, e.Message, e);
        }
    }
}

/// <summary>Interim.</summary>
public static partial class Npy
{
    /// <summary>Interim.</summary>
    public static torch.Tensor Load(string path)
    {
        Native.TorchNative.EnsureLoaded();
        var bytes = File.ReadAllBytes(path);
        var headerLength = bytes[8] | (bytes[9] << 8);
        var header = System.Text.Encoding.ASCII.GetString(bytes, 10, headerLength);
        var shape = Regex.Match(header, @"'shape': \(([^)]*)\)").Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
        var data = bytes.AsSpan(10 + headerLength);
        if (header.Contains("'<f4'")) return torch.tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(data).ToArray(), shape);
        if (header.Contains("'<i8'")) return torch.tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(data).ToArray(), shape);
        throw new CheckpointFormatException(path, "interim npy reader: only <f4 and <i8");
    }

    /// <summary>Interim.</summary>
    public static void Save(string path, torch.Tensor tensor)
    {
        var t = tensor.to(torch.float32).contiguous();
        var shape = string.Join("", t.shape.Select(d => d + ","));
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({shape}), }}";
        header = header.PadRight(118) + "\n";
        using var stream = File.Create(path);
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)(header.Length & 0xff), (byte)(header.Length >> 8)]);
        stream.Write(System.Text.Encoding.ASCII.GetBytes(header));
        stream.Write(t.bytes);
    }
}

/// <summary>Interim.</summary>
public static class TensorDigest
{
    /// <summary>Interim.</summary>
    public static string Sha256(torch.Tensor tensor) => Convert.ToHexStringLower(SHA256.HashData(tensor.contiguous().bytes));
}

/// <summary>Interim.</summary>
internal static class TorchNames
{
    /// <summary>Interim.</summary>
    public static string DType(torch.ScalarType dtype) => "torch." + dtype switch
    {
        torch.ScalarType.Float32 => "float32", torch.ScalarType.Float64 => "float64", torch.ScalarType.Float16 => "float16",
        torch.ScalarType.BFloat16 => "bfloat16", torch.ScalarType.Int64 => "int64", torch.ScalarType.Int32 => "int32",
        torch.ScalarType.Int16 => "int16", torch.ScalarType.Int8 => "int8", torch.ScalarType.Byte => "uint8", torch.ScalarType.Bool => "bool",
        _ => dtype.ToString().ToLowerInvariant(),
    };
}
