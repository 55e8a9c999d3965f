using HubHost.Checkpoints;
using HubHost.Native;
using SharpFuzz;
using static TorchSharp.torch;

namespace HubHost.Fuzz;

/// <summary>
/// One afl++ target per checkpoint reader: <c>zip</c> (torch.save zip), <c>legacy</c> (pre-1.6 torch.save),
/// <c>safetensors</c> and <c>npy</c>. Each input is read from memory as the stream readers do; every tensor
/// read is digested (which walks odd strides) and disposed. Only a <see cref="CheckpointFormatException"/>
/// is an expected outcome: any other exception, a crash, a hang or a runaway allocation is a finding.
/// <c>HubHost.Fuzz TARGET --run FILE...</c> runs files once, without afl, and prints the outcome of each.
/// </summary>
internal static class Program
{
    private static readonly Dictionary<string, Func<ByteSource, int>> Targets = new(StringComparer.Ordinal)
    {
        ["zip"] = source => Consume(TorchCheckpoint.ReadZip(source)),
        ["legacy"] = source => Consume(TorchCheckpoint.ReadLegacy(source)),
        ["safetensors"] = source => Consume(Safetensors.Read(source, out _)),
        ["npy"] = source => Consume(new Dictionary<string, Tensor> { ["array"] = Npy.Read(source) }),
    };

    private static int Main(string[] args)
    {
        if (args.Length == 0 || !Targets.TryGetValue(args[0], out var target) || (args.Length > 1 && args[1] != "--run"))
        {
            Console.Error.WriteLine($"usage: HubHost.Fuzz {{{string.Join('|', Targets.Keys)}}} [--run FILE...]   (see fuzz/README.md)");
            return 2;
        }
        TorchNative.EnsureLoaded();
        if (args.Length > 1)
        {
            unsafe
            {
                // Instrumented code records edges in afl's shared bitmap; without afl, give it a private one.
                SharpFuzz.Common.Trace.SharedMem = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(1 << 16);
            }
            foreach (var file in args[2..])
            {
                try
                {
                    Console.WriteLine($"{file}: {Run(target, File.ReadAllBytes(file))} tensors");
                }
                catch (CheckpointFormatException e)
                {
                    Console.WriteLine($"{file}: refused: {e.Problem}");
                }
            }
            return 0;
        }
        Fuzzer.OutOfProcess.Run(stream =>
        {
            var memory = new MemoryStream();
            stream.CopyTo(memory);
            try
            {
                Run(target, memory.ToArray());
            }
            catch (CheckpointFormatException)
            {
            }
        });
        return 0;
    }

    private static int Run(Func<ByteSource, int> target, byte[] bytes)
    {
        // Mutations would almost all end at the zip entries' CRC-32; let them reach the pickle and records.
        // (Set here, not in Main: instrumented code may only run once SharpFuzz has set up its bitmap.)
        ZipReader.VerifyCrc = false;
        using var source = new MemorySource("input", bytes, bytes.Length);
        return target(source);
    }

    /// <summary>Digests every tensor of modest size (so strided reads are exercised) and disposes them all.</summary>
    private static int Consume(Dictionary<string, Tensor> tensors)
    {
        foreach (var t in tensors.Values)
        {
            if (TensorMemory.Sizes(t) is { ValueBytes: <= 64 << 20 }) TensorDigest.Sha256(t);
            t.Dispose();
        }
        return tensors.Count;
    }
}
