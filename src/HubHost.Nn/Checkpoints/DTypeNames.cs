namespace HubHost.Nn.Checkpoints;

/// <summary>The names each file format gives HubHost's dtypes.</summary>
internal static class DTypeNames
{
    /// <summary>PyTorch's name without "torch." (float32, bfloat16, int64, bool...).</summary>
    public static string Torch(DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Float16 => "float16",
        DType.BFloat16 => "bfloat16",
        DType.Float64 => "float64",
        DType.Int64 => "int64",
        DType.Int32 => "int32",
        DType.Int16 => "int16",
        DType.Int8 => "int8",
        DType.UInt8 => "uint8",
        DType.Bool => "bool",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    public static string Safetensors(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float16 => "F16",
        DType.BFloat16 => "BF16",
        DType.Float64 => "F64",
        DType.Int64 => "I64",
        DType.Int32 => "I32",
        DType.Int16 => "I16",
        DType.Int8 => "I8",
        DType.UInt8 => "U8",
        DType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    public static DType? FromSafetensors(string name) => name switch
    {
        "F32" => DType.Float32,
        "F16" => DType.Float16,
        "BF16" => DType.BFloat16,
        "F64" => DType.Float64,
        "I64" => DType.Int64,
        "I32" => DType.Int32,
        "I16" => DType.Int16,
        "I8" => DType.Int8,
        "U8" => DType.UInt8,
        "BOOL" => DType.Bool,
        _ => null,
    };

    /// <summary>
    /// The reference writer's order: descending by its Dtype enum (BOOL, U8, I8, F8_*, I16, U16, F16, BF16,
    /// I32, U32, F32, F64, I64, U64), so larger alignments come first.
    /// </summary>
    public static int SafetensorsRank(DType dtype) => dtype switch
    {
        DType.Bool => 0,
        DType.UInt8 => 1,
        DType.Int8 => 2,
        DType.Int16 => 5,
        DType.Float16 => 7,
        DType.BFloat16 => 8,
        DType.Int32 => 9,
        DType.Float32 => 11,
        DType.Float64 => 12,
        DType.Int64 => 13,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>The dtype of a torch.*Storage class name (FloatStorage...), or null.</summary>
    public static DType? FromStorageClass(string name) => name switch
    {
        "FloatStorage" => DType.Float32,
        "HalfStorage" => DType.Float16,
        "BFloat16Storage" => DType.BFloat16,
        "DoubleStorage" => DType.Float64,
        "LongStorage" => DType.Int64,
        "IntStorage" => DType.Int32,
        "ShortStorage" => DType.Int16,
        "CharStorage" => DType.Int8,
        "ByteStorage" => DType.UInt8,
        "BoolStorage" => DType.Bool,
        "UntypedStorage" => DType.UInt8,
        _ => null,
    };

    /// <summary>The dtype of a numpy descr ('&lt;f4'...), or null.</summary>
    public static DType? FromNumpy(string descr) => descr switch
    {
        "<f4" => DType.Float32,
        "<f8" => DType.Float64,
        "<f2" => DType.Float16,
        "<i8" => DType.Int64,
        "<i4" => DType.Int32,
        "<i2" => DType.Int16,
        "|i1" or "<i1" => DType.Int8,
        "|u1" or "<u1" => DType.UInt8,
        "|b1" or "<b1" => DType.Bool,
        _ => null,
    };

    public static string? Numpy(DType dtype) => dtype switch
    {
        DType.Float32 => "<f4",
        DType.Float64 => "<f8",
        DType.Float16 => "<f2",
        DType.Int64 => "<i8",
        DType.Int32 => "<i4",
        DType.Int16 => "<i2",
        DType.Int8 => "|i1",
        DType.UInt8 => "|u1",
        DType.Bool => "|b1",
        _ => null,
    };
}
