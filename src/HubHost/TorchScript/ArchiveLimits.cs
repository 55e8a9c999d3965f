namespace HubHost.TorchScript;

/// <summary>
/// The bounds <see cref="ArchiveCheck"/> puts on a TorchScript archive before libtorch reads it. Each is far above
/// what torch.jit.save writes for real models (measured on torch 1.13 archives of torchvision's resnet18,
/// mobilenet_v3, efficientnet_b0, regnet, convnext_tiny, swin_t, vit_b_16, deeplabv3/lraspp and a traced fcn_resnet50)
/// and far below what makes libtorch 2.10 overflow its stack or run for minutes (measured through TorchSharp 0.107;
/// docs/design.md has the figures).
/// </summary>
internal static class ArchiveLimits
{
    /// <summary>
    /// data.pkl and constants.pkl, uncompressed. torch writes about 100 bytes per tensor (fcn_resnet50's 326 tensors:
    /// 32 KB), so 16 MB holds over 100,000 tensors; the bound keeps the check's own memory for the parsed pickle in check.
    /// </summary>
    public const long MaxPickleBytes = 16L << 20;

    /// <summary>One code/ source file or its .debug_pkl (largest seen: 27 KB and 60 KB).</summary>
    public const long MaxSourceFileBytes = 16L << 20;

    /// <summary>All code/ sources and .debug_pkl files together (largest seen: 166 KB of source).</summary>
    public const long MaxTotalSourceBytes = 64L << 20;

    /// <summary>
    /// What the deflated members inflate to, together. torch.jit.save stores tensors uncompressed and deflates only
    /// code/ files, so this bounds the work of checking a zip bomb's CRC-32 without limiting model size.
    /// </summary>
    public const long MaxInflatedBytes = 1L << 30;

    /// <summary>
    /// How deeply pickled values nest (tuples in lists in objects...). libtorch frees nested values recursively: a
    /// tuple nested 1,000,000 deep overflowed its stack, 100,000 did not; real archives nest under 30 deep.
    /// </summary>
    public const int MaxValueDepth = 1000;

    /// <summary>Nested brackets in a code/ source file (real: 3; libtorch's parser overflowed its stack at about 5,000).</summary>
    public const int MaxBracketDepth = 100;

    /// <summary>
    /// Operators, calls and attribute accesses chained in one expression, which libtorch's parser and compiler turn
    /// into a tree as deep (real: under 20; a chain of 6,000 additions overflowed libtorch's stack).
    /// </summary>
    public const int MaxExpressionDepth = 256;

    /// <summary>Nested indented blocks in a code/ source file (real: 16).</summary>
    public const int MaxBlockDepth = 100;

    /// <summary>
    /// Classes and functions the code/ files define (real: up to 160). libtorch imports them one by one; 3,000
    /// classes took seconds to load.
    /// </summary>
    public const int MaxDefinitions = 10_000;

    /// <summary>
    /// The longest chain of definitions that refer to one another (class A has an attribute of class B, whose method
    /// calls function C...; real: 7). libtorch imports such a chain recursively and in more than quadratic time: 250
    /// classes deep took 9 s, 1,000 deep over 10 minutes, 4,000 deep overflowed its stack.
    /// </summary>
    public const int MaxReferenceDepth = 32;

    /// <summary>Dimensions of one tensor (PyTorch's own kernels handle at most 25 in places; real models: up to 6).</summary>
    public const int MaxTensorDimensions = 64;

    /// <summary>The file format versions libtorch 2.10 reads (caffe2 kMinSupportedFileFormatVersion..kMaxSupportedFileFormatVersion).</summary>
    public const long MinFormatVersion = 1, MaxFormatVersion = 10;
}
