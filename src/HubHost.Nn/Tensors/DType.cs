namespace HubHost.Nn;

/// <summary>The element type of a tensor's storage. Compute is float32; every other type converts to it.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float (torch.float32).</summary>
    Float32,
    /// <summary>16-bit IEEE float (torch.float16).</summary>
    Float16,
    /// <summary>bfloat16: the top 16 bits of a float32 (torch.bfloat16).</summary>
    BFloat16,
    /// <summary>64-bit IEEE float (torch.float64).</summary>
    Float64,
    /// <summary>64-bit signed integer (torch.int64).</summary>
    Int64,
    /// <summary>32-bit signed integer (torch.int32).</summary>
    Int32,
    /// <summary>16-bit signed integer (torch.int16).</summary>
    Int16,
    /// <summary>8-bit signed integer (torch.int8).</summary>
    Int8,
    /// <summary>8-bit unsigned integer (torch.uint8).</summary>
    UInt8,
    /// <summary>Boolean, one byte per element (torch.bool).</summary>
    Bool,
}

/// <summary>Facts about <see cref="DType"/> values.</summary>
public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Float16 or DType.BFloat16 or DType.Int16 => 2,
        DType.Float64 or DType.Int64 => 8,
        DType.Int8 or DType.UInt8 or DType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>PyTorch's name for the dtype without "torch." (float32, bfloat16, int64, bool...).</summary>
    public static string TorchName(this DType dtype) => Checkpoints.DTypeNames.Torch(dtype);
}
