using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Checkpoints;

/// <summary>The dtypes checkpoints may hold (every dense TorchSharp dtype) and the names each format gives them.</summary>
internal static class DTypes
{
    /// <summary>Every dtype the readers create, for messages.</summary>
    public static readonly ScalarType[] All =
    [
        ScalarType.Float32, ScalarType.Float16, ScalarType.BFloat16, ScalarType.Float64, ScalarType.ComplexFloat32, ScalarType.ComplexFloat64,
        ScalarType.Int64, ScalarType.Int32, ScalarType.Int16, ScalarType.Int8, ScalarType.Byte, ScalarType.Bool,
    ];

    public static string AllTorchNames => string.Join(", ", All.Select(Torch));

    /// <summary>Bytes per element; 0 for a dtype the checkpoint code does not handle (quantized).</summary>
    public static int Size(ScalarType dtype) => dtype switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 or ScalarType.ComplexFloat32 => 8,
        ScalarType.ComplexFloat64 => 16,
        _ => 0,
    };

    /// <summary>PyTorch's name without "torch." (float32, bfloat16, complex64, uint8, bool...).</summary>
    public static string Torch(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float64 => "float64",
        ScalarType.ComplexFloat32 => "complex64",
        ScalarType.ComplexFloat64 => "complex128",
        ScalarType.Int64 => "int64",
        ScalarType.Int32 => "int32",
        ScalarType.Int16 => "int16",
        ScalarType.Int8 => "int8",
        ScalarType.Byte => "uint8",
        ScalarType.Bool => "bool",
        _ => dtype.ToString(),
    };

    public static string? Safetensors(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Float64 => "F64",
        ScalarType.ComplexFloat32 => "C64",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => null,
    };

    public const string SafetensorsNames = "F32, F16, BF16, F64, C64, I64, I32, I16, I8, U8, BOOL";

    public static ScalarType? FromSafetensors(string name) => name switch
    {
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "F64" => ScalarType.Float64,
        "C64" => ScalarType.ComplexFloat32,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => null,
    };

    /// <summary>
    /// The reference writer's order: descending by its Dtype enum (BOOL, F4, F6_*, U8, I8, F8_*, I16, U16, F16,
    /// BF16, I32, U32, F32, C64, F64, I64, U64), so larger alignments come first.
    /// </summary>
    public static int SafetensorsRank(ScalarType dtype) => dtype switch
    {
        ScalarType.Bool => 0,
        ScalarType.Byte => 4,
        ScalarType.Int8 => 5,
        ScalarType.Int16 => 9,
        ScalarType.Float16 => 11,
        ScalarType.BFloat16 => 12,
        ScalarType.Int32 => 13,
        ScalarType.Float32 => 15,
        ScalarType.ComplexFloat32 => 16,
        ScalarType.Float64 => 17,
        ScalarType.Int64 => 18,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "No safetensors dtype."),
    };

    /// <summary>The dtype of a torch.*Storage class name (FloatStorage...), or null.</summary>
    public static ScalarType? FromStorageClass(string name) => name switch
    {
        "FloatStorage" => ScalarType.Float32,
        "HalfStorage" => ScalarType.Float16,
        "BFloat16Storage" => ScalarType.BFloat16,
        "DoubleStorage" => ScalarType.Float64,
        "ComplexFloatStorage" => ScalarType.ComplexFloat32,
        "ComplexDoubleStorage" => ScalarType.ComplexFloat64,
        "LongStorage" => ScalarType.Int64,
        "IntStorage" => ScalarType.Int32,
        "ShortStorage" => ScalarType.Int16,
        "CharStorage" => ScalarType.Int8,
        "ByteStorage" => ScalarType.Byte,
        "BoolStorage" => ScalarType.Bool,
        "UntypedStorage" => ScalarType.Byte,
        _ => null,
    };

    /// <summary>The dtype of a numpy descr ('&lt;f4'...), or null.</summary>
    public static ScalarType? FromNumpy(string descr) => descr switch
    {
        "<f4" => ScalarType.Float32,
        "<f8" => ScalarType.Float64,
        "<f2" => ScalarType.Float16,
        "<c8" => ScalarType.ComplexFloat32,
        "<c16" => ScalarType.ComplexFloat64,
        "<i8" => ScalarType.Int64,
        "<i4" => ScalarType.Int32,
        "<i2" => ScalarType.Int16,
        "|i1" or "<i1" => ScalarType.Int8,
        "|u1" or "<u1" => ScalarType.Byte,
        "|b1" or "<b1" => ScalarType.Bool,
        _ => null,
    };

    public const string NumpyNames = "<f4, <f8, <f2, <c8, <c16, <i8, <i4, <i2, |i1, |u1, |b1";

    public static string? Numpy(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "<f4",
        ScalarType.Float64 => "<f8",
        ScalarType.Float16 => "<f2",
        ScalarType.ComplexFloat32 => "<c8",
        ScalarType.ComplexFloat64 => "<c16",
        ScalarType.Int64 => "<i8",
        ScalarType.Int32 => "<i4",
        ScalarType.Int16 => "<i2",
        ScalarType.Int8 => "|i1",
        ScalarType.Byte => "|u1",
        ScalarType.Bool => "|b1",
        _ => null,
    };
}
