using System.Security.Cryptography;
using static TorchSharp.torch;

namespace HubHost.Checkpoints;

/// <summary>Content digests of TorchSharp tensors, comparable with digests computed in PyTorch.</summary>
public static class TensorDigest
{
    /// <summary>
    /// SHA-256 (lowercase hex) of the tensor's values in row-major order, little-endian, in its own dtype
    /// (bfloat16 as its 16-bit pattern, bool as one byte): in PyTorch,
    /// <c>hashlib.sha256(t.contiguous().numpy().tobytes())</c> (with <c>t.view(torch.int16)</c> for bfloat16).
    /// Contiguous tensors are hashed straight from their memory; others through row blocks of at most ~64 MB.
    /// </summary>
    /// <param name="tensor">A dense tensor (copied to the CPU first if it is elsewhere).</param>
    /// <returns>64 lowercase hexadecimal digits.</returns>
    /// <exception cref="ArgumentException">
    /// The tensor is quantized, or its strides repeat a small storage into more than 1 GiB of values (e.g. shape
    /// [10^6, 10^6] with strides [0, 0]): hashing that would read terabytes.
    /// </exception>
    public static string Sha256(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Native.TorchNative.EnsureLoaded();
        if (DTypes.Size(tensor.dtype) == 0)
            throw new ArgumentException($"TensorDigest hashes dense tensors of {DTypes.AllTorchNames}; this one is {tensor.dtype}. Dequantize or convert it first.", nameof(tensor));
        if (tensor.device_type != TorchSharp.DeviceType.CPU)
        {
            using var cpu = tensor.cpu();
            return Sha256(cpu);
        }
        TensorMemory.CheckNotHugelyRepeated(tensor, "The tensor", "Digest the part that holds the data instead (for a stride-0 broadcast, a slice such as tensor[0, 0]).");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        TensorMemory.ForEachValueSpan(tensor, hash.AppendData);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
