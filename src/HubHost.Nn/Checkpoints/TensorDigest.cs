using System.Security.Cryptography;

namespace HubHost.Nn.Checkpoints;

/// <summary>Content digests of tensors, comparable with digests computed in PyTorch.</summary>
public static class TensorDigest
{
    /// <summary>
    /// SHA-256 (lowercase hex) of the tensor's values in row-major order, little-endian, in its own dtype
    /// (bfloat16 as its 16-bit pattern): the bytes of <see cref="Tensor.ToBytes"/>, hashed without copying
    /// when the tensor is contiguous.
    /// </summary>
    public static string Sha256(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        long bytes = tensor.NumberOfElements * tensor.DType.ElementSize();
        if (tensor.IsContiguous && tensor.StorageOffset >= 0 && bytes + tensor.StorageOffset * tensor.DType.ElementSize() <= tensor.Storage.ByteLength)
        {
            var storage = tensor.Storage;
            SHA256.HashData(storage.Bytes.Slice((int)(tensor.StorageOffset * tensor.DType.ElementSize()), (int)bytes), hash);
            GC.KeepAlive(storage);
        }
        else
        {
            SHA256.HashData(tensor.ToBytes(), hash);
        }
        return Convert.ToHexStringLower(hash);
    }
}
