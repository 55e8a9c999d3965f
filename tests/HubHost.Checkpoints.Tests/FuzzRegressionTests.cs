using HubHost.Checkpoints;
using static TorchSharp.torch;

namespace HubHost.Checkpoints.Tests;

/// <summary>Inputs afl++ found (fuzz/README.md), kept as regressions.</summary>
public class FuzzRegressionTests
{
    /// <summary>
    /// A mutated legacy file whose storages sit at odd offsets (complex128 at an address 3 mod 16): viewing them
    /// in place made libtorch's kernels crash the process (SIGSEGV) when the tensors were read; such storages
    /// are copied into aligned memory. A regression kills the test host, which fails the run.
    /// </summary>
    [Theory]
    [InlineData(CheckpointReadMode.MemoryMap)]
    [InlineData(CheckpointReadMode.Copy)]
    public unsafe void Legacy_storages_at_misaligned_offsets_are_read_safely(CheckpointReadMode mode)
    {
        var path = Fixtures.Path("checkpoints/fuzz/legacy_misaligned_storages.pt");
        foreach (var stateDict in new[] { Checkpoint.Load(path, mode), Checkpoint.Load(new MemoryStream(File.ReadAllBytes(path)), "mutated.pt") })
        {
            Assert.Equal(["c64", "c64_t", "c128", "f32"], stateDict.Keys);
            foreach (var (name, tensor) in stateDict)
            {
                var alignment = Math.Min(tensor.element_size(), 16);
                Assert.True((long)TensorMemory.Data(tensor) % alignment == 0, $"{name} is not aligned to {alignment} bytes");
                Assert.Equal(64, TensorDigest.Sha256(tensor).Length);
                using var copy = tensor.contiguous();
                using var sum = copy.abs().sum();
            }
            Assert.Equal(ScalarType.ComplexFloat64, stateDict["c128"].dtype);
            Assert.Equal([5L], stateDict["c128"].shape);
            foreach (var t in stateDict.Values) t.Dispose();
        }
    }
}
