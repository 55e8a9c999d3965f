using System.CommandLine;
using System.Text;
using HubHost.Checkpoints;
using HubHost.Cli.Outputs;
using TorchSharp;

namespace HubHost.Cli.Commands;

/// <summary>`hubhost state-dict FILE`: every tensor of a checkpoint with its dtype, shape and SHA-256.</summary>
internal static class StateDictCommand
{
    public static Command Create(CliApp app)
    {
        var file = new Argument<string>("FILE")
        {
            Description = "A checkpoint (torch.save zip or legacy format, or .safetensors): a local file, an http(s) URL or hf://owner/repo[@revision]/path, cached under <hub dir>/checkpoints.",
        };
        var command = new Command("state-dict", "List a checkpoint's tensors: name, dtype, shape and SHA-256 of the values (as PyTorch computes them).")
        {
            file,
        };
        command.SetAction((parse, cancellationToken) => app.RunAsync(async ct =>
        {
            var stateDict = await LoadAsync(app, parse.GetValue(file)!, ct);
            ct.ThrowIfCancellationRequested();
            var rows = stateDict.Select(p => new TensorRow(p.Key, DTypeNames.Torch(p.Value.dtype), p.Value.shape, Digest(p.Key, p.Value))).ToList();
            app.Print(rows, () => Table(rows, stateDict));
            return 0;
        }, cancellationToken));
        return command;
    }

    /// <summary>Where FILE (a local path or an http(s) URL, cached under the hub's checkpoints) becomes a state dict; shared with `run --weights`.</summary>
    internal static async Task<Dictionary<string, torch.Tensor>> LoadAsync(CliApp app, string fileOrUrl, CancellationToken cancellationToken)
    {
        return await DownloadCommand.WithProgressAsync(app, progress => app.Hub.LoadStateDictAsync(fileOrUrl, progress: progress, cancellationToken: cancellationToken));
    }

    /// <summary>A tensor's SHA-256; one whose values cannot be hashed (a huge stride-0 broadcast) is one clear error naming it.</summary>
    private static string Digest(string name, torch.Tensor tensor)
    {
        try
        {
            return TensorDigest.Sha256(tensor);
        }
        catch (ArgumentException e)
        {
            throw new HubException($"Cannot hash the tensor {name}: {e.Message}", e);
        }
    }

    internal sealed record TensorRow(string Name, [property: System.Text.Json.Serialization.JsonPropertyName("dtype")] string DType, long[] Shape, string Sha256);

    private static string Table(List<TensorRow> rows, Dictionary<string, torch.Tensor> stateDict)
    {
        static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";
        int nameWidth = Math.Max(4, rows.Count == 0 ? 0 : rows.Max(r => r.Name.Length));
        int dtypeWidth = Math.Max(5, rows.Count == 0 ? 0 : rows.Max(r => r.DType.Length));
        int shapeWidth = Math.Max(5, rows.Count == 0 ? 0 : rows.Max(r => Shape(r.Shape).Length));
        var sb = new StringBuilder();
        sb.Append("NAME".PadRight(nameWidth)).Append("  ").Append("DTYPE".PadRight(dtypeWidth)).Append("  ").Append("SHAPE".PadRight(shapeWidth)).Append("  SHA256\n");
        foreach (var r in rows)
            sb.Append(r.Name.PadRight(nameWidth)).Append("  ").Append(r.DType.PadRight(dtypeWidth)).Append("  ").Append(Shape(r.Shape).PadRight(shapeWidth)).Append("  ").Append(r.Sha256).Append('\n');
        long elements = stateDict.Values.Sum(t => t.numel());
        long bytes = stateDict.Values.Sum(t => t.numel() * t.ElementSize);
        sb.Append($"{rows.Count} tensors, {elements:N0} elements, {bytes:N0} bytes");
        return sb.ToString();
    }
}
