using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using HubHost.Checkpoints;
using static TorchSharp.torch;

namespace HubHost.Bench.Check;

/// <summary>
/// torchvision-shaped weights for plugins-sample/vision without the network: a copy of the repo whose weights table
/// (Models/Pretrained.cs) points at a loopback server, and per model a weights file of the shapes and dtypes its model
/// has, all zeros, named torch.hub's way (<c>resnet18-&lt;sha256 prefix&gt;.safetensors</c>, so the hub checks every download).
/// The files are sparse (a safetensors header, then a hole), so 6 GB of vision weights cost no disk until downloaded.
/// Used by the check benchmark and by the test that runs every CLI one-liner (linked into tests/HubHost.Tests).
/// </summary>
internal static partial class VisionWeights
{
    /// <summary>
    /// Copies the vision repo <paramref name="opened"/> (its source folder) to <paramref name="copy"/> (without bin/ and obj/) and writes its weights into
    /// <paramref name="weightsFolder"/>, to be served at <paramref name="baseUrl"/> + file name. The shapes come from
    /// <paramref name="opened"/>, the vision repo as loaded (each entrypoint with weights is called with its defaults).
    /// </summary>
    /// <returns>The file name per entrypoint.</returns>
    public static async Task<IReadOnlyDictionary<string, string>> PrepareAsync(HubRepo opened, string copy, string weightsFolder, string baseUrl)
    {
        CopyTree(opened.SourceDirectory, copy);
        Directory.CreateDirectory(weightsFolder);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in opened.Entrypoints.Where(e => e.Parameters.Any(p => p.Name == "weightsUrl")))
        {
            List<(string Name, ScalarType DType, long[] Shape)> tensors;
            using (var model = (TorchSharp.torch.nn.Module)(await opened.InvokeAsync(entry.Name))!)
                tensors = model.state_dict().Select(p => (p.Key, p.Value.dtype, p.Value.shape)).ToList();
            var temp = Path.Combine(weightsFolder, entry.Name + ".partial");
            WriteZeros(temp, tensors);
            string hash;
            await using (var stream = File.OpenRead(temp))
                hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream))[..8];
            files[entry.Name] = $"{entry.Name}-{hash}.safetensors";
            File.Move(temp, Path.Combine(weightsFolder, files[entry.Name]), overwrite: true);
        }
        var table = Path.Combine(copy, "Models", "Pretrained.cs");
        var lines = File.ReadAllLines(table).Select(line =>
        {
            if (line.Contains("private const string Base = ", StringComparison.Ordinal)) return $"    private const string Base = \"{baseUrl}\";";
            var model = TableRow().Match(line);
            return model.Success && files.TryGetValue(model.Groups[1].Value, out var file) ? PublishedFile().Replace(line, $"Base + \"{file}\"") : line;
        }).ToList();
        if (!lines.Any(l => l.Contains(baseUrl, StringComparison.Ordinal)) || files.Values.Any(f => !lines.Any(l => l.Contains(f, StringComparison.Ordinal))))
            throw new InvalidOperationException($"{table} no longer has the shape this rewrite expects (private const string Base, a [\"model\"] = [(name, Base + \"file\")] row per model).");
        File.WriteAllLines(table, lines);
        return files;
    }

    /// <summary>A safetensors file of zeros: the header, then a hole of the tensors' size.</summary>
    public static void WriteZeros(string path, IReadOnlyList<(string Name, ScalarType DType, long[] Shape)> tensors)
    {
        var header = new Dictionary<string, object>(StringComparer.Ordinal);
        long offset = 0;
        foreach (var (name, dtype, shape) in tensors)
        {
            var bytes = shape.Aggregate(1L, (a, d) => a * d) * DTypes.Size(dtype);
            header[name] = new { dtype = DTypes.Safetensors(dtype), shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        var padded = new byte[(json.Length + 7) / 8 * 8];
        Array.Fill(padded, (byte)' ');
        json.CopyTo(padded, 0);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        file.Write(BitConverter.GetBytes((ulong)padded.Length));
        file.Write(padded);
        file.SetLength(8 + padded.Length + offset);
    }

    public static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj") continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(to, relative))!);
            File.Copy(file, Path.Combine(to, relative), overwrite: true);
        }
    }

    [GeneratedRegex("""^\s*\["(\w+)"\] = """)]
    private static partial Regex TableRow();

    [GeneratedRegex("Base \\+ \"[^\"]+\"")]
    private static partial Regex PublishedFile();
}
