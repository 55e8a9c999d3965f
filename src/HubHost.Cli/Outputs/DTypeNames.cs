using static TorchSharp.torch;

namespace HubHost.Cli.Outputs;

/// <summary>Dtypes as PyTorch names them in the CLI's output (<c>float32</c>, <c>bfloat16</c>, <c>complex64</c>, <c>uint8</c>...).</summary>
internal static class DTypeNames
{
    /// <summary>
    /// PyTorch's name without "torch.": TorchSharp's <see cref="ScalarType"/> name in lower case (Float32 → float32, BFloat16 →
    /// bfloat16, Int64 → int64, Bool → bool) except where PyTorch names it otherwise.
    /// </summary>
    public static string Torch(ScalarType dtype) => dtype switch
    {
        ScalarType.Byte => "uint8",
        ScalarType.ComplexFloat32 => "complex64",
        ScalarType.ComplexFloat64 => "complex128",
        _ => dtype.ToString().ToLowerInvariant(),
    };
}
