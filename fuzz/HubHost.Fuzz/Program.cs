using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using HubHost.Checkpoints;
using HubHost.Native;
using HubHost.TorchScript;
using SharpFuzz;
using static TorchSharp.torch;

namespace HubHost.Fuzz;

/// <summary>
/// One afl++ target per checkpoint reader: <c>zip</c> (torch.save zip), <c>legacy</c> (pre-1.6 torch.save),
/// <c>safetensors</c> and <c>npy</c>; and two for TorchScript archives: <c>script</c> (the hub's archive check,
/// <see cref="ArchiveCheck"/>) and <c>script-load</c> (the check, then libtorch's torch.jit.load of what passed
/// it, with the members' CRC-32s recomputed so that mutations reach libtorch's parsers). Each input is read
/// from memory as the stream readers do; every tensor read is digested (which walks odd strides) and disposed.
/// Only a <see cref="CheckpointFormatException"/> (and, for script-load, libtorch refusing the archive with an
/// error) is an expected outcome: any other exception, a crash, a hang or a runaway allocation is a finding.
/// <c>HubHost.Fuzz TARGET --run FILE...</c> runs files once, without afl, and prints the outcome of each.
/// </summary>
internal static class Program
{
    private static readonly Dictionary<string, Func<ByteSource, byte[], int>> Targets = new(StringComparer.Ordinal)
    {
        ["zip"] = (source, _) => Consume(TorchCheckpoint.ReadZip(source)),
        ["legacy"] = (source, _) => Consume(TorchCheckpoint.ReadLegacy(source)),
        ["safetensors"] = (source, _) => Consume(Safetensors.Read(source, out Dictionary<string, string>? _)),
        ["npy"] = (source, _) => Consume(new Dictionary<string, Tensor> { ["array"] = Npy.Read(source) }),
        ["script"] = (source, _) => CheckArchive(source),
        ["script-load"] = LoadArchive,
        ["script-pickle"] = (_, bytes) => LoadPickle(bytes),
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
                    Console.WriteLine($"{file}: {Run(target, File.ReadAllBytes(file))} tensors (archive members for script targets){(args[0] is "script-load" or "script-pickle" ? ", loaded by libtorch and run" : "")}");
                }
                catch (CheckpointFormatException e)
                {
                    Console.WriteLine($"{file}: refused: {e.Problem}");
                }
                catch (LibTorchRefusal e)
                {
                    Console.WriteLine($"{file}: passed the check; libtorch refused it: {e.Message}");
                }
                catch (NotLoaded e)
                {
                    Console.WriteLine($"{file}: passed the check; not loaded: {e.Message}");
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
            catch (LibTorchRefusal)
            {
            }
            catch (NotLoaded)
            {
            }
        });
        return 0;
    }

    private static int Run(Func<ByteSource, byte[], int> target, byte[] bytes)
    {
        // Mutations would almost all end at the zip entries' CRC-32; let them reach the pickle and records.
        // (Set here, not in Main: instrumented code may only run once SharpFuzz has set up its bitmap.)
        ZipReader.VerifyCrc = false;
        using var source = new MemorySource("input", bytes, bytes.Length);
        return target(source, bytes);
    }

    private static int CheckArchive(ByteSource source)
    {
        ArchiveCheck.Run(source);
        return ZipReader.Open(source).Entries.Count;
    }

    /// <summary>The code/*.py members of the seed archives (seeds/script, from the working folder), by content.</summary>
    private static readonly Lazy<HashSet<string>> SeedCode = new(() =>
    {
        var code = new HashSet<string>(StringComparer.Ordinal);
        foreach (var seed in Directory.GetFiles("seeds/script", "*.pt"))
        {
            using var zip = System.IO.Compression.ZipFile.OpenRead(seed);
            foreach (var entry in zip.Entries.Where(e => e.FullName.Contains("/code/", StringComparison.Ordinal) && e.FullName.EndsWith(".py", StringComparison.Ordinal)))
            {
                using var stream = entry.Open();
                var memory = new MemoryStream();
                stream.CopyTo(memory);
                code.Add(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(memory.ToArray())));
            }
        }
        if (code.Count == 0) throw new InvalidOperationException("script-load runs from fuzz/ and reads seeds/script/*.pt: no code members found there.");
        return code;
    });

    /// <summary>
    /// The check, then (for what passed it) libtorch's torch.jit.load, as ScriptArchive.Load does, and a call of the
    /// model on a tensor of the wrong shape, so that libtorch reports an error through the archive's debug_pkl.
    /// libtorch checks every member's CRC-32 itself, so the CRCs the check was told to ignore are written into the
    /// bytes first: libtorch then reads exactly the mutated archive the check accepted. Archives whose code/ sources
    /// differ from the seeds' are not loaded: libtorch 2.10 aborts the process on any TorchScript compile error
    /// (torch::jit::ErrorReport, which TorchSharp 0.107 does not catch), a known crash the check cannot prevent
    /// (docs/design.md), which would otherwise be most of what this target finds.
    /// </summary>
    private static int LoadArchive(ByteSource source, byte[] bytes)
    {
        int members = CheckArchive(source);
        var zip = ZipReader.Open(source);
        foreach (var entry in zip.Entries.Where(e => e.Name.Contains("/code/", StringComparison.Ordinal) && e.Name.EndsWith(".py", StringComparison.Ordinal)))
        {
            if (!SeedCode.Value.Contains(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(zip.ReadAll(entry)))))
                throw new NotLoaded($"its code member '{entry.Name}' differs from the seeds'");
        }
        var patched = (byte[])bytes.Clone();
        foreach (var entry in zip.Entries)
        {
            uint crc = Crc32.HashToUInt32(zip.ReadAll(entry));
            BinaryPrimitives.WriteUInt32LittleEndian(patched.AsSpan((int)entry.LocalHeaderOffset + 14), crc);
            BinaryPrimitives.WriteUInt32LittleEndian(patched.AsSpan((int)entry.CentralHeaderOffset + 16), crc);
        }
        if (Environment.GetEnvironmentVariable("HUBHOST_FUZZ_SAVE_PATCHED") is { Length: > 0 } saveAs)
            File.WriteAllBytes(saveAs, patched); // to load the very bytes libtorch got in another program (--run only)
        try
        {
            using var module = TorchSharp.torch.jit.load<Tensor, Tensor>(patched);
            using var wrongShape = zeros(1, 3);
            using var output = module.call(wrongShape);
        }
        catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException or NotImplementedException or InvalidCastException)
        {
            // What ScriptArchive.Load turns into a HubException (or a model whose output is not a tensor): an expected outcome.
            throw new LibTorchRefusal(e.Message.Split('\n', 2)[0]);
        }
        return members;
    }

    /// <summary>The seed archives (seeds/script/*.pt, in ordinal order of their names) as (member name, bytes, compressed) lists.</summary>
    private static readonly Lazy<List<(string Name, byte[] Data, bool Deflated)>[]> Templates = new(() =>
    {
        var files = Directory.GetFiles("seeds/script", "*.pt");
        Array.Sort(files, StringComparer.Ordinal);
        return files.Select(file =>
        {
            using var zip = System.IO.Compression.ZipFile.OpenRead(file);
            return zip.Entries.Select(e =>
            {
                using var stream = e.Open();
                var memory = new MemoryStream();
                stream.CopyTo(memory);
                return (e.FullName, memory.ToArray(), e.CompressedLength != e.Length);
            }).ToList();
        }).ToArray();
    });

    /// <summary>
    /// script-pickle: the input is one byte choosing a seed archive (low 7 bits, modulo their number) and which pickle to
    /// replace (high bit: constants.pkl, else data.pkl), then that pickle's bytes. The archive is rebuilt around them as a
    /// valid zip (true CRCs, the seed's code unchanged), checked with the CRC-32 check on, and what passes is loaded by
    /// libtorch and called on a wrong-shaped input, as script-load does. Mutations thus reach the pickles, where the
    /// allow-list is, instead of ending in the zip structure.
    /// </summary>
    private static int LoadPickle(byte[] input)
    {
        if (input.Length < 2) return 0;
        var template = Templates.Value[(input[0] & 0x7f) % Templates.Value.Length];
        string replaced = (input[0] & 0x80) != 0 ? "/constants.pkl" : "/data.pkl";
        var archive = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(archive, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data, deflated) in template)
            {
                var entry = zip.CreateEntry(name, deflated ? System.IO.Compression.CompressionLevel.Optimal : System.IO.Compression.CompressionLevel.NoCompression);
                using var stream = entry.Open();
                stream.Write(name.EndsWith(replaced, StringComparison.Ordinal) ? input.AsSpan(1) : data);
            }
        }
        var bytes = archive.ToArray();
        ZipReader.VerifyCrc = true;
        using (var source = new MemorySource("input", bytes, bytes.Length)) ArchiveCheck.Run(source);
        try
        {
            using var module = TorchSharp.torch.jit.load<Tensor, Tensor>(bytes);
            using var wrongShape = zeros(1, 3);
            using var output = module.call(wrongShape);
        }
        catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException or NotImplementedException or InvalidCastException)
        {
            throw new LibTorchRefusal(e.Message.Split('\n', 2)[0]);
        }
        return template.Count;
    }

    /// <summary>libtorch refused an archive that passed the check, with an error (not a crash).</summary>
    private sealed class LibTorchRefusal(string message) : Exception(message);

    /// <summary>script-load did not give an archive that passed the check to libtorch (its code changed).</summary>
    private sealed class NotLoaded(string message) : Exception(message);

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
